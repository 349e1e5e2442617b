//! Demo data for a first look: one MSP, two customers, and users that show
//! each path through sign-in. Running it again resets the demo accounts'
//! passwords and authenticators and prints them anew.

use std::fmt::Write;

use crate::audit::Origin;
use crate::rules::recovery;
use crate::rules::scope::OrgKind;
use crate::rules::totp::TotpParams;
use crate::service::{AuthError, Gatehouse};

struct DemoUser {
    org: &'static str,
    email: &'static str,
    role: &'static str,
    name: &'static str,
    note: &'static str,
    with_authenticator: bool,
}

const USERS: [DemoUser; 8] = [
    DemoUser {
        org: "acme",
        email: "owner@acme.example",
        role: "owner",
        name: "Olivia Owner",
        note: "MFA required: sets up an authenticator at first sign-in",
        with_authenticator: false,
    },
    DemoUser {
        org: "acme",
        email: "admin@acme.example",
        role: "admin",
        name: "Adam Admin",
        note: "company admin (Administration, Audit log); authenticator already set up (key below)",
        with_authenticator: true,
    },
    DemoUser {
        org: "acme",
        email: "member@acme.example",
        role: "member",
        name: "Mia Member",
        note: "MFA optional: can turn it on in My profile",
        with_authenticator: false,
    },
    DemoUser {
        org: "acme",
        email: "it@acme.example",
        role: "member",
        name: "Tess Tech",
        note: "Acme's technical contact: may ask the support desk for a reset (Support page)",
        with_authenticator: false,
    },
    DemoUser {
        org: "globex",
        email: "member@globex.example",
        role: "member",
        name: "Gus Globex",
        note: "another customer of the same MSP",
        with_authenticator: false,
    },
    DemoUser {
        org: "northwind",
        email: "admin@northwind.example",
        role: "admin",
        name: "Nora Northwind",
        note:
            "the MSP's admin: Customers (grant an MFA reset permission), Administration, Audit log",
        with_authenticator: false,
    },
    DemoUser {
        org: "platform",
        email: "agent@gatehouse.example",
        role: "support",
        name: "Sam Support",
        note: "support agent: Reset requests (verify a caller, issue a reset pass)",
        with_authenticator: true,
    },
    DemoUser {
        org: "platform",
        email: "manager@gatehouse.example",
        role: "manager",
        name: "Maya Manager",
        note: "support manager: approves or denies what an agent may not decide alone",
        with_authenticator: true,
    },
];

/// Acme's card on file, for the support desk's card check.
const DEMO_CARD: (&str, &str) = ("4242", "12/29");

/// A readable random password that passes the policy.
fn demo_password() -> String {
    let raw = recovery::generate_set().remove(0).to_lowercase();
    format!("demo-{raw}")
}

pub async fn load(gh: &Gatehouse) -> Result<String, AuthError> {
    for (kind, slug, name, parent) in [
        (OrgKind::Partner, "northwind", "Northwind IT Services", None),
        (OrgKind::Company, "acme", "Acme Corp", Some("northwind")),
        (OrgKind::Company, "globex", "Globex", Some("northwind")),
    ] {
        match gh.create_org(kind, slug, name, parent).await {
            Ok(_) | Err(AuthError::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let origin = Origin {
        ip: "cli".into(),
        user_agent: "gatehouse demo".into(),
    };
    let mut out = format!(
        "Demo data loaded. Sign in at {}/login\n\n",
        gh.settings.public_url
    );
    for user in USERS {
        let password = demo_password();
        let id = match gh.user_id_by_email(user.email).await? {
            Some(id) => {
                gh.set_password(id, &password).await?;
                gh.reset_mfa(id, None, &origin).await?;
                id
            }
            None => {
                gh.create_user(user.org, user.email, user.role, user.name, &password)
                    .await?
            }
        };
        writeln!(
            out,
            "  {:<26} password {:<20} {}",
            user.email, password, user.note
        )
        .expect("writing to a String");
        if user.with_authenticator {
            let (key, codes) = enroll_authenticator(gh, id).await?;
            writeln!(out, "  {:<26} authenticator key {}", "", key).expect("writing to a String");
            writeln!(out, "  {:<26} recovery codes {}", "", codes.join(" "))
                .expect("writing to a String");
        }
    }
    gh.set_billing_card("acme", DEMO_CARD.0, DEMO_CARD.1)
        .await?;
    gh.demo_contacts("acme", "owner@acme.example", &["it@acme.example"])
        .await?;
    writeln!(
        out,
        "\nAcme's authorized contacts: owner@acme.example (officer), it@acme.example (technical).\nAcme's card on file: last 4 digits {}, expiry {}.",
        DEMO_CARD.0, DEMO_CARD.1
    )
    .expect("writing to a String");
    out.push_str("\nPasswords change every time `gatehouse demo` runs.");
    Ok(out)
}

/// Sets up an authenticator for a demo user the way a person would: start
/// the setup, compute the current code from its key, confirm it. Returns the
/// key as people type it and the recovery codes.
async fn enroll_authenticator(
    gh: &Gatehouse,
    user_id: i64,
) -> Result<(String, Vec<String>), AuthError> {
    let setup = gh.totp_setup(user_id).await?;
    let secret = totp_rs::Secret::Encoded(setup.secret.clone())
        .to_bytes()
        .expect("totp_setup hands out valid base32");
    let code = TotpParams::default().generate(&secret, gh.now() as u64);
    let codes = gh
        .totp_confirm_for_user(user_id, &code, "", &Origin::command_line())
        .await?
        .unwrap_or_default();
    Ok((setup.secret_display, codes))
}
