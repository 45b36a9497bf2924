#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted input (issue #10), bounded in time:
#
#   scripts/check-fuzz.sh [TARGET...]      (default: every target in fuzz/Cargo.toml)
#
# Installs cargo-fuzz (pinned, into ~/.cargo/bin) when missing, builds the targets of fuzz/
# once, then runs each for FUZZ_SECONDS (default 20) starting from its committed seed corpus
# fuzz/corpus/<target>/, and prints what each did (executions, coverage, corpus size). Fails on
# any crash, panic, failed assertion, input slower than FUZZ_INPUT_TIMEOUT (default 10 s) or
# memory use past libFuzzer's 2 GiB; the input that did it is kept in fuzz/artifacts/<target>/
# (not committed).
#
# Toolchain: cargo-fuzz is built for nightly, but without a sanitizer (`-s none`) every flag it
# passes to rustc (`--cfg fuzzing`, `-Cpasses=sancov-module`, `-Cllvm-args=-sanitizer-coverage-*`)
# is a stable codegen option, so the targets build with the repository's pinned stable toolchain
# (rust-toolchain.toml): nothing to download, no RUSTC_BOOTSTRAP, and the same compiler as the
# server. The price is AddressSanitizer, which needs nightly's -Zsanitizer; the code under test
# forbids `unsafe`, so memory errors are the dependencies' (infer, imagesize, serde_json, the
# RustCrypto crates), and a panic or an assertion is what these targets look for.
#
# The committed corpus is never changed: each run works on a temporary copy. To keep what a
# longer run found, merge only the inputs that add coverage into the committed corpus:
#
#   cd fuzz && cp -r corpus/TARGET /tmp/found
#   cargo fuzz run -s none TARGET /tmp/found -- -max_total_time=600              # a longer run
#   cargo fuzz run -s none TARGET corpus/TARGET /tmp/found -- -merge=1          # add new coverage
#
# then commit a handful of the added files, not hundreds (all corpora together stay within
# ~100 KiB; `cargo fuzz cmin -s none TARGET` shrinks one in place). A crash reproduces, in fuzz/,
# with `cargo fuzz run -s none TARGET artifacts/TARGET/crash-...`; fix it with a unit test in the
# owning crate that feeds that input. fuzz/examples/seeds.rs writes the hand-made seeds.
#
# Always builds into fuzz/target, whatever CARGO_TARGET_DIR says: instrumented code with its own
# Cargo.lock shares nothing with the server's build. scripts/test.sh runs this script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

CARGO_FUZZ_VERSION=0.13.1
secs=${FUZZ_SECONDS:-20}
input_timeout=${FUZZ_INPUT_TIMEOUT:-10}

require_cargo
# libfuzzer-sys compiles libFuzzer itself (C++).
need_cmd c++ g++

PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if [[ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    say "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" ||
        die "could not install cargo-fuzz $CARGO_FUZZ_VERSION"
fi

cd fuzz
unset CARGO_TARGET_DIR
if (($#)); then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
((${#targets[@]})) || die "no fuzz targets found in fuzz/Cargo.toml"

# fuzz/ is its own workspace, so the suite's `cargo fmt --all --check` does not see it.
cargo fmt --all --check || die "fuzz/ is not formatted: run cargo fmt in fuzz/"

say "building ${#targets[@]} fuzz targets (no sanitizer, release with debug assertions)"
built=$SECONDS
cargo fuzz build -s none || die "building the fuzz targets failed"
say "fuzz targets built in $((SECONDS - built))s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints libFuzzer's last value of FIELD (e.g. "cov:") from LOG.
last_field() {
    awk -v field="$1" '{ for (i = 1; i < NF; i++) if ($i == field) value = $(i + 1) } END { print value }' "$2"
}

summary=()
failed=()
for target in "${targets[@]}"; do
    [[ -d corpus/$target ]] || die "fuzz/corpus/$target is missing: every target has committed seeds"
    corpus="$work/corpus-$target"
    log="$work/$target.log"
    cp -r "corpus/$target" "$corpus"
    seeds=$(find "$corpus" -type f | wc -l)
    say "fuzzing $target for ${secs}s from $seeds seeds"
    if cargo fuzz run -s none "$target" "$corpus" -- \
        -max_total_time="$secs" -timeout="$input_timeout" -print_final_stats=1 >"$log" 2>&1; then
        execs=$(awk '/^stat::number_of_executed_units:/ { print $NF }' "$log")
        cov=$(last_field cov: "$log")
        ft=$(last_field ft: "$log")
        corp=$(last_field corp: "$log")
        summary+=("$(printf '%-24s %10s execs  cov %6s  features %6s  corpus %s' \
            "$target" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")")
    else
        failed+=("$target")
        say "$target FAILED; the end of its log:"
        grep -v '^#' "$log" | tail -n 40 >&2
        summary+=("$(printf '%-24s FAILED (input kept in fuzz/artifacts/%s/)' "$target" "$target")")
    fi
done

printf '\nfuzzing, %ss per target (execs, edge coverage, features, corpus entries/bytes):\n' "$secs" >&2
printf '  %s\n' "${summary[@]}" >&2
((${#failed[@]} == 0)) || die "fuzzing found failures in: ${failed[*]}"
say "fuzzing: ${#targets[@]} targets, no failures"
