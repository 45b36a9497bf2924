#!/usr/bin/env bash
# Runs the standard measurements of docs/benchmarks.md against a fresh local Chatalot (release
# build) and keeps each scenario's JSON report:
#
#   bench/measure.sh [--gateways N] [--out DIR] [--quick]
#   bench/measure.sh --gateways N --many COUNT [--out DIR]
#
# Starts one all-in-one `chatalot` (every service and a gateway) and N-1 extra `chatalot gateway`
# processes on 127.0.0.1:18181, 18191, ... with their own database (chatalot_bench), NATS
# namespace and Redis prefix, against the PostgreSQL, NATS and Redis already running here (start
# them with scripts/run.sh once). Then: idle memory after start, connections at three sizes,
# fanout into a 100-member channel stepping the rate up, light load three times, many small
# channels, acknowledged sends across 500 channels at three rates, logins beside traffic, and a
# mass resume. Reports land in DIR (default docs/benchmarks/results/<N>gw/); `--quick`
# shrinks every size (a smoke run of the script). bench/plot.py draws the figures from them.
#
# `--many COUNT` measures only COUNT connections held at once over the gateways, opened by four
# bench processes side by side (one process may hold at most 20,000 files here), each from its
# own two source addresses; the gateways' resident memory and connection gauges are sampled
# every second while they hold, and the peak goes to DIR/many-COUNT.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

GATEWAYS=1
OUT=""
QUICK=0
MANY=0
while (($#)); do
    case $1 in
    --gateways) GATEWAYS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --many) MANY=$2; shift 2 ;;
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

# Planner statistics as a running instance would have them: this machine's PostgreSQL runs
# with autovacuum off, and without statistics on the tables the scenarios just filled, plans
# go to sequential scans. Each scenario starts after an ANALYZE.
analyze() {
    psql -qX "$CHATALOT_DATABASE__URL" -c 'analyze' >/dev/null
}

run() { # run NAME ARGS...: keeps the JSON (the last line of the report)
    local name=$1
    shift
    analyze
    say "bench: $name"
    $BENCH "${target[@]}" "$@" | tee "$OUT/$name.txt" | tail -n 1 >"$OUT/$name.json"
}

# The gateways' open connections and resident memory (KiB): "CONNECTIONS RSS RSS_1,RSS_2,..."
# (the sums, then each gateway's RSS).
gateway_totals() {
    local connections=0 rss=0 each=() i n r
    for i in "${!GW_PIDS[@]}"; do
        n=$(curl -fs "http://127.0.0.1:$((18182 + 10 * i))/metrics" |
            awk '/^chatalot_gateway_websocket_connections / { print $2 }')
        r=$(awk '/VmRSS/ { print $2 }' "/proc/${GW_PIDS[$i]}/status")
        connections=$((connections + ${n:-0}))
        rss=$((rss + r))
        each+=("$r")
    done
    echo "$connections $rss $(IFS=,; echo "${each[*]}")"
}

if ((MANY)); then
    per=$(((MANY + 3) / 4))
    read -r _ rss_before each_before < <(gateway_totals)
    say "bench: $MANY connections from four processes (gateways' RSS before: $rss_before KiB)"
    BENCHES=()
    for i in 0 1 2 3; do
        $BENCH "${target[@]}" --user-prefix "many$i$RANDOM" \
            --source-ips "127.0.1.$((2 * i + 1)),127.0.1.$((2 * i + 2))" \
            connections --count "$per" --users 100 --hold-secs 30 >"$OUT/many-$MANY-$i.txt" &
        BENCHES+=($!)
    done
    peak_connections=0 peak_rss=0 peak_each=""
    while kill -0 "${BENCHES[@]}" 2>/dev/null; do
        read -r connections rss each < <(gateway_totals)
        if ((connections > peak_connections || (connections == peak_connections && rss > peak_rss))); then
            peak_connections=$connections peak_rss=$rss peak_each=$each
        fi
        sleep 1
    done
    failed=0
    for pid in "${BENCHES[@]}"; do wait "$pid" || failed=1; done
    ((failed == 0)) || die "a bench process failed (see $OUT/many-$MANY-*.txt)"
    per_connection=$(awk -v a="$peak_rss" -v b="$rss_before" -v n="$peak_connections" \
        'BEGIN { if (n > 0) printf "%.2f", (a - b) / n; else print "null" }')
    printf '{"scenario":"many_connections","requested":%s,"gateways":%s,"peak_connections":%s,"rss_before_kib":%s,"peak_rss_kib":%s,"rss_per_connection_kib":%s,"gateway_rss_before_kib":[%s],"gateway_peak_rss_kib":[%s],"malloc_arena_max":"%s"}\n' \
        "$MANY" "$GATEWAYS" "$peak_connections" "$rss_before" "$peak_rss" "$per_connection" \
        "$each_before" "$peak_each" "${MALLOC_ARENA_MAX:-}" | tee "$OUT/many-$MANY.json"
    exit 0
fi

if ((QUICK)); then
    run connections-200 "${sources[@]}" connections --count 200 --users 10
    run fanout --measure-system fanout --senders 2 --receivers 20 --receiver-users 10 --rate-steps 10,50 --step-secs 3
    run light-1 --measure-system fanout --senders 1 --receivers 20 --receiver-users 10 --rate 10 --step-secs 3
    run persistence-quick --measure-system channels --communities 2 --channels-per-community 5 \
        --members-per-community 2 --rate-per-channel 2 --secs 3
    run logins logins --logins 20 --login-users 5 --concurrency 4 --receivers 10 --rate 10 --secs 3
    run resume resume --clients 20 --rate 10 --down-ms 1000
    exit 0
fi
for count in 1000 2500 5000; do
    run "connections-$count" "${sources[@]}" connections --count "$count" --users 50
done
run fanout --measure-system fanout --senders 4 --receivers 100 --receiver-users 100 \
    --rate-steps 10,100,300,500,1000,2000 --step-secs 10
for n in 1 2 3; do
    run "light-$n" --measure-system fanout --senders 1 --receivers 100 --receiver-users 100 --rate 10 --step-secs 20
done
run channels --measure-system channels --communities 10 --channels-per-community 10 --members-per-community 20
# Persistence across channels: 500 channels of two members each, the offered rate stepped up.
for rate in 2 4 8; do
    run "persistence-$((500 * rate))" --measure-system channels --communities 10 \
        --channels-per-community 50 --members-per-community 2 --rate-per-channel "$rate"
done
run logins logins --logins 400 --login-users 40 --concurrency 16 --receivers 100 --rate 100 --secs 10
run resume resume --clients 1000 --rate 20 --down-ms 3000
say "reports in $OUT"
