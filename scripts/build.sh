#!/usr/bin/env bash
# Builds the release site and server, doing what cargo-leptos does with the
# tools on PATH only:
#   1. the browser bundle: frontend -> wasm32 (opt-level "z", LTO), wasm-bindgen, wasm-opt -Oz,
#      precompressed with gzip and brotli;
#   2. the stylesheet and the page scripts (js/), precompressed the same way;
#   3. the server binary (release).
# Output: $CARGO_TARGET_DIR/site (default target/site) and $CARGO_TARGET_DIR/release/gatehouse.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse/tools}"
export PATH="$TOOLS/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SITE="$TARGET_DIR/site"

step() { printf '\n==> %s\n' "$*" >&2; }

step "building the browser bundle"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
rm -rf "$SITE/pkg" && mkdir -p "$SITE/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name gatehouse \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals \
  -o "$SITE/pkg/gatehouse_bg.wasm" "$SITE/pkg/gatehouse_bg.wasm"

step "copying the stylesheet and the page scripts"
rm -rf "$SITE/style" && cp -r style "$SITE/style"
rm -rf "$SITE/js" && cp -r js "$SITE/js"
# Served precompressed where the browser accepts it (server/src/router.rs).
for file in "$SITE"/pkg/gatehouse_bg.wasm "$SITE"/pkg/*.js "$SITE"/style/*.css "$SITE"/js/*.js; do
  gzip -9 -k -f "$file"
  if command -v brotli >/dev/null; then brotli -q 11 -f -k "$file"; fi
done

step "building the server"
cargo build --release -p gatehouse

ls -l "$SITE/pkg" >&2
