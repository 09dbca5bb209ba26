-- Appointments and attendance (P06). Times are unix microseconds, UTC, in
-- clear: diaries and attendance counts are plain SQL. The location and the
-- cancellation's reason and note are sealed under the client's key, bound
-- to the logical table "appointments", their column and the row id.
-- case_id refers to a case (no foreign key: cases live in their own
-- migration); '' when the appointment is not tied to a case.
CREATE TABLE appointments (
    id                TEXT PRIMARY KEY,
    client_id         TEXT NOT NULL,
    case_id           TEXT NOT NULL DEFAULT '',
    service_id        TEXT NOT NULL,
    worker_id         TEXT NOT NULL,
    starts_at         BIGINT NOT NULL,
    ends_at           BIGINT NOT NULL,
    kind              TEXT NOT NULL,           -- face-to-face, phone, video
    location          BLOB NOT NULL,           -- sealed
    status            TEXT NOT NULL,           -- booked, attended, late, did-not-attend, cancelled
    late_minutes      INTEGER NOT NULL DEFAULT 0,
    outcome_by        TEXT NOT NULL DEFAULT '',
    outcome_at        BIGINT NOT NULL DEFAULT 0,
    cancelled_by      TEXT NOT NULL DEFAULT '', -- client, us
    cancel_reason     BLOB,                    -- sealed code from the list
    cancel_note       BLOB,                    -- sealed, optional
    cancelled_by_user TEXT NOT NULL DEFAULT '',
    cancelled_at      BIGINT NOT NULL DEFAULT 0,
    moves             INTEGER NOT NULL DEFAULT 0,
    booked_by         TEXT NOT NULL,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX appointments_client ON appointments (client_id, starts_at);
CREATE INDEX appointments_worker ON appointments (worker_id, starts_at);

-- Every move of an appointment to a new time: the history is kept.
CREATE TABLE appointment_moves (
    id             TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    from_starts_at BIGINT NOT NULL,
    from_ends_at   BIGINT NOT NULL,
    to_starts_at   BIGINT NOT NULL,
    to_ends_at     BIGINT NOT NULL,
    moved_by       TEXT NOT NULL,
    moved_at       BIGINT NOT NULL
);
CREATE INDEX appointment_moves_appointment ON appointment_moves (appointment_id, moved_at);
