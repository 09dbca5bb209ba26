-- One row per audit entry. The fields sit in columns so that "who looked at
-- this client" (P21) is plain SQL; hash is the entry's leaf hash, tlog's
-- RecordHash of its canonical encoding. Entries hold ids and codes only.
CREATE TABLE audit_entries (
	idx        BIGINT PRIMARY KEY,
	at_us      BIGINT NOT NULL,
	actor      TEXT NOT NULL,
	action     TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	record_ids TEXT NOT NULL,
	purpose    TEXT NOT NULL,
	allowed    BOOLEAN NOT NULL,
	reason     TEXT NOT NULL,
	hash       BLOB NOT NULL
);
CREATE INDEX audit_entries_client ON audit_entries (client_id, idx);

-- The Merkle tree: tlog stored-hash index → hash. Rows are only ever added.
CREATE TABLE audit_hashes (
	n    BIGINT PRIMARY KEY,
	hash BLOB NOT NULL
);

-- The single head row: tree size, root and the signed checkpoint for them.
-- Every append locks it, which serialises appends across instances.
CREATE TABLE audit_head (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	size       BIGINT NOT NULL,
	root       BLOB NOT NULL,
	checkpoint TEXT NOT NULL,
	at_us      BIGINT NOT NULL
);

-- Signed checkpoints kept for good: one every 1,000 entries and one for each
-- successful Verify, so a later rewrite of the history shows.
CREATE TABLE audit_checkpoints (
	size        BIGINT PRIMARY KEY,
	root        BLOB NOT NULL,
	checkpoint  TEXT NOT NULL,
	made_us     BIGINT NOT NULL,
	verified_us BIGINT
);
