#!/usr/bin/env bash
# Measures sign-in under load (not part of scripts/test.sh): starts the
# release server on a fresh database, seeds accounts through the CLI and the
# JSON API, drives it with Goose (tools/loadtest) and prints, per run,
# flows/s, p50/p99 per step, the server's CPU per flow (from /proc) and its
# peak RSS, with the raw argon2id rate of this machine for the ratio.
#
#   ./scripts/bench.sh                       # SQLite, 3,000 accounts
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres ./scripts/bench.sh
#   BENCH_ACCOUNTS=2000 BENCH_SECONDS=60 ./scripts/bench.sh
#
# Each authenticator code is accepted once per account and 30-second step,
# so the accounts must outnumber what the server signs in per 30 seconds
# (about 60 a second on 2 cores: 1,000 accounts were too few).
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS="${BENCH_ACCOUNTS:-3000}"
SECONDS_PER_RUN="${BENCH_SECONDS:-30}"
PORT="${BENCH_PORT:-3917}"
PASSWORD="bench-password-1234"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
step() { printf '\n==> %s\n' "$*" >&2; }

./scripts/install-tools.sh
./scripts/build.sh
step "building the load generator"
cargo build --release -p gatehouse-loadtest
BIN="$TARGET_DIR/release/gatehouse"
LOAD="$TARGET_DIR/release/gatehouse-loadtest"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$TARGET_DIR/site}"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  if [ -n "${PG_DB:-}" ]; then psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  PG_DB="gatehouse_bench_$$"
  psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
  export GATEHOUSE_DATABASE_URL="${BENCH_DATABASE_URL%/*}/$PG_DB"
  export GATEHOUSE_SECRET_KEY="$(openssl rand -hex 32)"
else
  export GATEHOUSE_DATABASE_URL="sqlite://$WORK/bench.db"
fi
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
# One machine sends every request: the per-address limit would otherwise
# measure itself.
export GATEHOUSE_LOGIN_RATE_LIMIT=1000000000
export RUST_LOG=warn
URL="http://127.0.0.1:$PORT"

step "seeding $ACCOUNTS accounts through the CLI"
"$BIN" migrate >/dev/null
"$BIN" org create --kind company --slug bench --name "Bench Co" >/dev/null
seq -f "bench-%05g@bench.example" 1 "$ACCOUNTS" > "$WORK/emails"
# Two at a time: each one hashes its password.
xargs -P 2 -I{} sh -c 'echo "$1" | "$2" user create --org bench --role member --email {} >/dev/null' _ "$PASSWORD" "$BIN" < "$WORK/emails"

step "starting the server"
"$BIN" serve 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$URL/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$URL/readyz" >/dev/null

step "enrolling them through the JSON API"
"$LOAD" enroll "$URL" "$PASSWORD" "$WORK/emails" "$WORK/accounts"

step "raw argon2id on this machine (2 threads, 5 s)"
RAW="$("$LOAD" hash-rate 2 5)"
echo "$RAW"

# cpu_ticks PID: user + system clock ticks the process has used.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME PLAN USERS SECONDS: one Goose run; its figures, the server's CPU
# milliseconds and the load generator's (it shares the cores), go to
# $WORK/figures.
run() {
  local name="$1" plan="$2" users="$3" seconds="$4"
  step "$name: $plan, $users connections, ${seconds}s"
  local before after load_times
  before="$(cpu_ticks "$SERVER_PID")"
  # `times` in the subshell: its own CPU, then its children's (Goose's),
  # "0m1.2s 0m0.3s" (user, system) on the last line.
  load_times="$(
    "$LOAD" attack "$WORK/accounts" "$PASSWORD" "$plan" \
      --host "$URL" --users "$users" --increase-rate "$users" --run-time "${seconds}s" \
      --quiet --no-print-metrics --no-error-summary > "$WORK/$name.out" 2>"$WORK/$name.err" || {
        cat "$WORK/$name.err" >&2; exit 1; }
    times
  )" || return 1
  load_times="${load_times##*$'\n'}"
  after="$(cpu_ticks "$SERVER_PID")"
  python3 - "$name" "$(tail -n1 "$WORK/$name.out")" "$(( (after - before) * 1000 / $(getconf CLK_TCK) ))" "$load_times" >> "$WORK/figures" <<'PY'
import json, re, sys
name, figures, cpu_ms = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
load_ms = sum(int(m) * 60_000 + float(s) * 1000 for m, s in re.findall(r"(\d+)m([\d.]+)s", sys.argv[4]))
print(json.dumps({"name": name, "server_cpu_ms": cpu_ms, "load_cpu_ms": round(load_ms), **figures}))
PY
}

run "sign-in page" page 16 "$SECONDS_PER_RUN"
run "password + authenticator code, 8 connections" totp 8 "$SECONDS_PER_RUN"
run "password + recovery code, 8 connections" recovery 8 "$SECONDS_PER_RUN"
run "password stage flooded by 200 connections" flood 200 "$SECONDS_PER_RUN"
run "8 signing in while 200 flood the password stage" flood+totp 208 "$SECONDS_PER_RUN"

PEAK_RSS_KB="$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"

step "figures ($(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), ${GATEHOUSE_DATABASE_URL%%:*})"
python3 - "$WORK/figures" "$RAW" "$PEAK_RSS_KB" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
raw = json.loads(sys.argv[2])["hashes_per_second"]
print(f"raw argon2id, 2 threads: {raw:.1f} hashes/s; server peak RSS {int(sys.argv[3]) // 1024} MB\n")
for run in runs:
    flows = sum(f["per_second"] for name, f in run["flows"].items() if not name.startswith("flood"))
    finished = sum(f["per_second"] for f in run["flows"].values()) * run["seconds"]
    print(f"{run['name']}")
    if flows and not run["name"].startswith("sign-in page"):
        print(f"  {flows:.1f} sign-ins/s, server CPU {run['server_cpu_ms'] / max(finished, 1):.1f} ms per flow")
    for step, r in sorted(run["requests"].items()):
        others = {k: v for k, v in r["statuses"].items() if k not in ("200",)}
        note = f", also {others}" if others else ""
        print(f"  {step:<22} {r['ok_per_second']:>7.1f} ok/s  p50 {r['p50_ms']:>7.1f} ms  p99 {r['p99_ms']:>7.1f} ms{note}")
    flood = run["requests"].get("flood: password")
    if flood and run["name"].startswith("password stage flooded"):
        # Where the cores went: the load generator's share is not the
        # server's to use; the server's CPU per checked password against
        # what argon2id alone costs (2 threads for a second per `raw`).
        cores_ms = run["seconds"] * 1000 * 2
        load_share = run["load_cpu_ms"] / cores_ms
        checked = flood["ok_per_second"] * run["seconds"]
        hash_ms = 2000 / raw
        print(f"  password-stage throughput ÷ raw argon2id: {flood['ok_per_second'] / raw:.2f}")
        print(f"  the load generator used {load_share:.1%} of the cores; "
              f"÷ raw argon2id on the rest: {flood['ok_per_second'] / (raw * (1 - load_share)):.2f}")
        print(f"  server CPU {run['server_cpu_ms'] / max(checked, 1):.1f} ms per password checked "
              f"(argon2id alone {hash_ms:.1f} ms)")
    print()
PY
