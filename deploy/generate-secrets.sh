#!/usr/bin/env bash
# Creates the secrets of a compose install (deploy/compose.yaml), once. Run it from anywhere:
#
#   deploy/generate-secrets.sh                    create what is missing in deploy/secrets/
#   deploy/generate-secrets.sh --dir DIR          ... in DIR instead
#   deploy/generate-secrets.sh --rotate NAME      replace one secret (jwt, vapid, turn, postgres);
#                                                 the old files are kept as *.old-<time>
#   deploy/generate-secrets.sh --no-chown         leave the files owned by you (see below)
#
# Files (each 0600; an existing file is never overwritten, only --rotate replaces one):
#   jwt-private.pem, jwt-public.pem   Ed25519 key pair signing access tokens (PKCS#8 / SPKI PEM)
#   vapid-private.pem                 P-256 key pair for web push (PKCS#8 PEM) ...
#   vapid-public.txt                  ... and its public key as browsers want it (base64url)
#   turn-secret                       coturn's static-auth-secret, shared with signal-svc
#   postgres-password                 the PostgreSQL password of the chatalot role ...
#   database-url                      ... and Chatalot's database.url containing it
#
# Containers read them as their own users, so when run as root the script gives each file to its
# reader: uid 10001 (the Chatalot image's user, also coturn's in compose.yaml) and uid 999 for
# postgres-password (the postgres user of the postgres:*-bookworm image). Run as another user it
# cannot, and says so: run it with sudo, or chown the files yourself. Needs openssl.
set -euo pipefail

CHATALOT_UID=10001
POSTGRES_UID=999
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$here/secrets
chown_files=1
rotate=""
created=()

say() { printf '[generate-secrets] %s\n' "$*" >&2; }
die() {
    printf '[generate-secrets] error: %s\n' "$*" >&2
    exit 1
}
usage() { sed -n '2,23s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while (($#)); do
    case $1 in
        --dir)
            (($# >= 2)) || die "--dir needs a directory"
            dir=$2
            shift
            ;;
        --rotate)
            (($# >= 2)) || die "--rotate needs one of: jwt vapid turn postgres"
            rotate=$2
            shift
            ;;
        --no-chown) chown_files=0 ;;
        -h | --help) usage && exit 0 ;;
        *) usage >&2 && die "unknown argument: $1" ;;
    esac
    shift
done

command -v openssl >/dev/null 2>&1 || die "openssl is missing (Debian: apt-get install openssl)"
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
dir=$(cd "$dir" && pwd)
stamp=$(date -u +%Y%m%dT%H%M%SZ)

# The files each secret is made of.
files_of() {
    case $1 in
        jwt) echo jwt-private.pem jwt-public.pem ;;
        vapid) echo vapid-private.pem vapid-public.txt ;;
        turn) echo turn-secret ;;
        postgres) echo postgres-password database-url ;;
        *) die "unknown secret '$1' (one of: jwt vapid turn postgres)" ;;
    esac
}

# Moves a secret's files aside (never deleted), so that it is made again below.
retire() {
    local file
    for file in $(files_of "$1"); do
        if [[ -e $dir/$file ]]; then
            mv "$dir/$file" "$dir/$file.old-$stamp"
            say "moved $file to $file.old-$stamp"
        fi
    done
}

# True when every file of a secret exists; fails when only some do (a half-made pair is not
# silently completed with a mismatching half).
complete() {
    local file present=0 missing=0
    for file in $(files_of "$1"); do
        if [[ -s $dir/$file ]]; then present=$((present + 1)); else missing=$((missing + 1)); fi
    done
    ((missing == 0)) && return 0
    ((present == 0)) && return 1
    die "$dir holds only part of the '$1' secret ($(files_of "$1")); move the rest aside or use --rotate $1"
}

# Writes stdin to FILE through a temporary name, so an interrupted run leaves no half file.
put() {
    local file=$1 tmp
    tmp=$(mktemp "$dir/.$file.XXXXXX")
    cat >"$tmp"
    [[ -s $tmp ]] || {
        rm -f "$tmp"
        die "could not generate $file"
    }
    chmod 600 "$tmp"
    mv "$tmp" "$dir/$file"
    created+=("$file")
}

# Random printable secret: hex only, so it needs no quoting in URLs, configuration files or
# environment variables.
random_hex() { openssl rand -hex "$1"; }

# `put FILE < <(command)`, not `command | put FILE`: put must run in this shell (it records the
# file in `created`).
make_jwt() {
    put jwt-private.pem < <(openssl genpkey -algorithm ed25519)
    put jwt-public.pem < <(openssl pkey -in "$dir/jwt-private.pem" -pubout)
}

make_vapid() {
    put vapid-private.pem < <(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)
    # The last 65 bytes of the SPKI DER form are the uncompressed point (0x04 || X || Y): the
    # applicationServerKey of the Push API, in unpadded base64url.
    put vapid-public.txt < <(openssl pkey -in "$dir/vapid-private.pem" -pubout -outform DER |
        tail -c 65 | openssl base64 -A | tr '+/' '-_' | tr -d '=')
}

make_turn() { put turn-secret < <(random_hex 32); }

make_postgres() {
    local password
    password=$(random_hex 24)
    put postgres-password < <(printf '%s' "$password")
    put database-url < <(printf 'postgres://chatalot:%s@postgres:5432/chatalot' "$password")
}

if [[ -n $rotate ]]; then
    files_of "$rotate" >/dev/null
    retire "$rotate"
fi
for secret in jwt vapid turn postgres; do
    if complete "$secret"; then
        say "kept $secret ($(files_of "$secret"))"
    else
        "make_$secret"
    fi
done

# Ownership: each file to the uid that reads it inside its container.
owner_of() {
    case $1 in
        postgres-password*) echo "$POSTGRES_UID:$POSTGRES_UID" ;;
        *) echo "$CHATALOT_UID:$CHATALOT_UID" ;;
    esac
}
if ((chown_files)); then
    if [[ $EUID -eq 0 ]]; then
        # Every current file, not only new ones: a re-run as root repairs ownership.
        for secret in jwt vapid turn postgres; do
            for file in $(files_of "$secret"); do chown "$(owner_of "$file")" "$dir/$file"; done
        done
    elif ((${#created[@]})); then
        say "warning: not root, so the new files are owned by you and containers cannot read them."
        say "  Run: sudo chown $CHATALOT_UID:$CHATALOT_UID $dir/{jwt-*,vapid-*,turn-secret,database-url}"
        say "       sudo chown $POSTGRES_UID:$POSTGRES_UID $dir/postgres-password"
        say "  (not needed with rootless Docker or Docker Desktop, which map file ownership)"
    fi
fi

if ((${#created[@]})); then
    say "created in $dir: ${created[*]}"
else
    say "nothing to do: every secret exists in $dir"
fi
if [[ $rotate == postgres ]]; then
    say "the database still has the old password: set the new one before restarting, e.g."
    say "  docker-compose -f deploy/compose.yaml exec postgres psql -U chatalot -d chatalot \\"
    say "    -c \"alter role chatalot password '\$(cat $dir/postgres-password)'\""
    say "  (run the \$(cat ...) part on this host; then restart chatalot)"
fi
