-- What the gate knows about a client without decrypting anything: the
-- service they belong to and the worker they are assigned to. Ids only.
CREATE TABLE gate_subjects (
    client_id   TEXT PRIMARY KEY,
    service_id  TEXT NOT NULL,
    assigned_to TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX gate_subjects_service ON gate_subjects (service_id, client_id);
CREATE INDEX gate_subjects_assigned ON gate_subjects (assigned_to, client_id);

-- A copy of the key store's shred journal, so that restoring the key store
-- from an older backup cannot bring a shredded client back: the gate
-- replays this journal at every start.
CREATE TABLE gate_shred_journal (
    client_id   TEXT PRIMARY KEY,
    shredded_at BIGINT NOT NULL
);
