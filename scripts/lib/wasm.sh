# shellcheck shell=bash
# Installs what building the crypto wasm package needs (sourced, never run):
#   - the wasm32-unknown-unknown target of the pinned toolchain;
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (skipped when present).
# Used by crypto/wasm/test.sh and web/scripts/build-wasm.sh. Expects `root` (the repository) set
# and cargo's bin directory on PATH; defines `wasm_bindgen_version` and `install_wasm_tools`.

# Prints the wasm-bindgen version pinned in Cargo.lock (empty when there is none).
wasm_bindgen_version() {
    awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' \
        "$root/Cargo.lock"
}

# Adds the wasm32 target and installs wasm-bindgen-cli at the locked version if missing.
install_wasm_tools() {
    local version
    rustup target add wasm32-unknown-unknown || return 1
    version="$(wasm_bindgen_version)"
    if [[ -z "$version" ]]; then
        echo "wasm: no wasm-bindgen in Cargo.lock" >&2
        return 1
    fi
    if [[ "$(wasm-bindgen --version 2>/dev/null || true)" == "wasm-bindgen $version" &&
        "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" == "wasm-bindgen-test-runner $version" ]]; then
        echo "wasm-bindgen-cli $version already installed"
        return 0
    fi
    # --locked can fail when the registry lacks a version its lock file pins; the exact
    # wasm-bindgen version is what matters, so retry resolving its dependencies afresh.
    cargo install --locked wasm-bindgen-cli --version "$version" \
        || cargo install wasm-bindgen-cli --version "$version" \
        || {
            echo "wasm: could not install wasm-bindgen-cli $version" >&2
            return 1
        }
}
