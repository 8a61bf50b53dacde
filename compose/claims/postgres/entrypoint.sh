#!/bin/sh
# Postgres 15 for the staging claims system, run from the drdrill base image.
# The cluster: initdb as user postgres, trust auth for the compose network, database "claims".
# Then `exec` postgres so the signals forwarded by docker-init reach it directly.
set -eu

PGBIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"

as_postgres() {
    # setpriv ships with util-linux, which minbase always has; it keeps the environment and execs.
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
}

init_cluster() {
    as_postgres "$PGBIN/initdb" --pgdata="$PGDATA" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    cat >>"$PGDATA/postgresql.conf" <<'CONF'
listen_addresses = '*'
unix_socket_directories = '/run/postgresql'
wal_level = replica
max_wal_senders = 4
hot_standby = on
CONF
    # Trust only peers on the container's own networks (the compose network; published ports arrive
    # through the bridge gateway, which is on that network too).
    cat >"$PGDATA/pg_hba.conf" <<'HBA'
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
host    all             all     samenet         trust
host    replication     all     127.0.0.1/32    trust
host    replication     all     samenet         trust
HBA
    echo "CREATE DATABASE claims" | as_postgres "$PGBIN/postgres" --single -D "$PGDATA" postgres >/dev/null
    echo '{"event": "initdb", "pgdata": "'"$PGDATA"'"}'
}

# The image build runs `entrypoint.sh --init-only`, so a container normally starts from a ready
# cluster (a new named volume is filled from the image); initdb at start-up is the fallback.
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    init_cluster
fi
if [ "${1:-}" = "--init-only" ]; then
    exit 0
fi

# With POSTGRES_PASSWORD set (drdrill sets a new one for every drill), every network client needs it,
# including connections through a published port; only the container's own loopback is trusted (healthcheck).
if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    case "$POSTGRES_PASSWORD" in
    *[!A-Za-z0-9_-]*) echo "POSTGRES_PASSWORD may hold only letters, digits, - and _" >&2; exit 2 ;;
    esac
    cat >"$PGDATA/pg_hba.conf" <<'HBA'
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
host    all             all     0.0.0.0/0       scram-sha-256
host    replication     all     0.0.0.0/0       scram-sha-256
HBA
    echo "ALTER USER postgres PASSWORD '$POSTGRES_PASSWORD'" |
        as_postgres "$PGBIN/postgres" --single -D "$PGDATA" postgres >/dev/null
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$PGDATA" "$@"
