-- Suggestions, comments, concerns and complaints from clients (P07),
-- owned by a named member of staff and tracked to an answer. What the
-- client said and the answer are sealed under the client's key, bound to
-- the logical table "client_comments", their column and the row id. Dates
-- are YYYY-MM-DD text (they sort as they read); times unix microseconds.
CREATE TABLE client_comments (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    service_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,            -- suggestion, comment, concern, complaint
    what         BLOB NOT NULL,            -- sealed
    received_on  TEXT NOT NULL,
    how_received TEXT NOT NULL,            -- in-person, phone, letter, email, form, other
    owner_id     TEXT NOT NULL,
    status       TEXT NOT NULL,            -- open, answered, closed
    due_on       TEXT NOT NULL,
    answer       BLOB,                     -- sealed
    answered_on  TEXT NOT NULL DEFAULT '',
    answered_by  TEXT NOT NULL DEFAULT '',
    closed_on    TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX client_comments_client ON client_comments (client_id, received_on);
CREATE INDEX client_comments_service ON client_comments (service_id, status, due_on);
CREATE INDEX client_comments_owner ON client_comments (owner_id, status, due_on);
