#!/usr/bin/env bash
# Installs what building and testing Gatehouse needs beyond Rust, from
# Debian, PyPI and npm only (nothing from GitHub): brotli to precompress the
# stylesheet and the page scripts, and with --test Chromium (Debian),
# aiosmtpd and Schemathesis (PyPI) and the end-to-end test packages (npm).
# Tools go to a cache folder outside the checkout so later runs reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse/tools}"
mkdir -p "$TOOLS/bin"

step() { printf '\n==> %s\n' "$*" >&2; }

# brotli precompresses the stylesheet and scripts (optional: gzip alone also works).
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
