#!/bin/bash
# Health check of the Chatalot image (Dockerfile HEALTHCHECK): GET /readyz on this process's
# admin port, taken from CHATALOT_ADMIN__LISTEN. Healthy only on 200; otherwise prints what the
# process answered (e.g. "not ready: postgres"), which `docker inspect` shows. Needs no curl:
# bash's /dev/tcp does the request.
set -uo pipefail

listen=${CHATALOT_ADMIN__LISTEN:-127.0.0.1:9090}
port=${listen##*:}
host=${listen%:*}
host=${host#[}
host=${host%]}
case $host in
    0.0.0.0 | "" ) host=127.0.0.1 ;;
    :: ) host=::1 ;;
esac

{ exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || {
    echo "admin port $host:$port does not accept connections"
    exit 1
}
printf 'GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 4 status <&3 || {
    echo "no answer from $host:$port/readyz"
    exit 1
}
status=${status%$'\r'}
if [[ $status =~ ^HTTP/1\.[01]\ 200 ]]; then
    exit 0
fi
# Headers, a blank line, then the body saying which checks fail.
body=$(timeout 2 cat <&3 | sed '1,/^\r\{0,1\}$/d')
echo "$status: $body"
exit 1
