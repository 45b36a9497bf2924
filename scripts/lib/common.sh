# shellcheck shell=bash
# Small helpers shared by scripts/run.sh and scripts/test.sh (sourced, never run).
# Messages go to stderr so that stdout stays free for what a command is asked to print.

# Prints an informational line.
say() { printf '[chatalot] %s\n' "$*" >&2; }

# Prints an error and stops the whole script (works even inside `if` or `||`, unlike set -e).
die() {
    printf '[chatalot] error: %s\n' "$*" >&2
    exit 1
}

# Elapsed-time bookkeeping for "==> step" / "<== step: ok (Ns)" lines.
CURRENT_STEP=""
STEP_STARTED=0
STEP_SUMMARY=()

# Announces a step and starts its clock.
step() {
    CURRENT_STEP=$1
    STEP_STARTED=$SECONDS
    printf '\n==> %s\n' "$CURRENT_STEP" >&2
}

# Closes the current step, printing and recording how long it took.
step_done() {
    local took=$((SECONDS - STEP_STARTED))
    printf '<== %s: ok (%ss)\n' "$CURRENT_STEP" "$took" >&2
    STEP_SUMMARY+=("$(printf '%6ss  %s' "$took" "$CURRENT_STEP")")
    CURRENT_STEP=""
}

# Runs a command as root: directly when we are root, else through sudo if there is one.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root; run this script as root (or install sudo)"
    fi
}

# Installs Debian packages without questions. `apt-get update` runs at most once per script run,
# and only when something is actually missing (callers check before calling).
APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "cannot install $* automatically (no apt-get); please install it and retry"
    say "installing Debian package(s): $*"
    if [[ $APT_UPDATED -eq 0 ]]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null \
        || die "apt-get install $* failed"
}

# Makes sure a command exists, installing the Debian package that provides it if not.
need_cmd() {
    local cmd=$1 pkg=${2:-$1}
    command -v "$cmd" >/dev/null 2>&1 || apt_install "$pkg"
    command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is still missing after installing $pkg"
}

# Rust cannot come from apt here (the toolchain is pinned by rust-toolchain.toml), so only explain.
require_cargo() {
    # rustup installs into ~/.cargo/bin, which a fresh non-login shell may not have on PATH yet.
    if ! command -v cargo >/dev/null 2>&1 && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
        PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
        export PATH
    fi
    command -v cargo >/dev/null 2>&1 && return 0
    printf '%s\n' \
        "[chatalot] error: cargo (the Rust toolchain) is not installed." \
        "  Install Rust with rustup (https://rustup.rs):" \
        "    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y" \
        "    . \"\$HOME/.cargo/env\"" \
        "  then run this script again (rust-toolchain.toml selects the right version)." >&2
    exit 1
}

# True while process PID exists and has not exited. Unlike `kill -0` this treats a zombie (an
# exited child nobody has reaped yet) as gone.
pid_running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # skip "pid (comm) ": the state letter follows
    [[ ${stat:0:1} != Z ]]
}

# True when PID is a running Chatalot (guards against a stale pid file naming a reused pid).
pid_is_chatalot() {
    pid_running "$1" && [[ $(cat "/proc/$1/comm" 2>/dev/null) == chatalot ]]
}

# Sends SIGTERM to PID and waits up to SECONDS for it to exit; returns 1 if it did not.
stop_pid() {
    local pid=$1 deadline=$((SECONDS + $2))
    kill -TERM "$pid" 2>/dev/null || return 0
    while pid_running "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}
