-- Cases: one piece of work with a client in one service (an enquiry, a
-- referral, a piece of work), with exactly one named owner (P03). Only what
-- carries no identity is in clear: ids, service, kind, status, owner, dates
-- and the closing reason's code. Dates are YYYY-MM-DD text, which sorts and
-- compares the same on both engines; closed_on is '' while the case is open
-- or on hold, so the active cases of an owner or a service are an index
-- range.
CREATE TABLE cases (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    service_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,             -- enquiry, referral, work
    status       TEXT NOT NULL,             -- open, on-hold, closed
    owner_id     TEXT NOT NULL,             -- a worker of the service
    opened_on    TEXT NOT NULL,
    closed_on    TEXT NOT NULL DEFAULT '',
    close_reason TEXT NOT NULL DEFAULT '',  -- a code from casework.CloseReasons
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX cases_client ON cases (client_id, opened_on, id);
CREATE INDEX cases_owner ON cases (owner_id, closed_on, opened_on, id);
CREATE INDEX cases_service ON cases (service_id, closed_on, opened_on, id);

-- What happened to a case, in order (seq is the case's version after the
-- event): opened, status changed, handed over. Who and when are clear; the
-- note (a closing note, a hand-over's reason) may speak of the client, so it
-- is sealed under the client's key, bound to case_events.note and the row
-- id. move_id groups the hand-overs of one caseload move (P08).
CREATE TABLE case_events (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    kind         TEXT NOT NULL,             -- opened, status, handover
    at           BIGINT NOT NULL,
    by_id        TEXT NOT NULL,
    from_status  TEXT NOT NULL DEFAULT '',
    to_status    TEXT NOT NULL DEFAULT '',
    close_reason TEXT NOT NULL DEFAULT '',
    from_owner   TEXT NOT NULL DEFAULT '',
    to_owner     TEXT NOT NULL DEFAULT '',
    move_id      TEXT NOT NULL DEFAULT '',
    note         BLOB
);
CREATE UNIQUE INDEX case_events_case ON case_events (case_id, seq);
CREATE INDEX case_events_client ON case_events (client_id);
