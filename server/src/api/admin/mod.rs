//! `/api/v1/admin`, `/api/v1/msp` and `/api/v1/audit`: administration for
//! scripts. Every handler passes the caller to a service that checks scope;
//! refusals are 403 `forbidden`, or 404 `not_found` where existence must not
//! leak.

pub mod audit;
pub mod contacts;
pub mod customers;
pub mod roles;
pub mod users;

use gatehouse_core::service::{PagePlace, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `?org=ID`: an organization the caller administers (default: their own).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// An organization's id.
    pub org: Option<i64>,
}

/// Where a page of a list sits, and how to ask for its neighbours: pass
/// `next_after` as `after` (or `previous_before` as `before`) with the page
/// number, and the list is read from there instead of skipped through.
#[derive(Serialize, ToSchema)]
pub struct Paging {
    /// How many match, counted up to 1,000.
    total: i64,
    /// More than `total` match: counting stopped there.
    total_capped: bool,
    /// This page's number, from 1.
    page: i64,
    /// How many pages the counted matches fill.
    pages: i64,
    /// The last row's id, for the next page's `after` (absent on the last page).
    #[serde(skip_serializing_if = "Option::is_none")]
    next_after: Option<i64>,
    /// The first row's id, for the previous page's `before` (absent on the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_before: Option<i64>,
}

impl From<&PagePlace> for Paging {
    fn from(p: &PagePlace) -> Self {
        Self {
            total: p.total,
            total_capped: p.more_than_counted,
            page: p.number,
            pages: p.pages,
            next_after: p.next_after,
            previous_before: p.previous_before,
        }
    }
}

pub(crate) fn page_request(
    page: Option<i64>,
    after: Option<i64>,
    before: Option<i64>,
) -> PageRequest {
    PageRequest {
        number: page.unwrap_or(1),
        after,
        before,
    }
}
