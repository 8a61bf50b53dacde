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

if [ -n "$target_time" ] && [ "$wal" = yes ]; then
    # The archive must reach past the target, or recovery ends before it (a segment is archived every second).
    wanted=$(( $(date -u -d "$target_time" +%s) + 2 ))
    for _ in $(seq 1 100); do
        newest=$(find "$BACKUPS/wal" -type f ! -name '*.part' -printf '%T@\n' | sort -n | tail -n 1 | cut -d. -f1)
        [ "${newest:-0}" -ge "$wanted" ] && break
        sleep 0.1
    done
fi

mkdir -p /run/postgresql && chown postgres:postgres /run/postgresql
rm -rf "$TARGET"
cp -a "$BACKUPS/base/latest" "$TARGET"
chown -R postgres:postgres "$TARGET"
chmod 700 "$TARGET"
rm -f "$TARGET/postmaster.pid" "$TARGET/standby.signal"
say base_backup_copied "\"from\": \"$BACKUPS/base/latest\""

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
for _ in $(seq 1 1200); do
    state=$(as_postgres "$PGBIN/psql" -h 127.0.0.1 -U postgres -d claims -tAc "SELECT pg_is_in_recovery()" 2>/dev/null || true)
    [ "$state" = f ] && break
    sleep 0.1
done
[ "$state" = f ] || { tail -n 20 /tmp/restore.log >&2; echo "the restored database never left recovery" >&2; exit 1; }
rows=$(as_postgres "$PGBIN/psql" -h 127.0.0.1 -U postgres -d claims -tAc "SELECT count(*) FROM claims" 2>/dev/null || echo "?")
say restored "\"wal_replayed\": \"$wal\", \"target_time\": \"$target_time\", \"claims\": \"$rows\""
