-- Blind indexes for finding clients (search.go). Nothing here is in clear:
-- each tag is "kind:index", where index is a keyed hash of a normalised
-- value (a word of a name, its beginning, its phonetic key, a typo
-- neighbour, a date of birth, the last digits of a phone number),
-- truncated so that every index is shared by many values. part says which
-- part of the record the row came from ('names' or 'contact'), so that a
-- change to one part replaces only its rows. The primary key serves the
-- look-ups (tag, then client); the second index serves replacing and
-- erasing one client's rows.
CREATE TABLE client_search (
    tag       TEXT NOT NULL,
    client_id TEXT NOT NULL,
    part      TEXT NOT NULL,
    PRIMARY KEY (tag, client_id)
);
CREATE INDEX client_search_client ON client_search (client_id, part);

-- One row per intake check ("do we already know this person?"), who and
-- when only, for the per-person limit on how many checks can be made in
-- an hour. Rows older than the window are removed as new checks are made.
CREATE TABLE client_intake_checks (
    actor_id   TEXT NOT NULL,
    checked_at BIGINT NOT NULL
);
CREATE INDEX client_intake_checks_actor ON client_intake_checks (actor_id, checked_at);
