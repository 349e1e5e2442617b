//! What the administration lists (users, audit log) share so they stay
//! instant at a million rows: pages that start where the last one ended
//! (keyset), counts that stop at [`COUNT_LIMIT`], a scope that lets one
//! organization's rows come straight from an index, and a substring search
//! that uses a trigram index where the match is rare.

use sqlx::Row;

use super::clauses::{contains_pattern, Arg, Clauses};
use super::subtree::SUBTREE;
use super::{Conn, Result};

/// A list counts its matches up to here; past it, it says "more than".
pub const COUNT_LIMIT: i64 = 1_000;

/// Where a page of a list starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAt {
    First,
    /// After skipping this many rows: a page asked for by its number alone.
    Offset(i64),
    /// Just after this row (by id), in the list's order: the next page.
    /// Should the row have left the list since, after skipping `or_skip`.
    After {
        row: i64,
        or_skip: i64,
    },
    /// Just before this row: the previous page (or after skipping `or_skip`).
    Before {
        row: i64,
        or_skip: i64,
    },
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub rows: Vec<T>,
    /// How many match, counted up to [`COUNT_LIMIT`].
    pub total: i64,
    /// More than [`COUNT_LIMIT`] match.
    pub more_than_counted: bool,
    /// Rows come before this page, and after it.
    pub has_previous: bool,
    pub has_next: bool,
}

impl<T> Listed<T> {
    /// A page from the rows read for it: up to `limit` + 1 (the one more
    /// says whether the list goes on), newest-to-oldest reversed when read
    /// `backwards` (a previous page), and whether it started after other
    /// rows (a keyset or an offset).
    pub(crate) fn page(
        mut rows: Vec<T>,
        limit: i64,
        backwards: bool,
        started_later: bool,
        counted: i64,
    ) -> Self {
        let beyond = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let (has_previous, has_next) = if backwards {
            rows.reverse();
            (beyond, true)
        } else {
            (started_later, beyond)
        };
        let (total, more_than_counted) = capped(counted);
        Self {
            rows,
            total,
            more_than_counted,
            has_previous,
            has_next,
        }
    }
}

/// `SELECT COUNT(*)` of `sql` (a `SELECT 1 …` without ORDER BY), reading at
/// most one row past [`COUNT_LIMIT`]: (count, more than counted).
pub(crate) fn capped_count_sql(with: &str, select_one: &str) -> String {
    format!(
        "{with} SELECT COUNT(*) AS total FROM ({select_one} LIMIT {}) counted",
        COUNT_LIMIT + 1
    )
}

fn capped(total: i64) -> (i64, bool) {
    (total.min(COUNT_LIMIT), total > COUNT_LIMIT)
}

/// How a list query keeps to the caller's part of the organization tree.
/// Most callers administer one organization with nothing below it (a
/// company); their rows are `org_id = $1`, which an index on `(org_id, …)`
/// returns already in the list's order. A tree starts from [`SUBTREE`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    tree: bool,
}

impl Scope {
    /// The scope of `$1`, which every list binds to the caller's organization.
    pub(crate) async fn of(c: &mut Conn, org_id: i64) -> Result<Self> {
        let below: i64 = sqlx::query(
            "SELECT COUNT(*) AS below FROM (SELECT 1 FROM organizations WHERE parent_id = $1 LIMIT 1) child",
        )
        .bind(org_id)
        .fetch_one(&mut *c)
        .await?
        .get("below");
        Ok(Self { tree: below > 0 })
    }

    /// What the query starts with: the tree's CTE, or nothing.
    pub(crate) fn with(&self) -> &'static str {
        if self.tree {
            SUBTREE
        } else {
            ""
        }
    }

    /// What a query that adds CTEs of its own starts with: `WITH`, or the
    /// tree's CTE and a comma.
    pub(crate) fn with_more(&self) -> String {
        if self.tree {
            format!("{SUBTREE},")
        } else {
            "WITH".to_string()
        }
    }

    /// The condition that `column` names an organization of the scope.
    pub(crate) fn holds(&self, column: &str) -> String {
        if self.tree {
            format!("{column} IN (SELECT id FROM sub)")
        } else {
            format!("{column} = $1")
        }
    }
}

/// Below this many matching people, a search starts from the people found
/// by a trigram index; above it, matches are common enough that reading the
/// list in its order and testing each row finds a page sooner.
const RARE_MATCHES: i64 = 20_000;

/// Up to this many matching people are read out of the trigram index once
/// and written into a query that looks for them on two sides (an audit
/// entry's actor or subject) as numbers: the index is then asked once per
/// list, not once for each side of the count and of the page.
const FEW_MATCHES: usize = 100;

/// Which columns of `users` a search looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SearchIn {
    EmailAndName,
    Email,
}

/// How a list looks for people whose email (or name) contains a text.
#[derive(Debug, Clone)]
pub(crate) enum TextSearch {
    /// Few people match: `ids` (SQL with one `?` per argument) selects them
    /// through the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL);
    /// `found` holds them when they are at most [`FEW_MATCHES`].
    Rare {
        ids: String,
        args: Vec<Arg>,
        postgres: bool,
        found: Option<Vec<i64>>,
    },
    /// Many match, or the text is shorter than a trigram: test each row.
    Common { pattern: String, columns: SearchIn },
}

impl TextSearch {
    /// Decides by counting matches through the index, stopping past
    /// [`RARE_MATCHES`], so the probe itself stays cheap.
    pub(crate) async fn of(c: &mut Conn, text: &str, columns: SearchIn) -> Result<Self> {
        let pattern = contains_pattern(text);
        if text.chars().count() < 3 {
            return Ok(Self::Common { pattern, columns });
        }
        let postgres = c.backend_name() != "SQLite";
        let (ids, args) = if !postgres {
            (
                "SELECT rowid AS id FROM users_search WHERE users_search MATCH ?".to_string(),
                vec![Arg::Text(fts_phrase(text, columns))],
            )
        } else {
            let (clause, args) = like_clause("x", &pattern, columns);
            (format!("SELECT x.id FROM users x WHERE {clause}"), args)
        };
        let mut probe = Clauses::none();
        probe.add(&ids, args.clone());
        let first: Vec<i64> = probe
            .bind(sqlx::query(&format!(
                "{} LIMIT {}",
                probe.sql(),
                FEW_MATCHES + 1
            )))
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| r.get("id"))
            .collect();
        if first.len() <= FEW_MATCHES {
            return Ok(Self::Rare {
                ids,
                args,
                postgres,
                found: Some(first),
            });
        }
        let matches: i64 = probe
            .bind(sqlx::query(&format!(
                "SELECT COUNT(*) AS matches FROM ({} LIMIT {}) m",
                probe.sql(),
                RARE_MATCHES + 1
            )))
            .fetch_one(&mut *c)
            .await?
            .get("matches");
        Ok(if matches > RARE_MATCHES {
            Self::Common { pattern, columns }
        } else {
            Self::Rare {
                ids,
                args,
                postgres,
                found: None,
            }
        })
    }

    /// Where SQLite finds few matches, the list reads them first: the table
    /// expression `(matches) CROSS JOIN users {alias}` (joined in `w`), which SQLite keeps in
    /// that order (its planner would rather read the whole list in order,
    /// testing each row against the matches). The match's argument is
    /// numbered in `w`. None otherwise: then [`Self::user`] is a condition.
    pub(crate) fn matches_first(&self, alias: &str, w: &mut Clauses) -> Option<String> {
        match self {
            Self::Rare {
                ids,
                args,
                postgres: false,
                ..
            } => {
                let mut ids = ids.clone();
                for arg in args {
                    ids = ids.replacen('?', &format!("${}", w.push_arg(arg.clone())), 1);
                }
                w.add(&format!("{alias}.id = matched.id"), []);
                Some(format!("({ids}) matched CROSS JOIN users {alias}"))
            }
            _ => None,
        }
    }

    /// The condition that the user `alias` matches.
    pub(crate) fn user(&self, alias: &str) -> (String, Vec<Arg>) {
        match self {
            Self::Rare { ids, args, .. } => (format!("{alias}.id IN ({ids})"), args.clone()),
            Self::Common { pattern, columns } => like_clause(alias, pattern, *columns),
        }
    }

    /// Whether [`Self::any_user`]'s condition reads the joined users' rows
    /// (their email or name), not only the ids the list holds: otherwise the
    /// list leaves the joins out, and PostgreSQL can read a page's ids from
    /// an index alone.
    pub(crate) fn reads_joined_users(&self) -> bool {
        matches!(self, Self::Common { .. })
    }

    /// The condition that one of the users `aliases` (joined rows, their ids
    /// in `id_columns`) matches: for the rare case through the id columns,
    /// which have indexes of their own — a few ids written out as numbers,
    /// more as the index's query. (PostgreSQL combines two indexes for an
    /// `OR` only over a list of values, so the query's ids become an array.)
    pub(crate) fn any_user(&self, aliases: [(&str, &str); 2]) -> (String, Vec<Arg>) {
        let ((first, first_args), (second, second_args)) = match self {
            Self::Rare {
                found: Some(found), ..
            } => {
                if found.is_empty() {
                    return ("1 = 0".to_string(), Vec::new());
                }
                let list = found
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                let holds = |column: &str| (format!("{column} IN ({list})"), Vec::new());
                (holds(aliases[0].1), holds(aliases[1].1))
            }
            Self::Rare {
                ids,
                args,
                postgres,
                found: None,
            } => {
                let holds = |column: &str| match postgres {
                    true => format!("{column} = ANY(ARRAY({ids}))"),
                    false => format!("{column} IN ({ids})"),
                };
                (
                    (holds(aliases[0].1), args.clone()),
                    (holds(aliases[1].1), args.clone()),
                )
            }
            Self::Common { .. } => (self.user(aliases[0].0), self.user(aliases[1].0)),
        };
        (
            format!("({first} OR {second})"),
            first_args.into_iter().chain(second_args).collect(),
        )
    }
}

/// `alias`'s columns `LIKE pattern` (a [`contains_pattern`]).
fn like_clause(alias: &str, pattern: &str, columns: SearchIn) -> (String, Vec<Arg>) {
    match columns {
        SearchIn::EmailAndName => (
            format!("({alias}.email LIKE ? ESCAPE '\\' OR lower({alias}.name) LIKE ? ESCAPE '\\')"),
            vec![Arg::Text(pattern.into()), Arg::Text(pattern.into())],
        ),
        SearchIn::Email => (
            format!("{alias}.email LIKE ? ESCAPE '\\'"),
            vec![Arg::Text(pattern.into())],
        ),
    }
}

/// An FTS5 query for `text` as one literal phrase (a substring, for the
/// trigram tokenizer), in the searched columns. Double quotes are doubled,
/// so no text is read as query syntax.
fn fts_phrase(text: &str, columns: SearchIn) -> String {
    let phrase = format!("\"{}\"", text.to_lowercase().replace('"', "\"\""));
    match columns {
        SearchIn::EmailAndName => phrase,
        SearchIn::Email => format!("email : {phrase}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_one_literal_phrase() {
        assert_eq!(fts_phrase("ann", SearchIn::EmailAndName), "\"ann\"");
        assert_eq!(
            fts_phrase("a\" OR name:*", SearchIn::Email),
            "email : \"a\"\" or name:*\""
        );
    }

    #[test]
    fn a_page_knows_its_neighbours_from_one_row_more() {
        let next = Listed::page(vec![1, 2, 3], 2, false, false, 3);
        assert_eq!(
            (next.rows, next.has_previous, next.has_next),
            (vec![1, 2], false, true)
        );
        let back = Listed::page(vec![5, 4, 3], 2, true, true, 9);
        assert_eq!(
            (back.rows, back.has_previous, back.has_next),
            (vec![4, 5], true, true)
        );
        let last = Listed::page(vec![7], 2, false, true, COUNT_LIMIT + 5);
        assert_eq!(
            (
                last.has_previous,
                last.has_next,
                last.total,
                last.more_than_counted
            ),
            (true, false, COUNT_LIMIT, true)
        );
    }

    #[test]
    fn counts_stop_at_the_limit() {
        assert_eq!(capped(3), (3, false));
        assert_eq!(capped(COUNT_LIMIT), (COUNT_LIMIT, false));
        assert_eq!(capped(COUNT_LIMIT + 1), (COUNT_LIMIT, true));
    }
}
