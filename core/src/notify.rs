//! Security notifications: what happened, when, from where, and what to do if
//! it was not you. Composed here, queued in the outbox inside the transaction
//! of the change they announce (so a rolled-back change sends nothing).

use crate::audit::Origin;
use crate::format_time;
use crate::rules::abuse::{describe_kinds, describe_window, ResetKind};
use crate::rules::factors::FactorKind;
use crate::store::{self, Channel, Conn, NewMessage};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    MfaTurnedOn {
        kind: FactorKind,
    },
    FactorAdded {
        label: String,
        kind: FactorKind,
    },
    FactorRemoved {
        label: String,
        kind: FactorKind,
        factors_left: usize,
    },
    RecoveryCodesGenerated,
    RecoveryCodeUsed {
        codes_left: i64,
    },
    MfaReset {
        by_self: bool,
    },
    SignedInByEmail {
        link: bool,
    },
    PhoneChanged {
        phone: Option<String>,
    },
    /// A partner allowed the user (or, told to admins, the company) to reset MFA.
    ResetPermissionGranted {
        partner: String,
        until: i64,
        whole_company: bool,
    },
    ResetPermissionRevoked {
        partner: String,
    },
    /// The user reset their MFA under a partner's grant.
    ResetWithPermission {
        partner: String,
    },
    RoleChanged {
        role: String,
    },
    SignedOutEverywhere,
    AccountDisabled {
        disabled: bool,
    },
    SecondFactorUnlocked,
    /// The requester's support code proved them to the desk for a request.
    SupportCodeUsed {
        request_id: i64,
    },
    /// Who may ask the support desk for a reset changed.
    AuthorizedContactsChanged {
        organization: String,
        officer: String,
        technical: Vec<String>,
    },
    /// To the desk: a pass ended because its target signed in with an old factor.
    PassCancelledBySignIn {
        request_id: i64,
        target: String,
    },
    /// A new authenticator replaced the old one after an emailed code or link.
    ReplacedAfterEmail,
    /// The person's own "This wasn't me": what happened to their account.
    AccountLockedAfterReport,
    /// To the organization's admins: someone answered "This wasn't me".
    ResetReported {
        person: String,
    },
    /// To a person and their organization's contacts: the person asked the
    /// desk for a reset of their own, from the "Locked out?" link.
    SelfRequestFiled {
        request_id: i64,
        person: String,
    },
    /// To a person and their organization's contacts: the desk took a call
    /// from someone who says they are that person and could not prove it.
    UnconfirmedRequestFiled {
        request_id: i64,
        person: String,
    },
    /// The password changed: from My profile, or with an emailed link.
    PasswordChanged {
        by_link: bool,
    },
    /// To the desk: someone told about a pass said "This wasn't me".
    ResetRequestReported {
        request_id: i64,
        target: String,
    },
    /// To the platform's managers (`desk`) or the partner's admins: more
    /// MFA resets at one organization than the threshold allows.
    ResetBurst {
        organization: String,
        burst: Burst,
        desk: bool,
    },
    /// To the platform's managers: more MFA resets across the platform than
    /// the threshold allows.
    PlatformResetBurst {
        organizations: i64,
        burst: Burst,
    },
}

/// What an abuse alert counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    pub resets: i64,
    pub kinds: Vec<(ResetKind, i64)>,
    /// The window's length in seconds.
    pub window: i64,
    /// The first reset counted.
    pub since: i64,
    pub threshold: i64,
}

impl Burst {
    fn counted(&self, place: &str) -> String {
        format!(
            "{} resets of two-step verification took effect {place} within {} (the first at {}), more than the alert threshold of {}: {}.",
            self.resets,
            describe_window(self.window),
            format_time(self.since),
            self.threshold,
            describe_kinds(&self.kinds)
        )
    }
}

const BURST_WHY: &str = "A cluster of resets is how help-desk fraud shows: someone may be talking their way into several accounts.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Notice {
    fn subject(&self) -> String {
        match self {
            Notice::MfaTurnedOn { .. } => "Two-step verification is now on".into(),
            Notice::FactorAdded { kind, .. } => {
                format!("A new {} was added to your account", kind.noun())
            }
            Notice::FactorRemoved { kind, .. } => {
                format!("A {} was removed from your account", kind.noun())
            }
            Notice::RecoveryCodesGenerated => "New recovery codes were generated".into(),
            Notice::RecoveryCodeUsed { codes_left } => {
                format!("A recovery code was used to sign in ({codes_left} left)")
            }
            Notice::MfaReset { .. } => "Your two-step verification was reset".into(),
            Notice::SignedInByEmail { .. } => {
                "You signed in with your email instead of your authenticator".into()
            }
            Notice::PhoneChanged { phone: Some(_) } => {
                "A phone number for sign-in codes was added".into()
            }
            Notice::PhoneChanged { phone: None } => {
                "The phone number for sign-in codes was removed".into()
            }
            Notice::ResetPermissionGranted { .. } => {
                "Permission to reset two-step verification was granted".into()
            }
            Notice::ResetPermissionRevoked { .. } => {
                "Permission to reset two-step verification was withdrawn".into()
            }
            Notice::ResetWithPermission { .. } => "Your two-step verification was reset".into(),
            Notice::RoleChanged { .. } => "Your role was changed".into(),
            Notice::SignedOutEverywhere => "You were signed out everywhere".into(),
            Notice::AccountDisabled { disabled: true } => "Your account was deactivated".into(),
            Notice::AccountDisabled { disabled: false } => "Your account was reactivated".into(),
            Notice::SecondFactorUnlocked => "Your two-step verification was unlocked".into(),
            Notice::SupportCodeUsed { request_id } => {
                format!("Your support code was used for reset request #{request_id}")
            }
            Notice::AuthorizedContactsChanged { organization, .. } => {
                format!("The authorized contacts of {organization} changed")
            }
            Notice::PassCancelledBySignIn { request_id, .. } => {
                format!("Reset request #{request_id}: the pass was cancelled")
            }
            Notice::ResetRequestReported { request_id, .. } => {
                format!("Reset request #{request_id} was reported as not requested")
            }
            Notice::PasswordChanged { .. } => "Your password was changed".into(),
            Notice::ReplacedAfterEmail => "Your authenticator was replaced".into(),
            Notice::UnconfirmedRequestFiled { request_id, person } => {
                format!("Reset request #{request_id}: someone says they are {person}")
            }
            Notice::SelfRequestFiled { request_id, person } => {
                format!("Reset request #{request_id}: {person} asked the support desk")
            }
            Notice::AccountLockedAfterReport => {
                "Your account is locked after “This wasn't me”".into()
            }
            Notice::ResetReported { person } => {
                format!("{person} reported a reset they did not ask for")
            }
            Notice::ResetBurst {
                organization,
                burst,
                ..
            } => format!(
                "Alert: {} MFA resets at {organization} within {}",
                burst.resets,
                describe_window(burst.window)
            ),
            Notice::PlatformResetBurst { burst, .. } => format!(
                "Alert: {} MFA resets across the platform within {}",
                burst.resets,
                describe_window(burst.window)
            ),
        }
    }

    /// What to do, and the page to start from.
    fn advice(&self, public_url: &str) -> (String, String) {
        let later = |burst: &Burst, place: &str| {
            format!(
                "Further resets {place} within {} of this alert send no new email; the banner shows them.",
                describe_window(burst.window)
            )
        };
        match self {
            Notice::ResetBurst {
                organization,
                burst,
                desk: true,
            } => (
                format!(
                    "Review the reset requests ({public_url}/support/requests) and the audit log ({public_url}/audit), \
                     and call {organization}'s authorized officer on the number on file — never one a caller gave — \
                     to confirm these resets were asked for, before any further reset there. {}",
                    later(burst, &format!("at {organization}"))
                ),
                format!("{public_url}/support/requests"),
            ),
            Notice::ResetBurst {
                organization,
                burst,
                desk: false,
            } => (
                format!(
                    "Review the audit log ({public_url}/audit) and your customers ({public_url}/msp/customers): revoke any \
                     MFA reset permission still running that nobody needs. Call {organization}'s authorized officer on a \
                     number you already have to confirm these resets were asked for, and tell the support desk at once if \
                     they were not. {}",
                    later(burst, &format!("at {organization}"))
                ),
                format!("{public_url}/msp/customers"),
            ),
            Notice::PlatformResetBurst { burst, .. } => (
                format!(
                    "Review the reset requests ({public_url}/support/requests) and the audit log ({public_url}/audit) \
                     for a pattern — the same caller, agent, partner or address — and call the authorized officers of \
                     the companies concerned before any further reset. {}",
                    later(burst, "across the platform")
                ),
                format!("{public_url}/support/requests"),
            ),
            _ => (
                "If this was not you, sign in and reset your two-step verification from My profile, \
                 change your password, and tell your administrator right away."
                    .into(),
                format!("{public_url}/login"),
            ),
        }
    }

    fn what_happened(&self) -> String {
        match self {
            Notice::MfaTurnedOn { kind: FactorKind::Totp } => "Two-step verification was turned on for your account with an authenticator app.".into(),
            Notice::MfaTurnedOn { kind: FactorKind::Passkey } => "Two-step verification was turned on for your account with a passkey.".into(),
            Notice::FactorAdded { label, kind } => format!("The {} “{label}” was added to your account.", kind.noun()),
            Notice::FactorRemoved { label, kind, factors_left } => format!(
                "The {} “{label}” was removed from your account; {factors_left} way(s) to confirm it is you remain (authenticators and passkeys). Your other sessions were signed out.",
                kind.noun()
            ),
            Notice::RecoveryCodesGenerated => {
                "A new set of recovery codes was generated for your account. The previous codes no longer work.".into()
            }
            Notice::RecoveryCodeUsed { codes_left } => format!(
                "A recovery code was used to sign in to your account. {codes_left} unused recovery codes are left{}.",
                if *codes_left <= crate::rules::recovery::LOW_WATERMARK { ": generate new ones soon from My profile" } else { "" }
            ),
            Notice::MfaReset { by_self: true } => {
                "You reset your two-step verification: every authenticator and recovery code was removed and every session was signed out.".into()
            }
            Notice::SignedInByEmail { link } => format!(
                "Someone signed in to your account with the password and a {} sent to this address, instead of the authenticator app. \
                 They must now set up a new authenticator; your old one will stop working.",
                if *link { "sign-in link" } else { "code" }
            ),
            Notice::PhoneChanged { phone: Some(phone) } => {
                format!("The phone number {phone} can now receive sign-in codes by text message for your account.")
            }
            Notice::PhoneChanged { phone: None } => "Your account no longer has a phone number for sign-in codes.".into(),
            Notice::MfaReset { by_self: false } => {
                "An administrator reset your two-step verification: every authenticator and recovery code was removed and every session was signed out. You will set up a new authenticator at your next sign-in.".into()
            }
            Notice::ResetPermissionGranted { partner, until, whole_company: false } => format!(
                "{partner} allowed you to reset your two-step verification yourself until {}. Sign in with your password: you will set up a new authenticator and get new recovery codes, and your old ones will stop working.",
                format_time(*until)
            ),
            Notice::ResetPermissionGranted { partner, until, whole_company: true } => format!(
                "{partner} allowed everyone in your company to reset their two-step verification themselves until {}. Until then, anyone who knows a colleague's password can replace that colleague's authenticator: revoke it with {partner} if you did not ask for it.",
                format_time(*until)
            ),
            Notice::ResetPermissionRevoked { partner } => format!(
                "{partner} withdrew the permission to reset two-step verification. Sign-in asks for the authenticator again."
            ),
            Notice::ResetWithPermission { partner } => format!(
                "Your two-step verification was reset with the permission {partner} granted: a new authenticator and new recovery codes replace the old ones, and every other session was signed out."
            ),
            Notice::RoleChanged { role } => format!("An administrator changed your role to “{role}”."),
            Notice::SignedOutEverywhere => {
                "An administrator signed you out of every browser and app. Sign in again to continue.".into()
            }
            Notice::AccountDisabled { disabled: true } => {
                "An administrator deactivated your account: you can no longer sign in, and every session was ended.".into()
            }
            Notice::AccountDisabled { disabled: false } => {
                "An administrator reactivated your account: you can sign in again.".into()
            }
            Notice::SecondFactorUnlocked => {
                "An administrator unlocked your two-step verification after too many wrong codes. You can sign in again.".into()
            }
            Notice::SupportCodeUsed { request_id } => format!(
                "The support desk used your support code to confirm it was you asking for reset request #{request_id}. The code no longer works. Support never calls you to ask for your code: if you did not read it out to the support desk yourself, tell your administrator right away."
            ),
            Notice::AuthorizedContactsChanged { organization, officer, technical } => format!(
                "The people who may ask the support desk to reset someone's two-step verification at {organization} are now: {officer} (authorized officer){}.",
                if technical.is_empty() { String::new() } else { format!(" and {} (technical contacts)", technical.join(", ")) }
            ),
            Notice::PassCancelledBySignIn { request_id, target } => format!(
                "{target} signed in with an authenticator they still have, so the reset pass of request #{request_id} was cancelled: the lost device may not be lost. Review the request before doing anything else."
            ),
            Notice::SelfRequestFiled { request_id, person } => format!(
                "{person} told the support desk they are locked out and asked it to reset their two-step verification, confirming it with a link sent to their email address and their password (request #{request_id}). A manager decides; if approved, the reset works only after a waiting period, and you are told. If this was not {person}, tell the support desk and your administrator now: the request will be cancelled."
            ),
            Notice::UnconfirmedRequestFiled { request_id, person } => format!(
                "The support desk took a call from someone who says they are {person} and is locked out, and who could not confirm it from {person}'s email address (request #{request_id}). If a manager approves it after further checks, a reset becomes possible only after a 3-day waiting period. If this was not {person}, tell the support desk and your administrator now: the request will be cancelled."
            ),
            Notice::ReplacedAfterEmail => {
                "A new authenticator was set up for your account after signing in with a code or link sent to this address. Your previous authenticator, your recovery codes and every other session stopped working.".into()
            }
            Notice::AccountLockedAfterReport => {
                "You answered “This wasn't me” to a reset of your two-step verification. Everyone using your account was signed out, and the authenticator, recovery codes, phone number and password it had were removed. The account is locked until your administrator has reviewed it with you. Then choose a new password with “Forgot password?” on the sign-in page and set up a new authenticator.".into()
            }
            Notice::ResetReported { person } => format!(
                "{person} answered “This wasn't me” to a reset of their two-step verification. Their account was signed out everywhere, stripped of its authenticator, recovery codes, phone and password, and deactivated. Speak to {person} in person or on a number you already had, then reactivate the account from the top of the Users page; they choose a new password with “Forgot password?”."
            ),
            Notice::PasswordChanged { by_link: false } => {
                "Your password was changed from My profile. Every other browser and app was signed out.".into()
            }
            Notice::PasswordChanged { by_link: true } => {
                "Your password was reset with a link sent to this address. Every browser and app was signed out. Your two-step verification did not change: signing in still asks for your authenticator.".into()
            }
            Notice::ResetRequestReported { request_id, target } => format!(
                "Someone told about reset request #{request_id} for {target} answered “This wasn't me”. The request was cancelled and flagged; if its pass had been used, {target}'s sessions were ended, every authenticator set up with it was removed and the account was deactivated: reactivate it only after speaking to {target} in person."
            ),
            Notice::ResetBurst { organization, burst, .. } => {
                format!("{} {BURST_WHY}", burst.counted(&format!("at {organization}")))
            }
            Notice::PlatformResetBurst { organizations, burst } => format!(
                "{} They happened in {organizations} organization{}. {BURST_WHY}",
                burst.counted("across the platform"),
                if *organizations == 1 { "" } else { "s" }
            ),
        }
    }
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The plain-text and HTML parts of a notification.
pub fn compose(
    notice: &Notice,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    compose_with(notice, None, account, origin, now, public_url)
}

/// A notification about a reset, with the person's "This wasn't me" link.
pub fn with_report_link(
    notice: &Notice,
    link: &str,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    compose_with(notice, Some(link), account, origin, now, public_url)
}

fn compose_with(
    notice: &Notice,
    report_link: Option<&str>,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    let report = report_link.map(|link| {
        (
            "Not you? Open this link within 7 days and press “This wasn't me”: everyone using your account is signed out at once and it is locked until your administrator has checked it with you.",
            link,
        )
    });
    let what = notice.what_happened();
    let when = format_time(now);
    let browser = if origin.user_agent.is_empty() {
        "unknown browser"
    } else {
        origin.user_agent.as_str()
    };
    let (advice, sign_in) = notice.advice(public_url);
    let report_text = report
        .map(|(words, link)| format!("{words}\n{link}\n\n"))
        .unwrap_or_default();
    let report_html = report
        .map(|(words, link)| {
            format!(
                "<p><strong>{}</strong></p><p><a href=\"{link}\">{link}</a></p>",
                escape_html(words),
                link = escape_html(link)
            )
        })
        .unwrap_or_default();
    let text = format!(
        "Hello,\n\n{what}\n\nAccount: {account}\nWhen: {when}\nFrom: IP {ip}, {browser}\n\n{report_text}{advice}\n{sign_in}\n\n— Gatehouse\n",
        ip = origin.ip,
    );
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#16202f\">\
         <p>Hello,</p><p>{what}</p>\
         <table><tr><td>Account</td><td>{account}</td></tr><tr><td>When</td><td>{when}</td></tr>\
         <tr><td>From</td><td>IP {ip}, {browser}</td></tr></table>\
         {report_html}<p>{advice}</p><p><a href=\"{sign_in}\">{sign_in}</a></p><p>— Gatehouse</p></body></html>",
        what = escape_html(&what),
        account = escape_html(account),
        ip = escape_html(&origin.ip),
        browser = escape_html(browser),
        advice = escape_html(&advice),
        sign_in = escape_html(&sign_in),
    );
    Mail {
        subject: notice.subject(),
        text,
        html,
    }
}

/// The mail that carries a sign-in code.
pub fn sign_in_code(
    code: &str,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    one_time_mail(
        "Your Gatehouse sign-in code",
        &format!("Your sign-in code is {code}. It works once, within 10 minutes, and only in the sign-in where you asked for it."),
        SIGN_IN_ADVICE,
        MailContext { account, origin, now, public_url },
    )
}

/// The mail that carries a sign-in link (which opens a page; only its button signs in).
pub fn sign_in_link(
    link: &str,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    one_time_mail(
        "Your Gatehouse sign-in link",
        &format!(
            "Open this link in the browser where you are signing in, then press “Continue sign-in”. It works once, within 15 minutes:\n{link}"
        ),
        SIGN_IN_ADVICE,
        MailContext { account, origin, now, public_url },
    )
}

const SIGN_IN_ADVICE: &str = "If you did not try to sign in, someone knows your password: change it and tell your administrator. Never share this message.";

/// The mail that carries a link to choose a new password.
pub fn password_reset_link(
    link: &str,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    one_time_mail(
        "Reset your Gatehouse password",
        &format!(
            "Someone asked to reset the password of this account. To choose a new password, open this link within 30 minutes and press “Set password”. It works once:\n{link}\nYour two-step verification stays as it is: signing in will still ask for your authenticator."
        ),
        "If you did not ask for this, ignore this message: your password stays as it is. Never share this link.",
        MailContext { account, origin, now, public_url },
    )
}

/// The mail that lets a locked-out owner or officer take their request to
/// the support desk (the page behind the link asks for the password).
pub fn locked_out_confirm(
    link: &str,
    organization: &str,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    one_time_mail(
        "Locked out of Gatehouse: confirm your request to the support desk",
        &format!(
            "You told us you are locked out. Nobody else at {organization} can reset your two-step verification, so the support desk can. To ask them, open this link within 60 minutes, enter your password and press “Send to the support desk”. It works once:\n{link}\nA manager at the support desk decides; if they approve, you can set up a new authenticator after a waiting period, and you, your organization's admins and its authorized contacts are told by email at each step."
        ),
        "If you did not ask for this, ignore this message: nothing happens without your password. Someone may be trying to take over your account: tell your administrator. Never share this link.",
        MailContext { account, origin, now, public_url },
    )
}

/// The mail that tells a locked-out person who can reset them.
pub fn locked_out_helpers(
    helpers: &[String],
    organization: &str,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    let who = if helpers.is_empty() {
        format!("an administrator of {organization}")
    } else {
        helpers.join(", ")
    };
    one_time_mail(
        "Locked out of Gatehouse: who can help",
        &format!(
            "You told us you are locked out. First try a recovery code, or “Try another method” on the sign-in page to get a code or link by email. If neither works, ask {who} to reset your two-step verification: they can do it from Gatehouse in a minute, after checking it is you. The support desk cannot reset the account of someone at {organization} without a request from the organization's authorized contacts."
        ),
        "If you did not ask for this, ignore this message: nothing was changed.",
        MailContext { account, origin, now, public_url },
    )
}

/// The mail that invites a new user to choose their password.
pub fn invitation(
    link: &str,
    organization: &str,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    one_time_mail(
        "You are invited to Gatehouse",
        &format!(
            "An administrator of {organization} created a Gatehouse account for you. Open this link within 7 days to choose your password. It works once:\n{link}"
        ),
        "If you did not expect this, ignore this message: nothing happens until the link is used. Never share it.",
        MailContext { account, origin, now, public_url },
    )
}

struct MailContext<'a> {
    account: &'a str,
    origin: &'a Origin,
    now: i64,
    public_url: &'a str,
}

fn one_time_mail(subject: &str, body: &str, advice: &str, ctx: MailContext<'_>) -> Mail {
    let MailContext {
        account,
        origin,
        now,
        public_url,
    } = ctx;
    let when = format_time(now);
    let text = format!(
        "Hello,\n\n{body}\n\nAccount: {account}\nRequested: {when}\nFrom: IP {ip}\n\n{advice}\n\n— Gatehouse\n",
        ip = origin.ip
    );
    let html_body: String = body
        .split('\n')
        .map(|line| {
            if line.starts_with("http") {
                format!("<p><a href=\"{0}\">{0}</a></p>", escape_html(line))
            } else {
                format!("<p>{}</p>", escape_html(line))
            }
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#16202f\"><p>Hello,</p>{html_body}\
         <table><tr><td>Account</td><td>{account}</td></tr><tr><td>Requested</td><td>{when}</td></tr><tr><td>From</td><td>IP {ip}</td></tr></table>\
         <p>{advice}</p><p>— Gatehouse</p><p style=\"color:#5a6577\">{public_url}</p></body></html>",
        account = escape_html(account),
        ip = escape_html(&origin.ip),
        advice = escape_html(advice),
        public_url = escape_html(public_url),
    );
    Mail {
        subject: subject.into(),
        text,
        html,
    }
}

/// Who a reset pass's notice goes to: each reads what it means for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassRecipient {
    Target,
    Requester,
    Admin,
}

/// What a reset pass means, told to one person, with their own "This wasn't me" link.
pub struct PassNotice<'a> {
    pub request_id: i64,
    pub target: &'a str,
    pub active_at: i64,
    pub expires_at: i64,
    pub cancel_link: &'a str,
}

/// The mail that tells someone about a reset pass.
pub fn reset_pass(
    recipient: PassRecipient,
    notice: &PassNotice<'_>,
    account: &str,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> Mail {
    let window = format!(
        "from {} until {}",
        format_time(notice.active_at),
        format_time(notice.expires_at)
    );
    let what = match recipient {
        PassRecipient::Target => format!(
            "The support desk approved a reset of your two-step verification (request #{}). {window}, sign in at {public_url}/login with your password: you will skip the code once, set up a new authenticator and get new recovery codes. Your old authenticator stops working then.",
            notice.request_id
        ),
        PassRecipient::Requester => format!(
            "You asked the support desk to reset the two-step verification of {} (request #{}). The reset was approved: {window}, they can sign in with their password and set up a new authenticator.",
            notice.target, notice.request_id
        ),
        PassRecipient::Admin => format!(
            "The support desk approved a reset of the two-step verification of {} (request #{}). {window}, they can sign in with their password and set up a new authenticator.",
            notice.target, notice.request_id
        ),
    };
    let body = format!(
        "{what}\n\nIf nobody asked for this, open this link and press “This wasn't me”: it cancels the reset at once.\n{}",
        notice.cancel_link
    );
    one_time_mail(
        "A reset of two-step verification was approved",
        &body,
        "Support never asks you for a password or a code. Never forward this message.",
        MailContext {
            account,
            origin,
            now,
            public_url,
        },
    )
}

/// Queues a text message in the caller's transaction.
pub async fn enqueue_sms(c: &mut Conn, phone: &str, text: &str, now: i64) -> store::Result<()> {
    store::outbox_insert(
        c,
        &NewMessage {
            channel: Channel::Sms,
            recipient: phone,
            subject: "Text message",
            body_text: text,
            body_html: "",
        },
        now,
    )
    .await
}

/// Queues a composed mail in the caller's transaction.
pub async fn enqueue_mail(c: &mut Conn, to: &str, mail: &Mail, now: i64) -> store::Result<()> {
    store::outbox_insert(
        c,
        &NewMessage {
            channel: Channel::Email,
            recipient: to,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: &mail.html,
        },
        now,
    )
    .await
}

/// Queues a notification to `email` in the caller's transaction.
pub async fn enqueue(
    c: &mut Conn,
    email: &str,
    notice: &Notice,
    origin: &Origin,
    now: i64,
    public_url: &str,
) -> store::Result<()> {
    let mail = compose(notice, email, origin, now, public_url);
    store::outbox_insert(
        c,
        &NewMessage {
            channel: Channel::Email,
            recipient: email,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: &mail.html,
        },
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            ip: "203.0.113.7".into(),
            user_agent: "<script>Firefox</script>".into(),
        }
    }

    #[test]
    fn a_notice_says_what_when_where_and_what_to_do() {
        let mail = compose(
            &Notice::RecoveryCodeUsed { codes_left: 2 },
            "ada@example.com",
            &origin(),
            1_700_000_000,
            "https://mfa.example.com",
        );
        assert_eq!(mail.subject, "A recovery code was used to sign in (2 left)");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("ada@example.com"));
            assert!(part.contains("2023-11-14 22:13 UTC"));
            assert!(part.contains("203.0.113.7"));
            assert!(part.contains("If this was not you"));
            assert!(part.contains("https://mfa.example.com/login"));
            assert!(part.contains("generate new ones soon"));
        }
    }

    #[test]
    fn html_parts_escape_what_the_request_supplied() {
        let mail = compose(
            &Notice::MfaTurnedOn {
                kind: FactorKind::Totp,
            },
            "a&b@example.com",
            &origin(),
            0,
            "http://127.0.0.1:3000",
        );
        assert!(mail.html.contains("&lt;script&gt;Firefox&lt;/script&gt;"));
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("a&amp;b@example.com"));
        assert!(
            mail.text.contains("<script>Firefox</script>"),
            "plain text stays as typed"
        );
    }

    #[test]
    fn sign_in_links_are_clickable_and_codes_are_stated() {
        let link = sign_in_link(
            "https://mfa.example.com/login/link?token=abc",
            "a@example.com",
            &origin(),
            0,
            "https://mfa.example.com",
        );
        assert!(link
            .html
            .contains("<a href=\"https://mfa.example.com/login/link?token=abc\">"));
        assert!(link.text.contains("Continue sign-in"));
        let code = sign_in_code("012345", "a@example.com", &origin(), 0, "");
        assert!(code.text.contains("Your sign-in code is 012345."));
        assert!(code.text.contains("If you did not try to sign in"));
    }

    #[test]
    fn an_abuse_alert_says_where_how_many_and_what_to_do() {
        let burst = Burst {
            resets: 4,
            kinds: vec![(ResetKind::AdminDisable, 3), (ResetKind::SupportPass, 1)],
            window: 86_400,
            since: 1_700_000_000,
            threshold: 3,
        };
        let url = "https://mfa.example.com";
        let desk = compose(
            &Notice::ResetBurst {
                organization: "Acme <Corp>".into(),
                burst: burst.clone(),
                desk: true,
            },
            "manager@example.com",
            &origin(),
            1_700_000_100,
            url,
        );
        assert_eq!(
            desk.subject,
            "Alert: 4 MFA resets at Acme <Corp> within 24 hours"
        );
        assert!(desk.text.contains(
            "4 resets of two-step verification took effect at Acme <Corp> within 24 hours (the first at 2023-11-14 22:13 UTC), more than the alert threshold of 3: 3 by an administrator (Disable MFA), 1 with a support desk reset pass."
        ), "{}", desk.text);
        assert!(desk
            .text
            .contains("https://mfa.example.com/support/requests"));
        assert!(desk.text.contains("https://mfa.example.com/audit"));
        assert!(desk.text.contains("call Acme <Corp>'s authorized officer"));
        assert!(
            !desk.text.contains("If this was not you"),
            "not a user's notice"
        );
        assert!(desk.html.contains("Acme &lt;Corp&gt;") && !desk.html.contains("<Corp>"));
        let partner = compose(
            &Notice::ResetBurst {
                organization: "Acme".into(),
                burst: burst.clone(),
                desk: false,
            },
            "admin@msp.example",
            &origin(),
            0,
            url,
        );
        assert!(partner
            .text
            .contains("https://mfa.example.com/msp/customers"));
        assert!(partner.text.contains("tell the support desk"));
        let platform = compose(
            &Notice::PlatformResetBurst {
                organizations: 3,
                burst,
            },
            "manager@example.com",
            &origin(),
            0,
            url,
        );
        assert_eq!(
            platform.subject,
            "Alert: 4 MFA resets across the platform within 24 hours"
        );
        assert!(platform.text.contains("They happened in 3 organizations."));
    }

    #[test]
    fn resets_say_who_did_them() {
        let by_admin = compose(
            &Notice::MfaReset { by_self: false },
            "a@example.com",
            &origin(),
            0,
            "",
        );
        assert!(by_admin.text.contains("An administrator reset"));
        let by_self = compose(
            &Notice::MfaReset { by_self: true },
            "a@example.com",
            &origin(),
            0,
            "",
        );
        assert!(by_self.text.contains("You reset"));
    }
}
