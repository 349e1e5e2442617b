#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, HTTP tests against a real
# server on SQLite and PostgreSQL, and end-to-end tests in Chromium.
# PostgreSQL must listen on 127.0.0.1:5432 (user postgres, trust auth), or set
# GATEHOUSE_TEST_POSTGRES_URL to an admin URL that may create databases.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

./scripts/install-tools.sh --test

# The HTTP tests need PostgreSQL; start this machine's cluster if it is down.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  step "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

step "formatting and lints"
cargo fmt --all -- --check
cargo clippy --release -p gatehouse-core -p gatehouse --all-targets -- -D warnings
cargo clippy --release -p gatehouse-softkey -- -D warnings

./scripts/build.sh

# The software passkey the passkey tests drive, built on its own: its
# library wants features of tokio that the server's build must not get.
step "building the software passkey for the tests"
cargo build --release -p gatehouse-softkey

step "unit and HTTP tests (SQLite and PostgreSQL)"
cargo test --release -p gatehouse-core -p app -p gatehouse

step "end-to-end tests in Chromium"
export GATEHOUSE_BIN="$PWD/$TARGET_DIR/release/gatehouse"
export LEPTOS_SITE_ROOT="$PWD/$TARGET_DIR/site"
case "$TARGET_DIR" in /*) export GATEHOUSE_BIN="$TARGET_DIR/release/gatehouse" LEPTOS_SITE_ROOT="$TARGET_DIR/site" ;; esac
(cd end2end && npx playwright test)
