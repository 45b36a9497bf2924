#!/usr/bin/env bash
# Runs the standard measurements of docs/benchmarks.md against a fresh local Chatalot (release
# build) and keeps each scenario's JSON report:
#
#   bench/measure.sh [--gateways N] [--out DIR] [--quick]
#
# Starts one all-in-one `chatalot` (every service and a gateway) and N-1 extra `chatalot gateway`
# processes on 127.0.0.1:18181, 18191, ... with their own database (chatalot_bench), NATS
# namespace and Redis prefix, against the PostgreSQL, NATS and Redis already running here (start
# them with scripts/run.sh once). Then: idle memory after start, connections at three sizes,
# fanout into a 100-member channel stepping the rate up, light load three times, logins beside
# traffic, and a mass resume. Reports land in DIR (default docs/benchmarks/results/<N>gw/); `--quick`
# shrinks every size (a smoke run of the script). bench/plot.py draws the figures from them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

GATEWAYS=1
OUT=""
QUICK=0
while (($#)); do
    case $1 in
    --gateways) GATEWAYS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
    esac
done
((GATEWAYS >= 1 && GATEWAYS <= 3)) || die "--gateways is 1 to 3"
OUT=${OUT:-docs/benchmarks/results/${GATEWAYS}gw}
mkdir -p "$OUT"

need_cmd psql postgresql-client
need_cmd openssl
require_cargo
say "building release binaries"
cargo build --release --locked --bin chatalot --bin chatalot-bench
BIN=${CARGO_TARGET_DIR:-target}/release
BENCH="$BIN/chatalot-bench --quiet"

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

key=$(mktemp)
openssl genpkey -algorithm ed25519 -out "$key" 2>/dev/null
psql -qX postgres://postgres@127.0.0.1:5432/postgres -c 'drop database if exists chatalot_bench with (force)' \
    -c 'create database chatalot_bench' >/dev/null
export CHATALOT_DATABASE__URL=postgres://postgres@127.0.0.1:5432/chatalot_bench \
    CHATALOT_JWT__PRIVATE_KEY="$(<"$key")" \
    CHATALOT_NATS__NAMESPACE=bench CHATALOT_REDIS__KEY_PREFIX=bench \
    CHATALOT_AUTH__REGISTER_IP_LIMIT=1000000 CHATALOT_AUTH__LOGIN_IP_LIMIT=1000000 \
    CHATALOT_AUTH__LOGIN_ACCOUNT_LIMIT=1000000 \
    CHATALOT_JWT__ACCESS_TOKEN_TTL_SECS=3600 CHATALOT_TELEMETRY__LOG_FILTER=warn
rm -f "$key"

URLS=()
GW_PIDS=()
start() { # start PORT ROLE
    local port=$1 role=$2
    CHATALOT_GATEWAY__LISTEN=127.0.0.1:$port CHATALOT_ADMIN__LISTEN=127.0.0.1:$((port + 1)) \
        "$BIN/chatalot" "$role" >"${TMPDIR:-/tmp}/chatalot-bench-$port.log" 2>&1 &
    PIDS+=($!)
    GW_PIDS+=($!)
    URLS+=("http://127.0.0.1:$port")
    local deadline=$((SECONDS + 60))
    until curl -fs -o /dev/null "http://127.0.0.1:$((port + 1))/readyz"; do
        ((SECONDS < deadline)) || die "chatalot $role on $port did not become ready (log: ${TMPDIR:-/tmp}/chatalot-bench-$port.log)"
        sleep 0.3
    done
}
start 18181 all
sleep 3
# Idle memory of the all-in-one process right after start (the 25 MB target).
rss=$(awk '/VmRSS/ { print $2 }' "/proc/${GW_PIDS[0]}/status")
printf '{"scenario":"idle_memory","process":"chatalot all","rss_kib":%s}\n' "$rss" >"$OUT/idle-memory.json"
say "idle all-in-one RSS: $rss KiB"
for ((i = 1; i < GATEWAYS; i++)); do start $((18181 + 10 * i)) gateway; done

target=()
for url in "${URLS[@]}"; do target+=(--url "$url"); done
for pid in "${GW_PIDS[@]}"; do target+=(--gateway-pid "$pid"); done
sources=(--source-ips 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4)

run() { # run NAME ARGS...: keeps the JSON (the last line of the report)
    local name=$1
    shift
    say "bench: $name"
    $BENCH "${target[@]}" "$@" | tee "$OUT/$name.txt" | tail -n 1 >"$OUT/$name.json"
}

if ((QUICK)); then
    run connections-200 "${sources[@]}" connections --count 200 --users 10
    run fanout --measure-system fanout --senders 2 --receivers 20 --receiver-users 10 --rate-steps 10,50 --step-secs 3
    run light-1 --measure-system fanout --senders 1 --receivers 20 --receiver-users 10 --rate 10 --step-secs 3
    run logins logins --logins 20 --login-users 5 --concurrency 4 --receivers 10 --rate 10 --secs 3
    run resume resume --clients 20 --rate 10 --down-ms 1000
    exit 0
fi
for count in 1000 2500 5000; do
    run "connections-$count" "${sources[@]}" connections --count "$count" --users 50
done
run fanout --measure-system fanout --senders 4 --receivers 100 --receiver-users 100 \
    --rate-steps 10,100,300,1000,2000 --step-secs 10
for n in 1 2 3; do
    run "light-$n" --measure-system fanout --senders 1 --receivers 100 --receiver-users 100 --rate 10 --step-secs 20
done
run channels --measure-system channels --communities 10 --channels-per-community 10 --members-per-community 20
run logins logins --logins 400 --login-users 40 --concurrency 16 --receivers 100 --rate 100 --secs 10
run resume resume --clients 1000 --rate 20 --down-ms 3000
say "reports in $OUT"
