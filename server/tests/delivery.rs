//! Mail delivery through the outbox against a real SMTP server process
//! (aiosmtpd), on SQLite and PostgreSQL: content, outage and restart, two workers.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

on_both_databases!(
    notifications_arrive_with_text_html_and_a_working_link,
    mail_queued_during_an_outage_is_sent_after_a_restart,
    two_app_servers_never_send_a_message_twice,
    without_smtp_mail_is_kept_in_the_development_mailbox,
);

struct SmtpSink {
    child: Child,
    folder: PathBuf,
}

impl SmtpSink {
    fn start(port: u16) -> Self {
        let folder = std::env::temp_dir().join(format!("gatehouse-smtp-{port}-{}", now()));
        std::fs::create_dir_all(&folder).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
        let mut child = Command::new("python3")
            .args([script, &port.to_string(), folder.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/install-tools.sh --test installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        Self { child, folder }
    }

    fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
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

impl Drop for SmtpSink {
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn notifications_arrive_with_text_html_and_a_working_link(backend: Backend) {
    let port = free_port();
    let sink = SmtpSink::start(port);
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
    let sink = SmtpSink::start(port);
    let messages = sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(messages.len(), 1);
    assert!(messages[0].starts_with(&format!("X-Envelope-To: {email}")));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sink.messages().len(), 1, "sent once");
}

fn two_app_servers_never_send_a_message_twice(backend: Backend) {
    let port = free_port();
    let sink = SmtpSink::start(port);
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
