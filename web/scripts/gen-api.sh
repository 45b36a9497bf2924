#!/usr/bin/env bash
# Generates src/lib/api/schema.d.ts from the server's OpenAPI document (`chatalot openapi`).
#   scripts/gen-api.sh          regenerate
#   scripts/gen-api.sh --check  fail if the committed file differs from what the server says
# The server binary: $SERVER_BIN, else ../target/debug/chatalot (built by cargo build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${SERVER_BIN:-../target/debug/chatalot}
[[ -x $bin ]] || { echo "gen-api: $bin is missing; run cargo build -p chatalot" >&2; exit 1; }
mkdir -p .svelte-kit
"$bin" openapi >openapi.json
if [[ ${1:-} == --check ]]; then
    npx openapi-typescript openapi.json -o .svelte-kit/schema.check.d.ts >/dev/null
    if ! diff -q src/lib/api/schema.d.ts .svelte-kit/schema.check.d.ts >/dev/null; then
        echo "gen-api: src/lib/api/schema.d.ts is out of date with the server's OpenAPI document;" \
            "run web/scripts/gen-api.sh and commit the result" >&2
        exit 1
    fi
    echo "gen-api: schema.d.ts matches the server's OpenAPI document"
else
    npx openapi-typescript openapi.json -o src/lib/api/schema.d.ts
fi
