-- Passkeys (WebAuthn credentials) as a second factor beside TOTP, and the
-- state kept on the server between the two halves of a passkey ceremony.
-- Times are unix microseconds, UTC; 0 means never.

-- The WebAuthn user handle of an account: 64 random bytes made when the
-- person first adds a passkey, the same for all their passkeys. It is what
-- authenticators store for the account; it is not the email address, so an
-- authenticator holds nothing that names the person to another site.
CREATE TABLE passkey_users (
	user_id TEXT PRIMARY KEY REFERENCES users (id),
	handle BLOB NOT NULL UNIQUE,
	created_at BIGINT NOT NULL
);

CREATE TABLE passkeys (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	rp_id TEXT NOT NULL,              -- the relying party (domain) it was made for
	credential_id BLOB NOT NULL,      -- chosen by the authenticator; the key of every sign-in
	public_key BLOB NOT NULL,         -- COSE_Key
	sign_count BIGINT NOT NULL DEFAULT 0,
	transports TEXT NOT NULL DEFAULT '',      -- comma-separated: usb, nfc, ble, hybrid, internal …
	aaguid BLOB NOT NULL,             -- the authenticator model; 16 zero bytes when not disclosed
	flags INTEGER NOT NULL DEFAULT 0, -- authenticator data flags (backup eligible, user verified …)
	attestation_type TEXT NOT NULL DEFAULT '',
	attestation_format TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL,               -- what the person calls it
	created_at BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL DEFAULT 0
);
-- One credential belongs to one account, whatever the relying party.
CREATE UNIQUE INDEX passkeys_credential ON passkeys (credential_id);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

-- A ceremony begun and not yet finished: at most one of each kind per
-- session, used once, for a few minutes. Ending the session ends it.
CREATE TABLE passkey_ceremonies (
	session_hash TEXT NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
	kind TEXT NOT NULL,               -- 'register' or 'sign-in'
	user_id TEXT NOT NULL REFERENCES users (id),
	name TEXT NOT NULL DEFAULT '',    -- register: the name chosen for the new passkey
	data BLOB NOT NULL,               -- the WebAuthn session data (JSON): challenge, relying party, origin
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (session_hash, kind)
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);
