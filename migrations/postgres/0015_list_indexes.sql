-- The administration lists at a million rows (issue 13): every page is read
-- in index order from where the last one ended, never counted past or
-- skipped through.

-- Users: flagged accounts first, then by email; within one organization (a
-- company's admins) and across a tree (the MSP and the platform). The
-- expression is the one the list orders by.
CREATE INDEX users_listing_org ON users (org_id, (CASE WHEN flagged_at IS NULL THEN 1 ELSE 0 END), email);
CREATE INDEX users_listing ON users ((CASE WHEN flagged_at IS NULL THEN 1 ELSE 0 END), email);
DROP INDEX users_org_email;
-- "Locked" finds the few locked accounts without reading the others.
CREATE INDEX users_locked ON users (org_id) WHERE mfa_admin_lock = 1 OR mfa_locked_until > 0;

-- Substring search on email and name: trigram indexes (pg_trgm, a trusted
-- extension since PostgreSQL 13). Where it cannot be installed the search
-- still works, by reading the table. Without fastupdate: people are added
-- rarely, and a search must never read a pending list of recent additions
-- (at 100,000 freshly added users that took a search for "nobody" from
-- 0.05 ms to 11 ms).
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pg_trgm is not available (%): user search reads the whole table', SQLERRM;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops) WITH (fastupdate = off);
        CREATE INDEX users_name_trgm ON users USING gin (lower(name) gin_trgm_ops) WITH (fastupdate = off);
    END IF;
END
$$;

-- Audit log, newest first: within one organization, across a tree, by
-- action, by actor (the subject already has audit_log_subject).
DROP INDEX audit_log_at;
CREATE INDEX audit_log_at ON audit_log (org_id, at, id);
CREATE INDEX audit_log_newest ON audit_log (at, id);
CREATE INDEX audit_log_action ON audit_log (org_id, action, at, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
