#!/usr/bin/env bash
# Slow clients against a running gateway while a normal client keeps chatting:
#
#   scripts/check-slow-clients.sh BASE_URL [SECONDS]
#
# Runs Debian's slowhttptest (installed with apt when missing) in its three modes one after the
# other, each for SECONDS (default 15) with 1,000 connections: slowloris (headers that never
# end), slow body (a POST body a byte at a time) and slow read (a reader with a tiny window).
# Meanwhile scripts/lib/chatter.py posts a message every half second; every one of its requests
# must succeed within 5 s. scripts/test.sh runs it against the smoke-test instance.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

base=${1:?usage: $0 BASE_URL [SECONDS]}
secs=${2:-15}
need_cmd slowhttptest slowhttptest
need_cmd python3 python3

out=$(mktemp)
python3 scripts/lib/chatter.py "$base" >"$out" &
chatter=$!
trap 'kill "$chatter" 2>/dev/null || true; rm -f "$out"' EXIT
sleep 2
kill -0 "$chatter" 2>/dev/null || die "the chatting client did not start: $(cat "$out")"

attack() { # attack NAME FLAGS...
    local name=$1
    shift
    say "slow clients: $name for ${secs}s (1000 connections) while a client chats"
    slowhttptest -c 1000 -r 200 -l "$secs" -i 10 -p 3 "$@" >/dev/null 2>&1 ||
        say "slowhttptest ($name) exited with $? (its own verdict; the chatting client decides)"
}
attack slowloris -H -u "$base/api/v1/openapi.json"
attack "slow body" -B -t POST -s 8192 -u "$base/api/v1/auth/login"
attack "slow read" -X -k 3 -w 1 -y 2 -n 5 -z 1 -u "$base/api/v1/openapi.json"

kill -TERM "$chatter"
wait "$chatter" || die "the chatting client failed: $(cat "$out")"
result=$(tail -n 1 "$out")
ok=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ok"])' "$result")
failed=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["failed"])' "$result")
((failed == 0)) || die "the chatting client saw $failed failures during the slow clients: $result"
((ok >= secs * 3)) || die "the chatting client sent only $ok messages in $((secs * 3)) s: $result"
say "slow clients: the chatting client sent $ok messages, none failed"
