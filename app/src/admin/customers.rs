//! A partner's customer companies (`/msp/customers`): how many of their
//! people could not recover alone, the MFA reset permissions running for
//! them (grant with the dialog of `?grant=ID`, revoke), and new customers.

use leptos::prelude::*;
use leptos_router::components::Form;
use serde::{Deserialize, Serialize};

use super::parts::{risk_class, GrantView};
use crate::abuse_alerts::{AlertBanner, AlertView};
use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice, Submit};
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{flash, form_action, Ctx, Operation};
use crate::urls::{param, param_i64};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub id: i64,
    pub name: String,
    pub users: i64,
    pub mfa_users: i64,
    pub users_who_cannot_recover_alone: i64,
    /// At most one person can administer it with MFA: one lost phone from a lockout.
    pub needs_second_admin: bool,
    pub grants: Vec<GrantView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonChoice {
    pub id: i64,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomersView {
    pub me: Me,
    pub customers: Vec<CustomerView>,
    /// The people of the company a grant is being prepared for (`?grant=ID`).
    pub grant_people: Vec<PersonChoice>,
    /// Abuse alerts about the partner's customers, still inside their window.
    pub alerts: Vec<AlertView>,
    /// The duration a grant is offered with (core's default), in minutes.
    pub grant_default_minutes: i64,
}

crate::signed_in_view!(CustomersView);

#[server(prefix = "/sfn", endpoint = "msp_customers")]
pub async fn msp_customers(
    grant_for: Option<i64>,
    person: String,
) -> Result<CustomersView, AppError> {
    use gatehouse_core::rules::filters::UserFilter;
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let gh = &cx.gh;
    let (customers, grants) = gh.msp_customers(uid).await?;
    let grant_people = match grant_for {
        Some(org) if customers.iter().any(|c| c.org.id == org) => {
            // A large company is searched (`?person=`), like the users list.
            // Only people who could use it: active, and past their invitation.
            let filter = UserFilter {
                org_id: Some(org),
                query: person.trim().to_string(),
                able_to_sign_in: true,
                ..UserFilter::default()
            };
            gh.admin_users(
                uid,
                &filter,
                gatehouse_core::service::PageRequest::number(1),
            )
            .await?
            .users
            .into_iter()
            .map(|listed| listed.user)
            .map(|u| PersonChoice {
                id: u.id,
                email: u.email,
                name: u.name,
            })
            .collect()
        }
        _ => Vec::new(),
    };
    let grants: Vec<GrantView> = grants.into_iter().map(GrantView::from).collect();
    Ok(CustomersView {
        me: Me::load(gh, uid).await?,
        customers: customers
            .into_iter()
            .map(|c| CustomerView {
                id: c.org.id,
                grants: grants
                    .iter()
                    .filter(|g| g.org_id == c.org.id)
                    .cloned()
                    .collect(),
                name: c.org.name,
                users: c.users,
                mfa_users: c.mfa_users,
                users_who_cannot_recover_alone: c.users_who_cannot_recover_alone,
                needs_second_admin: gatehouse_core::rules::locked_out::needs_second_administrator(
                    c.admins_with_mfa,
                ),
            })
            .collect(),
        grant_people,
        alerts: crate::abuse_alerts::alert_views(&gh.abuse_alerts_for(uid).await?),
        grant_default_minutes: gatehouse_core::rules::scope::GRANT_DEFAULT_MINUTES,
    })
}

#[server(prefix = "/sfn", endpoint = "grant_reset")]
pub async fn grant_reset(
    org_id: i64,
    duration_minutes: i64,
    reason: String,
    who: String,
    users: Option<Vec<i64>>,
) -> Result<(), AppError> {
    let page = format!("/msp/customers?grant={org_id}");
    let dialog = page.as_str();
    form_action(dialog, |cx| async move {
        let uid = cx
            .recent_user(Operation::GrantResetPermission, dialog)
            .await?;
        let users = if who == "users" {
            let users = users.unwrap_or_default();
            if users.is_empty() {
                return Err(AppError::new(
                    "no_users_chosen",
                    "Choose at least one person, or grant it to the whole company.",
                ));
            }
            users
        } else {
            Vec::new()
        };
        let made = cx
            .gh
            .msp_grant(uid, org_id, duration_minutes, &reason, &users, &cx.origin)
            .await?;
        let done = format!(
            "{} may reset MFA until {}: the people it covers sign in with their password and set up a new authenticator.",
            made.organization,
            gatehouse_core::format_time(made.expires_at)
        );
        leptos_axum::redirect(&format!(
            "/msp/customers?flash={}",
            flash(&cx.session, done).await?
        ));
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "revoke_grant")]
pub async fn revoke_grant(grant_id: i64) -> Result<(), AppError> {
    form_action("/msp/customers", |cx| async move {
        let uid = cx
            .recent_user(Operation::RevokeResetPermission, "/msp/customers")
            .await?;
        let company = cx.gh.msp_revoke(uid, grant_id, &cx.origin).await?;
        let done = format!("Revoked the MFA reset permission of {company}.");
        leptos_axum::redirect(&format!(
            "/msp/customers?flash={}",
            flash(&cx.session, done).await?
        ));
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "create_customer")]
pub async fn create_customer(
    name: String,
    admin_email: String,
    admin_name: String,
) -> Result<(), AppError> {
    form_action("/msp/customers", |cx| async move {
        let uid = cx
            .recent_user(Operation::CreateCustomer, "/msp/customers")
            .await?;
        cx.gh
            .msp_create_customer(uid, &name, &admin_email, &admin_name, &cx.origin)
            .await?;
        let done = format!(
            "Added {}. Its first admin, {}, was invited by email.",
            name.trim(),
            admin_email.trim()
        );
        leptos_axum::redirect(&format!(
            "/msp/customers?flash={}",
            flash(&cx.session, done).await?
        ));
        Ok(())
    })
    .await
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let grant_for = param_i64("grant");
    let grant = ServerAction::<GrantReset>::new();
    let revoke = ServerAction::<RevokeGrant>::new();
    let create = ServerAction::<CreateCustomer>::new();
    let person = param("person");
    // Every success here ends on a new `?flash=`, which is the reload: the
    // page loads once per action (a second reload from the change counter
    // raced the first and dropped the screen under its notice).
    let flashed = param("flash");
    let data = Resource::new(
        move || (grant_for.get(), person.get(), flashed.get()),
        |(grant_for, person, _)| msp_customers(grant_for, person),
    );
    view! {
        <DataPage title="Customers" data let:view>
            <CustomersScreen view grant revoke create/>
        </DataPage>
    }
}

#[component]
fn CustomersScreen(
    view: CustomersView,
    grant: ServerAction<GrantReset>,
    revoke: ServerAction<RevokeGrant>,
    create: ServerAction<CreateCustomer>,
) -> impl IntoView {
    let grant_for = param_i64("grant");
    let granting = view
        .customers
        .iter()
        .find(|c| Some(c.id) == grant_for.get_untracked())
        .map(|c| (c.id, c.name.clone()));
    view! {
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Customers"</h1>
            <AlertBanner alerts=view.alerts.clone()/>
            <Notice/>
            <ErrorBox message=error_signal(revoke)/>
            {granting.map(|(id, name)| view! {
                <GrantDialog org_id=id org_name=name people=view.grant_people.clone() default_minutes=view.grant_default_minutes action=grant/>
            })}
            {single_admin_warning(&view.customers)}
            <div class="table-scroll" tabindex="0" role="region" aria-label="Customer list">
                <table class="data">
                    <caption class="visually-hidden">"Customer companies"</caption>
                    <thead><tr>
                        <th scope="col">"Company"</th><th scope="col">"Users"</th><th scope="col">"With MFA"</th>
                        <th scope="col">"Could not recover alone"</th><th scope="col">"MFA reset permission"</th><th scope="col">"Actions"</th>
                    </tr></thead>
                    <tbody>
                        {view.customers.into_iter().map(|c| view! {
                            <tr>
                                <th scope="row">
                                    {c.name.clone()}
                                    {c.needs_second_admin.then(|| view! { " "<span class="badge warn">"One administrator"</span> })}
                                </th>
                                <td data-label="Users">{c.users}</td>
                                <td data-label="With MFA">{c.mfa_users}</td>
                                <td data-label="Could not recover alone" class=risk_class(c.users_who_cannot_recover_alone > 0)>
                                    {c.users_who_cannot_recover_alone}
                                </td>
                                <td data-label="MFA reset permission">
                                    {if c.grants.is_empty() {
                                        view! { <span class="muted">"None"</span> }.into_any()
                                    } else {
                                        c.grants.into_iter().map(|g| view! { <GrantEntry grant=g revoke/> }).collect_view().into_any()
                                    }}
                                </td>
                                <td data-label="Actions">
                                    <Form method="GET" action="/msp/customers">
                                        <input type="hidden" name="grant" value=c.id.to_string()/>
                                        <button type="submit" class="button small secondary">"Grant MFA reset permission"</button>
                                    </Form>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="hint">"“Could not recover alone”: people with one authenticator and no recovery code left. If they lose that phone, only a reset brings them back — ask them to add a second authenticator or print new codes."</p>
        </section>
        <NewCustomerSection action=create/>
    }
}

/// One running grant in a customer's row: whom it covers and until when;
/// Revoke while someone may still use it, "Done" once everyone it named has.
#[component]
fn GrantEntry(grant: GrantView, revoke: ServerAction<RevokeGrant>) -> impl IntoView {
    let label = format!("Revoke the MFA reset permission of {}", grant.organization);
    view! {
        <div class="grant">
            <p>
                {if grant.done {
                    view! { <span class="badge ok">"Done"</span>" " }.into_any()
                } else {
                    ().into_any()
                }}
                {format!("{} · until {}", grant.covers, grant.expires)}
            </p>
            <p class="hint">{format!("“{}” — {}", grant.reason, grant.granted_by)}</p>
            {if grant.done {
                view! { <p class="hint">"Everyone it named has set up a new authenticator."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=revoke>
                        <input type="hidden" name="grant_id" value=grant.id.to_string()/>
                        <button type="submit" class="button small danger" aria-label=label>"Revoke"</button>
                    </ActionForm>
                }.into_any()
            }}
        </div>
    }
}

#[component]
fn GrantDialog(
    org_id: i64,
    org_name: String,
    people: Vec<PersonChoice>,
    default_minutes: i64,
    action: ServerAction<GrantReset>,
) -> impl IntoView {
    let durations = [
        (60, "1 hour"),
        (240, "4 hours"),
        (720, "12 hours"),
        (1440, "24 hours"),
        (4320, "3 days"),
        (10080, "7 days"),
    ];
    // Chosen people and a short time by default: the smallest grant that helps.
    let person = param("person");
    let searched = !person.get_untracked().is_empty();
    view! {
        <section class="dialog" role="dialog" aria-labelledby="grant-title"
            data-cancel="/msp/customers">
            <h2 id="grant-title">{format!("Grant MFA reset permission to {org_name}")}</h2>
            <p>"While it lasts, the people it covers sign in with their password only, once, and must set up a new authenticator and new recovery codes. Their admins see it; you can revoke it at any time."</p>
            <ErrorBox message=error_signal(action)/>
            // Finding someone in a large company is a search of its own (a GET).
            <Form method="GET" action="/msp/customers" attr:class="filters">
                <input type="hidden" name="grant" value=org_id.to_string()/>
                <div class="field grow">
                    <label for="person">"Find a person"</label>
                    <input id="person" name="person" type="search" value=person.get_untracked()/>
                </div>
                <button type="submit" class="button secondary small">"Find"</button>
            </Form>
            <ActionForm action=action>
                <input type="hidden" name="org_id" value=org_id.to_string()/>
                <div class="field">
                    <label for="duration">"Duration"</label>
                    <select id="duration" name="duration_minutes" autofocus>
                        {durations.into_iter().map(|(minutes, label)| view! {
                            <option value=minutes.to_string() selected=minutes == default_minutes>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="reason">"Reason"</label>
                    <p class="hint" id="reason-hint">"The ticket or request this answers. The customer's admins and the audit log show it."</p>
                    <textarea id="reason" data-keep="" name="reason" rows="2" maxlength="500" aria-describedby="reason-hint" required></textarea>
                </div>
                <fieldset class="field">
                    <legend>"Who may reset"</legend>
                    <div class="check">
                        <input id="who-users" data-keep="" type="radio" name="who" value="users" checked=true/>
                        <label for="who-users">"Only the people chosen below"</label>
                    </div>
                    <div class="check">
                        // `js/forms.js` disables the list while the whole company is chosen
                        // (the server ignores it then either way).
                        <input id="who-company" data-keep="" type="radio" name="who" value="company" data-disables="grant-people"/>
                        <label for="who-company">{format!("Everyone at {org_name}")}</label>
                    </div>
                    {people.is_empty().then(|| view! {
                        <p class="hint">{if searched { "Nobody there matches that search." } else { "Nobody there can use it yet: only people who have signed in are listed." }}</p>
                    })}
                    <ul class="plain people" id="grant-people">
                        {people.into_iter().enumerate().map(|(i, p)| {
                            let id = format!("person-{}", p.id);
                            view! {
                                <li class="check">
                                    <input id=id.clone() data-keep="" type="checkbox" name=format!("users[{i}]") value=p.id.to_string()/>
                                    <label for=id>{p.email}{(!p.name.is_empty()).then(|| format!(" ({})", p.name))}</label>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </fieldset>
                <Submit label="Grant"/>
                " "<a href="/msp/customers">"Cancel"</a>
            </ActionForm>
        </section>
    }
}

#[component]
fn NewCustomerSection(action: ServerAction<CreateCustomer>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="new-customer-title">
            <h2 id="new-customer-title">"Add a customer"</h2>
            <p class="hint">"Creates the company and invites its first admin (role owner) by email."</p>
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <div class="field">
                    <label for="customer-name">"Company name"</label>
                    <input id="customer-name" data-keep="" name="name" type="text" required maxlength="100"/>
                </div>
                <div class="field">
                    <label for="customer-admin">"First admin's email"</label>
                    <input id="customer-admin" data-keep="" name="admin_email" type="email" required/>
                </div>
                <div class="field">
                    <label for="customer-admin-name">"First admin's name"</label>
                    <input id="customer-admin-name" data-keep="" name="admin_name" type="text"/>
                </div>
                <Submit label="Create customer" class="secondary"/>
            </ActionForm>
        </section>
    }
}

/// How many customers one lost phone would lock out of their own administration.
fn single_admin_warning(customers: &[CustomerView]) -> Option<impl IntoView> {
    let alone: Vec<String> = customers
        .iter()
        .filter(|c| c.needs_second_admin)
        .map(|c| c.name.clone())
        .collect();
    (!alone.is_empty()).then(|| {
        let text = match alone.len() {
            1 => format!(
                "1 customer has only one administrator with two-step verification: {}. If that person loses their phone, nobody there can reset it — ask them to add a second administrator.",
                alone[0]
            ),
            n => format!(
                "{n} customers have only one administrator with two-step verification: {}. If that person loses their phone, nobody there can reset it — ask them to add a second administrator.",
                alone.join(", ")
            ),
        };
        view! { <p class="alert warning" role="status">{text}</p> }
    })
}
