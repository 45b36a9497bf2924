#!/usr/bin/env bash
# The Rust dependency graph against deny.toml: GPL-3.0-compatible licences only, no wildcard
# versions, crates.io only (no git sources). Installs cargo-deny (pinned) when missing.
# scripts/test.sh runs it; the web client's `npm audit` is in scripts/test-web.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

CARGO_DENY_VERSION=0.20.2
require_cargo
if [[ "$(cargo deny --version 2>/dev/null || true)" != "cargo-deny $CARGO_DENY_VERSION" ]]; then
    say "installing cargo-deny $CARGO_DENY_VERSION"
    cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION" ||
        die "could not install cargo-deny $CARGO_DENY_VERSION"
fi
cargo deny --locked check licenses bans sources
