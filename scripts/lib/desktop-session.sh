#!/usr/bin/env bash
# Runs a command inside a throwaway desktop session, for the desktop app's tests
# (scripts/check-desktop.sh):
#
#   dbus-run-session -- bash scripts/lib/desktop-session.sh DIR COMMAND [ARGS...]
#
# DIR (created, emptied first) holds the session's home folders and logs. The session has:
#   - an X server (Xvfb, 1200x800: the app's window fills it) on a free display, exported as DISPLAY;
#   - fresh XDG config, data, cache and runtime folders under DIR, so the app starts as on a new
#     machine (DESKTOP_APP_DATA is where it keeps its web view data);
#   - a Secret Service (gnome-keyring, its login keyring created and unlocked) on the session bus;
#   - a notification daemon (dunst) and, in DIR/notifications.log, every Notify call made on the
#     bus (DESKTOP_NOTIFICATIONS_LOG).
# Everything it started is stopped when COMMAND ends; its exit status is COMMAND's.
set -euo pipefail

dir=$1
shift
rm -rf "$dir"
mkdir -p "$dir"/{config,data,cache,runtime}
chmod 700 "$dir/runtime"
export XDG_CONFIG_HOME=$dir/config XDG_DATA_HOME=$dir/data XDG_CACHE_HOME=$dir/cache XDG_RUNTIME_DIR=$dir/runtime
export DESKTOP_APP_DATA=$XDG_DATA_HOME/org.chatalot.desktop
export DESKTOP_NOTIFICATIONS_LOG=$dir/notifications.log
[[ -n ${DBUS_SESSION_BUS_ADDRESS:-} ]] || { echo "run this under dbus-run-session" >&2; exit 1; }

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

display=99
while [[ -e /tmp/.X11-unix/X$display || -e /tmp/.X$display-lock ]]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1200x800x24 -nolisten tcp >"$dir/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=:$display
for _ in $(seq 300); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "Xvfb did not start (see $dir/xvfb.log)" >&2; exit 1; }
# Services the bus starts on demand (the desktop portal, accessibility) get the display too.
dbus-update-activation-environment DISPLAY XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR

# The password unlocks (and, the first time, creates) the login keyring, the default collection.
printf 'chatalot-test' | gnome-keyring-daemon --unlock --components=secrets --daemonize >"$dir/keyring.env"
# shellcheck disable=SC1090
source <(sed 's/^/export /' "$dir/keyring.env")

dbus-monitor --session "interface='org.freedesktop.Notifications',member='Notify'" \
    >"$DESKTOP_NOTIFICATIONS_LOG" 2>&1 &
pids+=($!)
dunst >"$dir/dunst.log" 2>&1 &
pids+=($!)

"$@"
