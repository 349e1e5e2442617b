-- Single-use links emailed to an account's own address: choose a new
-- password, report a reset as "This wasn't me", confirm a locked-out
-- owner's request. Stored as a hash of the token; a link is
-- used by one conditional UPDATE. `about` names what the link refers to
-- (the reset it reports), as text the purpose reads.
CREATE TABLE account_links (
    token_hash  BLOB PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    about       TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX account_links_user ON account_links (user_id, purpose);

-- Set when the person answered "This wasn't me" to a reset: the account is
-- deactivated and waits at the top of /admin for an administrator's review.
ALTER TABLE users ADD COLUMN flagged_at BIGINT;
