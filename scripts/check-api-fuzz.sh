#!/usr/bin/env bash
# Schema-driven fuzzing of the REST API against a running gateway:
#
#   scripts/check-api-fuzz.sh BASE_URL [MAX_EXAMPLES]
#
# Runs schemathesis (PyPI, pinned in scripts/api-fuzz/requirements.txt, installed into
# .data/venv-schemathesis) against BASE_URL/api/v1/openapi.json with every check on (server
# errors, status codes, content types, headers, response schemas, negative data rejected,
# positive data accepted, missing auth, ignored auth, use after free, ...), in positive and
# negative mode, through the examples, coverage, fuzzing and stateful phases (the stateful phase
# chains operations by the links schemathesis infers from the document: ids a response returns
# feed the operations that take them). MAX_EXAMPLES (default 50) bounds the generated cases per
# operation and phase; the seed is fixed, so a run is repeatable. Requests authenticate as two
# fresh accounts registered here (see scripts/api-fuzz/hooks.py for who sends what); the few
# operations that refuse schema-valid input by rules a schema cannot state are listed, with the
# rule, in scripts/api-fuzz/schemathesis.toml. Fails on any failure.
# scripts/test.sh runs it against the smoke-test instance.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

base=${1:?usage: $0 BASE_URL [MAX_EXAMPLES]}
base=${base%/}
max_examples=${2:-50}
venv=.data/venv-schemathesis
requirements=scripts/api-fuzz/requirements.txt

setup_venv() {
    local digest
    need_cmd python3 python3
    digest=$(sha256sum "$requirements" | cut -c1-16)
    [[ -f $venv/.complete-$digest ]] && return 0
    say "installing schemathesis into $venv"
    rm -rf "$venv"
    mkdir -p .data
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        apt_install python3-venv
        python3 -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --require-hashes --only-binary=:all: --no-deps -r "$requirements" ||
        die "cannot install schemathesis from $requirements"
    touch "$venv/.complete-$digest"
}

# A loopback address of its own for this run when the gateway is on this machine: the rate
# limits per client address (auth.register_ip_limit, auth.login_ip_limit) then count this run
# alone; it neither runs out of registrations because of earlier runs nor uses up those of
# other clients (such as the next test run's) on 127.0.0.1.
pick_source_ip() {
    local ip
    case $base in
        http://127.0.0.1:* | http://localhost:*) ;;
        *) return 0 ;;
    esac
    ip=127.$((RANDOM % 250 + 2)).$((RANDOM % 256)).$((RANDOM % 254 + 1))
    if curl -fsS --max-time 10 --interface "$ip" -o /dev/null "$base/api/v1/openapi.json" 2>/dev/null; then
        source_ip=$ip
        curl_source=(--interface "$ip")
    fi
}

# register NAME PASSWORD: prints the session tokens (JSON) of a new account.
register() {
    curl -fsS "${curl_source[@]}" --max-time 30 -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$2\"}" "$base/api/v1/auth/register" ||
        die "cannot register $1 at $base (registration closed or rate limited?)"
}

json_field() { # json_field JSON KEY
    "$venv/bin/python" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

setup_venv
need_cmd curl
curl -fsS --max-time 10 -o /dev/null "$base/api/v1/openapi.json" || die "$base/api/v1/openapi.json does not answer"
source_ip=""
curl_source=()
pick_source_ip

# Two fresh accounts; the main one owns a community, so community ids exist for the stateful
# phase to start from even before it creates its own.
suffix=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
password="fuzz passphrase $suffix"
main=$(register "fuzzmain$suffix" "$password")
sessions=$(register "fuzzsess$suffix" "$password")
curl -fsS "${curl_source[@]}" --max-time 30 -o /dev/null -H 'content-type: application/json' \
    -H "authorization: Bearer $(json_field "$main" access_token)" \
    -d "{\"name\":\"fuzz $suffix\",\"visibility\":\"public\"}" "$base/api/v1/communities" ||
    die "cannot create a community"

export CHATALOT_FUZZ_BASE=$base CHATALOT_FUZZ_SOURCE_IP=$source_ip
export CHATALOT_FUZZ_MAIN_USER=fuzzmain$suffix CHATALOT_FUZZ_SESSIONS_USER=fuzzsess$suffix
export CHATALOT_FUZZ_MAIN_PASSWORD=$password CHATALOT_FUZZ_SESSIONS_PASSWORD=$password
CHATALOT_FUZZ_MAIN_ACCESS=$(json_field "$main" access_token)
CHATALOT_FUZZ_MAIN_REFRESH=$(json_field "$main" refresh_token)
CHATALOT_FUZZ_SESSIONS_ACCESS=$(json_field "$sessions" access_token)
CHATALOT_FUZZ_SESSIONS_REFRESH=$(json_field "$sessions" refresh_token)
export CHATALOT_FUZZ_MAIN_ACCESS CHATALOT_FUZZ_MAIN_REFRESH CHATALOT_FUZZ_SESSIONS_ACCESS CHATALOT_FUZZ_SESSIONS_REFRESH

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
say "schemathesis from ${source_ip:-the default address}: all checks, positive and negative data, $max_examples examples per operation and phase"
started=$SECONDS
status=0
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=scripts/api-fuzz SCHEMATHESIS_HOOKS=hooks "$venv/bin/st" \
    --config-file scripts/api-fuzz/schemathesis.toml run "$base/api/v1/openapi.json" \
    --url "$base" --mode all --phases examples,coverage,fuzzing,stateful \
    --max-examples "$max_examples" --seed 1 --workers 2 --request-timeout 30 \
    --generation-database none --no-color \
    --report junit --report-junit-path "$reports/junit.xml" || status=$?
"$venv/bin/python" scripts/api-fuzz/summary.py "$reports/junit.xml" $((SECONDS - started)) >&2 ||
    die "cannot read the schemathesis report"
((status == 0)) || die "schemathesis found failures (exit $status); see its output above"
