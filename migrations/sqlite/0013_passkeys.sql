-- Passkeys (WebAuthn): a second factor of kind 'passkey' in mfa_factors.
-- secret_sealed holds webauthn-rs's Passkey (the public key and the
-- signature counter), sealed like every factor; credential_id is the
-- authenticator's id for it (base64url), unique across every account;
-- sign_count is the counter last seen, updated by compare-and-swap.
-- SQLite cannot change a CHECK constraint: the table is rebuilt (nothing
-- references it).
CREATE TABLE mfa_factors_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('totp', 'passkey')),
    label         TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT NOT NULL DEFAULT -1,
    last_used_at  BIGINT,
    attempt_id    BIGINT REFERENCES login_attempts(id) ON DELETE CASCADE,
    credential_id TEXT,
    sign_count    BIGINT NOT NULL DEFAULT 0
);
INSERT INTO mfa_factors_new (id, user_id, kind, label, secret_sealed, created_at, confirmed_at, last_step, last_used_at, attempt_id)
    SELECT id, user_id, kind, label, secret_sealed, created_at, confirmed_at, last_step, last_used_at, attempt_id FROM mfa_factors;
-- Ids keep counting from where they were (audit entries name factors by id).
DELETE FROM sqlite_sequence WHERE name = 'mfa_factors_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'mfa_factors_new', seq FROM sqlite_sequence WHERE name = 'mfa_factors';
DROP TABLE mfa_factors;
ALTER TABLE mfa_factors_new RENAME TO mfa_factors;
CREATE INDEX mfa_factors_user ON mfa_factors (user_id);
CREATE UNIQUE INDEX mfa_factors_credential ON mfa_factors (credential_id);

-- The state between the two requests of a ceremony (registering a passkey,
-- signing in with one, confirming it is you): single use, taken in one
-- statement, for 5 minutes. id_hash is the hash of the ceremony id the
-- client holds; id orders them (the newest are kept when a client asks again
-- and again).
CREATE TABLE passkey_ceremonies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    id_hash     TEXT NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('register', 'sign_in', 'step_up')),
    attempt_id  BIGINT REFERENCES login_attempts(id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_user ON passkey_ceremonies (user_id, purpose);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);

