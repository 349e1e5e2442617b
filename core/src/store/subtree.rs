//! The one way a query is scoped to a part of the organization tree: every
//! list of the administration screens starts from [`SUBTREE`], so a query
//! cannot forget the caller's scope.

/// The organizations at and below `$1`. (PostgreSQL needs the cast to type `$1`.)
pub(crate) const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (SELECT CAST($1 AS BIGINT) \
     UNION ALL SELECT o.id FROM organizations o JOIN sub ON o.parent_id = sub.id)";
