#!/bin/sh
# Restore the claims database from the backups volume, in a container started with `entrypoint.sh --idle`:
# the latest base backup, then the archived WAL replayed to its end (or to --target-time), then promoted.
#
#   restore.sh                          base backup + every archived WAL segment: up to the last archived write
#   restore.sh --target-time "$T"       ... replayed only up to T (UTC, ISO 8601), e.g. the instant a table was
#                                       dropped ($DRDRILL_FAULT_UTC, which drdrill gives every exec action)
#   restore.sh --no-wal                 the base backup alone (what a restore without the log replay gives)
#
# Prints one JSON line per stage; exits 0 once the restored database accepts writes.
set -eu

PGBIN=/usr/lib/postgresql/15/bin
BACKUPS=${BACKUPS:-/backups}
TARGET=/var/lib/postgresql/restored
wal=yes
target_time=""
while [ $# -gt 0 ]; do
    case "$1" in
    --no-wal) wal=no ;;
    --target-time) target_time=$2; shift ;;
    *) echo "usage: restore.sh [--no-wal] [--target-time TIME]" >&2; exit 2 ;;
    esac
    shift
done

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
say() { echo "{\"event\": \"$1\"${2:+, $2}}"; }

[ -d "$BACKUPS/base/latest" ] || { echo "no base backup in $BACKUPS/base/latest" >&2; exit 1; }

archived_after() {
    # An archived segment written after $1 (seconds since the epoch, with a fraction) exists.
    find "$BACKUPS/wal" -type f ! -name '*.part' -printf '%T@\n' | awk -v t="$1" '$1 > t { found = 1 } END { exit !found }'
}

attempt() {
    rm -rf "$TARGET"
    cp -a "$BACKUPS/base/latest" "$TARGET"
    chown -R postgres:postgres "$TARGET"
    chmod 700 "$TARGET"
    rm -f "$TARGET/postmaster.pid" "$TARGET/standby.signal"
    {
        echo "synchronous_standby_names = ''"
        echo "archive_mode = off"
        if [ "$wal" = yes ]; then
            echo "restore_command = 'cp $BACKUPS/wal/%f %p'"
            echo "recovery_target_action = 'promote'"
            [ -z "$target_time" ] || echo "recovery_target_time = '$target_time'"
            [ -z "$target_time" ] || echo "recovery_target_inclusive = false"
        fi
    } >>"$TARGET/postgresql.auto.conf"
    [ "$wal" = no ] || touch "$TARGET/recovery.signal"
    as_postgres "$PGBIN/pg_ctl" -D "$TARGET" -l /tmp/restore.log -w -t 120 start >/dev/null
}

mkdir -p /run/postgresql && chown postgres:postgres /run/postgresql
if [ -n "$target_time" ] && [ "$wal" = yes ]; then
    # The archive must reach past the target, or recovery ends before it (a segment is archived every second
    # there was a write): wait for one archived after it.
    since=$(date -u -d "$target_time" +%s.%N)
    for _ in $(seq 1 100); do
        archived_after "$since" && break
        sleep 0.1
    done
fi
say base_backup_copying "\"from\": \"$BACKUPS/base/latest\""
# A segment archived in the instant between the target and the disaster's own write ends the replay before the
# target (the server stops): then the next segment (at most a second later) carries it, and it is tried again.
promoted() {
    for _ in $(seq 1 1200); do
        state=$(as_postgres "$PGBIN/psql" -h 127.0.0.1 -U postgres -d claims -tAc "SELECT pg_is_in_recovery()" 2>/dev/null || true)
        [ "$state" = f ] && return 0
        as_postgres "$PGBIN/pg_ctl" -D "$TARGET" status >/dev/null 2>&1 || return 1
        sleep 0.1
    done
    return 1
}
tries=0
until attempt && promoted; do
    tries=$((tries + 1))
    if [ "$tries" -ge 3 ]; then
        tail -n 20 /tmp/restore.log >&2
        echo "the restored database never left recovery" >&2
        exit 1
    fi
    as_postgres "$PGBIN/pg_ctl" -D "$TARGET" -m immediate stop >/dev/null 2>&1 || true
    say restore_retried "\"why\": \"$(tail -n 1 /tmp/restore.log | tr -d '\"\\\\')\""
    sleep 1.2
done
rows=$(as_postgres "$PGBIN/psql" -h 127.0.0.1 -U postgres -d claims -tAc "SELECT count(*) FROM claims" 2>/dev/null || echo "?")
say restored "\"wal_replayed\": \"$wal\", \"target_time\": \"$target_time\", \"claims\": \"$rows\""
