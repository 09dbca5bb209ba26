-- Services, staff accounts, sign-in throttling, sessions, API tokens and the
-- first-run setup link. Times are unix microseconds, UTC. Secrets presented
-- by a browser or a client (session cookies, API tokens, setup links) are
-- stored only as the hex SHA-256 of the secret.

-- Package gate joins services on id and reads caseload_shared: keep both.
CREATE TABLE services (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	name_key TEXT NOT NULL UNIQUE, -- lower-cased name: names are unique whatever their case
	caseload_shared INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

CREATE TABLE users (
	id TEXT PRIMARY KEY,
	email TEXT NOT NULL,
	email_key TEXT NOT NULL UNIQUE, -- lower-cased email, for look-ups
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	password_hash TEXT NOT NULL, -- Argon2id, PHC string
	totp_secret BLOB NOT NULL,   -- see secret.go: a format byte, then the secret sealed or in clear
	totp_last_step BIGINT NOT NULL DEFAULT 0,
	disabled INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

CREATE TABLE user_services (
	user_id TEXT NOT NULL REFERENCES users (id),
	service_id TEXT NOT NULL REFERENCES services (id),
	PRIMARY KEY (user_id, service_id)
);
CREATE INDEX user_services_service ON user_services (service_id);

-- Failed sign-ins per account, keyed by the SHA-256 of the lower-cased email
-- as typed, so an address with no account is throttled exactly like one with
-- an account and the delay does not reveal which exists.
CREATE TABLE signin_failures (
	account_key TEXT PRIMARY KEY,
	failed_count INTEGER NOT NULL,
	last_failed_at BIGINT NOT NULL
);

CREATE TABLE sessions (
	id_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	created_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	second_factor_at BIGINT NOT NULL DEFAULT 0, -- 0 until the second factor is done
	reauth_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
	id_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE setup_links (
	id_hash TEXT PRIMARY KEY,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT NOT NULL DEFAULT 0
);
