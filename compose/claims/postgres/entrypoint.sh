#!/bin/sh
# Postgres 15 for the staging claims system, run from the drdrill base image.
#
#   entrypoint.sh               the primary: WAL archived to /backups/wal (a segment at least every second),
#                               one base backup taken into /backups/base once it runs (and, with
#                               BACKUP_AFTER_TABLE set, once that table exists); synchronous replication
#                               to the standby named in SYNC_STANDBY (empty: asynchronous)
#   entrypoint.sh --standby     a streaming standby of PRIMARY (host:port), made with pg_basebackup at start
#                               (with BACKUP_AFTER_TABLE and STANDBY_LAG_MS set, once that table exists);
#                               application_name "standby"; STANDBY_LAG_MS > 0 puts a delaying relay on its
#                               replication stream (a standby that trails, as one does under load)
#   entrypoint.sh --idle        nothing runs until /opt/drdrill/postgres/restore.sh is executed in it
#   entrypoint.sh --init-only   the image build: a ready cluster in the image, so a container starts in well
#                               under a second
#
# The cluster: initdb as user postgres with 1 MB WAL segments (an archive of seconds, not of 16 MB files),
# trust auth inside the container, database "claims". Postgres is `exec`ed so docker-init's signals reach it.
set -eu

PGBIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/var/lib/postgresql/data}
BACKUPS=${BACKUPS:-/backups}
REFERENCE=/opt/drdrill/search/reference_claims.tsv
export PGDATA

as_postgres() {
    # setpriv ships with util-linux, which minbase always has; it keeps the environment and execs.
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
}

hba() {
    # With POSTGRES_PASSWORD set (drdrill sets a new one for every drill), every network client needs it,
    # including connections through a published port; only the container's own loopback is trusted.
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        cat >"$1/pg_hba.conf" <<'HBA'
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
host    all             all     0.0.0.0/0       scram-sha-256
host    replication     all     127.0.0.1/32    trust
host    replication     all     0.0.0.0/0       scram-sha-256
HBA
    else
        cat >"$1/pg_hba.conf" <<'HBA'
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
host    all             all     samenet         trust
host    replication     all     127.0.0.1/32    trust
host    replication     all     samenet         trust
HBA
    fi
}

init_cluster() {
    as_postgres "$PGBIN/initdb" --pgdata="$PGDATA" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --wal-segsize=1 --no-sync >/dev/null
    cat >>"$PGDATA/postgresql.conf" <<'CONF'
listen_addresses = '*'
unix_socket_directories = '/run/postgresql'
wal_level = replica
max_wal_senders = 6
max_replication_slots = 4
hot_standby = on
archive_mode = on
archive_command = 'test ! -f /backups/wal/%f && cp %p /backups/wal/%f.part && mv /backups/wal/%f.part /backups/wal/%f'
archive_timeout = 1s
wal_keep_size = 64MB
# A client that vanished (its zone lost) lets go of its row locks within seconds, not hours.
tcp_keepalives_idle = 2
tcp_keepalives_interval = 1
tcp_keepalives_count = 3
idle_in_transaction_session_timeout = 10s
CONF
    hba "$PGDATA"
    echo "CREATE DATABASE claims" | as_postgres "$PGBIN/postgres" --single -D "$PGDATA" postgres >/dev/null
    # The reference claims: the rows the search service's vector index is built from (its source of truth, so
    # they are in every base backup and every standby).
    if [ -f "$REFERENCE" ]; then
        printf '%s\n' \
            "CREATE TABLE reference_claims (id text PRIMARY KEY, label text NOT NULL, text text NOT NULL)" \
            "COPY reference_claims FROM '$REFERENCE'" |
            as_postgres "$PGBIN/postgres" --single -D "$PGDATA" claims >/dev/null
    fi
    echo '{"event": "initdb", "pgdata": "'"$PGDATA"'"}'
}

prepare_dirs() {
    mkdir -p "$PGDATA" /run/postgresql "$BACKUPS/wal" "$BACKUPS/base"
    chown postgres:postgres "$PGDATA" /run/postgresql "$BACKUPS" "$BACKUPS/wal" "$BACKUPS/base"
    chmod 700 "$PGDATA"
}

set_password() {
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        case "$POSTGRES_PASSWORD" in
        *[!A-Za-z0-9_-]*) echo "POSTGRES_PASSWORD may hold only letters, digits, - and _" >&2; exit 2 ;;
        esac
        hba "$PGDATA"
        echo "ALTER USER postgres PASSWORD '$POSTGRES_PASSWORD'" |
            as_postgres "$PGBIN/postgres" --single -D "$PGDATA" postgres >/dev/null
    fi
}

base_backup_once() {
    # Detached (reparented to docker-init), so the postmaster never sees an unknown child.
    (
        (
            for _ in $(seq 1 600); do
                as_postgres "$PGBIN/pg_isready" -q -h 127.0.0.1 && break
                sleep 0.1
            done
            # A backup of the live system, not of an empty cluster: with BACKUP_AFTER_TABLE set, it waits (60 s
            # at most) until the application has made that table, so a restore without the log replay still
            # has the schema and loses only the rows written since.
            if [ -n "${BACKUP_AFTER_TABLE:-}" ]; then
                for _ in $(seq 1 600); do
                    made=$(as_postgres "$PGBIN/psql" -h 127.0.0.1 -U postgres -d claims -tAc \
                        "SELECT to_regclass('public.$BACKUP_AFTER_TABLE') IS NOT NULL" 2>/dev/null || true)
                    [ "$made" = t ] && break
                    sleep 0.1
                done
            fi
            if [ ! -d "$BACKUPS/base/latest" ]; then
                as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -U postgres -D "$BACKUPS/base/latest.part" \
                    -X fetch -c fast >/dev/null 2>&1 &&
                    mv "$BACKUPS/base/latest.part" "$BACKUPS/base/latest" &&
                    echo '{"event": "base_backup", "path": "'"$BACKUPS"'/base/latest"}'
            fi
        ) &
    )
}

case "${BACKUP_AFTER_TABLE:-}" in
*[!a-z0-9_]*) echo "BACKUP_AFTER_TABLE may hold only lower-case letters, digits and _" >&2; exit 2 ;;
esac

mode=${1:-primary}
case "$mode" in
--init-only)
    prepare_dirs
    [ -s "$PGDATA/PG_VERSION" ] || init_cluster
    exit 0
    ;;
--idle)
    prepare_dirs
    echo '{"event": "idle", "waiting_for": "restore.sh"}'
    exec sleep infinity
    ;;
--standby)
    prepare_dirs
    primary=${PRIMARY:-postgres:5432}
    host=${primary%:*}
    port=${primary##*:}
    rm -rf "${PGDATA:?}"/*
    # A standby that trails (STANDBY_LAG_MS > 0) is made from the running system: with BACKUP_AFTER_TABLE set,
    # its base backup waits (60 s at most) until the application has made that table on the primary. Through
    # the delaying relay its stream takes several round trips to start, and a standby promoted before then
    # would lack the table: every write after the failover would fail. Without lag it starts at once, as it
    # must when replication is synchronous (the primary's first commit, the table's, waits for the standby).
    if [ -n "${BACKUP_AFTER_TABLE:-}" ] && [ "${STANDBY_LAG_MS:-0}" -gt 0 ]; then
        for _ in $(seq 1 600); do
            made=$(PGPASSWORD=${POSTGRES_PASSWORD:-} as_postgres "$PGBIN/psql" -h "$host" -p "$port" -U postgres \
                -d claims -tAc "SELECT to_regclass('public.$BACKUP_AFTER_TABLE') IS NOT NULL" 2>/dev/null || true)
            [ "$made" = t ] && break
            sleep 0.1
        done
    fi
    for _ in $(seq 1 600); do
        PGPASSWORD=${POSTGRES_PASSWORD:-} as_postgres "$PGBIN/pg_basebackup" -h "$host" -p "$port" -U postgres \
            -D "$PGDATA" -R -X stream -c fast \
            -d "host=$host port=$port user=postgres application_name=standby" >/dev/null 2>&1 && break
        rm -rf "${PGDATA:?}"/*
        sleep 0.2
    done
    [ -s "$PGDATA/PG_VERSION" ] || { echo "no base backup from $primary" >&2; exit 1; }
    if [ "${STANDBY_LAG_MS:-0}" -gt 0 ]; then
        # The replication stream (not the base backup) through a relay that holds every chunk STANDBY_LAG_MS:
        # a standby that trails its primary, as one does under load.
        python3 /opt/drdrill/apps/relay.py 127.0.0.1:15432 "$primary" "$STANDBY_LAG_MS" &
        echo "primary_conninfo = 'host=127.0.0.1 port=15432 user=postgres application_name=standby'" \
            >>"$PGDATA/postgresql.auto.conf"
    fi
    echo '{"event": "standby", "primary": "'"$primary"'", "lag_ms": '"${STANDBY_LAG_MS:-0}"'}'
    export PGPASSWORD=${POSTGRES_PASSWORD:-}
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$PGDATA" \
        -c synchronous_standby_names=''
    ;;
primary)
    prepare_dirs
    # The image build runs `entrypoint.sh --init-only`, so a container normally starts from a ready cluster
    # (a new named volume is filled from the image); initdb at start-up is the fallback.
    [ -s "$PGDATA/PG_VERSION" ] || init_cluster
    set_password
    base_backup_once
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$PGDATA" \
        -c synchronous_standby_names="${SYNC_STANDBY:-}"
    ;;
*)
    echo "usage: entrypoint.sh [--standby | --idle | --init-only]" >&2
    exit 2
    ;;
esac
