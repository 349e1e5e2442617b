-- A phone number for SMS codes: verified by a code sent to it before use.
ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE users ADD COLUMN phone_verified_at BIGINT;

CREATE TABLE phone_verifications (
    user_id     BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    phone       TEXT NOT NULL,
    code_hash   BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    failures    BIGINT NOT NULL DEFAULT 0
);
