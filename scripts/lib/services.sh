# shellcheck shell=bash
# Makes sure the services Chatalot needs are reachable on this machine, installing (apt) and
# starting them only when they are not. Sourced by scripts/run.sh and scripts/test.sh.
#
#   PostgreSQL 15  127.0.0.1:5432  (user postgres, no password from localhost)
#   Redis 7        127.0.0.1:6379
#   NATS           127.0.0.1:4222  (with JetStream)
#
# A service that already answers is used as it is and never reconfigured or restarted.

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# True when something accepts TCP connections on HOST:PORT. The timeout guards against
# addresses that drop packets instead of refusing.
port_open() {
    # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash, on purpose
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# Waits up to SECONDS for HOST:PORT to accept connections.
wait_for_port() {
    local host=$1 port=$2 deadline=$((SECONDS + $3))
    until port_open "$host" "$port"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# True when URL points at this machine on PORT (no port in the URL counts as PORT), i.e. at a
# service these functions manage. Only the first URL of a comma-separated list is looked at.
url_is_local() {
    local hostport=${1#*://} host port
    hostport=${hostport%%[/?#,]*}
    hostport=${hostport##*@}
    if [[ $hostport =~ ^(.*):([0-9]+)$ ]]; then
        host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
    else
        host=$hostport port=$2
    fi
    [[ $port == "$2" && ($host == 127.0.0.1 || $host == localhost || $host == "[::1]") ]]
}

# The database name of a postgres:// URL (its path, without a query string).
url_database_name() {
    local rest=${1#*://}
    rest=${rest%%[?#]*}
    [[ $rest == */* ]] && printf '%s\n' "${rest#*/}"
}

# ---------------------------------------------------------------- PostgreSQL

# How admin SQL reaches the server: "tcp" (psql -h 127.0.0.1 -U postgres, the way Chatalot
# connects) or "su" (the postgres OS user over the Unix socket, when TCP login is refused).
PG_VIA=""
# NOTICEs ("... does not exist, skipping") are noise here.
PG_QUIET='PGOPTIONS=-c client_min_messages=warning'
PG_TCP=(env "$PG_QUIET" psql -X -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq)
PG_SU_CMD="env '$PG_QUIET' psql -X -p 5432 -d postgres -v ON_ERROR_STOP=1 -Atq"

# Runs one SQL statement as the postgres superuser and prints the rows, one per line.
pg_sql() {
    case $PG_VIA in
        tcp) "${PG_TCP[@]}" -c "$1" ;;
        # SQL goes through stdin, so it needs no second round of shell quoting inside `su -c`.
        su) printf '%s\n' "$1" | as_root su postgres -s /bin/sh -c "$PG_SU_CMD" ;;
        *) die "internal: pg_sql called before ensure_postgres" ;;
    esac
}

# Picks PG_VIA: TCP when it works, else `su postgres`, else gives up with psql's message.
pg_pick_access() {
    local err
    if err=$("${PG_TCP[@]}" -c 'select 1' 2>&1 >/dev/null); then
        PG_VIA=tcp
        return 0
    fi
    if id postgres >/dev/null 2>&1 &&
        printf 'select 1;\n' | as_root su postgres -s /bin/sh -c "$PG_SU_CMD" >/dev/null 2>&1; then
        PG_VIA=su
        say "warning: PostgreSQL refuses a password-less TCP login as postgres ($err)."
        say "  Chatalot connects over TCP: allow it in pg_hba.conf (host all all 127.0.0.1/32 trust)"
        say "  or put a password in CHATALOT_DATABASE__URL."
        return 0
    fi
    die "cannot run SQL on PostgreSQL at 127.0.0.1:5432 as postgres: $err"
}

# The PostgreSQL version to run: an existing cluster's, else the newest installed server.
pg_version() {
    local dir versions
    for dir in /etc/postgresql /usr/lib/postgresql; do
        versions=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V) || true
        if [[ -n $versions ]]; then
            printf '%s\n' "${versions##*$'\n'}"
            return 0
        fi
    done
    return 1
}

# Lets local TCP clients in without a password (a development setup, as the default URLs expect).
# Only called for a cluster this script starts: a server someone else runs is left alone.
pg_trust_local_tcp() {
    local hba=/etc/postgresql/$1/main/pg_hba.conf marker='# chatalot scripts/lib/services.sh: local TCP trust'
    as_root grep -qF "$marker" "$hba" && return 0
    say "allowing password-less TCP logins from localhost in $hba"
    # First lines win in pg_hba.conf, so these go at the top.
    as_root sed -i "1i $marker\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust" "$hba"
}

# Installs (if needed) and starts the local cluster, then waits for it to answer.
pg_start_local() {
    local version
    say "PostgreSQL does not answer on 127.0.0.1:5432; starting a local cluster"
    command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
    version=$(pg_version) || die "no PostgreSQL server found under /usr/lib/postgresql after installing it"
    if [[ ! -d /etc/postgresql/$version/main ]]; then
        as_root pg_createcluster "$version" main >/dev/null || die "pg_createcluster $version main failed"
    fi
    pg_trust_local_tcp "$version"
    if port_open 127.0.0.1 5432; then
        # The package's postinst may already have started it; a reload applies pg_hba.conf.
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    else
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
            say "pg_ctlcluster start failed; waiting in case it is starting anyway"
    fi
    wait_for_port 127.0.0.1 5432 30 ||
        die "PostgreSQL did not answer on 127.0.0.1:5432 within 30 s; see /var/log/postgresql/postgresql-$version-main.log"
}

ensure_postgres() {
    if port_open 127.0.0.1 5432; then
        say "PostgreSQL: using the server on 127.0.0.1:5432"
    else
        pg_start_local
    fi
    need_cmd psql postgresql-client
    pg_pick_access
}

# Creates database NAME unless it exists. Names are limited to [A-Za-z0-9_] so they can be
# spliced into SQL safely.
ensure_database() {
    local name=$1 exists
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "unsupported database name '$name' (use letters, digits and _)"
    exists=$(pg_sql "select 1 from pg_database where datname = '$name'") || die "cannot query PostgreSQL"
    [[ -n $exists ]] && return 0
    say "creating database $name"
    pg_sql "create database \"$name\"" >/dev/null || die "cannot create database $name"
}

# ---------------------------------------------------------------- Redis

ensure_redis() {
    if port_open 127.0.0.1 6379; then
        say "Redis: using the server on 127.0.0.1:6379"
        return 0
    fi
    say "Redis does not answer on 127.0.0.1:6379; starting it"
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    # The Debian package starts its own service where an init system lets it; do not start twice.
    if ! port_open 127.0.0.1 6379; then
        # Chatalot keeps only rebuildable state in Redis, so persistence is off.
        as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
            --logfile /var/log/chatalot-redis.log >/dev/null || die "redis-server failed to start"
    fi
    wait_for_port 127.0.0.1 6379 30 ||
        die "Redis did not answer on 127.0.0.1:6379 within 30 s; see /var/log/chatalot-redis.log"
}

# ---------------------------------------------------------------- NATS

# Tests also start private nats-servers (to kill and restart them), so the binary must exist
# even when a shared server already answers on 4222.
ensure_nats_binary() {
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    if [[ :$PATH: != *:/usr/sbin:* ]]; then
        PATH=$PATH:/usr/sbin
        export PATH
    fi
    command -v nats-server >/dev/null 2>&1 || apt_install nats-server
    command -v nats-server >/dev/null 2>&1 || die "nats-server is still missing after installing it"
}

# True when the NATS server on 4222 announces JetStream in its INFO greeting.
nats_has_jetstream() {
    local info
    # shellcheck disable=SC2016 # $line belongs to the inner bash
    info=$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222 && IFS= read -r -t 2 line <&3 && printf %s "$line"' 2>/dev/null) ||
        return 0 # cannot tell: do not cry wolf
    [[ $info == *'"jetstream":true'* ]]
}

# Starts nats-server with JetStream in the background. The pid file makes start-stop-daemon
# track only this instance, not the private servers tests start from the same binary.
nats_start_local() {
    as_root mkdir -p /var/lib/nats-server
    as_root start-stop-daemon --start --oknodo --background \
        --make-pidfile --pidfile /run/chatalot-nats-server.pid --exec "$(command -v nats-server)" -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log ||
        die "could not start nats-server"
}

ensure_nats() {
    if port_open 127.0.0.1 4222; then
        say "NATS: using the server on 127.0.0.1:4222"
        nats_has_jetstream ||
            say "warning: the NATS server on 127.0.0.1:4222 runs without JetStream (start it with -js); Chatalot needs it"
        return 0
    fi
    say "NATS does not answer on 127.0.0.1:4222; starting it"
    ensure_nats_binary
    # The Debian package ships a systemd unit that may have started it meanwhile.
    port_open 127.0.0.1 4222 || nats_start_local
    wait_for_port 127.0.0.1 4222 30 ||
        die "NATS did not answer on 127.0.0.1:4222 within 30 s; see /var/log/nats-server.log"
}
