-- Gatehouse foundation schema (PostgreSQL). Times are Unix seconds (BIGINT) so
-- the same queries run on SQLite and PostgreSQL; flags are BIGINT 0/1.

CREATE TABLE organizations (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('platform', 'partner', 'company')),
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    parent_id   BIGINT REFERENCES organizations(id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    id            BIGSERIAL PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organizations(id),
    name          TEXT NOT NULL,
    mfa_required  BIGINT NOT NULL DEFAULT 0,
    builtin       BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, name)
);

CREATE TABLE users (
    id                        BIGSERIAL PRIMARY KEY,
    org_id                    BIGINT NOT NULL REFERENCES organizations(id),
    role_id                   BIGINT NOT NULL REFERENCES roles(id),
    email                     TEXT NOT NULL UNIQUE,
    name                      TEXT NOT NULL DEFAULT '',
    password_hash             TEXT NOT NULL,
    disabled_at               BIGINT,
    created_at                BIGINT NOT NULL,
    last_login_at             BIGINT,
    mfa_consecutive_failures  BIGINT NOT NULL DEFAULT 0,
    mfa_locked_until          BIGINT NOT NULL DEFAULT 0,
    mfa_admin_lock            BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE mfa_factors (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('totp')),
    label         TEXT NOT NULL,
    secret_sealed BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT NOT NULL DEFAULT -1,
    last_used_at  BIGINT
);
CREATE INDEX mfa_factors_user ON mfa_factors (user_id);

CREATE TABLE recovery_codes (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id, code_hash);

CREATE TABLE mfa_failures (
    id       BIGSERIAL PRIMARY KEY,
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at       BIGINT NOT NULL
);
CREATE INDEX mfa_failures_user ON mfa_failures (user_id, at);

-- The state between the password stage and the second factor (the mfa_token).
CREATE TABLE login_attempts (
    id           BIGSERIAL PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL CHECK (purpose IN ('mfa', 'enroll')),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    failures     BIGINT NOT NULL DEFAULT 0,
    consumed_at  BIGINT
);

-- Browser sessions (tower-sessions). The key is a hash of the cookie's id.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     BIGINT,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id          BIGSERIAL PRIMARY KEY,
    token_hash  BYTEA NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Password-stage throttles, keyed by a hash of the email (known or not, so
-- refusals look the same) or by client IP.
CREATE TABLE login_throttle (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL DEFAULT 0,
    window_start  BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT NOT NULL DEFAULT 0
);

-- One hash chain per organization; the head row serialises appends per tenant.
CREATE TABLE audit_heads (
    org_id     BIGINT PRIMARY KEY REFERENCES organizations(id),
    seq        BIGINT NOT NULL DEFAULT 0,
    head_hash  BYTEA NOT NULL
);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    subject_id  BIGINT,
    action      TEXT NOT NULL,
    ip          TEXT NOT NULL,
    user_agent  TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL,
    UNIQUE (org_id, seq)
);
CREATE INDEX audit_log_at ON audit_log (org_id, at);

INSERT INTO organizations (id, kind, slug, name, parent_id, created_at)
VALUES (1, 'platform', 'platform', 'Platform', NULL, 0);
SELECT setval('organizations_id_seq', 1);
INSERT INTO roles (org_id, name, mfa_required) VALUES
    (1, 'owner', 1), (1, 'admin', 1), (1, 'member', 1), (1, 'support', 1), (1, 'manager', 1);
INSERT INTO audit_heads (org_id, seq, head_hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');
