//! The load behind `scripts/bench.sh`, three commands:
//!
//! - `enroll URL PASSWORD EMAILS OUT`: gives every account listed in EMAILS
//!   (one per line, created by the CLI with PASSWORD) an authenticator through
//!   the JSON API, four at a time, and writes each one's secret and recovery
//!   codes to OUT (JSON lines).
//! - `hash-rate THREADS SECONDS`: the raw argon2id rate of this machine with
//!   Gatehouse's own parameters, THREADS hashing at once.
//! - `attack ACCOUNTS PASSWORD PLAN [Goose options]`: drives a running server
//!   with Goose and prints one JSON line of figures. PLAN names who runs at
//!   once: `page` (the sign-in page), `totp` (password, then an authenticator
//!   code), `recovery` (password, then a recovery code), `flood` (the password
//!   stage only); `flood+totp` runs both, 200 flooding to every 8 signing in.
//!
//! Every sign-in takes the next account in turn: an authenticator code is
//! accepted once per account and 30-second step, a recovery code once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gatehouse_core::rules::totp::TotpParams;
use goose::config::GooseConfiguration;
use goose::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// An account the load signs in as.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Account {
    email: String,
    /// The authenticator's secret, base32.
    secret: String,
    /// Recovery codes not used yet.
    codes: Vec<String>,
}

/// The accounts of an attack, shared by every simulated user.
struct Pool {
    password: String,
    accounts: Vec<Account>,
    next: AtomicUsize,
    /// Recovery codes, each handed out once.
    codes: Mutex<VecDeque<(String, String)>>,
}

static POOL: OnceLock<Pool> = OnceLock::new();

fn pool() -> &'static Pool {
    POOL.get()
        .expect("the accounts are loaded before the attack")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn secret_bytes(base32: &str) -> Vec<u8> {
    totp_rs::Secret::Encoded(base32.to_string())
        .to_bytes()
        .expect("a base32 secret")
}

/// A failed step, as Goose records it.
fn failed(what: String) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(what))
}

/// POSTs `body` to `path`, named `name` in the figures; the JSON answer, or
/// a failure when the status is not `expect`.
async fn post(
    user: &mut GooseUser,
    name: &str,
    path: &str,
    body: &Value,
    expect: u16,
) -> Result<Value, Box<TransactionError>> {
    let builder = user
        .get_request_builder(&GooseMethod::Post, path)?
        .json(body);
    let request = GooseRequest::builder()
        .name(name)
        .set_request_builder(builder)
        .expect_status_code(expect)
        .build();
    // A status other than `expect` counts as a failed request in Goose's
    // figures; the flow stops there and counts as failed too.
    let response = user
        .request(request)
        .await?
        .response
        .map_err(|e| failed(format!("{name}: {e}")))?;
    let status = response.status().as_u16();
    let json: Value = response.json().await.unwrap_or(Value::Null);
    if status != expect {
        return Err(failed(format!("{name}: {status} {json}")));
    }
    Ok(json)
}

/// The password stage for the next account: its `mfa_token`.
async fn password_stage(
    user: &mut GooseUser,
    name: &str,
) -> Result<(usize, String), Box<TransactionError>> {
    let pool = pool();
    let n = pool.next.fetch_add(1, Ordering::Relaxed) % pool.accounts.len();
    let body = json!({ "email": pool.accounts[n].email, "password": pool.password });
    let answer = post(user, name, "/api/v1/auth/login", &body, 200).await?;
    let token = answer["mfa_token"].as_str().unwrap_or_default().to_string();
    Ok((n, token))
}

async fn sign_in_page(user: &mut GooseUser) -> TransactionResult {
    user.get_named("/login", "sign-in page").await?;
    Ok(())
}

async fn flood_password_stage(user: &mut GooseUser) -> TransactionResult {
    password_stage(user, "flood: password").await?;
    Ok(())
}

async fn sign_in_with_totp(user: &mut GooseUser) -> TransactionResult {
    let (n, token) = password_stage(user, "password").await?;
    if token.is_empty() {
        return Ok(());
    }
    let secret = secret_bytes(&pool().accounts[n].secret);
    // The next step's code: still accepted, and later than any this account
    // used in the current step.
    let code = TotpParams::default().generate(&secret, unix_now() + 30);
    let body = json!({ "mfa_token": token, "method": "totp", "code": code });
    post(user, "authenticator code", "/api/v1/auth/mfa", &body, 200).await?;
    Ok(())
}

async fn sign_in_with_recovery_code(user: &mut GooseUser) -> TransactionResult {
    let pool = pool();
    let Some((email, code)) = pool.codes.lock().ok().and_then(|mut c| c.pop_front()) else {
        return Err(failed("every recovery code is used".into()));
    };
    let body = json!({ "email": email, "password": pool.password });
    let answer = post(user, "password", "/api/v1/auth/login", &body, 200).await?;
    let token = answer["mfa_token"].as_str().unwrap_or_default();
    let body = json!({ "mfa_token": token, "method": "recovery_code", "code": code });
    post(user, "recovery code", "/api/v1/auth/mfa", &body, 200).await?;
    Ok(())
}

fn load_pool(accounts: &str, password: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(accounts).map_err(|e| format!("{accounts}: {e}"))?;
    let accounts: Vec<Account> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{accounts}: {e}"))?;
    if accounts.is_empty() {
        return Err("no accounts".into());
    }
    let codes = accounts
        .iter()
        .flat_map(|a| a.codes.iter().map(|c| (a.email.clone(), c.clone())))
        .collect();
    POOL.set(Pool {
        password: password.to_string(),
        accounts,
        next: AtomicUsize::new(0),
        codes: Mutex::new(codes),
    })
    .map_err(|_| "loaded twice".to_string())
}

/// One figure line: per named request, how many succeeded per second and
/// their p50 and p99 in milliseconds; per flow, how many finished.
fn figures(metrics: &GooseMetrics) -> Value {
    let seconds = metrics.duration.max(1) as f64;
    let ms = |us: u64| (us as f64 / 100.0).round() / 10.0;
    let mut requests = serde_json::Map::new();
    for r in metrics.requests.values() {
        let t = &r.raw_data;
        requests.insert(
            r.path.clone(),
            json!({
                "ok_per_second": (r.success_count as f64 / seconds * 10.0).round() / 10.0,
                "failed": r.fail_count,
                "statuses": r.status_code_counts,
                "p50_ms": ms(t.percentile_us(0.5)),
                "p99_ms": ms(t.percentile_us(0.99)),
            }),
        );
    }
    let mut flows = serde_json::Map::new();
    for t in metrics.transactions.iter().flatten() {
        flows.insert(
            t.scenario_name.to_string(),
            json!({
                "per_second": (t.success_count as f64 / seconds * 10.0).round() / 10.0,
                "failed": t.fail_count,
            }),
        );
    }
    json!({ "seconds": metrics.duration, "requests": requests, "flows": flows })
}

async fn attack(args: &[String]) -> Result<(), String> {
    let [accounts, password, plan, goose_args @ ..] = args else {
        return Err("attack ACCOUNTS PASSWORD PLAN [Goose options]".into());
    };
    load_pool(accounts, password)?;
    let configuration = GooseConfiguration::parse_args_default(goose_args)
        .map_err(|e| format!("Goose options: {e}"))?;
    let page = scenario!("sign-in page").register_transaction(transaction!(sign_in_page));
    let totp = scenario!("password + authenticator code")
        .register_transaction(transaction!(sign_in_with_totp));
    let recovery = scenario!("password + recovery code")
        .register_transaction(transaction!(sign_in_with_recovery_code));
    let flood =
        scenario!("flood: password stage").register_transaction(transaction!(flood_password_stage));
    let scenarios = match plan.as_str() {
        "page" => vec![page],
        "totp" => vec![totp],
        "recovery" => vec![recovery],
        "flood" => vec![flood],
        "flood+totp" => vec![flood.set_weight(25).map_err(|e| e.to_string())?, totp],
        other => return Err(format!("unknown plan {other:?}")),
    };
    let mut goose =
        GooseAttack::initialize_with_config(configuration).map_err(|e| e.to_string())?;
    for scenario in scenarios {
        goose = goose.register_scenario(scenario);
    }
    let metrics = goose.execute().await.map_err(|e| e.to_string())?;
    println!("{}", figures(&metrics));
    Ok(())
}

async fn enroll(args: &[String]) -> Result<(), String> {
    let [url, password, emails, out] = args else {
        return Err("enroll URL PASSWORD EMAILS OUT".into());
    };
    let emails = std::fs::read_to_string(emails).map_err(|e| format!("{emails}: {e}"))?;
    let emails: Vec<String> = emails
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let client = reqwest::Client::new();
    let url = Arc::new(url.trim_end_matches('/').to_string());
    let password = Arc::new(password.clone());
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let mut tasks = Vec::new();
    for email in emails {
        let (client, url, password, gate) =
            (client.clone(), url.clone(), password.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _turn = gate.acquire().await.map_err(|e| e.to_string())?;
            enroll_one(&client, &url, &email, &password).await
        }));
    }
    let mut lines = String::new();
    for task in tasks {
        let account = task.await.map_err(|e| e.to_string())??;
        lines.push_str(&serde_json::to_string(&account).map_err(|e| e.to_string())?);
        lines.push('\n');
    }
    std::fs::write(out, lines).map_err(|e| format!("{out}: {e}"))
}

async fn enroll_one(
    client: &reqwest::Client,
    url: &str,
    email: &str,
    password: &str,
) -> Result<Account, String> {
    let call = |path: &str, body: Value, bearer: Option<String>| {
        let mut request = client.post(format!("{url}/api/v1{path}")).json(&body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let path = path.to_string();
        async move {
            let reply = request.send().await.map_err(|e| e.to_string())?;
            let status = reply.status();
            let json: Value = reply.json().await.unwrap_or(Value::Null);
            if status.is_success() {
                Ok(json)
            } else {
                Err(format!("{path}: {status} {json}"))
            }
        }
    };
    let login = call(
        "/auth/login",
        json!({ "email": email, "password": password }),
        None,
    )
    .await?;
    // Enrollment at sign-in where the role requires MFA, else signed in.
    let (mut attempt, bearer) = match login["mfa_token"].as_str() {
        Some(token) => (json!({ "mfa_token": token }), None),
        None => (json!({}), login["access_token"].as_str().map(String::from)),
    };
    let setup = call("/mfa/totp/setup", attempt.clone(), bearer.clone()).await?;
    let secret = setup["secret"].as_str().unwrap_or_default().to_string();
    attempt["code"] = json!(TotpParams::default().generate(&secret_bytes(&secret), unix_now()));
    let confirm = call("/mfa/totp/confirm", attempt, bearer).await?;
    let codes = confirm["recovery_codes"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok(Account {
        email: email.to_string(),
        secret,
        codes,
    })
}

/// Hashes per second with Gatehouse's argon2id parameters, `threads` at once.
fn hash_rate(args: &[String]) -> Result<(), String> {
    let [threads, seconds] = args else {
        return Err("hash-rate THREADS SECONDS".into());
    };
    let threads: usize = threads.parse().map_err(|_| "THREADS: a number")?;
    let seconds: u64 = seconds.parse().map_err(|_| "SECONDS: a number")?;
    let done = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                while Instant::now() < until {
                    gatehouse_core::rules::password::hash("correct horse battery staple");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    let rate = done.load(Ordering::Relaxed) as f64 / seconds as f64;
    println!(
        "{}",
        json!({ "threads": threads, "hashes_per_second": (rate * 10.0).round() / 10.0 })
    );
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((command, rest)) if command == "enroll" => enroll(rest).await,
        Some((command, rest)) if command == "hash-rate" => hash_rate(rest),
        Some((command, rest)) if command == "attack" => attack(rest).await,
        _ => Err("enroll | hash-rate | attack (see the top of tools/loadtest/src/main.rs)".into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse-loadtest: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
