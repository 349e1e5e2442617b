//! An organization's authorized contacts: the officer and up to three
//! technical contacts, the only people the support desk takes a reset
//! request from. Owners name them; every change is audited and emailed to
//! the organization's admins and to the contacts before and after.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::notify::Notice;
use crate::rules::contact::normalize_email;
use crate::rules::scope::Permission;
use crate::rules::support::{may_manage_contacts, MAX_TECHNICAL_CONTACTS};
use crate::service::support_desk::contacts_of;
use crate::service::Gatehouse;
use crate::store::{self, Conn};

/// Someone the desk may take a request from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub user_id: i64,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedContacts {
    pub org_id: i64,
    pub org_name: String,
    pub officer: Option<Contact>,
    /// No officer was named: the organization's first owner stands in.
    pub officer_is_default: bool,
    pub technical: Vec<Contact>,
    /// Whether the viewer may change them (owners only).
    pub may_change: bool,
}

impl Gatehouse {
    /// The contacts of the caller's organization, or of one below it.
    pub async fn authorized_contacts(
        &self,
        actor_id: i64,
        org_id: Option<i64>,
    ) -> Result<AuthorizedContacts> {
        let actor = self.actor(actor_id).await?;
        let org = self
            .target_org(
                &actor,
                org_id.unwrap_or(actor.org_id),
                Permission::UsersRead,
            )
            .await?;
        let mut c = self.conn().await?;
        let (officer, officer_is_default, technical) = contacts_of(&mut c, org.id).await?;
        Ok(AuthorizedContacts {
            org_id: org.id,
            org_name: org.name,
            officer: match officer {
                Some(id) => contact(&mut c, id).await?,
                None => None,
            },
            officer_is_default,
            technical: contacts(&mut c, &technical).await?,
            may_change: may_manage_contacts(actor.seniority)
                && actor.permissions.has(Permission::UsersManage),
        })
    }

    /// Names the officer and the technical contacts (owners only; the caller
    /// asks for a recent sign-in first).
    pub async fn set_authorized_contacts(
        &self,
        actor_id: i64,
        org_id: Option<i64>,
        officer_email: &str,
        technical_emails: &[String],
        origin: &Origin,
    ) -> Result<AuthorizedContacts> {
        let actor = self.actor(actor_id).await?;
        let org = self
            .target_org(
                &actor,
                org_id.unwrap_or(actor.org_id),
                Permission::UsersManage,
            )
            .await?;
        if !may_manage_contacts(actor.seniority) {
            return Err(AuthError::Forbidden(
                "Only an owner names the authorized contacts.".into(),
            ));
        }
        if technical_emails.len() > MAX_TECHNICAL_CONTACTS {
            return Err(AuthError::Invalid(format!(
                "Name at most {MAX_TECHNICAL_CONTACTS} technical contacts."
            )));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let officer = member(&mut tx, org.id, &org.name, officer_email).await?;
        let mut technical: Vec<store::User> = Vec::new();
        for email in technical_emails.iter().filter(|e| !e.trim().is_empty()) {
            let person = member(&mut tx, org.id, &org.name, email).await?;
            if person.id == officer.id || technical.iter().any(|t| t.id == person.id) {
                return Err(AuthError::Invalid(format!(
                    "{} is named twice: each contact once, and the officer not again as a technical contact.",
                    person.email
                )));
            }
            technical.push(person);
        }
        let (old_officer, _, old_technical) = contacts_of(&mut tx, org.id).await?;
        let technical_ids: Vec<i64> = technical.iter().map(|t| t.id).collect();
        store::replace_contacts(&mut tx, org.id, officer.id, &technical_ids, now).await?;
        let technical_emails: Vec<String> = technical.iter().map(|t| t.email.clone()).collect();
        let event = Event {
            org_id: org.id,
            actor_id: Some(actor.user_id),
            subject_id: None,
            action: "contacts.changed",
            details: json!({ "officer": officer.email, "technical": technical_emails }),
        };
        audit::append(&mut tx, event, origin, now).await?;
        let notice = Notice::AuthorizedContactsChanged {
            organization: org.name.clone(),
            officer: officer.email.clone(),
            technical: technical_emails,
        };
        let mut told = store::org_admin_emails(&mut tx, org.id).await?;
        let everyone = old_officer
            .into_iter()
            .chain(old_technical)
            .chain(technical_ids);
        for id in everyone.chain([officer.id]) {
            if let Some(person) = store::user_by_id(&mut tx, id).await? {
                told.push(person.email);
            }
        }
        told.sort();
        told.dedup();
        for email in told {
            self.notify_email(&mut tx, &email, &notice, origin, now)
                .await?;
        }
        tx.commit().await?;
        self.authorized_contacts(actor_id, Some(org.id)).await
    }
}

impl Gatehouse {
    /// Names the contacts without an owner (demo data only).
    pub(crate) async fn demo_contacts(
        &self,
        org_slug: &str,
        officer_email: &str,
        technical_emails: &[&str],
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let org = store::org_by_slug(&mut tx, org_slug)
            .await?
            .ok_or(AuthError::NotFound("Organization"))?;
        let officer = member(&mut tx, org.id, &org.name, officer_email).await?;
        let mut technical = Vec::new();
        for email in technical_emails {
            technical.push(member(&mut tx, org.id, &org.name, email).await?.id);
        }
        store::replace_contacts(&mut tx, org.id, officer.id, &technical, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An active person of the organization itself (not of one below it).
async fn member(c: &mut Conn, org_id: i64, org_name: &str, email: &str) -> Result<store::User> {
    let email = normalize_email(email);
    store::user_by_email(c, &email)
        .await?
        .filter(|u| u.org_id == org_id && !u.disabled)
        .ok_or_else(|| {
            AuthError::Invalid(format!(
                "{email} is not an active person of {org_name}: contacts are people of the organization itself."
            ))
        })
}

async fn contact(c: &mut Conn, user_id: i64) -> Result<Option<Contact>> {
    Ok(store::user_by_id(c, user_id).await?.map(|u| Contact {
        user_id: u.id,
        email: u.email,
        name: u.name,
    }))
}

async fn contacts(c: &mut Conn, ids: &[i64]) -> Result<Vec<Contact>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(contact(c, *id).await?);
    }
    Ok(out)
}
