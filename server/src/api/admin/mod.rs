//! `/api/v1/admin`, `/api/v1/msp` and `/api/v1/audit`: administration for
//! scripts. Every handler passes the caller to a service that checks scope;
//! refusals are 403 `forbidden`, or 404 `not_found` where existence must not
//! leak.

pub mod audit;
pub mod contacts;
pub mod customers;
pub mod roles;
pub mod users;

use serde::Deserialize;
use utoipa::IntoParams;

/// `?org=ID`: an organization the caller administers (default: their own).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// An organization's id.
    pub org: Option<i64>,
}
