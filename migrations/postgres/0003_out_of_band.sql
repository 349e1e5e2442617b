-- One-time codes and links sent by email or SMS during sign-in, each bound to
-- the login attempt it was sent for. Only a keyed hash of the secret is kept.
CREATE TABLE oob_challenges (
    id           BIGSERIAL PRIMARY KEY,
    attempt_id   BIGINT NOT NULL REFERENCES login_attempts(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('email_otp', 'email_link', 'sms_otp')),
    secret_hash  BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX oob_challenges_attempt ON oob_challenges (attempt_id, kind);

-- Why an enrollment attempt exists: the role requires MFA, or the user is
-- recovering through email and must set up a new authenticator.
ALTER TABLE login_attempts ADD COLUMN reason TEXT NOT NULL DEFAULT 'mfa_required';
