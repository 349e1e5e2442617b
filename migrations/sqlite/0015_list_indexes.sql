-- The administration lists at a million rows (issue 13): every page is read
-- in index order from where the last one ended, never counted past or
-- skipped through.

-- Users: flagged accounts first, then by email; within one organization (a
-- company's admins) and across a tree (the MSP and the platform). The
-- expression is the one the list orders by, character for character.
CREATE INDEX users_listing_org ON users (org_id, (CASE WHEN flagged_at IS NULL THEN 1 ELSE 0 END), email);
CREATE INDEX users_listing ON users ((CASE WHEN flagged_at IS NULL THEN 1 ELSE 0 END), email);
DROP INDEX users_org_email;
-- "Locked" finds the few locked accounts without reading the others.
CREATE INDEX users_locked ON users (org_id) WHERE mfa_admin_lock = 1 OR mfa_locked_until > 0;

-- Substring search on email and name: a trigram index, kept by triggers.
CREATE VIRTUAL TABLE users_search USING fts5(
    email, name, content = 'users', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO users_search (users_search) VALUES ('rebuild');
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, email, name) VALUES (new.id, new.email, new.name);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email, name) VALUES ('delete', old.id, old.email, old.name);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF email, name ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email, name) VALUES ('delete', old.id, old.email, old.name);
    INSERT INTO users_search (rowid, email, name) VALUES (new.id, new.email, new.name);
END;

-- Audit log, newest first: across a tree, by action, by actor (the subject
-- already has audit_log_subject; SQLite adds the row id to every index, so
-- (org_id, at) already orders ties by id).
CREATE INDEX audit_log_newest ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (org_id, action, at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
