#!/usr/bin/env bash
# Builds and tests chatalot-crypto and its JavaScript binding on wasm32-unknown-unknown.
#
#   1. installs what is missing: the wasm32 target, and wasm-bindgen-cli at exactly the
#      wasm-bindgen version in Cargo.lock (skipped when already installed);
#   2. runs both crates' tests on wasm32 under Node (wasm-bindgen-test-runner);
#   3. builds the web package (release .wasm + wasm-bindgen --target web) into
#      <target dir>/wasm-pkg, prints its size, and loads it in Node (tests/web_pkg.mjs).
#
# Honours CARGO_TARGET_DIR. Exits non-zero on any failure; the last line is the summary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fail() {
    echo "wasm: FAILED: $*" >&2
    exit 1
}

# shellcheck source=../../scripts/lib/common.sh
source "$root/scripts/lib/common.sh"
# wasm-bindgen-test-runner runs the tests in Node.
need_cmd node nodejs

# shellcheck source=../../scripts/lib/wasm.sh
source "$root/scripts/lib/wasm.sh"
install_wasm_tools || fail "could not install the wasm tools"

echo "== cargo test on wasm32-unknown-unknown (Node)"
status=0
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --locked --target wasm32-unknown-unknown -p chatalot-crypto -p chatalot-crypto-wasm \
    2>&1 | tee "$log" || status=$?
passed="$(grep -oE '^test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{ sum += $4 } END { print sum + 0 }')"
failed="$(grep -oE '; [0-9]+ failed' "$log" | awk '{ sum += $2 } END { print sum + 0 }')"
if [[ $status -ne 0 ]]; then
    echo "wasm: $passed passed, $((failed > 0 ? failed : 1)) failed"
    exit 1
fi

echo "== web package"
cargo build --locked --release --target wasm32-unknown-unknown -p chatalot-crypto-wasm
pkg="$target_dir/wasm-pkg"
wasm-bindgen --target web --out-dir "$pkg" \
    "$target_dir/wasm32-unknown-unknown/release/chatalot_crypto_wasm.wasm"
size="$(wc -c <"$pkg/chatalot_crypto_wasm_bg.wasm")"
echo "$pkg/chatalot_crypto_wasm_bg.wasm: $size bytes ($((size / 1024)) KiB)"
node crypto/wasm/tests/web_pkg.mjs "$pkg" || fail "the web package does not work in Node"

echo "wasm: $passed passed, 0 failed"
