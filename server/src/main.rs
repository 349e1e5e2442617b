//! `gatehouse`: the server and its command line.

mod admin_api;
mod api;
mod config;
mod mailbox;
mod web;

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use gatehouse_core::db::Db;
use gatehouse_core::Gatehouse;

use config::Config;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Multi-factor authentication for an MSP and its customers"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and the JSON API (the default).
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage roles.
    Role {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// Load demo organizations and users and print their sign-in details.
    Demo,
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create a partner (MSP) or a customer company.
    Create {
        #[arg(long, value_enum)]
        kind: OrgKind,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// The parent's slug: a partner for a company (default: the platform).
        #[arg(long)]
        parent: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OrgKind {
    Partner,
    Company,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read as one line from standard input.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        name: String,
    },
}

#[derive(Subcommand)]
enum RoleCommand {
    /// Turn "MFA required" on or off for a role of an organization.
    MfaRequired {
        #[arg(long)]
        org: String,
        #[arg(long)]
        role: String,
        #[arg(value_enum)]
        state: OnOff,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Exit 0 if every organization's chain is intact, else name the first bad entry.
    Verify,
}

/// Argon2 takes ~19 MiB per hash. After the first such block is freed, glibc
/// raises its mmap threshold and serves the next ones from its heaps, where
/// fragmentation kept ~240 MB resident after a 60-second sign-in flood. A fixed
/// threshold keeps every large block mapped on its own and returned to the
/// system when freed (65 MB peak, 46 MB after, on the same flood).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only tunes the allocator; it is called once, before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "gatehouse=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn open(config: &Config) -> Result<Gatehouse, String> {
    let keys = config.keys().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    Ok(Gatehouse::new(db, keys, config.settings.clone()).await)
}

async fn run(command: Command) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = Db::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            db.migrate().await.map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        Command::Org {
            command:
                OrgCommand::Create {
                    kind,
                    slug,
                    name,
                    parent,
                },
        } => {
            let gh = open(&config).await?;
            let kind = match kind {
                OrgKind::Partner => "partner",
                OrgKind::Company => "company",
            };
            gh.create_org(kind, &slug, &name, parent.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            println!("created {kind} {slug}");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    org,
                    email,
                    role,
                    name,
                },
        } => {
            let password = read_password_line()?;
            let gh = open(&config).await?;
            gh.create_user(&org, &email, &role, &name, &password)
                .await
                .map_err(|e| e.to_string())?;
            println!("created user {}", email.trim().to_lowercase());
            Ok(())
        }
        Command::Role {
            command: RoleCommand::MfaRequired { org, role, state },
        } => {
            let gh = open(&config).await?;
            let on = matches!(state, OnOff::On);
            gh.set_role_mfa_required(&org, &role, on)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "MFA required for {role} in {org}: {}",
                if on { "on" } else { "off" }
            );
            Ok(())
        }
        Command::Demo => {
            let gh = open(&config).await?;
            let text = gatehouse_core::demo::load(&gh)
                .await
                .map_err(|e| e.to_string())?;
            println!("{text}");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = Db::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let mut conn = db.pool.acquire().await.map_err(|e| e.to_string())?;
            match gatehouse_core::audit::verify_all(&mut conn)
                .await
                .map_err(|e| e.to_string())?
            {
                Ok(count) => {
                    println!("audit log intact: {count} entries verified");
                    Ok(())
                }
                Err(fault) => Err(fault.to_string()),
            }
        }
    }
}

/// One line from stdin, without its line ending (the password is used exactly as typed otherwise).
fn read_password_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err("give the password as one line on standard input".into());
    }
    Ok(password.to_string())
}

async fn serve(config: Config) -> Result<(), String> {
    let gh = open(&config).await?;
    let app = web::router(&config, gh.clone());
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .map_err(|e| {
            format!(
                "LEPTOS_SITE_ADDR: cannot listen on {}: {e}",
                config.site_addr
            )
        })?;
    let delivery = gatehouse_core::delivery::Delivery::new(
        config.smtp_url.as_deref(),
        &config.mail_from,
        config.sms_webhook_url.as_deref(),
        config.outbox_retention_days * 86_400,
    )
    .map_err(|e| e.to_string())?;
    if config.mailbox_enabled() {
        eprintln!(
            "No GATEHOUSE_SMTP_URL: email is kept at {}/dev/mailbox instead of being sent",
            config.settings.public_url
        );
    } else if config.smtp_url.is_none() {
        tracing::warn!("no GATEHOUSE_SMTP_URL on a public deployment (public URL or listen address not loopback): email stays queued until one is configured");
    }
    tokio::spawn(delivery.run(gh.db.clone()));
    let cleaner = gh.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = cleaner.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
        }
    });
    tracing::info!(
        "Gatehouse listening on http://{} (public URL {})",
        config.site_addr,
        config.settings.public_url
    );
    eprintln!("Gatehouse is running at {}", config.settings.public_url);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())
}
