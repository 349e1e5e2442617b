//! Administration: the users of the organizations the viewer manages
//! (`/admin`), their roles (`/admin/roles`) and a partner's customer
//! companies (`/msp/customers`), the authorized contacts who may ask the
//! support desk for resets (`/admin/contacts`) and what the desk did to the
//! organization's people (`/admin/support`). Every server function asks one service,
//! which checks the viewer's scope. Confirmations are part of the page
//! (`?confirm=…`), so they work without JavaScript; with it, Escape closes
//! them (`js/forms.js`).

mod contacts;
mod customers;
mod parts;
mod roles;
mod support;
mod user_actions;
mod users;

pub use contacts::ContactsPage;
pub use customers::CustomersPage;
pub use roles::AdminRolesPage;
pub use support::OrgSupportPage;
pub use users::AdminUsersPage;
