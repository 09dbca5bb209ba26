-- Support plans (P04): goals, actions, review dates, and the client's
-- agreement. A plan is never changed in place: every save adds a version,
-- so the history stays (like notes). Only what carries no identity is in
-- clear: ids, status, dates, who saved it. Dates are YYYY-MM-DD text
-- ('' when not set), which sorts the same on both engines.
--   review_on      the next review date, for caseload lists of reviews due
--   action_due_on  the earliest date an action not yet done is due by
CREATE TABLE plans (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL,
    status        TEXT NOT NULL,              -- active, closed
    version       BIGINT NOT NULL,
    review_on     TEXT NOT NULL DEFAULT '',
    action_due_on TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX plans_client ON plans (client_id, created_at, id);
CREATE INDEX plans_review ON plans (status, review_on);
CREATE INDEX plans_action_due ON plans (status, action_due_on);

-- Every version of a plan. body is the plan as the client sees it (title,
-- goals and their actions) as sealed JSON; internal_notes are for staff
-- only and never go into the client's copy; reason says why it changed.
-- Each is sealed under the client's key, bound to plan_versions, its
-- column and the row id "<plan id>.<version>".
CREATE TABLE plan_versions (
    plan_id        TEXT NOT NULL,
    version        BIGINT NOT NULL,
    client_id      TEXT NOT NULL,
    status         TEXT NOT NULL,
    review_on      TEXT NOT NULL DEFAULT '',
    body           BLOB NOT NULL,
    internal_notes BLOB NOT NULL,
    reason         BLOB NOT NULL,
    saved_by       TEXT NOT NULL,
    saved_at       BIGINT NOT NULL,
    PRIMARY KEY (plan_id, version)
);

-- The client's answer to a version of a plan: signed on screen, agreed
-- verbally, or declined, on a date. A drawn or typed signature (and any
-- note) is sealed, bound to plan_agreements.signature or .note and the row
-- id. seq orders a plan's answers (1, 2, …), the newest last.
CREATE TABLE plan_agreements (
    id           TEXT PRIMARY KEY,
    plan_id      TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    plan_version BIGINT NOT NULL,
    client_id    TEXT NOT NULL,
    method       TEXT NOT NULL,               -- signed, verbal, declined
    agreed_on    TEXT NOT NULL,
    signature    BLOB,                        -- NULL unless signed
    note         BLOB NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX plan_agreements_plan ON plan_agreements (plan_id, seq);
CREATE INDEX plan_agreements_client ON plan_agreements (client_id);

-- The organisation's agreement texts (P09): confidentiality agreements and
-- counselling contracts / work agreements. A text is never changed: a new
-- wording is a new version, so what a client signed stays as they saw it.
-- They are the organisation's words, not a client's, so they are clear.
CREATE TABLE agreement_texts (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,                 -- confidentiality, contract
    version    BIGINT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    sample     INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, version)
);

-- A client's signature of one version of one text (P09, P11). method is
-- drawn (pen, finger or mouse) or typed (full name and "I agree"); the
-- signature itself is sealed, bound to client_agreements.signature and the
-- row id. text_sha256 is the hex SHA-256 of the text's title and body as
-- the client saw them, so any later change to the text would show.
CREATE TABLE client_agreements (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    text_id     TEXT NOT NULL REFERENCES agreement_texts (id),
    kind        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    text_sha256 TEXT NOT NULL,
    method      TEXT NOT NULL,                -- drawn, typed
    signature   BLOB NOT NULL,
    signed_at   BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX client_agreements_client ON client_agreements (client_id, signed_at, id);

-- Documents on a client's file: letters received, forms, photos. The
-- declared file name and the description are sealed (documents.name,
-- documents.description, row id); the bytes are sealed in chunks of at
-- most 1 MiB (document_chunks.data, row id "<document id>.<seq>"), so a
-- chunk cannot be moved to another place or file. content_type is the
-- type found by reading the content, never the one claimed.
CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,               -- letter, form, photo, other
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    chunks       INTEGER NOT NULL,
    name         BLOB NOT NULL,
    description  BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX documents_client ON documents (client_id, uploaded_at, id);

CREATE TABLE document_chunks (
    document_id TEXT NOT NULL REFERENCES documents (id),
    seq         INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (document_id, seq)
);

-- Sample wording, clearly marked: an organisation replaces it with its own
-- by adding version 2 of each.
INSERT INTO agreement_texts (id, kind, version, title, body, sample, created_by, created_at) VALUES
('sampleconfidentialitytextv', 'confidentiality', 1, 'Confidentiality agreement (sample wording)',
'SAMPLE WORDING: replace it with your organisation’s own before use.

What you tell us stays between you and the people working with you here. We keep notes of our work together, locked away on our system, and only the people who need them to help you can read them.

There are times when we must share what you tell us, even without your agreement:
- if we believe you or someone else, especially a child, is at risk of serious harm;
- if a court orders us to;
- if the law requires it, for example to help prevent terrorism or a serious crime.

If we have to do this, we will tell you first whenever it is safe and possible, and we will share only what is needed.

You can ask to see what we keep about you at any time. You can ask us questions about this agreement now or later.',
1, 'system', 0),
('samplecontractworkagreemtv', 'contract', 1, 'Counselling contract / work agreement (sample wording)',
'SAMPLE WORDING: replace it with your organisation’s own before use.

Sessions: we will meet once a week, at the same time, for 50 minutes, for an agreed number of sessions. We will review how things are going together.

If you cannot come: please tell us at least 24 hours before, by phone or message. If you miss two sessions in a row without telling us, we will contact you, in the way you have told us is safe, to ask whether you want to carry on.

If we have to cancel: we will tell you as early as we can and offer another time.

Ending: you can end the sessions at any time. We will agree an ending together where we can.

Confidentiality: what you say in sessions is kept private, within the limits explained in our confidentiality agreement.',
1, 'system', 0);
