#!/usr/bin/env bash
# Fails when a server log holds a secret:
#
#   scripts/check-log-secrets.sh LOG [PASSWORD...]   the log must hold none of these
#   scripts/check-log-secrets.sh --self-test         shows each kind of secret is caught
#
# Looked for: each PASSWORD given, access tokens (JWTs: `eyJ...`), refresh tokens and other
# 32-byte random tokens (43 base64url characters standing alone), bearer headers and PEM private
# keys. scripts/test-web.sh runs it over the log of the server the end-to-end tests used, after
# all their traffic (registrations, logins, refreshes, messages, uploads, calls).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

# Prints what in LOG looks like a secret; returns 1 when something does.
find_secrets() {
    local log=$1 found=0 password
    shift
    for password in "$@"; do
        if grep -qF -- "$password" "$log"; then
            echo "a password the tests used appears in $log"
            found=1
        fi
    done
    local -a patterns=(
        'eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}'      # a JWT (access token)
        '(^|[^A-Za-z0-9_-])[A-Za-z0-9_-]{43}([^A-Za-z0-9_-]|$)' # 32 random bytes, base64url
        '[Bb]earer [A-Za-z0-9._~+/-]{16,}'              # an Authorization header
        'PRIVATE KEY-----'                              # a PEM private key
    )
    local pattern
    for pattern in "${patterns[@]}"; do
        if grep -qE -- "$pattern" "$log"; then
            echo "$log matches /$pattern/: $(grep -oE -- "$pattern" "$log" | head -c 12)..."
            found=1
        fi
    done
    return $((found))
}

self_test() {
    local dir
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' RETURN
    printf '%s\n' '{"level":"INFO","message":"request","status":200,"request_id":"0b7e3c1e-8f0a-4a52-9c1e-2f0c4d6a9b10"}' >"$dir/clean.log"
    find_secrets "$dir/clean.log" "hunter2 hunter2" >/dev/null || die "self-test: a clean log was flagged"
    local -a planted=(
        'login failed for password hunter2 hunter2'
        'token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl'
        'refresh "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"'
        'authorization: Bearer abcdefghijklmnopqrstuvwxyz'
        '-----BEGIN PRIVATE KEY-----'
    )
    local line
    for line in "${planted[@]}"; do
        printf '%s\n' "$line" >"$dir/planted.log"
        if find_secrets "$dir/planted.log" "hunter2 hunter2" >/dev/null; then
            die "self-test: missed a planted secret: $line"
        fi
    done
    say "secret scan self-test: a clean log passes, each of ${#planted[@]} planted secrets is caught"
}

if [[ ${1:-} == --self-test ]]; then
    self_test
    exit 0
fi
log=${1:?usage: $0 LOG [PASSWORD...] | --self-test}
shift
[[ -s $log ]] || die "$log is missing or empty: nothing to check"
if ! find_secrets "$log" "$@"; then
    die "secrets found in $log (above)"
fi
say "no passwords, tokens or keys in $log ($(wc -l <"$log") lines)"
