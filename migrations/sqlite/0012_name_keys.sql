-- The key that keeps two names of one scope from looking alike: core's
-- rules::naming::name_key (full case folding, then the confusable skeleton
-- of UTS #39), which SQL cannot compute. The server writes it for every role
-- and organization it creates or renames, and fills it in for the rows made
-- before this migration when it starts (store::fill_name_keys).
ALTER TABLE roles ADD COLUMN name_key TEXT;
DROP INDEX roles_org_name_any_case;
CREATE UNIQUE INDEX roles_org_name_key ON roles (org_id, name_key);

ALTER TABLE organizations ADD COLUMN name_key TEXT;
CREATE INDEX organizations_parent_name_key ON organizations (parent_id, name_key);
