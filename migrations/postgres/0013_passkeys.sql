-- Passkeys (WebAuthn): a second factor of kind 'passkey' in mfa_factors.
-- secret_sealed holds webauthn-rs's Passkey (the public key and the
-- signature counter), sealed like every factor; credential_id is the
-- authenticator's id for it (base64url), unique across every account;
-- sign_count is the counter last seen, updated by compare-and-swap.
ALTER TABLE mfa_factors DROP CONSTRAINT mfa_factors_kind_check;
ALTER TABLE mfa_factors ADD CONSTRAINT mfa_factors_kind_check CHECK (kind IN ('totp', 'passkey'));
ALTER TABLE mfa_factors ADD COLUMN credential_id TEXT;
ALTER TABLE mfa_factors ADD COLUMN sign_count BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX mfa_factors_credential ON mfa_factors (credential_id);

-- The state between the two requests of a ceremony (registering a passkey,
-- signing in with one, confirming it is you): single use, taken in one
-- statement, for 5 minutes. id_hash is the hash of the ceremony id the
-- client holds; id orders them (the newest are kept when a client asks again
-- and again).
CREATE TABLE passkey_ceremonies (
    id          BIGSERIAL PRIMARY KEY,
    id_hash     TEXT NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('register', 'sign_in', 'step_up')),
    attempt_id  BIGINT REFERENCES login_attempts(id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_user ON passkey_ceremonies (user_id, purpose);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);

