-- Administration: what each role may do, and the MSP's reset grants.
--
-- permissions: space-separated names (see core/src/scope.rs). seniority orders
-- the roles of one organization: nobody acts on, or hands out, a role above
-- their own.
ALTER TABLE roles ADD COLUMN permissions TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN seniority BIGINT NOT NULL DEFAULT 0;

UPDATE roles SET seniority = 100,
    permissions = 'users.read users.manage users.mfa_reset roles.manage customers.manage grants.manage audit.read'
    WHERE name = 'owner' AND builtin = 1;
UPDATE roles SET seniority = 80,
    permissions = 'users.read users.manage users.mfa_reset roles.manage customers.manage grants.manage audit.read'
    WHERE name = 'admin' AND builtin = 1;
UPDATE roles SET seniority = 60, permissions = 'users.read audit.read' WHERE name = 'manager' AND builtin = 1;
UPDATE roles SET seniority = 40, permissions = 'users.read audit.read' WHERE name = 'support' AND builtin = 1;
UPDATE roles SET seniority = 10 WHERE name = 'member' AND builtin = 1;

CREATE INDEX organizations_parent ON organizations (parent_id);
CREATE INDEX users_role ON users (role_id);
-- The user list pages through one organization by email.
CREATE INDEX users_org_email ON users (org_id, email);
CREATE INDEX audit_log_subject ON audit_log (subject_id, at);

-- A partner's time-limited permission for one customer company (all of its
-- users, or the users listed in reset_grant_users) to reset MFA themselves.
CREATE TABLE reset_grants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    granted_by  BIGINT NOT NULL REFERENCES users(id),
    whole_org   BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    revoked_by  BIGINT REFERENCES users(id)
);
CREATE INDEX reset_grants_org ON reset_grants (org_id, expires_at);

-- Covered users of a chosen-users grant (used_at set once they reset), and
-- the users of a whole-company grant who used it (a row appears on use).
CREATE TABLE reset_grant_users (
    grant_id  BIGINT NOT NULL REFERENCES reset_grants(id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    used_at   BIGINT,
    PRIMARY KEY (grant_id, user_id)
);
CREATE INDEX reset_grant_users_user ON reset_grant_users (user_id);

-- Invitations: a new user sets their own password through a one-time link.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX invitations_user ON invitations (user_id);
