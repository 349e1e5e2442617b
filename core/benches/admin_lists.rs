//! The administration lists at 100,000 and 1,000,000 rows: the user list
//! (first page, a deep page, searches, filters; one company, and the whole
//! tree as the platform sees it) and the audit log (first page, a deep page,
//! by action, by user, by date), on SQLite and on PostgreSQL when
//! `GATEHOUSE_BENCH_POSTGRES_URL` names a server to create a database on.
//!
//! `cargo bench -p gatehouse-core --bench admin_lists`; the sizes come from
//! `GATEHOUSE_BENCH_SIZES` (default `100000,1000000`).

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse_core::db::{Backend, Db};
use gatehouse_core::rules::filters::{AuditFilter, UserFilter};
use gatehouse_core::rules::scope::OrgKind;
use gatehouse_core::store::{self, PageAt};

const PAGE: i64 = 50;
const AUDIT_PAGE: i64 = 100;
/// The platform: the root of the tree, whose staff see every company.
const PLATFORM: i64 = 1;

/// `n` rows of a recursive counter from 0, in either dialect.
fn numbers(n: i64) -> String {
    format!("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n} - 1)")
}

/// A 7-digit, zero-padded `i`.
fn padded(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "printf('%07d', i)",
        Backend::Postgres => "lpad(i::text, 7, '0')",
    }
}

/// One company of `users` people (every other one with an authenticator and
/// ten recovery codes, one in a thousand locked) and as many audit entries,
/// plus a small second company so the platform's tree holds two.
async fn seed(db: &Db, users: i64) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let org = store::insert_org(&mut tx, OrgKind::Company, "bench", "Bench Co", Some(1), 0)
        .await
        .unwrap();
    let other = store::insert_org(&mut tx, OrgKind::Company, "other", "Other Co", Some(1), 0)
        .await
        .unwrap();
    let role: i64 = store::role_id(&mut tx, org, "member")
        .await
        .unwrap()
        .unwrap();
    let pad = padded(db.backend);
    sqlx::query(&format!(
        "{} INSERT INTO users (org_id, role_id, email, name, password_hash, created_at, mfa_locked_until) \
         SELECT {org}, {role}, 'user' || {pad} || '@bench.example', 'Bench User ' || {pad}, 'x', 0, \
           CASE WHEN i % 1000 = 7 THEN 4000000000 ELSE 0 END FROM n",
        numbers(users)
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    let other_role: i64 = store::role_id(&mut tx, other, "member")
        .await
        .unwrap()
        .unwrap();
    sqlx::query(&format!(
        "{} INSERT INTO users (org_id, role_id, email, name, password_hash, created_at) \
         SELECT {other}, {other_role}, 'other' || {pad} || '@other.example', 'Other ' || {pad}, 'x', 0 FROM n",
        numbers(100)
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO mfa_factors (user_id, kind, label, secret_sealed, created_at, confirmed_at) \
         SELECT id, 'totp', 'Authenticator app', $1, 0, 0 FROM users WHERE org_id = $2 AND id % 2 = 0",
    )
    .bind(vec![0u8; 60])
    .bind(org)
    .execute(&mut *tx)
    .await
    .unwrap();
    for n in 0..10 {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) \
             SELECT id, $1, 0 FROM users WHERE org_id = $2 AND id % 2 = 0",
        )
        .bind(vec![n as u8; 32])
        .bind(org)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // One entry a minute, about one user each, ten kinds of action. (The
    // counter is a 32-bit integer on PostgreSQL: i * 7919 overflows it past
    // 271,000 entries.)
    let first_user: i64 = sqlx::query_scalar("SELECT MIN(id) FROM users WHERE org_id = $1")
        .bind(org)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    sqlx::query(&format!(
        "{} INSERT INTO audit_log (org_id, seq, at, actor_id, subject_id, action, ip, user_agent, details, prev_hash, hash) \
         SELECT {org}, i + 1, 1700000000 + i * 60, {first_user} + (CAST(i AS BIGINT) * 7919) % {users}, {first_user} + i % {users}, \
           CASE i % 10 WHEN 0 THEN 'user.mfa_reset' WHEN 1 THEN 'login.refused' ELSE 'login.succeeded' || (i % 10) END, \
           '192.0.2.1', 'bench', '{{}}', $1, $1 FROM n",
        numbers(users)
    ))
    .bind(vec![0u8; 32])
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    db.optimize().await.unwrap();
    org
}

fn user_cases() -> Vec<(&'static str, UserFilter)> {
    let query = |q: &str| UserFilter {
        query: q.into(),
        ..Default::default()
    };
    vec![
        ("first page", UserFilter::default()),
        ("search email", query("user0004217")),
        ("search name (all match)", query("bench user")),
        ("search, no match", query("nobody")),
        (
            "mfa off",
            UserFilter {
                mfa_on: Some(false),
                ..Default::default()
            },
        ),
        (
            "locked",
            UserFilter {
                locked: Some(true),
                ..Default::default()
            },
        ),
    ]
}

fn audit_cases() -> Vec<(&'static str, AuditFilter)> {
    vec![
        ("first page", AuditFilter::default()),
        (
            "by action",
            AuditFilter {
                action: "user.mfa_reset".into(),
                ..Default::default()
            },
        ),
        (
            "by user",
            AuditFilter {
                user: "user0004217".into(),
                ..Default::default()
            },
        ),
        (
            "one day",
            AuditFilter {
                from: Some(1700000000 + 86_400 * 30),
                to: Some(1700000000 + 86_400 * 31),
                ..Default::default()
            },
        ),
    ]
}

fn bench_backend(c: &mut Criterion, name: &str, url: &str, size: i64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (db, org) = rt.block_on(async {
        let db = Db::connect(url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let org = seed(&db, size).await;
        (db, org)
    });
    // The cursor of page 1,000: the last row of page 999.
    let (deep_user, deep_entry) = rt.block_on(async {
        let mut conn = db.pool.acquire().await.unwrap();
        let user: i64 = sqlx::query_scalar(
            "SELECT id FROM users WHERE org_id = $1 ORDER BY email LIMIT 1 OFFSET $2",
        )
        .bind(org)
        .bind(999 * PAGE - 1)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let entry: i64 = sqlx::query_scalar(
            "SELECT id FROM audit_log WHERE org_id = $1 ORDER BY at DESC, id DESC LIMIT 1 OFFSET $2",
        )
        .bind(org)
        .bind(999 * AUDIT_PAGE - 1)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        (user, entry)
    });

    let mut group = c.benchmark_group(format!("user list, {size} users, {name}"));
    group.sample_size(20);
    let mut cases: Vec<(String, i64, UserFilter, PageAt)> = user_cases()
        .into_iter()
        .map(|(label, filter)| (label.to_string(), org, filter, PageAt::First))
        .collect();
    cases.push((
        "page 1000 (after a row)".into(),
        org,
        UserFilter::default(),
        PageAt::After {
            row: deep_user,
            or_skip: 999 * PAGE,
        },
    ));
    cases.push((
        "page 1000 (by number)".into(),
        org,
        UserFilter::default(),
        PageAt::Offset(999 * PAGE),
    ));
    cases.push((
        "whole tree, first page".into(),
        PLATFORM,
        UserFilter::default(),
        PageAt::First,
    ));
    cases.push((
        "whole tree, search".into(),
        PLATFORM,
        UserFilter {
            query: "user0004217".into(),
            ..Default::default()
        },
        PageAt::First,
    ));
    for (label, scope, filter, at) in cases {
        group.bench_function(label, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut conn = db.pool.acquire().await.unwrap();
                    let listed = store::list_users(&mut conn, scope, &filter, 0, PAGE, at)
                        .await
                        .unwrap();
                    listed.rows.len()
                })
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("audit log, {size} entries, {name}"));
    group.sample_size(20);
    let mut cases: Vec<(String, AuditFilter, PageAt)> = audit_cases()
        .into_iter()
        .map(|(label, filter)| (label.to_string(), filter, PageAt::First))
        .collect();
    cases.push((
        "page 1000 (after a row)".into(),
        AuditFilter::default(),
        PageAt::After {
            row: deep_entry,
            or_skip: 999 * AUDIT_PAGE,
        },
    ));
    cases.push((
        "page 1000 (by number)".into(),
        AuditFilter::default(),
        PageAt::Offset(999 * AUDIT_PAGE),
    ));
    for (label, filter, at) in cases {
        group.bench_function(label, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut conn = db.pool.acquire().await.unwrap();
                    let listed = store::audit_entries(&mut conn, org, &filter, AUDIT_PAGE, at)
                        .await
                        .unwrap();
                    listed.rows.len()
                })
            })
        });
    }
    group.finish();
}

fn sizes() -> Vec<i64> {
    std::env::var("GATEHOUSE_BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("GATEHOUSE_BENCH_SIZES: numbers, comma-separated")
        })
        .collect()
}

fn lists(c: &mut Criterion) {
    for size in sizes() {
        let dir = std::env::temp_dir().join(format!("gatehouse-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        bench_backend(
            c,
            "SQLite",
            &format!("sqlite://{}/bench-{size}.db", dir.display()),
            size,
        );
        let _ = std::fs::remove_dir_all(&dir);
        if let Ok(admin) = std::env::var("GATEHOUSE_BENCH_POSTGRES_URL") {
            let name = format!("gatehouse_bench_{}_{size}", std::process::id());
            let rt = tokio::runtime::Runtime::new().unwrap();
            let run = |sql: String| {
                let admin = admin.clone();
                rt.block_on(async move {
                    sqlx::any::install_default_drivers();
                    let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
                    sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
                    pool.close().await;
                })
            };
            run(format!("CREATE DATABASE {name}"));
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            bench_backend(c, "PostgreSQL", &format!("{base}/{name}"), size);
            run(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

criterion_group!(benches, lists);
criterion_main!(benches);
