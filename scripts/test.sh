#!/usr/bin/env bash
# Runs the whole Chatalot test suite, as CI does (.ci/run calls this script):
#
#   1. makes sure PostgreSQL, Redis and NATS run (installing them with apt on a fresh Debian 12)
#   2. drops the chatalot_test_* databases earlier runs left behind
#   3. cargo fmt --check, cargo clippy -D warnings, cargo test (one build for all tests)
#   4. end-to-end crypto checks beyond cargo test: interoperability with the Python X3DH and
#      Double Ratchet implementations (PyPI) and with libsignal's sender keys (npm), and the
#      crypto tests compiled to wasm32 and run under Node (each script installs what it needs)
#   5. fuzzing: each cargo-fuzz target for a bounded time (scripts/check-fuzz.sh)
#   6. the web client (scripts/test-web.sh: build, API types against the OpenAPI document,
#      svelte-check, Vitest, Playwright end-to-end tests in Debian's Chromium, npm audit where
#      the registry answers, no secret in the server's log of all that traffic)
#   7. the desktop app (scripts/check-desktop.sh: clippy, the release build and its .deb, the
#      keychain round trip with gnome-keyring, the installed app end to end under Xvfb)
#   8. the supply chain (scripts/check-supply-chain.sh: cargo deny against deny.toml) and the
#      deployment files (scripts/check-deploy.sh: hadolint, docker-compose config,
#      kubectl kustomize + kubernetes-validate, proxy and alert configs)
#   9. smoke-tests scripts/run.sh --detach on ports 18080/19090, with slow clients against it
#      while a normal client chats (scripts/check-slow-clients.sh), then schemathesis against its
#      OpenAPI document (scripts/check-api-fuzz.sh) (skip: SKIP_SMOKE=1)
#
# Arguments are passed on to cargo test (e.g. scripts/test.sh -- --nocapture).
# Ends with "chatalot tests: passed" or says which step failed, and exits non-zero then.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh

SMOKE_PORT=18080
SMOKE_ADMIN_PORT=19090
SMOKE_DB=chatalot_smoke
SMOKE_PID="" # the detached chatalot of the smoke test, while it may still run
STARTED=$SECONDS

# Stops the smoke instance whatever happens, then prints the timings and the verdict.
on_exit() {
    local rc=$?
    stop_smoke_instance
    if ((${#STEP_SUMMARY[@]})); then
        printf '\nstep timings:\n' >&2
        printf '%s\n' "${STEP_SUMMARY[@]}" >&2
    fi
    if ((rc == 0)); then
        printf '\nchatalot tests: passed (%ss)\n' "$((SECONDS - STARTED))"
    else
        printf '\nchatalot tests: FAILED in step "%s" (exit status %s, after %ss)\n' \
            "${CURRENT_STEP:-setup}" "$rc" "$((SECONDS - STARTED))"
    fi
}

stop_smoke_instance() {
    [[ -n $SMOKE_PID ]] || return 0
    if pid_running "$SMOKE_PID"; then
        stop_pid "$SMOKE_PID" 5 || kill -KILL "$SMOKE_PID" 2>/dev/null || true
    fi
    SMOKE_PID=""
}

# Each test creates its own chatalot_test_* database; a crashed or interrupted run leaves them.
drop_test_databases() {
    local out name count=0
    out=$(pg_sql "select datname from pg_database where datname like 'chatalot\_test\_%'") ||
        die "cannot list databases"
    while IFS= read -r name; do
        [[ -n $name ]] || continue
        pg_sql "drop database if exists \"$name\" with (force)" >/dev/null || die "cannot drop database $name"
        count=$((count + 1))
    done <<<"$out"
    say "dropped $count leftover test database(s)"
}

run_cargo_tests() {
    # Where the end-to-end tests find PostgreSQL, NATS and Redis (server/tests/api/helpers.rs).
    env TEST_CHATALOT_DATABASE_URL=postgres://postgres@127.0.0.1:5432 \
        TEST_CHATALOT_NATS_URL=nats://127.0.0.1:4222 \
        TEST_CHATALOT_REDIS_URL=redis://127.0.0.1:6379 \
        RUST_BACKTRACE="${RUST_BACKTRACE:-1}" \
        cargo test --workspace --locked "$@"
}

# Starts the real program the way a newcomer would and checks it serves, then stops cleanly.
# It gets its own ports, database, NATS namespace and Redis prefix, so it cannot disturb (or be
# served by) a Chatalot already running here.
smoke_test() {
    local base="http://127.0.0.1:$SMOKE_PORT" admin="http://127.0.0.1:$SMOKE_ADMIN_PORT" body
    pg_sql "drop database if exists $SMOKE_DB with (force)" >/dev/null # start from an empty schema
    env PORT=$SMOKE_PORT \
        CHATALOT_GATEWAY__LISTEN="127.0.0.1:$SMOKE_PORT" \
        CHATALOT_GATEWAY__PUBLIC_URL="$base" \
        CHATALOT_ADMIN__LISTEN="127.0.0.1:$SMOKE_ADMIN_PORT" \
        CHATALOT_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$SMOKE_DB" \
        CHATALOT_NATS__NAMESPACE=chatalot_smoke \
        CHATALOT_REDIS__KEY_PREFIX=chatalot_smoke \
        bash scripts/run.sh --detach </dev/null
    SMOKE_PID=$(<.data/chatalot.pid)

    body=$(curl -fsS --max-time 10 "$base/api/v1/openapi.json") || die "GET $base/api/v1/openapi.json failed"
    [[ $body == *'"openapi"'* ]] || die "$base/api/v1/openapi.json is not an OpenAPI document: ${body:0:200}"
    body=$(curl -fsS --max-time 10 "$base/invite/anything") || die "GET $base/invite/anything failed"
    [[ $body == *'<title>Chatalot</title>'* ]] || die "$base/ does not serve the web client: ${body:0:200}"
    curl -fsS --max-time 10 -o /dev/null "$admin/readyz" || die "GET $admin/readyz failed"
    say "openapi.json and /readyz answer"
    bash scripts/check-slow-clients.sh "$base"
    bash scripts/check-api-fuzz.sh "$base"
    say "stopping chatalot (pid $SMOKE_PID) with SIGTERM"

    stop_pid "$SMOKE_PID" 15 || die "chatalot did not exit within 15 s of SIGTERM (log: .data/chatalot.log)"
    SMOKE_PID=""
    rm -f .data/chatalot.pid
}

main() {
    trap on_exit EXIT
    # Turn signals into a normal exit, so on_exit still stops the smoke instance.
    trap 'exit 130' INT
    trap 'exit 143' TERM

    require_cargo
    need_cmd curl

    step "services (PostgreSQL, Redis, NATS)"
    ensure_postgres
    ensure_redis
    ensure_nats
    ensure_nats_binary
    step_done

    step "drop leftover test databases"
    drop_test_databases
    step_done

    step "cargo fmt --all --check"
    cargo fmt --all --check
    step_done

    step "cargo clippy --workspace --all-targets --locked -- -D warnings"
    cargo clippy --workspace --all-targets --locked -- -D warnings
    step_done

    step "cargo test --workspace --locked"
    run_cargo_tests "$@"
    step_done

    step "crypto interop: Python x3dh + doubleratchet"
    bash crypto/interop/python/run.sh
    step_done

    step "crypto interop: libsignal sender keys (Node)"
    bash crypto/interop/node/run.sh
    step_done

    step "crypto on wasm32 (wasm-bindgen-test under Node)"
    bash crypto/wasm/test.sh
    step_done

    step "fuzzing (cargo-fuzz, bounded)"
    bash scripts/check-fuzz.sh
    step_done

    step "web client: build, API types, svelte-check, unit and end-to-end tests"
    bash scripts/test-web.sh
    step_done

    step "desktop app: build, .deb, keychain, end-to-end under Xvfb"
    bash scripts/check-desktop.sh
    step_done

    step "supply chain: cargo deny check licenses bans sources"
    bash scripts/check-supply-chain.sh
    step_done

    step "deployment files (Dockerfile, compose, Kubernetes)"
    bash scripts/check-deploy.sh
    step_done

    if [[ ${SKIP_SMOKE:-0} == 1 ]]; then
        say "smoke test of scripts/run.sh skipped (SKIP_SMOKE=1)"
    else
        step "smoke test: scripts/run.sh --detach"
        smoke_test
        step_done
    fi
}

main "$@"
