//! A small builder for the WHERE clauses of the filtered lists (users, audit
//! log): conditions and their bound values stay together, numbered in order.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

/// A value bound to a numbered parameter of a query built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// Builds `WHERE` clauses with `$n` parameters numbered in order.
pub(crate) struct Clauses {
    parts: Vec<String>,
    args: Vec<Arg>,
}

impl Clauses {
    pub(crate) fn new(first: Arg) -> Self {
        Self {
            parts: Vec::new(),
            args: vec![first],
        }
    }

    /// Numbering from `$1`, for a statement that is all clauses.
    pub(crate) fn none() -> Self {
        Self {
            parts: Vec::new(),
            args: Vec::new(),
        }
    }

    /// Adds a clause; each `?` in it becomes the next parameter, bound to `args` in order.
    pub(crate) fn add(&mut self, clause: &str, args: impl IntoIterator<Item = Arg>) {
        let mut text = String::new();
        let mut args = args.into_iter();
        for (i, piece) in clause.split('?').enumerate() {
            if i > 0 {
                self.args
                    .push(args.next().expect("one argument per placeholder"));
                text.push_str(&format!("${}", self.args.len()));
            }
            text.push_str(piece);
        }
        self.parts.push(text);
    }

    /// The clauses joined by `AND`, for a statement or a condition to go on.
    pub(crate) fn sql(&self) -> String {
        self.parts.join(" AND ")
    }

    /// ` AND` the clauses, to follow a `WHERE` of the caller's (or nothing).
    pub(crate) fn and_sql(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!(" AND {}", self.sql())
        }
    }

    /// Binds `arg` to the next parameter without a clause (for SQL the
    /// caller writes elsewhere in the statement): its number.
    pub(crate) fn push_arg(&mut self, arg: Arg) -> usize {
        self.args.push(arg);
        self.args.len()
    }

    pub(crate) fn next_param(&self) -> usize {
        self.args.len() + 1
    }

    pub(crate) fn bind<'q>(
        &'q self,
        mut q: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for arg in &self.args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

/// `%text%` for `LIKE … ESCAPE '\'`, matching the text literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
