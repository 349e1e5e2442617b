//! What the person at the screen reads after an action: the text for each
//! error code and for each `?notice=…`. Codes travel in URLs after a form
//! post without JavaScript, so the browser turns them into words here.

/// What each error code tells the person at the screen: every code of
/// `gatehouse_core::ErrorCode` (a test checks), and the two this app adds.
const ERROR_MESSAGES: &[(&str, &str)] = &[
    ("invalid_credentials", "The email or password is not correct."),
    ("invalid_password", "That password is not correct."),
    ("rate_limited", "Too many attempts. Wait a few minutes, then try again."),
    ("invalid_code", "That code is not correct. Check it and try again."),
    ("code_used", "That code is already used or too old. Wait for your authenticator app to show the next one, or use another recovery code."),
    ("passkey_rejected", "The passkey was not accepted. Try again, or use another way to sign in."),
    ("mfa_token_invalid", "This sign-in has expired or was used up. Sign in again."),
    ("link_invalid", "This link has expired or was already used. Start again to get a new one."),
    ("link_other_browser", "Open this link in the browser where you started signing in, or sign in again here and ask for a new link."),
    ("step_up_required", "Confirm it is you to make this change."),
    ("no_enrollment", "Start the authenticator setup again."),
    ("invalid_request", "Check what you entered and try again."),
    ("weak_password", "Choose another password: at least 8 characters (at most 128), not one of the most common passwords, and not the name of this service."),
    ("not_signed_in", "Sign in to continue."),
    ("unauthorized", "Sign in to continue."),
    ("not_found", "That was not found. It may have been removed, or it is outside your organization."),
    ("forbidden", "Your role does not allow that change."),
    ("last_factor", "Your role requires two-step verification, so your last authenticator or passkey cannot be removed. Add another authenticator first, or ask an administrator."),
    ("passkey_required", "Your role requires a passkey: add one to finish signing in. An authenticator app is not enough for this account."),
    ("grant_ended", "The permission to reset your two-step verification has ended. Sign in with your authenticator, or ask your administrator."),
    ("approval_required", "A manager must approve this reset. Escalate it to management with a reason."),
    ("checks_exhausted", "Three checks failed on this request: no more checks. Escalate it to management or cancel it."),
    ("not_a_contact", "Only an authorized contact of the person's organization may ask for an MFA reset. Ask one of them to call, or to file it from their Support page."),
    ("request_open", "This person already has an open reset request. Work that one, or cancel it first."),
    ("unavailable", "Gatehouse is busy right now. Wait a moment, then try again."),
    ("internal", "Something went wrong on our side. Try again in a moment."),
    ("not_saved", "Tick “I have saved my recovery codes” first: you will not see these codes again."),
    ("no_users_chosen", "Choose at least one person, or grant it to the whole company."),
];

/// The codes whose message above is a general one: a refusal with one of
/// them has words of its own ("There is already a role named …", "No card
/// is on file for …"), which the page shows instead (`session::refuse_back`).
/// The other codes' messages say what the page needs; their own words
/// would repeat what it shows anyway (the tries left beside a code field).
const GENERAL: [&str; 2] = ["invalid_request", "forbidden"];

/// Whether a refusal's own words say more than its code's message.
pub fn own_words_say_more(code: &str, words: &str) -> bool {
    GENERAL.contains(&code) && words != message_for(code)
}

/// The message for an error code carried in the URL after a form post without JavaScript.
pub fn message_for(code: &str) -> &'static str {
    ERROR_MESSAGES
        .iter()
        .find(|(known, _)| *known == code)
        .map_or("Something went wrong. Try again.", |(_, message)| message)
}

/// The status line for `?notice=CODE`, or "" for a code this app does not know.
pub fn notice_for(code: &str) -> &'static str {
    match code {
        "signed_out" => "You are signed out.",
        "mfa_reset" => "Your two-step verification was reset and you were signed out everywhere. Sign in to set up a new authenticator.",
        "factor_added" => "Your new authenticator is ready.",
        "factor_removed" => "The authenticator was removed. Other sessions were signed out.",
        "codes_saved" => "Your recovery codes are saved. Each one works once.",
        "link_sent" => "We emailed you a sign-in link. Open it in this browser within 15 minutes.",
        "code_sent" => "We sent you a code.",
        "phone_code_sent" => "We texted a verification code to the new number.",
        "phone_verified" => "Your phone number is verified: you can now get sign-in codes by text message.",
        "phone_removed" => "The phone number was removed.",
        "reset_requested" => "Your request is with the support desk. When the reset is approved, the person, you and your organization's admins each get an email.",
        "contacts_saved" => "The authorized contacts are saved. Your organization's admins and the contacts, old and new, were told by email.",
        "support_code_new" => "Here is your new support code. The previous one no longer works.",
        "password_set" => "Your password is set. Sign in to continue.",
        "password_link_sent" => "If this address belongs to an account, we have emailed it a link to choose a new password. It works for 30 minutes.",
        "password_reset" => "Your new password is set and every browser and app was signed out. Sign in with it: you will still need your authenticator.",
        "locked_out_sent" => "If this address belongs to an account, we have emailed it. Check your inbox (and spam folder) for what to do next.",
        "locked_out_filed" => "Your request is with the support desk. We will email you at each step; there is nothing more to do now.",
        "password_changed" => "Your password was changed. Every other browser and app was signed out.",
        _ => "",
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn only_a_general_message_gives_way_to_a_refusals_own_words() {
        assert!(own_words_say_more(
            "invalid_request",
            "There is already a role named “Helpdesk”."
        ));
        assert!(own_words_say_more(
            "forbidden",
            "Only an owner may grant the owner role."
        ));
        assert!(!own_words_say_more(
            "invalid_request",
            message_for("invalid_request")
        ));
        // The code page shows the tries left itself.
        assert!(!own_words_say_more(
            "invalid_code",
            "That code is not correct. Check it and try again: 4 tries left."
        ));
    }

    #[test]
    fn every_error_code_has_a_message() {
        for code in gatehouse_core::ErrorCode::ALL {
            assert!(
                ERROR_MESSAGES
                    .iter()
                    .any(|(known, _)| *known == code.as_str()),
                "no message for {}",
                code.as_str()
            );
        }
    }
}
