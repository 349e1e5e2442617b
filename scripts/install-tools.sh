#!/usr/bin/env bash
# Installs what building Gatehouse needs, from crates.io and npm only (nothing
# from GitHub): the wasm32 target, wasm-bindgen-cli at exactly the version the
# workspace pins, and wasm-opt from npm's binaryen 132. Tools go to a cache
# folder outside the checkout so later runs reuse them.
# With --test it also installs Chromium (Debian), Schemathesis (PyPI) and the
# end-to-end test packages.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse/tools}"
mkdir -p "$TOOLS/bin"
BINARYEN_VERSION=132.0.0
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' Cargo.toml)

step() { printf '\n==> %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! "$TOOLS/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 10 minutes, once)"
  # No --locked: its lockfile wants a crate version this registry lacks.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --root "$TOOLS" --no-default-features --force
fi

# Debian's binaryen 108 emits modules that fail in the browser; npm's 132 works.
if ! "$TOOLS/bin/wasm-opt" --version 2>/dev/null | grep -q "version 132"; then
  step "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/binaryen" "binaryen@$BINARYEN_VERSION"
  ln -sf "$TOOLS/binaryen/node_modules/binaryen/bin/wasm-opt" "$TOOLS/bin/wasm-opt"
fi

# brotli precompresses the bundle (optional: gzip alone also works).
if ! command -v brotli >/dev/null && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
  step "installing brotli from Debian"
  (apt-get install -y -qq brotli >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq brotli >/dev/null; }) || true
fi

if [[ "${1:-}" == "--test" ]]; then
  if ! command -v chromium >/dev/null; then
    step "installing Chromium from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
  if ! python3 -c "import aiosmtpd" 2>/dev/null; then
    step "installing aiosmtpd (the SMTP server the delivery tests talk to)"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "aiosmtpd==1.4.6"
  fi
  # Schemathesis (PyPI) checks the API against its OpenAPI document (server/tests/openapi.rs).
  SCHEMATHESIS_VERSION=4.32.5
  if ! "$TOOLS/schemathesis/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    step "installing Schemathesis $SCHEMATHESIS_VERSION (the API fuzzer, from PyPI)"
    python3 -m venv "$TOOLS/schemathesis"
    "$TOOLS/schemathesis/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  if [[ ! -d end2end/node_modules/@playwright/test ]]; then
    step "installing the end-to-end test packages"
    npm ci --silent --no-audit --no-fund --prefix end2end
  fi
fi
