-- Contact notes (P02) and their versions (P41), agreed actions, contacts
-- still awaiting a note, copies of letters and e-mails sent (P05, P10), and
-- each service's setting for sessional and clinical notes (P13).
--
-- Every text is sealed under the client's key (gate.Handle.Seal), bound to
-- the table, column and row named beside it. In clear: ids, the service,
-- the case, kinds, methods, dates and workers, so lists and deadlines are
-- plain SQL. Case ids are plain TEXT ('' when none): no foreign key.

-- One row per note, holding the clear metadata of its latest version, for
-- the client's list (newest contact first).
CREATE TABLE notes (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    service_id TEXT NOT NULL,            -- the service the contact was in
    case_id    TEXT NOT NULL DEFAULT '',
    author_id  TEXT NOT NULL,            -- who wrote the first version
    kind       TEXT NOT NULL,            -- latest version's: contact, sessional, clinical
    method     TEXT NOT NULL,            -- latest version's: face-to-face, phone, video, email, letter, text, dna
    contact_at BIGINT NOT NULL,          -- latest version's: when the contact happened
    version    INTEGER NOT NULL,         -- the latest version's number, from 1
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX notes_client ON notes (client_id, contact_at, id);

-- Every version of every note: a correction adds one, nothing is
-- overwritten. body is sealed (who was there, what was discussed,
-- support needed, expectations), bound to ("note_versions", "body", id);
-- reason is sealed, bound to ("note_versions", "reason", id), NULL for the
-- first version.
CREATE TABLE note_versions (
    id         TEXT PRIMARY KEY,
    note_id    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    client_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    method     TEXT NOT NULL,
    contact_at BIGINT NOT NULL,
    body       BLOB NOT NULL,
    reason     BLOB,
    written_by TEXT NOT NULL,
    written_at BIGINT NOT NULL,
    UNIQUE (note_id, version)
);

-- Agreed actions. what is sealed ("note_actions", "what", id), and so is
-- the name of someone other than a worker or the client who does it
-- ("note_actions", "other_name", id). A correction never rewrites an
-- action: it withdraws it (withdrawn_version) and may add others.
-- owner_id is who follows the action up: the worker doing it, or else the
-- note's author; service_id is the note's service, for its managers. open
-- is 1 while it is neither done nor withdrawn.
CREATE TABLE note_actions (
    id                TEXT PRIMARY KEY,
    note_id           TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    service_id        TEXT NOT NULL,
    added_version     INTEGER NOT NULL,
    withdrawn_version INTEGER NOT NULL DEFAULT 0,
    what              BLOB NOT NULL,
    assignee          TEXT NOT NULL,     -- worker, client, other
    worker_id         TEXT NOT NULL DEFAULT '',
    other_name        BLOB,
    owner_id          TEXT NOT NULL,
    due_on            TEXT NOT NULL,     -- YYYY-MM-DD
    open              INTEGER NOT NULL DEFAULT 1,
    done_at           BIGINT NOT NULL DEFAULT 0,
    done_by           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX note_actions_note ON note_actions (note_id);
CREATE INDEX note_actions_owner ON note_actions (owner_id, open, due_on);
CREATE INDEX note_actions_client ON note_actions (client_id, open, due_on);
CREATE INDEX note_actions_service ON note_actions (service_id, open, due_on);

-- Contacts that call for a note (an appointment attended, recorded by the
-- appointments code in its own transaction), until a note answers them.
-- note_id is '' while the note is awaited. service_id is the case's
-- service, '' when the contact has no case.
CREATE TABLE note_contacts (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    case_id    TEXT NOT NULL DEFAULT '',
    service_id TEXT NOT NULL DEFAULT '',
    worker_id  TEXT NOT NULL,
    contact_at BIGINT NOT NULL,
    note_id    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (client_id, worker_id, contact_at)
);
CREATE INDEX note_contacts_worker ON note_contacts (worker_id, note_id, contact_at);
CREATE INDEX note_contacts_client ON note_contacts (client_id, note_id, contact_at);
CREATE INDEX note_contacts_service ON note_contacts (service_id, note_id, contact_at);

-- Copies of the letters and e-mails sent to or about the client. Never
-- changed once recorded: a copy is what was sent. recipient, address,
-- subject and body are sealed ("letters", column, id).
CREATE TABLE letters (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    service_id TEXT NOT NULL,
    case_id    TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL,            -- post, email, hand
    sent_at    BIGINT NOT NULL,
    sent_by    TEXT NOT NULL,
    recipient  BLOB NOT NULL,
    address    BLOB NOT NULL,
    subject    BLOB NOT NULL,
    body       BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX letters_client ON letters (client_id, sent_at, id);

-- Each service's choice of who, besides the author and the service's
-- managers, reads its sessional and clinical notes (access.ClinicalReaders).
-- A service with no row keeps the default: nobody else.
CREATE TABLE note_settings (
    service_id       TEXT PRIMARY KEY,
    clinical_readers TEXT NOT NULL,
    updated_at       BIGINT NOT NULL,
    updated_by       TEXT NOT NULL
);
