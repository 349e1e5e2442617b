//! Administration: the users of the organizations the viewer manages
//! (`/admin`), their roles (`/admin/roles`) and a partner's customer
//! companies (`/msp/customers`). Every server function asks one service,
//! which checks the viewer's scope. Confirmations are part of the page
//! (`?confirm=…`), so they work before hydration and without JavaScript;
//! with it, the router swaps them in without a reload.

mod customers;
mod parts;
mod roles;
mod user_actions;
mod users;

pub use customers::CustomersPage;
pub use roles::AdminRolesPage;
pub use users::AdminUsersPage;
