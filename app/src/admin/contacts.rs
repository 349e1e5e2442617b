//! `/admin/contacts` ("Authorized contacts"): the only people the support
//! desk takes an MFA reset request from — the authorized officer (by
//! default the organization's first owner) and up to three technical
//! contacts. Owners change them (with a recent sign-in); every change is
//! audited and emailed to the admins and to the contacts.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::parts::AdminNav;
use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice, Submit};
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, Ctx, Operation};
use crate::urls::param_i64;

/// How many technical contacts an organization may name (core's
/// `rules::support::MAX_TECHNICAL_CONTACTS`; a test keeps them equal).
pub const TECHNICAL_CONTACTS: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactsView {
    pub me: Me,
    pub org_id: i64,
    pub org_name: String,
    pub officer: Option<ContactView>,
    pub officer_is_default: bool,
    pub technical: Vec<ContactView>,
    pub may_change: bool,
}

crate::signed_in_view!(ContactsView);

#[server(prefix = "/sfn", endpoint = "authorized_contacts")]
pub async fn authorized_contacts(org: Option<i64>) -> Result<ContactsView, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let c = cx.gh.authorized_contacts(uid, org).await?;
    let contact = |c: gatehouse_core::service::Contact| ContactView {
        email: c.email,
        name: c.name,
    };
    Ok(ContactsView {
        me: Me::load(&cx.gh, uid).await?,
        org_id: c.org_id,
        org_name: c.org_name,
        officer: c.officer.map(contact),
        officer_is_default: c.officer_is_default,
        technical: c.technical.into_iter().map(contact).collect(),
        may_change: c.may_change,
    })
}

#[server(prefix = "/sfn", endpoint = "save_contacts")]
pub async fn save_contacts(
    org: Option<i64>,
    officer_email: String,
    technical: Option<Vec<String>>,
) -> Result<(), AppError> {
    let page = match org {
        Some(id) => format!("/admin/contacts?org={id}"),
        None => "/admin/contacts".to_string(),
    };
    let back = page.clone();
    form_action(&page, |cx| async move {
        let uid = cx
            .recent_user(Operation::ChangeAuthorizedContacts, &back)
            .await?;
        let technical: Vec<String> = technical
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect();
        cx.gh
            .set_authorized_contacts(uid, org, &officer_email, &technical, &cx.origin)
            .await?;
        let sep = if back.contains('?') { '&' } else { '?' };
        leptos_axum::redirect(&format!("{back}{sep}notice=contacts_saved"));
        Ok(())
    })
    .await
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let org = param_i64("org");
    let save = ServerAction::<SaveContacts>::new();
    let data = Resource::new(move || org.get(), authorized_contacts);
    view! {
        <DataPage title="Authorized contacts · Administration" data let:view>
            <ContactsScreen view save/>
        </DataPage>
    }
}

fn describe(c: &ContactView) -> String {
    if c.name.trim().is_empty() {
        c.email.clone()
    } else {
        format!("{} ({})", c.name, c.email)
    }
}

#[component]
fn ContactsScreen(view: ContactsView, save: ServerAction<SaveContacts>) -> impl IntoView {
    let org = param_i64("org");
    let officer_email = view
        .officer
        .as_ref()
        .map(|c| c.email.clone())
        .unwrap_or_default();
    let technical_emails: Vec<String> = (0..TECHNICAL_CONTACTS)
        .map(|i| {
            view.technical
                .get(i)
                .map(|c| c.email.clone())
                .unwrap_or_default()
        })
        .collect();
    view! {
        <AdminNav current="/admin/contacts"/>
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"Authorized contacts"</h1>
            <Notice/>
            <p>{format!("The support desk takes a request to reset someone's two-step verification at {} only from these people, and only after they proved who they are.", view.org_name)}</p>
            <dl class="facts">
                <dt>"Authorized officer"</dt>
                <dd>
                    {match &view.officer {
                        Some(c) => describe(c),
                        None => "Nobody yet".to_string(),
                    }}
                    {view.officer_is_default.then(|| view! { <span class="muted">" (first owner, by default)"</span> })}
                </dd>
                <dt>"Technical contacts"</dt>
                <dd>
                    {if view.technical.is_empty() {
                        view! { <span class="muted">"None"</span> }.into_any()
                    } else {
                        view! {
                            <ul class="plain">
                                {view.technical.iter().map(|c| view! { <li>{describe(c)}</li> }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </dd>
            </dl>
            {(!view.may_change).then(|| view! {
                <p class="hint">"Only an owner changes the authorized contacts."</p>
            })}
        </section>
        {view.may_change.then(|| view! {
            <section class="card" aria-labelledby="change-title">
                <h2 id="change-title">"Change the contacts"</h2>
                <p class="hint">"People of this organization itself. Everyone concerned — your admins, the old and the new contacts — gets an email about the change."</p>
                <ErrorBox message=error_signal(save)/>
                <ActionForm action=save>
                    {org.get_untracked().map(|id| view! { <input type="hidden" name="org" value=id.to_string()/> })}
                    <div class="field">
                        <label for="officer-email">"Authorized officer email"</label>
                        <p class="hint" id="officer-hint">"The person who signed the agreement with the operator."</p>
                        <input id="officer-email" data-keep="" name="officer_email" type="email" autocomplete="off" required
                            value=officer_email.clone() aria-describedby="officer-hint"/>
                    </div>
                    <fieldset class="field">
                        <legend>"Technical contacts (up to three, optional)"</legend>
                        {technical_emails.iter().enumerate().map(|(i, email)| {
                            let id = format!("technical-{}", i + 1);
                            let hint = format!("technical-hint-{}", i + 1);
                            view! {
                                <div class="field">
                                    <label for=id.clone()>"Technical contact email"</label>
                                    <span class="visually-hidden" id=hint.clone()>{format!("{} of {}", i + 1, TECHNICAL_CONTACTS)}</span>
                                    <input id=id data-keep="" name=format!("technical[{i}]") type="email" autocomplete="off"
                                        value=email.clone() aria-describedby=hint/>
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                    <Submit label="Save contacts"/>
                </ActionForm>
            </section>
        })}
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn as_many_technical_contact_fields_as_core_allows() {
        assert_eq!(
            super::TECHNICAL_CONTACTS,
            gatehouse_core::rules::support::MAX_TECHNICAL_CONTACTS
        );
    }
}
