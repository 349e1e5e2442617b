//! The command line: `serve` (the default) and the one-shot tasks an
//! operator runs against the database — migrations, organizations, users,
//! roles, demo data, checking and exporting the audit log, backups.

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use gatehouse_core::db::Db;
use gatehouse_core::rules::filters::AuditFilter;
use gatehouse_core::rules::scope::OrgKind;
use gatehouse_core::service::{OperatorAction, RoleRequirement};
use gatehouse_core::Gatehouse;

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Multi-factor authentication for an MSP and its customers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web app and the JSON API (the default).
    Serve,
    #[command(flatten)]
    Task(Task),
}

/// The commands that do one thing and exit.
#[derive(Subcommand)]
pub enum Task {
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
    /// Copy a live SQLite database and its key file to PATH (for PostgreSQL,
    /// print the pg_dump command to use).
    Backup { path: PathBuf },
    /// Replace the SQLite database and its key file with a backup; refused
    /// while a server or another command has the database open (for
    /// PostgreSQL, print the pg_restore command to use).
    Restore { path: PathBuf },
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create a partner (MSP) or a customer company.
    Create {
        #[arg(long, value_enum)]
        kind: NewOrgKind,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// The parent's slug: a partner for a company (default: the platform).
        #[arg(long)]
        parent: Option<String>,
    },
    /// Set the card on file the support desk checks a caller against
    /// (stored as keyed hashes; only match / no match is ever shown).
    Billing {
        #[arg(long)]
        org: String,
        /// The card's last 4 digits.
        #[arg(long)]
        card_last4: String,
        /// The card's expiry, MM/YY.
        #[arg(long)]
        card_expiry: String,
    },
}

/// The kinds of organization an operator creates (the platform exists already).
#[derive(Clone, Copy, ValueEnum)]
pub enum NewOrgKind {
    Partner,
    Company,
}

#[derive(Subcommand)]
pub enum UserCommand {
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
    /// Lift the lock after too many wrong codes or passwords (audited as the command line).
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// End every browser session and API token of a user (audited as the command line).
    SignOut {
        #[arg(long)]
        email: String,
    },
    /// Remove a user's authenticators and recovery codes and end their
    /// sessions; they set up a new authenticator at their next sign-in if
    /// their role requires one (audited as the command line).
    DisableMfa {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub enum RoleCommand {
    /// Turn "MFA required" on or off for a role of an organization.
    MfaRequired {
        #[arg(long)]
        org: String,
        #[arg(long)]
        role: String,
        #[arg(value_enum)]
        state: OnOff,
    },
    /// Turn "Passkey required" on or off for a role of an organization.
    PasskeyRequired {
        #[arg(long)]
        org: String,
        #[arg(long)]
        role: String,
        #[arg(value_enum)]
        state: OnOff,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Exit 0 if every organization's chain is intact, else name the first bad entry.
    Verify,
    /// Print the entries of an organization and those below it, newest
    /// first (the export is recorded in its audit log, as the command line).
    Export {
        #[arg(long)]
        org: String,
        /// First day, YYYY-MM-DD (UTC) or Unix seconds.
        #[arg(long, default_value = "")]
        from: String,
        /// Last day, inclusive.
        #[arg(long, default_value = "")]
        to: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// The services on the configured database, its migrations applied first.
pub async fn open(config: &Config) -> Result<Gatehouse, String> {
    let keys = config.keys().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    Ok(Gatehouse::new(db, keys, config.settings.clone()).await)
}

/// Runs one task against the configured database.
pub async fn run(task: Task, config: &Config) -> Result<(), String> {
    match task {
        Task::Migrate => {
            let db = Db::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            db.migrate().await.map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        Task::Org {
            command:
                OrgCommand::Create {
                    kind,
                    slug,
                    name,
                    parent,
                },
        } => {
            let gh = open(config).await?;
            let kind = match kind {
                NewOrgKind::Partner => OrgKind::Partner,
                NewOrgKind::Company => OrgKind::Company,
            };
            gh.create_org(kind, &slug, &name, parent.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            println!("created {} {slug}", kind.as_str());
            Ok(())
        }
        Task::Org {
            command:
                OrgCommand::Billing {
                    org,
                    card_last4,
                    card_expiry,
                },
        } => {
            let gh = open(config).await?;
            gh.set_billing_card(&org, &card_last4, &card_expiry)
                .await
                .map_err(|e| e.to_string())?;
            println!("card on file set for {org}");
            Ok(())
        }
        Task::User {
            command:
                UserCommand::Create {
                    org,
                    email,
                    role,
                    name,
                },
        } => {
            let password = read_password_line()?;
            let gh = open(config).await?;
            gh.create_user(&org, &email, &role, &name, &password)
                .await
                .map_err(|e| e.to_string())?;
            println!("created user {}", email.trim().to_lowercase());
            Ok(())
        }
        Task::User {
            command: UserCommand::Unlock { email },
        } => operate(config, &email, OperatorAction::Unlock, "unlocked").await,
        Task::User {
            command: UserCommand::SignOut { email },
        } => {
            let done = "signed out everywhere:";
            operate(config, &email, OperatorAction::SignOut, done).await
        }
        Task::User {
            command: UserCommand::DisableMfa { email },
        } => {
            let done = "MFA disabled for";
            operate(config, &email, OperatorAction::DisableMfa, done).await
        }
        Task::Role { command } => {
            let (requirement, what, org, role, state) = match command {
                RoleCommand::MfaRequired { org, role, state } => {
                    (RoleRequirement::Mfa, "MFA", org, role, state)
                }
                RoleCommand::PasskeyRequired { org, role, state } => {
                    (RoleRequirement::Passkey, "A passkey", org, role, state)
                }
            };
            let gh = open(config).await?;
            let on = matches!(state, OnOff::On);
            gh.set_role_requirement(&org, &role, requirement, on)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{what} required for {role} in {org}: {}",
                if on { "on" } else { "off" }
            );
            Ok(())
        }
        Task::Demo => {
            let gh = open(config).await?;
            let text = gatehouse_core::demo::load(&gh)
                .await
                .map_err(|e| e.to_string())?;
            println!("{text}");
            Ok(())
        }
        Task::Audit {
            command:
                AuditCommand::Export {
                    org,
                    from,
                    to,
                    format,
                },
        } => {
            let filter = AuditFilter::from_params("", "", &from, &to).map_err(|e| e.to_string())?;
            let gh = open(config).await?;
            let entries = gh
                .operator_audit_export(&org, &filter)
                .await
                .map_err(|e| e.to_string())?;
            match format {
                ExportFormat::Csv => print!("{}", gatehouse_core::service::audit_csv(&entries)),
                ExportFormat::Json => {
                    let rows: Vec<_> = entries
                        .iter()
                        .map(crate::api::admin::audit::EntryView::from)
                        .collect();
                    let json = serde_json::to_string(&rows).map_err(|e| e.to_string())?;
                    println!("{json}");
                }
            }
            Ok(())
        }
        Task::Backup { path } => {
            println!("{}", crate::backup::backup(config, &path).await?);
            Ok(())
        }
        Task::Restore { path } => {
            println!("{}", crate::backup::restore(config, &path).await?);
            Ok(())
        }
        Task::Audit {
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

/// Does `action` to the account of `email` and says so (`done` and the address).
async fn operate(
    config: &Config,
    email: &str,
    action: OperatorAction,
    done: &str,
) -> Result<(), String> {
    let gh = open(config).await?;
    gh.operator_user_action(email, action)
        .await
        .map_err(|e| e.to_string())?;
    println!("{done} {}", email.trim().to_lowercase());
    Ok(())
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
