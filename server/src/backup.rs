//! `gatehouse backup PATH` and `gatehouse restore PATH`. A SQLite database is
//! copied live (one consistent snapshot while the server goes on writing)
//! together with its key file; without that key the copy's authenticators
//! and sealed secrets cannot be read. PostgreSQL is backed up with its own
//! tools: the commands print what to run.

use std::io::Write;
use std::path::{Path, PathBuf};

use gatehouse_core::db::{self, Backend, Db};

use crate::config::{key_file_beside, Config};

/// Copies the database to `to` and its key file beside it; what was written.
pub async fn backup(config: &Config, to: &Path) -> Result<String, String> {
    let Some(database) = sqlite_file(config)? else {
        return Ok(postgres_backup_help(to));
    };
    let key = config.key_file();
    let key_copy = key_file_beside(to);
    if to.exists() {
        return Err(format!(
            "{} exists already: choose a new file",
            to.display()
        ));
    }
    if key.is_some() && key_copy.exists() {
        return Err(format!(
            "{} exists already: choose a new file name for the backup",
            key_copy.display()
        ));
    }
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    // An absolute path: SQLite never reads it as a `file:` URI.
    let to = &std::path::absolute(to).map_err(|e| format!("{}: {e}", to.display()))?;
    db.copy_sqlite_to(to).await?;
    db.pool.close().await;
    if let Err(e) = db::check_sqlite_copy(to).await {
        let _ = std::fs::remove_file(to);
        return Err(e);
    }
    let mut said = format!("backed up {} to {}", database.display(), to.display());
    match key {
        Some(key) => {
            copy_private(&key, &key_copy)?;
            said.push_str(&format!(
                "\nthe server key is in {}: keep it with the backup, and as safe as the database",
                key_copy.display()
            ));
        }
        None => said.push_str(
            "\nthe server key is GATEHOUSE_SECRET_KEY, not in the backup: keep it safe, apart from the backup; the backup cannot be used without it",
        ),
    }
    Ok(said)
}

/// Replaces the database with the backup at `from` (and the key file with
/// the backup's), keeping the replaced files beside it; refused while any
/// server or command has the database open.
pub async fn restore(config: &Config, from: &Path) -> Result<String, String> {
    let Some(database) = sqlite_file(config)? else {
        return Ok(postgres_restore_help(from));
    };
    if !from.is_file() {
        return Err(format!("no backup at {}", from.display()));
    }
    let key = config.key_file();
    let key_backup = key_file_beside(from);
    if same_file(from, &database)
        || key
            .as_deref()
            .is_some_and(|key| same_file(&key_backup, key))
    {
        return Err(format!(
            "{} is the database in use (or its key): name a backup",
            from.display()
        ));
    }
    let migrations = db::check_sqlite_copy(from).await?;
    if migrations > db::migrations_in_this_build(Backend::Sqlite) {
        return Err(format!(
            "{} was made by a newer Gatehouse: restore it with that version",
            from.display()
        ));
    }
    if key.is_some() && !key_backup.is_file() {
        return Err(format!(
            "no key file at {}: the backup cannot be read without the key it was made with",
            key_backup.display()
        ));
    }
    let Some(_restoring) = db::lock_database(&database, true).map_err(|e| e.to_string())? else {
        return Err(format!(
            "the database {} is in use: stop the server (and any other gatehouse command) first",
            database.display()
        ));
    };
    // Everything that can fail for want of space or a bad file happens
    // before anything is replaced: the copies are made beside their targets.
    let incoming = db::companion(&database, ".restoring");
    let _ = std::fs::remove_file(&incoming);
    copy_private(from, &incoming)?;
    let incoming_key = match &key {
        Some(key) => {
            let incoming_key = db::companion(key, ".restoring");
            let _ = std::fs::remove_file(&incoming_key);
            copy_private(&key_backup, &incoming_key)?;
            Some(incoming_key)
        }
        None => None,
    };
    // The replaced database becomes one self-contained file (its WAL merged).
    if database.exists() {
        db::checkpoint_sqlite(&database).await?;
    }
    // The replaced pair keeps one name, so `restore` takes it back as it is.
    let mut replaced = vec![(database.as_path(), incoming.as_path())];
    if let (Some(key), Some(incoming_key)) = (&key, &incoming_key) {
        replaced.push((key.as_path(), incoming_key.as_path()));
    }
    let tag = unused_tag(&replaced.iter().map(|(live, _)| *live).collect::<Vec<_>>());
    let mut kept: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (live, new) in &replaced {
        let swapped = keep_as(live, &tag).and_then(|aside| {
            if let Some(aside) = &aside {
                kept.push((live.to_path_buf(), aside.clone()));
            }
            if *live == database.as_path() {
                for leftover in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(db::companion(&database, leftover));
                }
            }
            std::fs::rename(new, live)
                .map_err(|e| format!("cannot move {} into place: {e}", new.display()))
        });
        if let Err(e) = swapped {
            // Put back what was moved aside: the restore did not happen.
            for (live, aside) in &kept {
                let _ = std::fs::rename(aside, live);
            }
            return Err(e);
        }
    }
    let kept: Vec<PathBuf> = kept.into_iter().map(|(_, aside)| aside).collect();
    let mut said = format!("restored {} from {}", database.display(), from.display());
    if !kept.is_empty() {
        let kept: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        said.push_str(&format!(
            "\nthe replaced files are kept as {}",
            kept.join(", ")
        ));
    }
    if key.is_none() {
        said.push_str("\nthe server key stays GATEHOUSE_SECRET_KEY: it must be the key the backup was made with");
    }
    said.push_str(
        "\nstart the server: it applies this version's migrations to the restored database",
    );
    Ok(said)
}

/// The SQLite file of the configured database; `None` for PostgreSQL.
fn sqlite_file(config: &Config) -> Result<Option<PathBuf>, String> {
    match db::backend_of(&config.database_url).map_err(|e| e.to_string())? {
        Backend::Postgres => Ok(None),
        Backend::Sqlite => db::sqlite_path(&config.database_url)
            .map(Some)
            .ok_or_else(|| "an in-memory database has nothing to back up or restore".into()),
    }
}

/// `gatehouse.db` kept under `tag`: `gatehouse.TAG.db` (and `gatehouse.key`
/// → `gatehouse.TAG.key`, the pair a restore looks for).
fn kept_name(file: &Path, tag: &str) -> PathBuf {
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    match file.extension() {
        Some(ext) => file.with_file_name(format!("{stem}.{tag}.{}", ext.to_string_lossy())),
        None => file.with_file_name(format!("{stem}.{tag}")),
    }
}

/// `before-restore-TIME`, or `-2`, `-3`…: a tag none of `files` is kept under yet.
fn unused_tag(files: &[&Path]) -> String {
    let stamp = format!("before-restore-{}", gatehouse_core::unix_now());
    (1..)
        .map(|n| match n {
            1 => stamp.clone(),
            n => format!("{stamp}-{n}"),
        })
        .find(|tag| files.iter().all(|f| !kept_name(f, tag).exists()))
        .expect("an unused tag")
}

/// Renames `file`, if it exists, to its kept name under `tag`; the new name.
fn keep_as(file: &Path, tag: &str) -> Result<Option<PathBuf>, String> {
    if !file.exists() {
        return Ok(None);
    }
    let aside = kept_name(file, tag);
    std::fs::rename(file, &aside)
        .map_err(|e| format!("cannot move {} aside: {e}", file.display()))?;
    Ok(Some(aside))
}

/// Whether two paths name the same existing file (through links, `..`, …).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Copies `from` to the new file `to`, readable by its owner only, and
/// flushes it to disk.
fn copy_private(from: &Path, to: &Path) -> Result<(), String> {
    let fail =
        |e: std::io::Error| format!("cannot copy {} to {}: {e}", from.display(), to.display());
    let bytes = std::fs::read(from).map_err(fail)?;
    let mut file = db::create_private(to).map_err(fail)?;
    file.write_all(&bytes).map_err(fail)?;
    file.sync_all().map_err(fail)
}

fn postgres_backup_help(to: &Path) -> String {
    format!(
        "PostgreSQL is backed up with its own tools. Run, with the same environment:\n\n  \
         pg_dump --format=custom --file={} \"$GATEHOUSE_DATABASE_URL\"\n\n\
         The dump is unreadable without GATEHOUSE_SECRET_KEY: keep the key safe, apart from the dump.",
        shell_word(to)
    )
}

fn postgres_restore_help(from: &Path) -> String {
    format!(
        "PostgreSQL is restored with its own tools. Stop every Gatehouse server, then run:\n\n  \
         pg_restore --clean --if-exists --no-owner --dbname=\"$GATEHOUSE_DATABASE_URL\" {}\n\n\
         and start the servers with the GATEHOUSE_SECRET_KEY the dump was made with.",
        shell_word(from)
    )
}

/// A path as one word for a POSIX shell.
fn shell_word(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}
