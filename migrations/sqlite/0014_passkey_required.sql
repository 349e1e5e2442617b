-- "Passkey required" on a role (next to "MFA required"): members must sign
-- in with a passkey, and those without one add one before their sign-in
-- finishes. On for the platform's support desk (support and manager): the
-- people a caller tries to talk into a reset must not be phishable themselves.
ALTER TABLE roles ADD COLUMN passkey_required INTEGER NOT NULL DEFAULT 0;
UPDATE roles SET passkey_required = 1
    WHERE org_id = 1 AND builtin = 1 AND name IN ('support', 'manager');
