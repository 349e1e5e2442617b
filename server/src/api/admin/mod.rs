//! `/api/v1/admin`, `/api/v1/msp` and `/api/v1/audit`: administration for
//! scripts. Every handler passes the caller to a service that checks scope;
//! refusals are 403 `forbidden`, or 404 `not_found` where existence must not
//! leak.

pub mod audit;
pub mod contacts;
pub mod customers;
pub mod roles;
pub mod users;
