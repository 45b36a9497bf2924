#!/usr/bin/env bash
# Builds the end-to-end encryption library for the browser: the release .wasm of
# chatalot-crypto-wasm, then wasm-bindgen --target web into web/src/lib/e2e/pkg/ (gitignored),
# which the web client imports at start-up ($lib/e2e/wasm.ts).
#
# Installs the wasm32 target and wasm-bindgen-cli (at the Cargo.lock version) when missing.
# Honours CARGO_TARGET_DIR (default: the repository's target/). Run it before `vite build`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
pkg="$root/web/src/lib/e2e/pkg"

# shellcheck source=../../scripts/lib/wasm.sh
source "$root/scripts/lib/wasm.sh"
install_wasm_tools

cargo build --locked --release --target wasm32-unknown-unknown -p chatalot-crypto-wasm
rm -rf "$pkg"
wasm-bindgen --target web --out-dir "$pkg" \
    "$target_dir/wasm32-unknown-unknown/release/chatalot_crypto_wasm.wasm"
size="$(wc -c <"$pkg/chatalot_crypto_wasm_bg.wasm")"
echo "build-wasm: $pkg/chatalot_crypto_wasm_bg.wasm: $size bytes ($((size / 1024)) KiB)"
