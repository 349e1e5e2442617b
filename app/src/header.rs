//! The signed-in person as every signed-in page shows them ([`Me`]), the
//! header with their name and "Sign out", and the header before sign-in.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::session::Ctx;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub name: String,
    pub organization: String,
    pub role: String,
    pub mfa_on: bool,
    pub recovery_codes_left: i64,
    /// May see the administration screens (users, roles).
    pub can_admin: bool,
    /// A partner who manages customer companies.
    pub can_manage_customers: bool,
    pub can_read_audit: bool,
    /// Works the support desk (a platform agent or manager): the reset requests.
    pub desk: bool,
    /// An owner whose organization has at most one administrator with MFA.
    pub needs_second_admin: bool,
}

/// Warn at or below this many recovery codes left: core's
/// `rules::recovery::LOW_WATERMARK`, which the browser bundle cannot depend
/// on (a test keeps the two equal).
pub const LOW_CODES_WATERMARK: i64 = 3;

#[cfg(feature = "ssr")]
impl Me {
    /// The user's profile, and which links of the header their permissions open.
    pub async fn load(gh: &gatehouse_core::Gatehouse, uid: i64) -> Result<Self, AppError> {
        use gatehouse_core::rules::scope::Permission;
        let p = gh.profile(uid).await?;
        let actor = gh.actor(uid).await?;
        let may = |permission| actor.permissions.has(permission);
        Ok(Me {
            can_admin: may(Permission::UsersRead),
            can_manage_customers: may(Permission::CustomersManage) && actor.is_partner(),
            can_read_audit: may(Permission::AuditRead),
            desk: gh.desk_role(uid).await?.is_some(),
            needs_second_admin: gh.needs_second_administrator(uid).await?,
            email: p.email,
            name: p.name,
            organization: p.organization,
            role: p.role,
            mfa_on: !p.factors.is_empty(),
            recovery_codes_left: p.recovery_codes_left,
        })
    }
}

#[server(prefix = "/sfn", endpoint = "me")]
pub async fn current_me() -> Result<Me, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    Me::load(&cx.gh, uid).await
}

#[server(prefix = "/sfn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::request::internal;
    let cx = Ctx::new().await?;
    if let Some(uid) = crate::session::current_user(&cx.gh, &cx.session).await? {
        cx.gh.sign_out_audit(uid, &cx.origin).await?;
    }
    cx.session.flush().await.map_err(internal)?;
    leptos_axum::redirect("/login?notice=signed_out");
    Ok(())
}

#[component]
fn Brand() -> impl IntoView {
    view! {
        <a href="/" class="brand" aria-label="Gatehouse home">
            <span class="brand-mark" aria-hidden="true">"◆"</span>
            " Gatehouse"
        </a>
    }
}

/// The header of every signed-in page: who is signed in, and "Sign out".
#[component]
pub fn SignedInHeader(me: Me) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="topbar">
            <Brand/>
            <nav aria-label="Account">
                // A row of links on wide screens, behind "Menu" on narrow ones.
                <details class="nav-menu">
                    <summary class="button secondary small">"Menu"</summary>
                    <div class="nav-links">
                        {me.can_admin.then(|| view! { <NavLink href="/admin" section="/admin" label="Administration"/> })}
                        {me.can_manage_customers.then(|| view! { <NavLink href="/msp/customers" section="/msp" label="Customers"/> })}
                        {me.can_read_audit.then(|| view! { <NavLink href="/audit" section="/audit" label="Audit log"/> })}
                        {me.desk.then(|| view! { <NavLink href="/support/requests" section="/support/requests" label="Reset requests"/> })}
                        <NavLink href="/support" section="/support" label="Support"/>
                        <NavLink href="/profile" section="/profile" label="My profile"/>
                        <span class="who">
                            <span class="visually-hidden">"Signed in as "</span>
                            {me.email}
                        </span>
                        <ActionForm action=logout>
                            <button type="submit" class="button secondary small">"Sign out"</button>
                        </ActionForm>
                    </div>
                </details>
            </nav>
        </header>
    }
}

/// A link of the header, marked as the current page while the address is
/// in its `section` (and not in a longer section of another link).
#[component]
fn NavLink(href: &'static str, section: &'static str, label: &'static str) -> impl IntoView {
    let location = use_location();
    let current = move || {
        let path = location.pathname.get();
        let inside = path == section || path.starts_with(&format!("{section}/"));
        // "Support" is not current on the desk's "Reset requests".
        let deeper = section == "/support" && path.starts_with("/support/requests");
        (inside && !deeper).then_some("page")
    };
    view! { <a href=href aria-current=current>{label}</a> }
}

/// Header for pages before sign-in.
#[component]
pub fn PublicHeader() -> impl IntoView {
    view! {
        <header class="topbar">
            <Brand/>
        </header>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn the_low_codes_warning_starts_where_core_says() {
        assert_eq!(
            super::LOW_CODES_WATERMARK,
            gatehouse_core::rules::recovery::LOW_WATERMARK
        );
    }
}

/// To an owner: one lost phone would lock the organization out of its own
/// administration.
#[component]
pub fn SecondAdminWarning(me: Me) -> impl IntoView {
    me.needs_second_admin.then(|| view! {
        <p class="alert warning" role="status">
            {format!("Only one person at {} can administer it with two-step verification. If that person loses their phone, nobody here can reset it. ", me.organization)}
            <a href="/admin?invite=1#invite-title">"Add a second administrator"</a>
        </p>
    })
}
