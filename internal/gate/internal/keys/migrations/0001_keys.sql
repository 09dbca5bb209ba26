-- The key store: apart from the data (keys.db / schema caseward_keys), so a
-- copy of the data alone reveals nothing. Every key here is wrapped
-- (AES-256-GCM) by the root key, which lives in a file outside any database.
-- Times are Unix microseconds (UTC).

-- One row. It names the root key that wraps every key in this store and
-- holds the keyring's own secrets. Every writer locks this row first, so a
-- rotation never races a new key being wrapped with the root key it retires.
CREATE TABLE keyring (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    root_key_id TEXT NOT NULL,
    blind_index_key BLOB NOT NULL,
    audit_signing_key BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT
);

-- One data key per client. Deleting the row erases the client from every
-- copy of the data at once.
CREATE TABLE client_keys (
    client_id TEXT PRIMARY KEY,
    root_key_id TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

-- Clients whose key was destroyed. Kept so that a key store restored from
-- an older backup can be shredded again, and so a shredded client never
-- gets a new key. Ids only: nothing here names anyone.
CREATE TABLE shred_journal (
    client_id TEXT PRIMARY KEY,
    shredded_at BIGINT NOT NULL
);
