#!/usr/bin/env bash
# Sender keys interop: chatalot-crypto against @signalapp/libsignal-client (test-only tool).
#
#   bash crypto/interop/node/run.sh                 build the peer, run the checks
#   bash crypto/interop/node/run.sh --generate-kat  also rewrite crypto/tests/vectors/libsignal_sender_keys.json
#
# Needs Node >= 20 and npm; the pinned package ships a prebuilt native module (no compiler).
# Honours CARGO_TARGET_DIR like cargo does. Exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
generate=0
for arg in "$@"; do
  case "$arg" in
    --generate-kat) generate=1 ;;
    *) echo "usage: $0 [--generate-kat]" >&2; exit 2 ;;
  esac
done

# shellcheck source-path=SCRIPTDIR source=../../../scripts/lib/common.sh
source "$root/scripts/lib/common.sh"
need_cmd node nodejs
need_cmd npm npm
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || die "node is $(node --version); @signalapp/libsignal-client needs Node 20 or newer"

cd "$here"
npm ci --no-audit --no-fund --loglevel=error >/dev/null

cd "$root"
cargo build --locked --quiet -p chatalot-crypto --example peer
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
export PEER_BIN="$target/debug/examples/peer"

cd "$here"
if [[ $generate == 1 ]]; then
  node generate_kat.mjs "$root/crypto/tests/vectors/libsignal_sender_keys.json"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
node --test --test-reporter=spec sender_keys.test.mjs 2>&1 | tee "$log" || status=$?
passed="$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$log" | tail -n1)"
failed="$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$log" | tail -n1)"
echo "sender keys vs libsignal-client: ${passed:-0} passed, ${failed:-?} failed"
if [[ $status != 0 || -z $passed || $failed != 0 ]]; then
  exit 1
fi
