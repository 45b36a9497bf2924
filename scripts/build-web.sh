#!/usr/bin/env bash
# Builds the web client into web/build, which gateways serve at `/` (gateway.web_root):
#
#   1. the crypto crate's WebAssembly package (web/scripts/build-wasm.sh: installs the wasm32
#      target and wasm-bindgen-cli when missing, then writes web/src/lib/e2e/pkg/);
#   2. `npm ci` (skipped when node_modules matches package-lock.json) and `vite build`.
#
# Installs Node.js and npm from Debian when missing (Node 18 or newer; the test suite needs 20).
# Honours CARGO_TARGET_DIR. Called by scripts/run.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

ensure_node() {
    need_cmd node nodejs
    need_cmd npm npm
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    ((major >= 18)) || die "Node.js $major is too old for the web client; install Node.js 18 or newer"
}

# npm ci only when package-lock.json changed since the last install (it is slow and wipes
# node_modules/).
install_packages() {
    local stamp=web/node_modules/.chatalot-lock-sha256 want
    want=$(sha256sum web/package-lock.json | cut -d' ' -f1)
    if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
        say "web: node_modules matches package-lock.json"
        return 0
    fi
    (cd web && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in web/"
    printf '%s\n' "$want" >"$stamp"
}

main() {
    require_cargo
    ensure_node
    bash web/scripts/build-wasm.sh
    install_packages
    (cd web && npx vite build --logLevel warn) || die "the web client did not build"
    [[ -f web/build/index.html ]] || die "web/build/index.html is missing after the build"
    say "web client built into web/build"
}

main "$@"
