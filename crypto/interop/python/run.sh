#!/usr/bin/env bash
# Interoperability of chatalot-crypto's X3DH and Double Ratchet with the independent Python
# packages x3dh and doubleratchet (pinned by hash in requirements.txt), driven through the NDJSON
# peer program (crypto/examples/peer).
#
#   crypto/interop/python/run.sh                 every check, including that the committed
#                                                known-answer file equals a fresh transcript
#   crypto/interop/python/run.sh --generate-kat  rewrite crypto/tests/vectors/python_x3dh_ratchet.json
#
# The venv lives in ${XDG_CACHE_HOME:-$HOME/.cache}/chatalot/interop-venv-<hash of requirements.txt>
# and is reused while requirements.txt is unchanged. The peer is built into CARGO_TARGET_DIR when
# that is set. The last line printed is "python interop: N passed, M failed".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../../scripts/lib/common.sh
source "$root/scripts/lib/common.sh"

harness_args=()
for arg in "$@"; do
    case $arg in
        --generate-kat) harness_args+=(--generate-kat) ;;
        -h | --help)
            sed -n '2,13p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *) die "unknown argument: $arg (try --help)" ;;
    esac
done

need_cmd python3 python3
# The pinned wheels are CPython 3.11 builds (Debian 12's python3).
python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "python3 is $(python3 -V 2>&1); the pinned wheels need Python 3.11"
require_cargo

requirements=$here/requirements.txt
digest=$(sha256sum "$requirements" | cut -c1-16)
venv=${XDG_CACHE_HOME:-$HOME/.cache}/chatalot/interop-venv-$digest
if [[ ! -f $venv/.complete ]]; then
    say "creating $venv"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    # Debian ships venv's pip bootstrap (ensurepip) separately, in python3-venv.
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        apt_install python3-venv
        python3 -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --require-hashes --only-binary=:all: --no-deps -r "$requirements"
    touch "$venv/.complete"
fi

say "building the peer program"
(cd "$root" && cargo build --locked --quiet -p chatalot-crypto --example peer)
target_dir=$(cd "$root" && cargo metadata --locked --format-version 1 --no-deps \
    | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
peer=$target_dir/debug/examples/peer
[[ -x $peer ]] || die "peer program not found at $peer"

cd "$here"
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" harness.py --peer "$peer" \
    --kat "$root/crypto/tests/vectors/python_x3dh_ratchet.json" "${harness_args[@]}"
