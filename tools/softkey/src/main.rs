//! A software passkey for Gatehouse's HTTP tests. It holds its keys for as
//! long as it runs, and answers one JSON request per line on stdin with one
//! JSON line on stdout:
//!
//! `{"op": "register" | "authenticate", "origin": URL, "options": {"publicKey": …}}`
//! → the credential as the browser's `toJSON()` would send it, or `{"error": …}`.
//!
//! With `"as_browser": false` the browser's checks (that the origin belongs
//! to the relying party) are skipped, as a phishing page relaying the
//! options would. `--no-user-verification` makes a device that never
//! verifies its user and a client that asks it not to: its answers carry a
//! user-verification flag that is false, whatever the options required.

use std::io::{BufRead, Write};

use serde::Deserialize;
use serde_json::{json, Value};
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, Url, WebauthnAuthenticator,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::AuthenticatorBackend;

#[derive(Deserialize)]
struct Request {
    op: String,
    origin: Url,
    options: Value,
    #[serde(default = "yes")]
    as_browser: bool,
}

fn yes() -> bool {
    true
}

const TIMEOUT_MS: u32 = 60_000;

/// The credential as JSON, or what went wrong.
fn to_json<T: serde::Serialize, E: std::fmt::Debug>(made: Result<T, E>) -> Result<Value, String> {
    let made = made.map_err(|e| format!("{e:?}"))?;
    serde_json::to_value(made).map_err(|e| e.to_string())
}

fn answer(key: &mut SoftPasskey, mut request: Request, verifies: bool) -> Result<Value, String> {
    if !verifies {
        let options = &mut request.options["publicKey"];
        if let Some(selection) = options.get_mut("authenticatorSelection") {
            selection["userVerification"] = json!("discouraged");
        }
        options["userVerification"] = json!("discouraged");
    }
    match request.op.as_str() {
        "register" => {
            let options: CreationChallengeResponse =
                serde_json::from_value(request.options).map_err(|e| e.to_string())?;
            if request.as_browser {
                to_json(key.do_registration(request.origin, options))
            } else {
                to_json(key.perform_register(request.origin, options.public_key, TIMEOUT_MS))
            }
        }
        "authenticate" => {
            let options: RequestChallengeResponse =
                serde_json::from_value(request.options).map_err(|e| e.to_string())?;
            if request.as_browser {
                to_json(key.do_authentication(request.origin, options))
            } else {
                to_json(key.perform_auth(request.origin, options.public_key, TIMEOUT_MS))
            }
        }
        other => Err(format!("unknown op {other:?}")),
    }
}

fn main() {
    let verifies = !std::env::args().any(|a| a == "--no-user-verification");
    // SoftPasskey's flag "falsify_uv" means: claim the user was verified (a
    // software key has no screen lock to check).
    let mut key = SoftPasskey::new(verifies);
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let reply = serde_json::from_str::<Request>(&line)
            .map_err(|e| e.to_string())
            .and_then(|request| answer(&mut key, request, verifies))
            .unwrap_or_else(|error| json!({ "error": error }));
        let mut out = stdout.lock();
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}
