-- Abuse signals (README, "Abuse signals"): every MFA reset that took effect,
-- and the alerts raised when too many happen within a sliding window.
-- (0009 belongs to another change; sqlx applies whichever is missing.)

-- One row per reset that took effect, written in the reset's transaction.
-- Ids only: who was reset is in the audit log.
CREATE TABLE reset_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id   BIGINT NOT NULL REFERENCES organizations(id),
    user_id  BIGINT NOT NULL REFERENCES users(id),
    kind     TEXT NOT NULL,
    at       BIGINT NOT NULL
);
-- A company's window, and the platform's window, are each one index range.
CREATE INDEX reset_events_org_at ON reset_events (org_id, at);
CREATE INDEX reset_events_at ON reset_events (at);

-- One row per alert: scope 'company' (org_id set) or 'platform' (org_id NULL),
-- what was counted and against which threshold; kinds is a JSON object of
-- counts per reset kind.
CREATE TABLE abuse_alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    scope           TEXT NOT NULL CHECK (scope IN ('company', 'platform')),
    org_id          BIGINT REFERENCES organizations(id),
    resets          BIGINT NOT NULL,
    threshold       BIGINT NOT NULL,
    window_seconds  BIGINT NOT NULL,
    organizations   BIGINT NOT NULL,
    kinds           TEXT NOT NULL,
    since           BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    CHECK ((scope = 'company') = (org_id IS NOT NULL))
);
CREATE INDEX abuse_alerts_scope ON abuse_alerts (scope, org_id, at);
CREATE INDEX abuse_alerts_at ON abuse_alerts (at);
