//! `gatehouse`: the server and its command line. This file starts the
//! process and, for `serve`, the server and its background work; `cli` has
//! the other commands.

mod api;
mod backup;
mod browser;
mod cli;
mod config;
mod health;
mod logging;
mod metrics;
mod pages;
mod router;
mod security;
mod state;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use config::Config;

/// Argon2 takes ~19 MiB per hash. After the first such block is freed, glibc
/// raises its mmap threshold and serves the next ones from its heaps, where
/// fragmentation kept ~240 MB resident after a 60-second sign-in flood. A fixed
/// threshold keeps every large block mapped on its own and returned to the
/// system when freed (65 MB peak, 46 MB after, on the same flood). Each
/// hashing thread now keeps its own argon2 memory (`rules::password`), mapped
/// once; the threshold still holds for every other large block.
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

/// Files Gatehouse creates (the SQLite database, its WAL and lock, key
/// files, backups) hold password hashes, queued codes and sealed secrets:
/// readable by their owner only, whatever the caller's umask.
#[cfg(unix)]
fn private_files() {
    // SAFETY: umask only sets this process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

#[cfg(not(unix))]
fn private_files() {}

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    private_files();
    logging::init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if logging::json() {
                tracing::error!("{message}");
            } else {
                eprintln!("gatehouse: {message}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    match command {
        Command::Serve => serve(config).await,
        Command::Task(task) => cli::run(task, &config).await,
    }
}

/// Listens, delivers queued mail and SMS, and deletes expired sessions every
/// five minutes, until SIGTERM or SIGINT; then stops gracefully.
async fn serve(config: Config) -> Result<(), String> {
    let gh = cli::open(&config).await?;
    // Installed before the router is built, so every request is counted.
    let metrics = match config.metrics_addr {
        Some(addr) => Some((addr, metrics::install()?)),
        None => None,
    };
    let app = router::router(&config, gh.clone());
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
    // The friendly lines are for a person at a terminal; JSON logs stay JSON.
    if config.mailbox_enabled() {
        if logging::json() {
            tracing::info!("no GATEHOUSE_SMTP_URL: email is kept at /dev/mailbox");
        } else {
            eprintln!(
                "No GATEHOUSE_SMTP_URL: email is kept at {}/dev/mailbox instead of being sent",
                config.settings.public_url
            );
        }
    } else if config.smtp_url.is_none() {
        tracing::warn!("no GATEHOUSE_SMTP_URL on a public deployment (public URL or listen address not loopback): email stays queued until one is configured");
    }
    let (stop, stopping) = tokio::sync::watch::channel(false);
    if let Some((addr, handle)) = metrics {
        let scrapes = metrics::listen(addr, handle, gh.clone()).await?;
        tokio::spawn(async move {
            if let Err(e) = scrapes.await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
        tracing::info!("metrics at http://{addr}/metrics");
    }
    let outbox = tokio::spawn(delivery.run(gh.db.clone(), stopping.clone()));
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
    if !logging::json() {
        eprintln!("Gatehouse is running at {}", config.settings.public_url);
    }
    let mut stopped = stopping.clone();
    let serving = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stopped.wait_for(|stopping| *stopping).await;
    })
    .into_future();
    tokio::pin!(serving);
    // Serving until SIGTERM or SIGINT; then no new connection is accepted,
    // requests in flight get `shutdown_grace` to finish, and so does the
    // outbox worker's batch.
    tokio::select! {
        result = &mut serving => result.map_err(|e| e.to_string()),
        () = shutdown_signal() => {
            let _ = stop.send(true);
            tracing::info!("stopping: finishing the requests in flight");
            let grace = tokio::time::sleep(config.shutdown_grace);
            tokio::pin!(grace);
            let served = tokio::select! {
                result = &mut serving => result.map_err(|e| e.to_string()),
                () = &mut grace => {
                    tracing::warn!("stopping with requests still in flight after {:?}", config.shutdown_grace);
                    Ok(())
                }
            };
            if tokio::time::timeout_at(grace.deadline(), outbox).await.is_err() {
                tracing::warn!("stopping before the outbox worker finished its batch");
            }
            // Closing the pool lets SQLite merge its WAL into the database file.
            let _ = tokio::time::timeout_at(grace.deadline(), gh.db.pool.close()).await;
            served
        }
    }
}

/// SIGTERM (a service manager, an orchestrator) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
