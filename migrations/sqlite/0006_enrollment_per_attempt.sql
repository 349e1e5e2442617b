-- An authenticator being set up during sign-in belongs to that one sign-in
-- attempt (NULL: set up by the signed-in account), so two parties holding the
-- same password never share a pending secret.
ALTER TABLE mfa_factors ADD COLUMN attempt_id BIGINT REFERENCES login_attempts(id) ON DELETE CASCADE;
