//! Pages of the administration lists: which one a caller asks for, and where
//! it sits among the others. A page reached from the one next to it starts
//! from that page's first or last row (a keyset), so the database reads the
//! page and nothing before it; a page asked for by number alone skips to it.

use crate::error::{AuthError, Result};
use crate::store::{Listed, PageAt};

/// The highest page a list serves: far beyond any real list, and low enough
/// that its offset cannot overflow (PostgreSQL refuses a negative one).
pub(crate) const MAX_PAGE: i64 = 1_000_000;

/// The page of a list a caller asks for: its number (from 1) and, coming
/// from the page next to it, the row (by id) it starts after or ends before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub number: i64,
    pub after: Option<i64>,
    pub before: Option<i64>,
}

impl PageRequest {
    pub fn number(number: i64) -> Self {
        Self {
            number,
            ..Self::default()
        }
    }

    /// The page's number (below 1 means the first, above [`MAX_PAGE`] is
    /// refused) and where the list starts reading it.
    pub(crate) fn start(&self, per_page: i64) -> Result<(i64, PageAt)> {
        if self.number > MAX_PAGE {
            return Err(AuthError::Invalid(format!(
                "page must be between 1 and {MAX_PAGE}."
            )));
        }
        let number = self.number.max(1);
        let or_skip = (number - 1) * per_page;
        let at = match (self.after, self.before) {
            (Some(row), _) => PageAt::After { row, or_skip },
            (None, Some(row)) => PageAt::Before { row, or_skip },
            (None, None) if number == 1 => PageAt::First,
            (None, None) => PageAt::Offset(or_skip),
        };
        Ok((number, at))
    }
}

/// Where a page sits in its list, for its links and its caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePlace {
    pub number: i64,
    /// How many match, counted up to [`COUNT_LIMIT`](crate::store::COUNT_LIMIT).
    pub total: i64,
    /// More match than `total`.
    pub more_than_counted: bool,
    /// How many pages the counted matches fill.
    pub pages: i64,
    /// The `before` of the previous page (its first row), if there is one.
    pub previous_before: Option<i64>,
    /// The `after` of the next page (its last row), if there is one.
    pub next_after: Option<i64>,
}

impl PagePlace {
    pub(crate) fn of<T>(
        number: i64,
        per_page: i64,
        listed: &Listed<T>,
        id: impl Fn(&T) -> i64,
    ) -> Self {
        // Rows come and go between two pages: the number follows what is
        // there, so the first page is always page 1.
        let number = match listed.has_previous {
            false => 1,
            true => number.max(2),
        };
        Self {
            number,
            total: listed.total,
            more_than_counted: listed.more_than_counted,
            pages: pages(listed.total, per_page),
            previous_before: listed
                .has_previous
                .then(|| listed.rows.first().map(&id))
                .flatten(),
            next_after: listed
                .has_next
                .then(|| listed.rows.last().map(&id))
                .flatten(),
        }
    }
}

pub(crate) fn pages(total: i64, per_page: i64) -> i64 {
    ((total + per_page - 1) / per_page).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_start_at_one_and_stop_before_the_offset_overflows() {
        let number = |n| PageRequest::number(n).start(100).map(|(n, _)| n);
        assert_eq!(number(-5).unwrap(), 1);
        assert_eq!(number(0).unwrap(), 1);
        assert_eq!(number(MAX_PAGE).unwrap(), MAX_PAGE);
        assert!(matches!(number(i64::MAX), Err(AuthError::Invalid(_))));
        assert!((MAX_PAGE - 1).checked_mul(100).is_some());
    }

    #[test]
    fn a_neighbours_row_starts_the_page_and_its_number_is_the_fallback() {
        let start = |r: PageRequest| r.start(50).unwrap().1;
        assert_eq!(start(PageRequest::number(1)), PageAt::First);
        assert_eq!(start(PageRequest::number(3)), PageAt::Offset(100));
        let next = PageRequest {
            number: 3,
            after: Some(7),
            before: None,
        };
        assert_eq!(
            start(next),
            PageAt::After {
                row: 7,
                or_skip: 100
            }
        );
        let previous = PageRequest {
            number: 2,
            after: None,
            before: Some(9),
        };
        assert_eq!(
            start(previous),
            PageAt::Before {
                row: 9,
                or_skip: 50
            }
        );
    }

    fn listed(rows: Vec<i64>, total: i64, more: bool, previous: bool, next: bool) -> Listed<i64> {
        Listed {
            rows,
            total,
            more_than_counted: more,
            has_previous: previous,
            has_next: next,
        }
    }

    #[test]
    fn a_place_links_to_its_neighbours_by_their_edge_rows() {
        let place = PagePlace::of(2, 2, &listed(vec![5, 6], 5, false, true, true), |r| *r);
        assert_eq!(place.pages, 3);
        assert_eq!(place.previous_before, Some(5));
        assert_eq!(place.next_after, Some(6));
        let last = PagePlace::of(3, 2, &listed(vec![7], 5, false, true, false), |r| *r);
        assert_eq!((last.previous_before, last.next_after), (Some(7), None));
    }

    #[test]
    fn the_first_page_is_page_one_and_a_later_one_never_is() {
        let place = PagePlace::of(4, 50, &listed(vec![1], 10_000, true, false, true), |r| *r);
        assert_eq!(place.number, 1, "nothing before it: the first page");
        assert_eq!(place.pages, 200);
        assert!(place.more_than_counted);
        let place = PagePlace::of(1, 50, &listed(vec![1], 10, false, true, false), |r| *r);
        assert_eq!(place.number, 2, "rows before it: not the first page");
    }

    #[test]
    fn page_counts_round_up_and_never_reach_zero() {
        assert_eq!(pages(0, 50), 1);
        assert_eq!(pages(50, 50), 1);
        assert_eq!(pages(51, 50), 2);
        assert_eq!(pages(100_000, 50), 2000);
    }
}
