//! Test harness: a real `gatehouse` process per test, on a fresh SQLite file
//! or a fresh PostgreSQL database, driven over HTTP and through its CLI.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use gatehouse_core::rules::totp::TotpParams;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Defines each test once per backend: `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() { super::$name(super::common::Backend::Sqlite) }
            #[test]
            fn postgres() { super::$name(super::common::Backend::Postgres) }
        }
    )*};
}

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Server {
    pub base: String,
    pub db_url: String,
    child: Child,
    pg_db: Option<String>,
    dir: std::path::PathBuf,
    env: Vec<(String, String)>,
    /// Where the process's log goes, when a test reads it.
    log: Option<std::path::PathBuf>,
}

fn admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A port nothing listens on now, and one this test binary has not handed
/// out before: a server binds its port only after its migrations, so two
/// tests given the same free port would both start, one would fail to bind,
/// and its test would talk to the other's server until that one stopped.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

fn unique() -> String {
    let bytes: [u8; 6] = gatehouse_core::crypto::random_bytes();
    hex_lower(&bytes)
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `work` with a pool on the database at `url` (tests look into it directly).
fn on_database<T, F: std::future::Future<Output = T>>(
    url: &str,
    work: impl FnOnce(sqlx::AnyPool) -> F,
) -> T {
    let url = url.to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url)
                .await
                .expect("connect for test SQL");
            let out = work(pool.clone()).await;
            pool.close().await;
            out
        })
}

/// Runs SQL against a database (setup and tampering in tests).
pub fn sql(url: &str, statement: &str) {
    let statement = statement.to_string();
    on_database(url, |pool| async move {
        sqlx::raw_sql(&statement)
            .execute(&pool)
            .await
            .expect("test SQL");
    });
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_gatehouse")
}

/// The built site the server serves files from: `LEPTOS_SITE_ROOT`, else
/// `site` beside the binary's profile folder, where `scripts/build.sh`
/// puts it (so a plain `cargo test` serves the scripts too).
fn site_root() -> String {
    std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| {
        let profile = std::path::Path::new(binary()).parent().expect("a folder");
        profile.with_file_name("site").display().to_string()
    })
}

impl Server {
    pub fn start(backend: Backend) -> Self {
        Self::start_with(backend, &[])
    }

    pub fn start_with(backend: Backend, extra_env: &[(&str, &str)]) -> Self {
        Self::start_inner(backend, extra_env, false)
    }

    /// A server whose log (stderr) the test reads with [`Server::log`].
    pub fn start_logged(backend: Backend, extra_env: &[(&str, &str)]) -> Self {
        Self::start_inner(backend, extra_env, true)
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.as_ref().expect("a logged server")).unwrap_or_default()
    }

    fn start_inner(backend: Backend, extra_env: &[(&str, &str)], logged: bool) -> Self {
        let dir = std::env::temp_dir().join(format!("gatehouse-test-{}", unique()));
        std::fs::create_dir_all(&dir).unwrap();
        let (db_url, pg_db) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/gatehouse.db", dir.display()), None),
            Backend::Postgres => {
                let name = format!("gatehouse_test_{}", unique());
                sql(&admin_url(), &format!("CREATE DATABASE {name}"));
                let base = admin_url();
                let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
                (url, Some(name))
            }
        };
        let port = free_port();
        let mut env: Vec<(String, String)> = vec![
            ("GATEHOUSE_DATABASE_URL".into(), db_url.clone()),
            ("LEPTOS_SITE_ADDR".into(), format!("127.0.0.1:{port}")),
            ("LEPTOS_SITE_ROOT".into(), site_root()),
            (
                "GATEHOUSE_SECRET_KEY".into(),
                gatehouse_core::crypto::Keys::generate_master_hex(),
            ),
            ("GATEHOUSE_LOGIN_RATE_LIMIT".into(), "10000".into()),
            ("RUST_LOG".into(), "warn".into()),
        ];
        // An empty value leaves the variable unset (the server's own default).
        for (k, v) in extra_env {
            env.retain(|(key, _)| key != k);
            if !v.is_empty() {
                env.push((k.to_string(), v.to_string()));
            }
        }
        // A test may choose the listen address (0.0.0.0…); requests still go to this machine.
        let port = env
            .iter()
            .find(|(k, _)| k == "LEPTOS_SITE_ADDR")
            .and_then(|(_, v)| v.parse::<std::net::SocketAddr>().ok())
            .map_or(port, |a| a.port());
        let base = format!("http://127.0.0.1:{port}");
        let log = logged.then(|| dir.join("stderr.log"));
        let child = Self::spawn(&env, log.as_deref());
        let mut server = Self {
            base,
            db_url,
            child,
            pg_db,
            dir,
            env,
            log,
        };
        server.wait_ready();
        server
    }

    fn spawn(env: &[(String, String)], log: Option<&std::path::Path>) -> Child {
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("a log file")),
            None => Stdio::inherit(),
        };
        Command::new(binary())
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start gatehouse")
    }

    /// The test's own folder (the SQLite database and its key file live here).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Sends the server process SIGTERM, as a service manager would.
    pub fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a process id");
        // SAFETY: kill(2) on our own child's id has no memory effects.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// Waits (at most 60 s) for the server process to end; how it ended.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Drops the server's PostgreSQL database under it (its connections end).
    pub fn drop_database(&self) {
        let name = self.pg_db.as_deref().expect("a PostgreSQL server");
        sql(&admin_url(), &format!("DROP DATABASE {name} WITH (FORCE)"));
    }

    /// Stops the server process and starts it again on the same database and port.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Self::spawn(&self.env, None);
        self.wait_ready();
    }

    /// A second app server on the same database (another port).
    pub fn sibling(&self) -> Sibling {
        let port = free_port();
        let mut env = self.env.clone();
        env.retain(|(k, _)| k != "LEPTOS_SITE_ADDR");
        env.push(("LEPTOS_SITE_ADDR".into(), format!("127.0.0.1:{port}")));
        Sibling(Self::spawn(&env, None))
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            // A server that cannot start (a port taken, a bad setting)
            // says so here rather than as a 30-second timeout.
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "gatehouse stopped before it was ready at {}: {status}",
                    self.base
                );
            }
            if ureq::get(&format!("{}/login", self.base))
                .timeout(Duration::from_secs(2))
                .call()
                .is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("gatehouse did not start at {}", self.base);
    }

    /// Runs a CLI command against this server's database.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(binary())
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    pub fn cli_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.cli(args, stdin);
        assert!(
            out.status.success(),
            "gatehouse {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A company with a user of `role` (owner and admin require MFA; member does not).
    pub fn user(&self, role: &str) -> String {
        let slug = format!("co-{}", unique());
        self.cli_ok(
            &[
                "org", "create", "--kind", "company", "--slug", &slug, "--name", "Test Co",
            ],
            None,
        );
        self.user_in(&slug, role)
    }

    pub fn user_in(&self, org: &str, role: &str) -> String {
        let email = format!("{role}-{}@example.com", unique());
        self.cli_ok(
            &[
                "user", "create", "--org", org, "--email", &email, "--role", role,
            ],
            Some(&format!("{PASSWORD}\n")),
        );
        email
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The origin a browser of this server sends: its public URL's.
    pub fn origin(&self) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == "GATEHOUSE_PUBLIC_URL")
            .map_or_else(|| self.base.clone(), |(_, v)| v.clone())
    }

    // ------------------------------------------------------------ JSON API

    pub fn post(&self, path: &str, body: Value, bearer: Option<&str>) -> Reply {
        let mut req = ureq::post(&self.url(path));
        if let Some(token) = bearer {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        Reply::from(req.send_json(body))
    }

    pub fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        let mut req = ureq::get(&self.url(path));
        if let Some(token) = bearer {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        Reply::from(req.call())
    }

    /// Any method (PATCH, DELETE…) with an optional JSON body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        bearer: Option<&str>,
    ) -> Reply {
        let mut req = ureq::request(method, &self.url(path));
        if let Some(token) = bearer {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        Reply::from(match body {
            Some(body) => req.send_json(body),
            None => req.call(),
        })
    }

    /// A number the database answers (ids and counts in tests).
    pub fn number(&self, query: &str) -> i64 {
        let query = query.to_string();
        on_database(&self.db_url, |pool| async move {
            sqlx::query_scalar(&query).fetch_one(&pool).await.unwrap()
        })
    }

    pub fn numbers(&self, query: &str) -> Vec<i64> {
        let query = query.to_string();
        on_database(&self.db_url, |pool| async move {
            sqlx::query_scalar(&query).fetch_all(&pool).await.unwrap()
        })
    }

    pub fn strings(&self, query: &str) -> Vec<String> {
        let query = query.to_string();
        on_database(&self.db_url, |pool| async move {
            sqlx::query_scalar(&query).fetch_all(&pool).await.unwrap()
        })
    }

    /// Runs SQL on this server's database (setting up states the API cannot reach quickly).
    pub fn sql_exec(&self, statement: &str) {
        sql(&self.db_url, statement);
    }

    pub fn user_id(&self, email: &str) -> i64 {
        self.number(&format!("SELECT id FROM users WHERE email = '{email}'"))
    }

    pub fn org(&self, kind: &str, slug: &str, parent: Option<&str>) {
        let mut args = vec![
            "org", "create", "--kind", kind, "--slug", slug, "--name", slug,
        ];
        if let Some(parent) = parent {
            args.extend(["--parent", parent]);
        }
        self.cli_ok(&args, None);
    }

    /// A user of `org` with an authenticator, signed in through the API.
    pub fn account(&self, org: &str, role: &str) -> Account {
        let email = self.user_in(org, role);
        let login = self.login(&email, PASSWORD);
        let (setup_body, confirm_token, bearer) = match login.json["status"].as_str() {
            Some("enrollment_required") => {
                let token = login.json["mfa_token"].as_str().unwrap().to_string();
                (json!({ "mfa_token": token }), Some(token), None)
            }
            Some("authenticated") => (
                json!({}),
                None,
                Some(login.json["access_token"].as_str().unwrap().to_string()),
            ),
            _ => panic!("unexpected sign-in: {login:?}"),
        };
        let setup = self.post("/api/v1/mfa/totp/setup", setup_body, bearer.as_deref());
        assert_eq!(setup.status, 200, "{setup:?}");
        let secret = base32_decode(setup.json["secret"].as_str().unwrap());
        let mut confirm_body = json!({ "code": totp_now(&secret) });
        if let Some(token) = &confirm_token {
            confirm_body["mfa_token"] = json!(token);
        }
        let confirm = self.post("/api/v1/mfa/totp/confirm", confirm_body, bearer.as_deref());
        assert_eq!(confirm.status, 200, "{confirm:?}");
        let token =
            bearer.unwrap_or_else(|| confirm.json["access_token"].as_str().unwrap().to_string());
        Account {
            id: self.user_id(&email),
            email,
            secret,
            token,
        }
    }

    pub fn login(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            json!({ "email": email, "password": password }),
            None,
        )
    }

    pub fn mfa(&self, token: &str, method: &str, code: &str) -> Reply {
        self.post(
            "/api/v1/auth/mfa",
            json!({ "mfa_token": token, "method": method, "code": code }),
            None,
        )
    }

    /// Signs a new `owner` in through enrollment: returns (email, secret, recovery codes, access token).
    pub fn enrolled_user(&self) -> (String, Vec<u8>, Vec<String>, String) {
        let email = self.user("owner");
        let login = self.login(&email, PASSWORD);
        assert_eq!(login.json["status"], "enrollment_required", "{login:?}");
        let token = login.json["mfa_token"].as_str().unwrap().to_string();
        let setup = self.post(
            "/api/v1/mfa/totp/setup",
            json!({ "mfa_token": token }),
            None,
        );
        assert_eq!(setup.status, 200, "{setup:?}");
        let secret = base32_decode(setup.json["secret"].as_str().unwrap());
        let confirm = self.post(
            "/api/v1/mfa/totp/confirm",
            json!({ "mfa_token": token, "code": totp_now(&secret) }),
            None,
        );
        assert_eq!(confirm.status, 200, "{confirm:?}");
        let codes = confirm.json["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        (
            email,
            secret,
            codes,
            confirm.json["access_token"].as_str().unwrap().to_string(),
        )
    }

    /// Sets up a new authenticator with the `mfa_token` of a sign-in that
    /// waits for one: its secret, and the answer of the confirmation.
    pub fn enroll_at_sign_in(&self, mfa_token: &str) -> (Vec<u8>, Reply) {
        let setup = self.post(
            "/api/v1/mfa/totp/setup",
            json!({ "mfa_token": mfa_token }),
            None,
        );
        assert_eq!(setup.status, 200, "{setup:?}");
        let secret = base32_decode(setup.json["secret"].as_str().unwrap());
        let confirm = self.post(
            "/api/v1/mfa/totp/confirm",
            json!({ "mfa_token": mfa_token, "code": totp_now(&secret) }),
            None,
        );
        (secret, confirm)
    }

    /// Signs in with a password that a grant or a support pass lets through
    /// (`reason` is what the sign-in answers), sets up a new authenticator and
    /// gets new recovery codes; the new secret.
    pub fn reset_at_sign_in(&self, email: &str, reason: &str) -> Vec<u8> {
        let login = self.login(email, PASSWORD);
        assert_eq!(login.json["status"], "enrollment_required", "{login:?}");
        assert_eq!(login.json["reason"], reason);
        let token = login.json["mfa_token"].as_str().unwrap();
        let (secret, confirm) = self.enroll_at_sign_in(token);
        assert_eq!(confirm.status, 200, "{confirm:?}");
        assert_eq!(confirm.json["status"], "authenticated");
        assert_eq!(confirm.json["recovery_codes"].as_array().unwrap().len(), 10);
        secret
    }

    pub fn mfa_token(&self, email: &str) -> String {
        let login = self.login(email, PASSWORD);
        assert_eq!(login.json["status"], "mfa_required", "{login:?}");
        login.json["mfa_token"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(name) = &self.pg_db {
            sql(
                &admin_url(),
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A signed-in user with an authenticator.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub secret: Vec<u8>,
    pub token: String,
}

pub struct Sibling(Child);

impl Drop for Sibling {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub text: String,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl From<Result<ureq::Response, ureq::Error>> for Reply {
    fn from(result: Result<ureq::Response, ureq::Error>) -> Self {
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = response.status();
        let mut headers = Vec::new();
        for name in response.headers_names() {
            for value in response.all(&name) {
                headers.push((name.clone(), value.to_string()));
            }
        }
        let text = response.into_string().unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            json,
            text,
            headers,
        }
    }
}

// ------------------------------------------------ the browser, without JavaScript

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// A form post as a browser without JavaScript sends it.
pub fn form(server: &Server, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Reply {
    let mut req = agent()
        .post(&server.url(path))
        .set("Origin", &server.origin())
        .set("Accept", "text/html");
    if let Some(c) = cookie {
        req = req.set("Cookie", c);
    }
    Reply::from(req.send_form(fields))
}

/// A server function called as the page's script calls it: the answer is
/// the function's own (no redirect), in JSON.
pub fn script_call(
    server: &Server,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> Reply {
    let mut req = agent()
        .post(&server.url(path))
        .set("Origin", &server.origin())
        .set("Accept", "application/json");
    if let Some(c) = cookie {
        req = req.set("Cookie", c);
    }
    Reply::from(req.send_form(fields))
}

pub fn page(server: &Server, path: &str, cookie: Option<&str>) -> Reply {
    let mut req = agent().get(&server.url(path));
    if let Some(c) = cookie {
        req = req.set("Cookie", c);
    }
    Reply::from(req.call())
}

/// A refused form post sends the browser back to `expected` (the page, its
/// error code and form), followed by `&said=ID` when the session kept the
/// refusal's own words — an id, never the words.
pub fn assert_sent_back(reply: &Reply, expected: &str) {
    let location = reply.header("location").unwrap_or_default();
    let rest = location
        .strip_prefix(expected)
        .unwrap_or_else(|| panic!("not back to {expected}: {reply:?}"));
    let said = rest.strip_prefix("&said=").unwrap_or(rest);
    assert!(
        rest.is_empty() || (said.len() == 16 && said.bytes().all(|b| b.is_ascii_hexdigit())),
        "{reply:?}"
    );
}

/// `name=value` of the session cookie a response sets.
pub fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("gatehouse=") || c.starts_with("__Host-gatehouse="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

/// Passes the password stage in a browser; the pending session's cookie.
pub fn password_stage(server: &Server, email: &str) -> String {
    password_stage_with(server, email, PASSWORD)
}

/// The password stage with another password than the usual one.
pub fn password_stage_with(server: &Server, email: &str, password: &str) -> String {
    let reply = form(
        server,
        "/sfn/login",
        None,
        &[("email", email), ("password", password)],
    );
    session_cookie(&reply).expect("a session for the second stage")
}

/// A signed-in browser session of an enrolled user (password, then TOTP).
pub fn browser_session(server: &Server, email: &str, secret: &[u8]) -> String {
    let pending = password_stage(server, email);
    let done = form(
        server,
        "/sfn/verify_code",
        Some(&pending),
        &[("method", "totp"), ("code", &totp_next(secret))],
    );
    assert_eq!(done.header("location"), Some("/"), "{done:?}");
    session_cookie(&done).expect("a signed-in session")
}

/// Texts of the messages queued for `recipient`, newest first.
pub fn mail_to(server: &Server, recipient: &str) -> Vec<String> {
    let recipient = recipient.to_string();
    on_database(&server.db_url, |pool| async move {
        sqlx::query_scalar("SELECT body_text FROM outbox WHERE recipient = $1 ORDER BY id DESC")
            .bind(recipient)
            .fetch_all(&pool)
            .await
            .unwrap()
    })
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn totp_at(secret: &[u8], time: u64) -> String {
    TotpParams::default().generate(secret, time)
}

pub fn totp_now(secret: &[u8]) -> String {
    totp_at(secret, now())
}

/// A code of the next time step: valid now (±1 step) but never used before.
pub fn totp_next(secret: &[u8]) -> String {
    totp_at(secret, now() + 30)
}

pub fn wrong_code(secret: &[u8]) -> String {
    let valid: Vec<String> = [-30i64, 0, 30]
        .iter()
        .map(|d| totp_at(secret, (now() as i64 + d) as u64))
        .collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let value = ALPHABET.iter().position(|a| *a == c).expect("base32") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// Posts a body of `length` bytes by hand and returns the status line: the
/// server may answer before it has read everything.
pub fn post_raw(server: &Server, path: &str, content_type: &str, length: usize) -> String {
    let address = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: {}\r\nAccept: text/html\r\n\
         Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n",
        server.base
    )
    .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let chunk = vec![b'a'; 64 * 1024];
        let mut left = length;
        while left > 0 {
            let n = left.min(chunk.len());
            if writer.write_all(&chunk[..n]).is_err() {
                return; // the server answered and closed: fine
            }
            left -= n;
        }
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = sending.join();
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Waits until `done` holds — for work a request does after its answer (a
/// mail about an address is sent after the answer, so known and unknown
/// addresses answer in the same time). Fails after 10 seconds.
pub fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "still not done after 10 s: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `count` calls at once; their replies in order.
pub fn at_once(count: usize, call: impl Fn(usize) -> Reply + Sync) -> Vec<Reply> {
    std::thread::scope(|scope| {
        let running: Vec<_> = (0..count)
            .map(|i| {
                let call = &call;
                scope.spawn(move || call(i))
            })
            .collect();
        running.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// How many times the audit log records one of `actions`.
pub fn audited(server: &Server, actions: &[&str]) -> i64 {
    let list: Vec<String> = actions.iter().map(|a| format!("'{a}'")).collect();
    server.number(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ({})",
        list.join(", ")
    ))
}

/// The path of the newest link containing `marker` (`/not-me?token=`…)
/// mailed to `email`.
pub fn mailed_path(server: &Server, email: &str, marker: &str) -> Option<String> {
    mail_to(server, email).into_iter().find_map(|m| {
        m.lines()
            .find(|l| l.contains(marker))
            .map(|l| l.trim().trim_start_matches(&server.base).to_string())
    })
}

/// How many mails to `email` carry a link containing `marker`.
pub fn mailed_links(server: &Server, email: &str, marker: &str) -> usize {
    mail_to(server, email)
        .iter()
        .filter(|m| m.contains(marker))
        .count()
}
