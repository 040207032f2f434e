#!/bin/bash
# restore.sh - checkpoint equivocation after a restored backup (issue 10
# item 4).  Stop ledgerd, put back an older copy of ledger.db, start it:
# it must not append and sign a second, different tree of a size it
# already signed.  It serves reads, refuses writes with a message that
# says how to recover, and signs nothing new; the same when the whole
# data directory is restored but the checkpoint export off the box is
# newer.
set -u
. "$(dirname "$0")/../e2e-lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 not found"; exit 77; }

D=$T/r
mkdir -p "$D"
start "$D" "\"checkpoint_interval_ms\":50,\"checkpoint_export\":{\"dir\":\"$D/exported\"}"
wait_size() { # until the newest checkpoint covers the log
	local i n s
	for i in $(seq 1 100); do
		n=$(curl -s "$URL/healthz" | sed -n 's/.*"log_size":\([0-9]*\).*/\1/p')
		s=$(curl -s "$URL/v1/checkpoint" | sed -n 2p)
		[ -n "$n" ] && [ "$n" = "$s" ] && return 0
		sleep 0.05
	done
	return 1
}
for i in 1 2 3; do post '{"kind":"build"}' >/dev/null; done
wait_size
stop "$PID"
sqlite3 "$D/var/ledger.db" ".backup '$T/backup.db'"
cp -a "$D/var" "$T/var-backup"
restart_nth "$D" 2 "\"checkpoint_interval_ms\":50,\"checkpoint_export\":{\"dir\":\"$D/exported\"}"
for i in 1 2 3 4 5; do post '{"kind":"deployment"}' >/dev/null; done
wait_size
stop "$PID"
signed=$(ls "$D/exported" | sort -n | tail -1)
cp "$D/var/ledger.checkpoint" "$T/newer.checkpoint"
exported_before=$(ls "$D/exported" | wc -l)

# 1. only ledger.db restored (ledger.checkpoint beside it is current)
rm -f "$D/var/ledger.db-wal" "$D/var/ledger.db-shm"
cp "$T/backup.db" "$D/var/ledger.db"
restart_nth "$D" 3 "\"checkpoint_interval_ms\":50,\"checkpoint_export\":{\"dir\":\"$D/exported\"}"
st=$(post '{"kind":"build"}')
check "restored ledger.db: writes refused ($st)" test "$st" = 503
check "...saying the database is older than the log and how to recover" \
    bash -c "grep -q 'older than the log' '$T/body' && grep -q 'Restore a newer copy' '$T/body'"
check ".../healthz is 503 with the reason" bash -c \
    "curl -s '$URL/healthz' | grep -q 'refusing writes'"
check "...reads still served" bash -c \
    "curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $RTOK' '$URL/v1/events' | grep -q 200"
sleep 0.3
stop "$PID"
check "...no checkpoint signed for a size already signed (export unchanged)" \
    test "$(ls "$D/exported" | wc -l)" = "$exported_before"
check "...the log keeps its old size (nothing appended)" \
    test "$("$LEDGERCTL" events -d "$D/var" --json | wc -l)" -lt "$signed"

# 2. the whole data directory restored; the export off the box is newer
rm -rf "$D/var"
cp -a "$T/var-backup" "$D/var"
restart_nth "$D" 4 "\"checkpoint_interval_ms\":50,\"checkpoint_export\":{\"dir\":\"$D/exported\"}"
st=$(post '{"kind":"build"}')
check "restored data directory, newer export: writes refused ($st)" test "$st" = 503
check "...naming the checkpoint_export copy" grep -q 'checkpoint_export' "$T/body"
stop "$PID"
check "...and the export holds no second tree of a signed size" \
    test "$(ls "$D/exported" | wc -l)" = "$exported_before"

# 3. ledgerctl append refuses too (newer ledger.checkpoint, older db)
cp "$T/newer.checkpoint" "$D/var/ledger.checkpoint"
rm -f "$D/var/ledger.db-wal" "$D/var/ledger.db-shm"
cp "$T/backup.db" "$D/var/ledger.db"
"$LEDGERCTL" append -d "$D/var" --kind build >/dev/null 2>"$T/err"
check "ledgerctl append on a restored ledger.db is refused (exit $?)" \
    grep -q 'older than the log' "$T/err"
# 4. checkpoint_export as a file (each note appended): a plain restart
# is not refused, a torn last note is skipped, a restored database is
# refused against it
E=$T/ef
mkdir -p "$E"
cfg="\"checkpoint_interval_ms\":50,\"checkpoint_export\":{\"file\":\"$E/cp.txt\"}"
start "$E" "$cfg"
for i in 1 2 3; do post '{"kind":"build"}' >/dev/null; done
wait_size
stop "$PID"
sqlite3 "$E/var/ledger.db" ".backup '$T/e-backup.db'"
restart_nth "$E" 2 "$cfg"
st=$(post '{"kind":"build"}')
check "export file: a plain restart still takes writes ($st)" test "$st" = 201
for i in 1 2 3; do post '{"kind":"deployment"}' >/dev/null; done
wait_size
stop "$PID"
printf 'e2e-tmp\n9\n' >>"$E/cp.txt"	# a torn append
restart_nth "$E" 3 "$cfg"
st=$(post '{"kind":"build"}')
check "export file: a torn last note is skipped with a warning ($st)" \
    bash -c "[ '$st' = 201 ] && grep -q 'malformed note' '$E/log'"
stop "$PID"
rm -f "$E/var/ledger.db-wal" "$E/var/ledger.db-shm" "$E/var/ledger.checkpoint"
cp "$T/e-backup.db" "$E/var/ledger.db"
restart_nth "$E" 4 "$cfg"
st=$(post '{"kind":"build"}')
check "export file: a restored database is refused against it ($st)" \
    bash -c "[ '$st' = 503 ] && grep -q 'checkpoint_export file' '$T/body'"
stop "$PID"
summary
