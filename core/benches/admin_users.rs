//! The administration user list at 100,000 users: first page, a deep page,
//! search and filters, on SQLite (and PostgreSQL when
//! `GATEHOUSE_BENCH_POSTGRES_URL` names a server to create a database on).
//!
//! `cargo bench -p gatehouse-core --bench admin_users`

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse_core::db::Db;
use gatehouse_core::rules::filters::UserFilter;
use gatehouse_core::rules::scope::OrgKind;
use gatehouse_core::store;

const USERS: i64 = 100_000;
const PAGE: i64 = 50;

/// One company of `USERS` people; every other one has an authenticator and ten recovery codes.
async fn seed(db: &Db) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let org = store::insert_org(&mut tx, OrgKind::Company, "bench", "Bench Co", Some(1), 0)
        .await
        .unwrap();
    let role: i64 = store::role_id(&mut tx, org, "member")
        .await
        .unwrap()
        .unwrap();
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!("({org}, {role}, 'user{i:06}@bench.example', 'Bench User {i}', 'x', 0)")
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO users (org_id, role_id, email, name, password_hash, created_at) VALUES {}",
            values.join(", ")
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
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
    tx.commit().await.unwrap();
    org
}

fn bench_backend(c: &mut Criterion, name: &str, url: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (db, org) = rt.block_on(async {
        let db = Db::connect(url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let org = seed(&db).await;
        (db, org)
    });
    let cases: Vec<(&str, UserFilter, i64)> = vec![
        ("first page", UserFilter::default(), 0),
        ("page 1000", UserFilter::default(), 999 * PAGE),
        (
            "search email",
            UserFilter {
                query: "user04217".into(),
                ..Default::default()
            },
            0,
        ),
        (
            "search name (all match)",
            UserFilter {
                query: "bench user".into(),
                ..Default::default()
            },
            0,
        ),
        (
            "search, no match",
            UserFilter {
                query: "nobody".into(),
                ..Default::default()
            },
            0,
        ),
        (
            "mfa off",
            UserFilter {
                mfa_on: Some(false),
                ..Default::default()
            },
            0,
        ),
        (
            "locked",
            UserFilter {
                locked: Some(true),
                ..Default::default()
            },
            0,
        ),
    ];
    let mut group = c.benchmark_group(format!("user list, {USERS} users, {name}"));
    group.sample_size(20);
    for (label, filter, offset) in cases {
        group.bench_function(label, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut conn = db.pool.acquire().await.unwrap();
                    let (rows, total) = store::list_users(&mut conn, org, &filter, 0, PAGE, offset)
                        .await
                        .unwrap();
                    assert!(total >= rows.len() as i64);
                    rows.len()
                })
            })
        });
    }
    group.finish();
}

fn user_list(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("gatehouse-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    bench_backend(c, "SQLite", &format!("sqlite://{}/bench.db", dir.display()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Ok(admin) = std::env::var("GATEHOUSE_BENCH_POSTGRES_URL") {
        let name = format!("gatehouse_bench_{}", std::process::id());
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
        bench_backend(c, "PostgreSQL", &format!("{base}/{name}"));
        run(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

criterion_group!(benches, user_list);
criterion_main!(benches);
