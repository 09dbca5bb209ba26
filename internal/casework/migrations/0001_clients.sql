-- A client's personal record. Every personal field is sealed under the
-- client's own key (gate.Handle.Seal), bound to this table, its column and
-- the row. Only what carries no identity is in clear.
CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    given_name    BLOB NOT NULL,
    family_name   BLOB NOT NULL,
    date_of_birth BLOB NOT NULL,
    version       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
