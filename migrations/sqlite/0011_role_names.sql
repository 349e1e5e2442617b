-- Custom roles keep their names as typed ("HelpDesk"); two roles of one
-- organization may still not differ only in case.
CREATE UNIQUE INDEX roles_org_name_any_case ON roles (org_id, lower(name));
