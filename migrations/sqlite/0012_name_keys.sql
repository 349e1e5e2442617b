-- The key that keeps two names of one scope from looking alike: core's
-- rules::naming::name_key (the Unicode lower case of the NFKC name), which
-- the server writes for every role and organization it creates or renames.
-- Rows made before get lower(name): the same key for ASCII names, and on
-- PostgreSQL for most others.
ALTER TABLE roles ADD COLUMN name_key TEXT;
UPDATE roles SET name_key = lower(name);
DROP INDEX roles_org_name_any_case;
CREATE UNIQUE INDEX roles_org_name_key ON roles (org_id, name_key);

ALTER TABLE organizations ADD COLUMN name_key TEXT;
UPDATE organizations SET name_key = lower(name);
CREATE INDEX organizations_parent_name_key ON organizations (parent_id, name_key);
