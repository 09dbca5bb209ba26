-- What the gate knows about a client without decrypting anything: that
-- they exist, and how they are linked to services and workers. Ids only.
CREATE TABLE gate_subjects (
    client_id  TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

-- One row per service a client is linked to (through an open case), with
-- the worker who owns that work ('' when nobody does). Casework keeps these
-- in step with cases and hand-overs through Gate.SetLinks.
CREATE TABLE gate_links (
    client_id  TEXT NOT NULL,
    service_id TEXT NOT NULL,
    worker_id  TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, service_id, worker_id)
);
CREATE INDEX gate_links_service ON gate_links (service_id, client_id);
CREATE INDEX gate_links_worker ON gate_links (worker_id, client_id);

-- A copy of the key store's shred journal, so that restoring the key store
-- from an older backup cannot bring a shredded client back: the gate
-- replays this journal at every start.
CREATE TABLE gate_shred_journal (
    client_id   TEXT PRIMARY KEY,
    shredded_at BIGINT NOT NULL
);
