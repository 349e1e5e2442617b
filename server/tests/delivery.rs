//! Mail delivery through the outbox against a real SMTP server process
//! (aiosmtpd), on SQLite and PostgreSQL: content, outage and restart, two workers,
//! what the outbox keeps once a message is sent.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

on_both_databases!(
    notifications_arrive_with_text_html_and_a_working_link,
    mail_queued_during_an_outage_is_sent_after_a_restart,
    two_app_servers_never_send_a_message_twice,
    without_smtp_mail_is_kept_in_the_development_mailbox,
    the_mailbox_stays_off_when_listening_on_every_interface,
    sms_codes_go_to_a_verified_phone_and_sign_in,
    delivered_messages_lose_their_secrets_and_are_purged_after_the_retention,
    sms_webhook_credentials_never_reach_the_outbox,
);

/// A receiving server run by a Python script of `tests/` (SMTP or SMS webhook)
/// that saves each message it gets as a file.
struct Sink {
    child: Child,
    folder: PathBuf,
    extension: &'static str,
}

impl Sink {
    fn smtp(port: u16) -> Self {
        Self::run("smtp_sink.py", "eml", port)
    }

    fn sms(port: u16) -> Self {
        Self::run("sms_sink.py", "json", port)
    }

    fn run(script: &str, extension: &'static str, port: u16) -> Self {
        let folder = std::env::temp_dir().join(format!("gatehouse-sink-{port}-{}", now()));
        std::fs::create_dir_all(&folder).unwrap();
        let script = format!("{}/tests/{script}", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new("python3")
            .args([script.as_str(), &port.to_string(), folder.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/install-tools.sh --test installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the {script} sink did not start");
        Self {
            child,
            folder,
            extension,
        }
    }

    fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == self.extension))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    fn wait_for(&self, count: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= count || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

fn smtp_env(port: u16) -> [(&'static str, String); 2] {
    [
        ("GATEHOUSE_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        ("GATEHOUSE_MAIL_FROM", "Gatehouse <mfa@example.com>".into()),
    ]
}

fn start_with_smtp(backend: Backend, port: u16) -> Server {
    let env = smtp_env(port);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start_with(backend, &env)
}

fn notifications_arrive_with_text_html_and_a_working_link(backend: Backend) {
    let port = free_port();
    let sink = Sink::smtp(port);
    let server = start_with_smtp(backend, port);
    let (email, _, codes, _) = server.enrolled_user();
    server.mfa(&server.mfa_token(&email), "recovery_code", &codes[0]);

    let messages = sink.wait_for(2, Duration::from_secs(20));
    assert_eq!(messages.len(), 2, "{messages:?}");
    let turned_on = &messages[0];
    assert!(
        turned_on.starts_with(&format!("X-Envelope-To: {email}")),
        "{turned_on}"
    );
    assert!(turned_on.contains("Subject: Two-step verification is now on"));
    assert!(turned_on.contains("From: Gatehouse <mfa@example.com>"));
    assert!(
        turned_on.contains("Content-Type: text/plain")
            && turned_on.contains("Content-Type: text/html")
    );
    let link = server.url("/login");
    assert!(
        turned_on.contains(&link),
        "the link is built from the public URL"
    );
    assert_eq!(
        ureq::get(&link).call().unwrap().status(),
        200,
        "and it works"
    );
    let used = &messages[1];
    assert!(
        used.contains("Subject: A recovery code was used to sign in (9 left)"),
        "{used}"
    );
    assert!(used.contains("127.0.0.1"), "says from where");
}

fn mail_queued_during_an_outage_is_sent_after_a_restart(backend: Backend) {
    let port = free_port();
    let mut server = start_with_smtp(backend, port);
    let (email, _, _, _) = server.enrolled_user();
    std::thread::sleep(Duration::from_secs(3)); // a few failed attempts against a closed port
    server.restart();
    let sink = Sink::smtp(port);
    let messages = sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(messages.len(), 1);
    assert!(messages[0].starts_with(&format!("X-Envelope-To: {email}")));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sink.messages().len(), 1, "sent once");
}

fn two_app_servers_never_send_a_message_twice(backend: Backend) {
    let port = free_port();
    let sink = Sink::smtp(port);
    let server = start_with_smtp(backend, port);
    let _second = server.sibling();
    let users: Vec<String> = (0..6).map(|_| server.enrolled_user().0).collect();
    assert_eq!(
        sink.wait_for(users.len(), Duration::from_secs(30)).len(),
        users.len()
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        sink.messages().len(),
        users.len(),
        "one message per enrollment, no duplicates"
    );
}

fn without_smtp_mail_is_kept_in_the_development_mailbox(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, _, _) = server.enrolled_user();
    let page = server.get("/dev/mailbox", None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("This page exists only in that mode"));
    assert!(page.text.contains("Two-step verification is now on") && page.text.contains(&email));
    assert!(
        page.text
            .contains(&format!("<a href=\"{}/login\">", server.base)),
        "links are clickable"
    );

    let port = free_port();
    let with_smtp = start_with_smtp(backend, port);
    assert_eq!(
        with_smtp.get("/dev/mailbox", None).status,
        404,
        "no mailbox when mail is really sent"
    );
}

fn the_mailbox_stays_off_when_listening_on_every_interface(backend: Backend) {
    let port = free_port();
    let server = Server::start_with(
        backend,
        &[
            ("LEPTOS_SITE_ADDR", &format!("0.0.0.0:{port}")),
            ("GATEHOUSE_PUBLIC_URL", &format!("http://127.0.0.1:{port}")),
        ],
    );
    assert_eq!(server.base, format!("http://127.0.0.1:{port}"));
    assert_eq!(
        server.get("/dev/mailbox", None).status,
        404,
        "reachable from the network, so no mailbox"
    );
}

fn sms_codes_go_to_a_verified_phone_and_sign_in(backend: Backend) {
    let port = free_port();
    let sms = Sink::sms(port);
    let webhook = format!("http://127.0.0.1:{port}/sms");
    let server = Server::start_with(backend, &[("GATEHOUSE_SMS_WEBHOOK_URL", &webhook)]);
    let (email, secret, _, api_token) = server.enrolled_user();

    // Without a phone: the same answer, and nothing is sent.
    let token = server.mfa_token(&email);
    let blind = server.post(
        "/api/v1/auth/mfa/send",
        json!({ "mfa_token": token, "method": "sms_otp" }),
        None,
    );
    assert_eq!(
        (blind.status, blind.json["retry_after"].as_i64()),
        (202, Some(30))
    );

    // Add a phone from My profile (a browser session).
    let session = browser_session(&server, &email, &secret);
    let bad = form(
        &server,
        "/sfn/start_phone",
        Some(&session),
        &[("phone", "07700 900123")],
    );
    assert_sent_back(&bad, "/profile?error=invalid_request&form=start_phone");
    let started = form(
        &server,
        "/sfn/start_phone",
        Some(&session),
        &[("phone", "+44 7700 900123")],
    );
    assert_eq!(
        started.header("location"),
        Some("/profile?notice=phone_code_sent")
    );
    let texts = sms.wait_for(1, Duration::from_secs(20));
    assert_eq!(
        texts.len(),
        1,
        "exactly one text, and none for the phone-less request"
    );
    let text: serde_json::Value = serde_json::from_str(&texts[0]).unwrap();
    assert_eq!(text["to"], "+447700900123");
    let code = six_digits_in(text["body"].as_str().unwrap());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = form(
        &server,
        "/sfn/verify_phone",
        Some(&session),
        &[("code", wrong)],
    );
    assert_sent_back(&refused, "/profile?error=invalid_code&form=verify_phone");
    let me = server.get("/api/v1/me", Some(&api_token));
    assert_eq!(
        me.json["phone"],
        json!({ "number": "+44••••••••23", "verified": false })
    );
    let verified = form(
        &server,
        "/sfn/verify_phone",
        Some(&session),
        &[("code", &code)],
    );
    assert_eq!(
        verified.header("location"),
        Some("/profile?notice=phone_verified")
    );

    // Signing in with a texted code.
    let login = server.login(&email, PASSWORD);
    let token = login.json["mfa_token"].as_str().unwrap();
    assert_eq!(
        server
            .post(
                "/api/v1/auth/mfa/send",
                json!({ "mfa_token": token, "method": "sms_otp" }),
                None
            )
            .status,
        202
    );
    let texts = sms.wait_for(2, Duration::from_secs(20));
    let text: serde_json::Value = serde_json::from_str(&texts[1]).unwrap();
    let code = six_digits_in(text["body"].as_str().unwrap());
    let signed_in = server.mfa(token, "sms_otp", &code);
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    assert_eq!(
        signed_in.json["status"], "authenticated",
        "a verified phone is a second factor"
    );
    let me = server.get("/api/v1/me", signed_in.json["access_token"].as_str());
    assert_eq!(
        me.json["phone"],
        json!({ "number": "+44••••••••23", "verified": true })
    );
    assert!(mail_to(&server, &email)
        .iter()
        .any(|m| m.contains("can now receive sign-in codes by text message")));
}

fn six_digits_in(text: &str) -> String {
    let digits: Vec<char> = text.chars().collect();
    (0..digits.len().saturating_sub(5))
        .map(|i| digits[i..i + 6].iter().collect::<String>())
        .find(|w| w.chars().all(|c| c.is_ascii_digit()))
        .expect("a 6-digit code")
}

/// Waits until the database answers `want` to a counting query.
fn wait_for_count(server: &Server, query: &str, want: i64, within: Duration) -> i64 {
    let deadline = Instant::now() + within;
    loop {
        let count = server.number(query);
        if count == want || Instant::now() > deadline {
            return count;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn delivered_messages_lose_their_secrets_and_are_purged_after_the_retention(backend: Backend) {
    let port = free_port();
    let sink = Sink::smtp(port);
    let mut server = start_with_smtp(backend, port);
    let (email, _, _, _) = server.enrolled_user();
    // A code by the API, a sign-in link by the browser.
    let token = server.mfa_token(&email);
    let sent = server.post(
        "/api/v1/auth/mfa/send",
        json!({ "mfa_token": token, "method": "email_otp" }),
        None,
    );
    assert_eq!(sent.status, 202, "{sent:?}");
    let pending = password_stage(&server, &email);
    form(
        &server,
        "/sfn/send_challenge",
        Some(&pending),
        &[("method", "email_link")],
    );
    let messages = sink.wait_for(3, Duration::from_secs(30));
    assert_eq!(messages.len(), 3, "{messages:?}");
    let coded = messages
        .iter()
        .find(|m| m.contains("Your sign-in code is "))
        .expect("the code arrived");
    let code = &coded.split("Your sign-in code is ").nth(1).unwrap()[..6];
    assert!(
        messages.iter().any(|m| m.contains("/login/link?token=")),
        "the link arrived"
    );

    let all = format!("SELECT COUNT(*) FROM outbox WHERE recipient = '{email}'");
    assert_eq!(
        wait_for_count(
            &server,
            &format!("{all} AND sent_at IS NOT NULL"),
            3,
            Duration::from_secs(10)
        ),
        3
    );
    for secret in [code, "token="] {
        assert_eq!(
            server.number(&format!(
                "{all} AND (body_text LIKE '%{secret}%' OR body_html LIKE '%{secret}%')"
            )),
            0,
            "{secret} left the outbox"
        );
    }
    assert_eq!(
        server.number(&format!(
            "{all} AND body_text = '(erased after delivery)' AND body_html = '(erased after delivery)' AND subject <> ''"
        )),
        3,
        "the record stays: recipient, subject, times"
    );

    // Rows sent or given up past the retention (7 days) go; recent and queued ones stay.
    let day = 86_400;
    let now = now() as i64;
    for (recipient, sent_at, failed_at, next_attempt_at) in [
        ("old-sent@example.com", Some(now - 8 * day), None, 0),
        ("old-failed@example.com", None, Some(now - 8 * day), 0),
        ("recent@example.com", Some(now - 6 * day), None, 0),
        ("queued@example.com", None, None, now + day),
    ] {
        let null = |t: Option<i64>| t.map_or("NULL".to_string(), |t| t.to_string());
        server.sql_exec(&format!(
            "INSERT INTO outbox (channel, recipient, subject, body_text, body_html, created_at, next_attempt_at, sent_at, failed_at) \
             VALUES ('email', '{recipient}', 'Old', 'x', 'x', {created}, {next_attempt_at}, {}, {})",
            null(sent_at),
            null(failed_at),
            created = now - 9 * day,
        ));
    }
    server.restart(); // the worker purges when it starts, then every minute
    assert_eq!(
        wait_for_count(
            &server,
            "SELECT COUNT(*) FROM outbox WHERE recipient LIKE 'old-%'",
            0,
            Duration::from_secs(20)
        ),
        0,
        "purged"
    );
    assert_eq!(
        server.number(
            "SELECT COUNT(*) FROM outbox WHERE recipient IN ('recent@example.com', 'queued@example.com')"
        ),
        2
    );
    assert_eq!(server.number(&all), 3, "this week's messages stay");
}

fn sms_webhook_credentials_never_reach_the_outbox(backend: Backend) {
    let port = free_port(); // nothing listens there
    let webhook = format!("http://gateway:s3cret@127.0.0.1:{port}/send?api_key=k3y");
    let server = Server::start_with(backend, &[("GATEHOUSE_SMS_WEBHOOK_URL", &webhook)]);
    server.sql_exec(&format!(
        "INSERT INTO outbox (channel, recipient, subject, body_text, body_html, created_at, next_attempt_at) \
         VALUES ('sms', '+447700900123', 'Text message', 'Your code is 123456', '', {}, 0)",
        now()
    ));
    let failed = "SELECT COUNT(*) FROM outbox WHERE last_error IS NOT NULL";
    assert_eq!(
        wait_for_count(&server, failed, 1, Duration::from_secs(20)),
        1
    );
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM outbox WHERE last_error LIKE '%unreachable%' AND last_error LIKE '%127.0.0.1:{port}%'"
        )),
        1,
        "the error names the host"
    );
    for secret in ["gateway", "s3cret", "api_key", "k3y", "/send"] {
        assert_eq!(
            server.number(&format!(
                "SELECT COUNT(*) FROM outbox WHERE last_error LIKE '%{secret}%'"
            )),
            0,
            "{secret} in the stored error"
        );
    }
}
