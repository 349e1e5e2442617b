-- A user's support code, read out to the support desk to prove who is calling:
-- 8 digits, good for an hour and once. The keyed hash is what a check compares;
-- the sealed copy (encrypted with the server key) lets its owner see it again.
CREATE TABLE support_codes (
    user_id      BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    code_hash    BLOB NOT NULL,
    code_sealed  BLOB NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
