#!/usr/bin/env bash
# The desktop app's checks (issue #11; scripts/test.sh runs them after the web client's):
#
#   1. installs what building and testing it needs from Debian (WebKitGTK 4.1 and the tray
#      library's development packages, Xvfb, WebKitWebDriver, gnome-keyring, a notification
#      daemon, Chromium) and tauri-driver (pinned, from crates.io, into .data/tools);
#   2. rustfmt and clippy on desktop/ (a Cargo workspace of its own, outside the server's);
#   3. builds the release app and its Debian package with the Tauri CLI (npm), once;
#   4. its tests, on that same build: unit tests and the keychain round trip, in a throwaway
#      desktop session with gnome-keyring as the Secret Service (scripts/lib/desktop-session.sh);
#   5. installs the .deb with apt, as a user would;
#   6. the end-to-end test (desktop/tests/desktop.spec.ts): the installed app under Xvfb, driven
#      through tauri-driver and WebKitWebDriver against a real Chatalot, talking to a person in
#      Chromium. Screenshots of the real window land in desktop/test-results/screenshots.
#
# The web client must be built first (web/build, scripts/build-web.sh): the app bundles it.
# The server binary the test starts is the debug build scripts/test-web.sh made (SERVER_BIN).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

TAURI_DRIVER_VERSION=2.1.0
root=$PWD

require_cargo
[[ -f web/build/index.html ]] || bash scripts/build-web.sh

# What Tauri's Linux build links against, and what the tests run.
packages=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev pkg-config
    xvfb x11-utils imagemagick webkit2gtk-driver gnome-keyring libsecret-tools dbus dunst chromium)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
((${#missing[@]} == 0)) || apt_install "${missing[@]}"

tools=$root/.data/tools
if ! cargo install --list --root "$tools" 2>/dev/null | grep -qx "tauri-driver v$TAURI_DRIVER_VERSION:"; then
    say "desktop: installing tauri-driver $TAURI_DRIVER_VERSION into .data/tools"
    cargo install tauri-driver --locked --version "$TAURI_DRIVER_VERSION" --root "$tools" ||
        die "could not install tauri-driver $TAURI_DRIVER_VERSION"
fi

cd desktop
# Its own workspace and target folder: nothing shared with the server's build.
unset CARGO_TARGET_DIR
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
fi
npx tsc --noEmit -p tests

say "desktop: cargo fmt --check, clippy"
cargo fmt --all --check || die "desktop/ is not formatted: run cargo fmt in desktop/"
cargo clippy --all-targets --locked -- -D warnings

say "desktop: building the release app and its .deb (tauri build)"
npx tauri build --bundles deb -- --locked
deb=$(find target/release/bundle/deb -name 'Chatalot_*_amd64.deb' -newer Cargo.toml | head -n 1)
[[ -n $deb ]] || die "tauri build made no .deb"
say "desktop: built $deb ($(du -h "$deb" | cut -f1))"

session=$root/desktop/test-results/session
say "desktop: unit tests and the keychain round trip (gnome-keyring in a D-Bus session)"
dbus-run-session -- bash "$root/scripts/lib/desktop-session.sh" "$session" \
    cargo test --release --locked --features tauri/custom-protocol

say "desktop: installing $deb"
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall "./$deb" </dev/null ||
    die "installing $deb failed"
app=/usr/bin/chatalot-desktop
[[ -x $app ]] || die "the package did not install $app"

say "desktop: end-to-end test of the installed app under Xvfb"
export SERVER_BIN=${SERVER_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/chatalot}
[[ -x $SERVER_BIN ]] || (cd "$root" && cargo build --locked -p chatalot)
export DESKTOP_APP=$app TAURI_DRIVER=$tools/bin/tauri-driver
export DESKTOP_SCREENSHOTS=$root/desktop/test-results/screenshots E2E_PORT=${DESKTOP_E2E_PORT:-18380}
dbus-run-session -- bash "$root/scripts/lib/desktop-session.sh" "$session" \
    env PLAYWRIGHT_SKIP_VALIDATE_HOST_REQUIREMENTS=1 npx playwright test -c tests/playwright.config.ts "$@"
say "desktop: all checks passed"
