#!/usr/bin/env bash
# Builds Gatehouse (release), loads the demo data into the default SQLite
# database, prints the demo accounts and serves http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-tools.sh
./scripts/build.sh
BIN="${CARGO_TARGET_DIR:-target}/release/gatehouse"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-${CARGO_TARGET_DIR:-target}/site}"
echo
"$BIN" demo
echo
exec "$BIN" serve
