#!/usr/bin/env bash
# Builds the release site and server. No page ships WebAssembly (the server
# draws every page whole), so the site is:
#   1. the stylesheet and the page scripts (js/), precompressed with gzip and brotli;
#   2. the server binary (release).
# Output: $CARGO_TARGET_DIR/site (default target/site) and $CARGO_TARGET_DIR/release/gatehouse.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SITE="$TARGET_DIR/site"

step() { printf '\n==> %s\n' "$*" >&2; }

step "copying the stylesheet and the page scripts"
mkdir -p "$SITE"
rm -rf "$SITE/style" && cp -r style "$SITE/style"
rm -rf "$SITE/js" && cp -r js "$SITE/js"
# Served precompressed where the browser accepts it (server/src/router.rs).
for file in "$SITE"/style/*.css "$SITE"/js/*.js; do
  gzip -9 -k -f "$file"
  if command -v brotli >/dev/null; then brotli -q 11 -f -k "$file"; fi
done

step "building the server"
cargo build --release -p gatehouse

ls -l "$SITE/style" "$SITE/js" >&2
