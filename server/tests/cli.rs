//! The command line as operators and tests use it: the audit chain check,
//! operator commands, backups and restores.

mod common;

use common::*;

on_both_databases!(
    operators_unlock_sign_out_and_disable_mfa_from_the_command_line,
    operators_export_an_organizations_audit_log,
    cli_errors_are_one_clear_line,
    audit_verify_detects_edits_and_removals,
    demo_prints_working_accounts
);

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

fn cli_errors_are_one_clear_line(backend: Backend) {
    let server = Server::start(backend);
    let unknown_org = server.cli(
        &[
            "user",
            "create",
            "--org",
            "nope",
            "--email",
            "a@example.com",
            "--role",
            "member",
        ],
        Some("long enough pw\n"),
    );
    assert!(!unknown_org.status.success());
    assert_eq!(
        stderr(&unknown_org),
        "gatehouse: unknown organization \"nope\""
    );

    let escape = server.cli(
        &[
            "org",
            "create",
            "--kind",
            "company",
            "--slug",
            "esc-co",
            "--name",
            "\u{1b}]0;pwned\u{7}",
        ],
        None,
    );
    assert!(!escape.status.success(), "a terminal escape is not a name");
    assert!(
        stderr(&escape).contains("control characters"),
        "{}",
        stderr(&escape)
    );

    let out = server.cli(
        &[
            "org", "create", "--kind", "company", "--slug", "dup-co", "--name", "Dup",
        ],
        None,
    );
    assert!(out.status.success());
    let duplicate_org = server.cli(
        &[
            "org", "create", "--kind", "company", "--slug", "dup-co", "--name", "Dup",
        ],
        None,
    );
    assert!(!duplicate_org.status.success());
    assert!(stderr(&duplicate_org).contains("already exists"));

    server.cli_ok(
        &[
            "user",
            "create",
            "--org",
            "dup-co",
            "--email",
            "same@example.com",
            "--role",
            "member",
        ],
        Some("long enough pw\n"),
    );
    let duplicate = server.cli(
        &[
            "user",
            "create",
            "--org",
            "dup-co",
            "--email",
            "SAME@example.com",
            "--role",
            "member",
        ],
        Some("long enough pw\n"),
    );
    assert!(!duplicate.status.success());
    assert_eq!(
        stderr(&duplicate),
        "gatehouse: a user with email same@example.com already exists"
    );

    for (password, reason) in [
        ("short", "at least 8"),
        ("password1", "most common"),
        ("mygatehouse1", "name of this service"),
    ] {
        let weak = server.cli(
            &[
                "user",
                "create",
                "--org",
                "dup-co",
                "--email",
                "weak@example.com",
                "--role",
                "member",
            ],
            Some(&format!("{password}\n")),
        );
        assert!(!weak.status.success());
        assert!(
            stderr(&weak).contains(reason),
            "{password}: {}",
            stderr(&weak)
        );
        assert_eq!(stderr(&weak).lines().count(), 1);
    }

    let bad_role = server.cli(
        &[
            "role",
            "mfa-required",
            "--org",
            "dup-co",
            "--role",
            "wizard",
            "on",
        ],
        None,
    );
    assert!(!bad_role.status.success());
    server.cli_ok(
        &[
            "role",
            "mfa-required",
            "--org",
            "dup-co",
            "--role",
            "member",
            "on",
        ],
        None,
    );
    assert_eq!(
        server.login("same@example.com", "long enough pw").json["status"],
        "enrollment_required"
    );
    server.cli_ok(
        &[
            "role",
            "mfa-required",
            "--org",
            "dup-co",
            "--role",
            "member",
            "off",
        ],
        None,
    );
    assert_eq!(
        server.login("same@example.com", "long enough pw").json["status"],
        "authenticated"
    );

    let bad_url = std::process::Command::new(binary())
        .arg("migrate")
        .env("GATEHOUSE_DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert!(!bad_url.status.success());
    assert!(
        stderr(&bad_url).starts_with("gatehouse: GATEHOUSE_DATABASE_URL:"),
        "{}",
        stderr(&bad_url)
    );
}

fn audit_verify_detects_edits_and_removals(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, codes, _) = server.enrolled_user();
    server.mfa(&server.mfa_token(&email), "recovery_code", &codes[0]);
    server.login(&email, "wrong password");
    let ok = server.cli_ok(&["audit", "verify"], None);
    assert!(ok.starts_with("audit log intact:"), "{ok}");

    sql(
        &server.db_url,
        "UPDATE audit_log SET ip = '10.9.9.9' WHERE action = 'mfa.recovery_code_used'",
    );
    let edited = server.cli(&["audit", "verify"], None);
    assert!(!edited.status.success());
    assert!(
        stderr(&edited).contains("was modified"),
        "{}",
        stderr(&edited)
    );

    sql(
        &server.db_url,
        "DELETE FROM audit_log WHERE action = 'mfa.recovery_code_used'",
    );
    let removed = server.cli(&["audit", "verify"], None);
    assert!(!removed.status.success());
    assert!(
        stderr(&removed).contains("was removed"),
        "{}",
        stderr(&removed)
    );
}

fn demo_prints_working_accounts(backend: Backend) {
    let server = Server::start(backend);
    let text = server.cli_ok(&["demo"], None);
    let password_of = |email: &str| {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(email))
            .unwrap_or_else(|| panic!("{email} in {text}"));
        line.split_whitespace().nth(2).unwrap().to_string()
    };
    assert_eq!(
        server
            .login("member@acme.example", &password_of("member@acme.example"))
            .json["status"],
        "authenticated"
    );
    assert_eq!(
        server
            .login("owner@acme.example", &password_of("owner@acme.example"))
            .json["status"],
        "enrollment_required"
    );
    assert_eq!(
        server
            .login("admin@acme.example", &password_of("admin@acme.example"))
            .json["status"],
        "mfa_required"
    );
    // Running it again works and changes the passwords.
    let again = server.cli_ok(&["demo"], None);
    assert_ne!(again, text);
}

fn operators_unlock_sign_out_and_disable_mfa_from_the_command_line(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, _, token) = server.enrolled_user();
    let audited_as_cli = |action: &str| {
        server.number(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND actor_id IS NULL AND ip = 'cli'"
        ))
    };

    // Five wrong codes lock the second factor; the command line lifts the lock.
    let attempt = server.mfa_token(&email);
    for _ in 0..5 {
        server.mfa(&attempt, "totp", &wrong_code(&secret));
    }
    let refused = server.mfa(&server.mfa_token(&email), "totp", &totp_next(&secret));
    assert_eq!(refused.status, 429, "locked: {refused:?}");
    let mails_before = mail_to(&server, &email).len();
    let upper = email.to_uppercase();
    let out = server.cli_ok(&["user", "unlock", "--email", &upper], None);
    assert_eq!(out.trim(), format!("unlocked {email}"));
    let signed_in = server.mfa(&server.mfa_token(&email), "totp", &totp_next(&secret));
    assert_eq!(signed_in.status, 200, "unlocked: {signed_in:?}");
    assert_eq!(audited_as_cli("user.unlocked"), 1);

    // Signed out everywhere: every token ends.
    server.cli_ok(&["user", "sign-out", "--email", &email], None);
    assert_eq!(server.get("/api/v1/me", Some(&token)).status, 401);
    let later = signed_in.json["access_token"].as_str().unwrap();
    assert_eq!(server.get("/api/v1/me", Some(later)).status, 401);
    assert_eq!(audited_as_cli("user.signed_out_everywhere"), 1);

    // MFA disabled: the owner sets up a new authenticator at the next sign-in.
    server.cli_ok(&["user", "disable-mfa", "--email", &email], None);
    assert_eq!(
        server.login(&email, PASSWORD).json["status"],
        "enrollment_required"
    );
    assert_eq!(audited_as_cli("mfa.reset"), 1);
    // The person is told each time, as when an administrator acts.
    assert_eq!(mail_to(&server, &email).len(), mails_before + 3);

    // Nobody of that address: one clear line, nothing done.
    let unknown = server.cli(&["user", "unlock", "--email", "nobody@example.com"], None);
    assert!(!unknown.status.success());
    assert_eq!(stderr(&unknown), "gatehouse: User not found.");
}

fn operators_export_an_organizations_audit_log(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", "export-co", None);
    server.org("company", "other-co", None);
    let email = server.user_in("export-co", "member");
    let stranger = server.user_in("other-co", "member");
    assert_eq!(server.login(&email, "not the password").status, 401);
    assert_eq!(server.login(&stranger, "not the password").status, 401);

    let json = server.cli_ok(
        &["audit", "export", "--org", "export-co", "--format", "json"],
        None,
    );
    let entries: serde_json::Value = serde_json::from_str(&json).unwrap();
    let entries = entries.as_array().expect("a JSON array");
    assert!(entries
        .iter()
        .any(|e| e["action"] == "login.password_failed" && e["subject"] == email.as_str()));
    assert!(
        !json.contains(&stranger),
        "another organization's entries stay out"
    );
    let csv = server.cli_ok(&["audit", "export", "--org", "export-co"], None);
    assert!(csv.starts_with("time_utc,"), "{csv}");
    assert!(csv.contains("login.password_failed"));
    let none = server.cli_ok(
        &[
            "audit",
            "export",
            "--org",
            "export-co",
            "--from",
            "2999-01-01",
            "--format",
            "json",
        ],
        None,
    );
    assert!(!none.contains("login.password_failed"), "{none}");
    // Each export is recorded, as the command line.
    assert_eq!(
        server.number("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.exported' AND actor_id IS NULL AND ip = 'cli'"),
        3
    );
    let unknown = server.cli(&["audit", "export", "--org", "nope"], None);
    assert!(!unknown.status.success());
    assert_eq!(stderr(&unknown), "gatehouse: unknown organization \"nope\"");
    let bad_date = server.cli(
        &["audit", "export", "--org", "export-co", "--from", "soon"],
        None,
    );
    assert!(!bad_date.status.success());
}

/// A backup taken while sign-ins write, restored after the server stopped:
/// the chain verifies, the authenticator (sealed with the key file) still
/// works, and what happened after the backup is gone.
#[test]
fn a_live_sqlite_database_is_backed_up_and_restored() {
    // No GATEHOUSE_SECRET_KEY: the key lives in a file beside the database.
    let mut server = Server::start_with(Backend::Sqlite, &[("GATEHOUSE_SECRET_KEY", "")]);
    let (email, secret, _, _) = server.enrolled_user();
    let member = server.user("member");
    let backup = server.dir().join("backups/monday.db");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();

    let stop = std::sync::atomic::AtomicBool::new(false);
    let sign_ins = std::thread::scope(|scope| {
        let load = scope.spawn(|| {
            let mut sign_ins = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                assert_eq!(server.login(&member, PASSWORD).status, 200);
                sign_ins += 1;
            }
            sign_ins
        });
        eventually("sign-ins are writing", || {
            server.number("SELECT COUNT(*) FROM audit_log WHERE action = 'login.succeeded'") > 2
        });
        let said = server.cli_ok(&["backup", backup.to_str().unwrap()], None);
        assert!(said.contains("monday.key"), "{said}");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        load.join().unwrap()
    });
    assert!(sign_ins > 2, "the backup ran under write load");

    let key_copy = server.dir().join("backups/monday.key");
    assert_eq!(
        std::fs::read_to_string(&key_copy).unwrap(),
        std::fs::read_to_string(server.dir().join("gatehouse.key")).unwrap()
    );
    for file in [&backup, &key_copy] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is private", file.display());
    }
    let again = server.cli(&["backup", backup.to_str().unwrap()], None);
    assert!(
        !again.status.success(),
        "an existing backup is never overwritten"
    );
    assert!(stderr(&again).contains("exists already"));

    let after_backup = server.user("member");
    let in_use = server.cli(&["restore", backup.to_str().unwrap()], None);
    assert!(!in_use.status.success());
    assert!(stderr(&in_use).contains("is in use"), "{}", stderr(&in_use));
    assert_eq!(
        server.login(&after_backup, PASSWORD).status,
        200,
        "nothing was replaced"
    );

    server.terminate();
    assert!(server.wait_exit().success());
    let garbage = server.dir().join("backups/garbage.db");
    std::fs::write(&garbage, b"not a database at all").unwrap();
    let refused = server.cli(&["restore", garbage.to_str().unwrap()], None);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("cannot be restored"),
        "{}",
        stderr(&refused)
    );

    let live = server.dir().join("gatehouse.db");
    let itself = server.cli(&["restore", live.to_str().unwrap()], None);
    assert!(
        !itself.status.success(),
        "the live database is not a backup"
    );
    assert!(
        stderr(&itself).contains("is the database in use"),
        "{}",
        stderr(&itself)
    );

    // Twice in the same second: each replaced database is kept, under its own name.
    server.cli_ok(&["restore", backup.to_str().unwrap()], None);
    let said = server.cli_ok(&["restore", backup.to_str().unwrap()], None);
    assert!(
        said.contains("before-restore-"),
        "the replaced database is kept: {said}"
    );
    let kept: Vec<_> = std::fs::read_dir(server.dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("gatehouse.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 4, "two databases and their keys: {kept:?}");
    // A kept pair is a backup as it stands: restore takes it back.
    let first = kept.iter().find(|name| name.ends_with(".db")).unwrap();
    let back = server.dir().join(first);
    server.cli_ok(&["restore", back.to_str().unwrap()], None);
    // Which of the two pairs that was is not ours to know: the backup again.
    server.cli_ok(&["restore", backup.to_str().unwrap()], None);
    // A symlink to the live database is the live database.
    let link = server.dir().join("backups/link.db");
    std::os::unix::fs::symlink(&live, &link).unwrap();
    let linked = server.cli(&["restore", link.to_str().unwrap()], None);
    assert!(
        stderr(&linked).contains("is the database in use"),
        "{}",
        stderr(&linked)
    );
    // The server made the first of them (umask 0077), restore the others.
    for name in kept
        .iter()
        .map(String::as_str)
        .chain(["gatehouse.db", "gatehouse.key"])
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(server.dir().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name} is private");
    }
    let verified = server.cli_ok(&["audit", "verify"], None);
    assert!(verified.starts_with("audit log intact"), "{verified}");

    server.restart();
    let token = server.mfa_token(&email);
    let signed_in = server.mfa(&token, "totp", &totp_next(&secret));
    assert_eq!(
        signed_in.status, 200,
        "the restored key opens the authenticator: {signed_in:?}"
    );
    assert_eq!(
        server.login(&after_backup, PASSWORD).status,
        401,
        "what happened after the backup is gone"
    );
}

/// PostgreSQL has its own tools: the commands say which, without printing
/// the database URL (it can hold a password).
#[test]
fn postgres_backups_name_pg_dump_and_the_key() {
    let server = Server::start(Backend::Postgres);
    let said = server.cli_ok(&["backup", "/tmp/gatehouse.dump"], None);
    assert!(
        said.contains("pg_dump --format=custom --file='/tmp/gatehouse.dump'"),
        "{said}"
    );
    assert!(said.contains("GATEHOUSE_SECRET_KEY"));
    assert!(!said.contains(&server.db_url), "{said}");
    let said = server.cli_ok(&["restore", "/tmp/gatehouse.dump"], None);
    assert!(said.contains("pg_restore"), "{said}");
    assert!(!std::path::Path::new("/tmp/gatehouse.dump").exists());
}
