#!/usr/bin/env bash
# Runs Chatalot on this machine. On a fresh Debian 12 (as root) it installs and starts what is
# missing (PostgreSQL, Redis, NATS via apt), creates the database and a JWT key pair in .data/,
# builds the all-in-one release binary (every service plus a gateway in one process) and starts it.
#
#   scripts/run.sh            run in the foreground; Ctrl-C stops it cleanly
#   scripts/run.sh --detach   run in the background: log .data/chatalot.log, pid .data/chatalot.pid
#
# Settings: PORT (default 8080) and the CHATALOT_<SECTION>__<KEY> variables; values already in
# the environment win over the defaults below.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh

DATA_DIR=.data # gitignored
LOG_FILE=$DATA_DIR/chatalot.log
PID_FILE=$DATA_DIR/chatalot.pid
READY_TIMEOUT=60
DETACH=0
CHILD=""       # pid of the chatalot process this script started, while it is ours to stop
INTERRUPTED=0  # set by the signal trap, so wait_child knows `wait` was cut short

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

parse_args() {
    while (($#)); do
        case $1 in
            -d | --detach) DETACH=1 ;;
            -h | --help) usage && exit 0 ;;
            *) usage >&2 && die "unknown argument: $1" ;;
        esac
        shift
    done
}

# Defaults for the settings this script manages (only names Chatalot knows: it rejects unknown
# CHATALOT_* variables). The JWT keys are set later, once the key files exist.
set_config() {
    PORT=${PORT:-8080}
    [[ $PORT =~ ^[0-9]+$ ]] || die "PORT must be a port number, got '$PORT'"
    : "${CHATALOT_DATABASE__URL:=postgres://postgres@127.0.0.1:5432/chatalot}"
    : "${CHATALOT_NATS__URL:=nats://127.0.0.1:4222}"
    : "${CHATALOT_REDIS__URL:=redis://127.0.0.1:6379}"
    : "${CHATALOT_GATEWAY__LISTEN:=0.0.0.0:$PORT}"
    # Follows the listen port even when CHATALOT_GATEWAY__LISTEN was given without PORT.
    : "${CHATALOT_GATEWAY__PUBLIC_URL:=http://localhost:${CHATALOT_GATEWAY__LISTEN##*:}}"
    : "${CHATALOT_ADMIN__LISTEN:=127.0.0.1:9090}"
    # The web client scripts/build-web.sh builds, served at `/`.
    : "${CHATALOT_GATEWAY__WEB_ROOT:=$PWD/web/build}"
    export CHATALOT_DATABASE__URL CHATALOT_NATS__URL CHATALOT_REDIS__URL \
        CHATALOT_GATEWAY__LISTEN CHATALOT_GATEWAY__PUBLIC_URL CHATALOT_ADMIN__LISTEN \
        CHATALOT_GATEWAY__WEB_ROOT
}

# Only services on this machine's default ports are ours to install and start; a URL pointing
# elsewhere is used as given.
ensure_services() {
    local db
    if url_is_local "$CHATALOT_DATABASE__URL" 5432; then
        ensure_postgres
        db=$(url_database_name "$CHATALOT_DATABASE__URL") || die "CHATALOT_DATABASE__URL names no database"
        ensure_database "$db"
    else
        say "PostgreSQL: using the server in CHATALOT_DATABASE__URL as is"
    fi
    if url_is_local "$CHATALOT_REDIS__URL" 6379; then ensure_redis; else say "Redis: using CHATALOT_REDIS__URL as is"; fi
    if url_is_local "$CHATALOT_NATS__URL" 4222; then ensure_nats; else say "NATS: using CHATALOT_NATS__URL as is"; fi
}

# Creates an Ed25519 key pair for signing access tokens, once; later runs reuse it so that
# issued tokens stay valid across restarts.
ensure_jwt_keys() {
    local private=$DATA_DIR/jwt-private.pem public=$DATA_DIR/jwt-public.pem
    need_cmd openssl
    if [[ ! -s $private ]]; then
        say "generating a JWT signing key pair in $DATA_DIR/"
        # Written under a temporary name, so an interrupted run never leaves half a key behind.
        (umask 077 && openssl genpkey -algorithm ed25519 -out "$private.tmp") || die "openssl could not generate a key"
        mv "$private.tmp" "$private"
        rm -f "$public" # it belonged to the previous key, if any
    fi
    chmod 600 "$private"
    if [[ ! -s $public ]]; then
        openssl pkey -in "$private" -pubout -out "$public.tmp" || die "openssl could not derive the public key"
        mv "$public.tmp" "$public"
    fi
}

# Uses the key files unless a private key was supplied (then the public key, if not given as
# well, is left for Chatalot to derive from it rather than taken from a different pair).
# Creates a P-256 key for Web Push (VAPID), once: browsers' push subscriptions are bound to it,
# so later runs reuse it.
ensure_vapid_key() {
    local private=$DATA_DIR/vapid-private.pem
    need_cmd openssl
    if [[ ! -s $private ]]; then
        say "generating a Web Push (VAPID) key in $DATA_DIR/"
        (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$private.tmp") ||
            die "openssl could not generate a key"
        mv "$private.tmp" "$private"
    fi
    chmod 600 "$private"
}

set_push_config() {
    if [[ -n ${CHATALOT_PUSH__VAPID_PRIVATE_KEY:-} ]]; then
        say "Web Push: using the key in CHATALOT_PUSH__VAPID_PRIVATE_KEY"
    else
        ensure_vapid_key
        CHATALOT_PUSH__VAPID_PRIVATE_KEY=$(<"$DATA_DIR/vapid-private.pem")
    fi
    # Push services may contact this address about the pushes; operators set their own.
    : "${CHATALOT_PUSH__VAPID_SUBJECT:=mailto:admin@localhost}"
    export CHATALOT_PUSH__VAPID_PRIVATE_KEY CHATALOT_PUSH__VAPID_SUBJECT
}

set_jwt_config() {
    if [[ -n ${CHATALOT_JWT__PRIVATE_KEY:-} ]]; then
        say "JWT: using the key in CHATALOT_JWT__PRIVATE_KEY"
        return 0
    fi
    ensure_jwt_keys
    CHATALOT_JWT__PRIVATE_KEY=$(<"$DATA_DIR/jwt-private.pem")
    : "${CHATALOT_JWT__PUBLIC_KEY:=$(<"$DATA_DIR/jwt-public.pem")}"
    export CHATALOT_JWT__PRIVATE_KEY CHATALOT_JWT__PUBLIC_KEY
}

# The host to probe for a listen address: loopback when it listens on every interface.
probe_host() {
    local host=${1%:*}
    case $host in
        0.0.0.0 | "[::]" | "") printf '127.0.0.1\n' ;;
        *) printf '%s\n' "$host" ;;
    esac
}

# Fails when something already listens on ADDR; otherwise the readiness probe could be answered
# by that other process (say, another Chatalot) while ours fails to bind.
refuse_busy_address() {
    local host
    host=$(probe_host "$1")
    host=${host#[}
    if port_open "${host%]}" "${1##*:}"; then
        die "$1 is already in use (another Chatalot? see $PID_FILE); free it or choose another PORT"
    fi
}

# A detached instance from an earlier run must be stopped explicitly, not silently replaced.
refuse_if_detached_running() {
    local pid
    [[ -s $PID_FILE ]] || return 0
    pid=$(<"$PID_FILE")
    if [[ $pid =~ ^[0-9]+$ ]] && pid_is_chatalot "$pid"; then
        die "Chatalot is already running in the background (pid $pid, log $LOG_FILE); stop it first: kill $pid"
    fi
}

# Stops the process we started when this script ends before handing it over (error, timeout).
cleanup() {
    [[ -n $CHILD ]] || return 0
    if pid_running "$CHILD"; then
        say "stopping chatalot (pid $CHILD)"
        stop_pid "$CHILD" 15 || kill -KILL "$CHILD" 2>/dev/null || true
    fi
    if ((DETACH)); then rm -f "$PID_FILE"; fi
}

# Ctrl-C / SIGTERM to this script become a graceful SIGTERM to chatalot.
forward_stop() {
    INTERRUPTED=1
    if [[ -n $CHILD ]]; then
        say "stopping chatalot (pid $CHILD)..."
        kill -TERM "$CHILD" 2>/dev/null || true
    fi
}

start_process() {
    local bin=${CARGO_TARGET_DIR:-target}/release/chatalot
    if ((DETACH)); then
        nohup "$bin" >"$LOG_FILE" 2>&1 </dev/null &
        CHILD=$!
        printf '%s\n' "$CHILD" >"$PID_FILE"
    else
        "$bin" &
        CHILD=$!
    fi
}

# Waits until the gateway serves its OpenAPI document; fails if chatalot exits or takes too long.
wait_until_ready() {
    local url=$1 deadline=$((SECONDS + READY_TIMEOUT)) rc=0
    until curl -fs -o /dev/null --max-time 2 "$url"; do
        # Ctrl-C while waiting: forward_stop already asked chatalot to stop; cleanup finishes it.
        if ((INTERRUPTED)); then die "interrupted before chatalot was ready"; fi
        if ! pid_running "$CHILD"; then
            wait "$CHILD" || rc=$?
            CHILD=""
            show_log_tail
            die "chatalot exited with status $rc before it was ready"
        fi
        if ((SECONDS >= deadline)); then
            show_log_tail
            die "chatalot did not answer $url within ${READY_TIMEOUT} s"
        fi
        sleep 0.5
    done
}

# In the foreground the output is already on the terminal; detached, it is only in the log.
show_log_tail() {
    if ((DETACH)) && [[ -f $LOG_FILE ]]; then
        say "last lines of $LOG_FILE:"
        tail -n 50 "$LOG_FILE" >&2
    fi
}

# Waits for chatalot to exit and returns its status. A trapped signal cuts `wait` short while
# chatalot is still shutting down, so wait again until it has really exited.
wait_child() {
    local rc
    while :; do
        INTERRUPTED=0
        rc=0
        wait "$CHILD" || rc=$?
        ((INTERRUPTED)) || break
    done
    CHILD=""
    return "$rc"
}

launch() {
    local public=${CHATALOT_GATEWAY__PUBLIC_URL%/} probe
    probe="http://$(probe_host "$CHATALOT_GATEWAY__LISTEN"):${CHATALOT_GATEWAY__LISTEN##*:}/api/v1/openapi.json"
    trap cleanup EXIT
    trap forward_stop INT TERM
    printf '\nChatalot is starting at %s (API docs: %s/api/v1/openapi.json)\n' "$public" "$public" >&2
    start_process
    wait_until_ready "$probe"

    if ((DETACH)); then
        CHILD="" # handed over: it keeps running after this script ends
        printf 'Chatalot is ready at %s (API docs: %s/api/v1/openapi.json)\n' "$public" "$public"
        say "running in the background: pid $(<"$PID_FILE"), log $LOG_FILE; stop it with: kill $(<"$PID_FILE")"
        return 0
    fi
    printf 'Chatalot is ready at %s (API docs: %s/api/v1/openapi.json); press Ctrl-C to stop\n' "$public" "$public"
    local rc=0
    wait_child || rc=$?
    say "chatalot exited with status $rc"
    exit "$rc"
}

main() {
    parse_args "$@"
    require_cargo
    need_cmd curl
    set_config
    # Checked before the slow steps, so a conflict is reported at once.
    if ((DETACH)); then refuse_if_detached_running; fi
    refuse_busy_address "$CHATALOT_GATEWAY__LISTEN"
    refuse_busy_address "$CHATALOT_ADMIN__LISTEN"

    step "services (PostgreSQL, Redis, NATS)"
    ensure_services
    step_done

    step "configuration (.data/, JWT and Web Push keys)"
    mkdir -p "$DATA_DIR"
    chmod 700 "$DATA_DIR" # it holds the private key
    set_jwt_config
    set_push_config
    step_done

    step "build (cargo build --release --bin chatalot)"
    cargo build --release --bin chatalot
    step_done

    step "web client (scripts/build-web.sh)"
    bash scripts/build-web.sh
    step_done

    launch
}

main "$@"
