#!/bin/bash
# e2e-pg-migrate.sh - a SQLite log moved to PostgreSQL (issue 14) as an
# operator moves it: ledgerd runs on SQLite and builds a history (events
# with delivery ids, checkpoints, a key rotation, a prune, tokens, one of
# them revoked); ledgerd stops; ledgerctl migrate --from -d DIR --to
# --database URL; ledgerd starts again on PostgreSQL with the same data
# directory.  Checks: the same entries, root and checkpoints; the old
# tokens work (the revoked one not); a delivery sent before the move is
# still a duplicate; verify from the database alone.  Refusals: a running
# ledgerd, a target log in use, a tampered source (exact seq, nothing
# written), half the options.  One line per check, "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
. "$(dirname "$0")/pg-lib.sh"
trap 'cleanup; pg_cleanup' EXIT
pg_new main || exit 1
DB=$PG_URL_main
export PGCONNECT_TIMEOUT=5
export XDG_STATE_HOME=$T/pins
A=$T/a
V=$A/var

# ---- a SQLite log with a history ----
start "$A" '"checkpoint_interval_ms":200,"key_overlap_s":1'
check "ledgerd on SQLite serves" curl -sf "$URL/healthz" -o /dev/null
ev() { # ev N: a build with delivery id dN (Idempotency-Key)
	post "{\"kind\":\"build\",\"subject\":{\"run\":\"r$1\",\"service\":\"api\"}}" \
	    -H "Idempotency-Key: d$1" >/dev/null
}
for i in $(seq 1 60); do ev "$i"; [ "$i" = 5 ] && cp "$T/body" "$T/d5"; done
D5=$(grep -o '"seq":[0-9]*' "$T/d5" | cut -d: -f2)
kill -USR1 "$PID"
for _ in $(seq 1 50); do grep -q "key rotated" "$A/log" && break; sleep 0.1; done
for i in $(seq 61 120); do ev "$i"; done
for _ in $(seq 1 60); do grep -q "key retired" "$A/log" && break; sleep 0.1; done
check "  a key rotation in its history (rotated and retired)" \
    grep -q "key retired" "$A/log"
"$LEDGERCTL" prune --payloads-before 20 -d "$V" >/dev/null 2>&1
check "  payloads of the first entries pruned" \
    bash -c "'$LEDGERCTL' verify -d '$V' | grep -q 'pruned'"
for i in $(seq 121 150); do ev "$i"; done
"$LEDGERCTL" token create --scope read --label old -d "$V" >"$T/tok" 2>&1
OLDID=$(grep -o 'created read token [0-9]*' "$T/tok" | awk '{print $4}')
OLDTOK=$(grep '^ledger_r_' "$T/tok")
"$LEDGERCTL" token revoke -d "$V" "$OLDID" >/dev/null 2>&1
check "  a read token made ($OLDID) and revoked" \
    bash -c "[ -n '$OLDTOK' ] && '$LEDGERCTL' token list -d '$V' | grep -q revoked"
sleep 0.5
"$LEDGERCTL" migrate --from -d "$V" --to --database "$DB" >"$T/out" 2>&1
check "migrate refuses while ledgerd runs on the directory (exit 2)" \
    bash -c "[ $? = 2 ] && grep -q 'ledgerd is running' '$T/out'"
stop "$PID"
"$LEDGERCTL" events -d "$V" --json >"$T/before.events"
"$LEDGERCTL" token list -d "$V" --json >"$T/before.tokens"
"$LEDGERCTL" verify -d "$V" >"$T/before.verify"
N=$(wc -l <"$T/before.events")
check "the SQLite log: $N entries, intact" grep -q "intact" "$T/before.verify"
"$LEDGERCTL" checkpoint -d "$V" >"$T/cp.before" 2>&1
ROOT=$(awk '$1 == "root_hash:" {print $2}' "$T/cp.before")
check "  its last checkpoint (signed by ledgerd) covers all $N" \
    grep -q "^size: *$N\$" "$T/cp.before"

# ---- refusals that leave everything as it was ----
"$LEDGERCTL" migrate --from -d "$V" >"$T/out" 2>&1
check "--from without --to: a usage error (exit 2)" \
    bash -c "[ $? = 2 ] && grep -q 'go together' '$T/out'"
"$LEDGERCTL" migrate -d "$V" --database "$DB" >"$T/out" 2>&1
check "--database without --from/--to: a usage error (exit 2)" \
    bash -c "[ $? = 2 ] && grep -q 'moves a log' '$T/out'"
"$LEDGERCTL" migrate --from -d "$T/nowhere" --to --database "$DB" >"$T/out" 2>&1
check "a data directory that does not exist: exit 2, said" \
    bash -c "[ $? = 2 ] && grep -q 'no such data directory' '$T/out'"
PORT_CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$LEDGERCTL" migrate --from -d "$V" --to \
    --database "postgresql://ledger@127.0.0.1:$PORT_CLOSED/ledger" >"$T/out" 2>&1
check "a database that cannot be reached: exit 2, said, the directory as it was" \
    bash -c "[ $? = 2 ] && grep -q 'still holds the log in SQLite' '$T/out' &&
        grep -qi 'connect' '$T/out' && [ -e '$V/ledger.db' ] && [ ! -e '$V/ledger.database' ]"
cp -a "$V" "$T/tampered"
sqlite3 "$T/tampered/ledger.db" "DROP TRIGGER entries_no_update;
    UPDATE entries SET sig = zeroblob(64) WHERE seq = 77;"
"$LEDGERCTL" migrate --from -d "$T/tampered" --to --database "$DB" >"$T/out" 2>&1
check "a tampered source is refused at its seq (77), nothing copied (exit 2)" \
    bash -c "[ $? = 2 ] && grep -q 'first at seq 77; nothing was copied' '$T/out'"
check "  the database holds no log, the directory is as it was" \
    bash -c "[ -z \"\$(pg_sql main 'SELECT log FROM ledger_logs' 2>/dev/null)\" ] &&
        [ -e '$T/tampered/ledger.db' ] && [ ! -e '$T/tampered/ledger.database' ]"

# ---- the move ----
/usr/bin/time -f '%e s' -o "$T/time" \
    "$LEDGERCTL" migrate --from -d "$V" --to --database "$DB" >"$T/out" 2>&1
RC=$?
cat "$T/out"
check "migrate --from -d DIR --to --database URL: exit 0 ($(cat "$T/time"))" test "$RC" = 0
check "  it says what it proved: same size, same root, every checkpoint" \
    grep -qF "same size $N, same root_hash $ROOT; every checkpoint verifies" "$T/out"
check "  the directory names the database (0600), the SQLite file kept aside" \
    bash -c "[ \$(stat -c %a '$V/ledger.database') = 600 ] &&
        [ -e '$V/ledger.db.migrated' ] && [ ! -e '$V/ledger.db' ]"
check "  the rows are in PostgreSQL: $N entries, the head at $N" \
    test "$(pg_sql main "SELECT count(*) || ' ' || (SELECT size FROM ledger_head) FROM ledger_entries")" = "$N $N"
"$LEDGERCTL" events -d "$V" --json >"$T/after.events"
check "  the same entries, field for field (events --json)" \
    cmp -s "$T/before.events" "$T/after.events"
"$LEDGERCTL" token list -d "$V" --json >"$T/after.tokens"
check "  the same tokens: ids, labels, times, the revocation" \
    cmp -s "$T/before.tokens" "$T/after.tokens"
"$LEDGERCTL" verify -d "$V" >"$T/after.verify" 2>&1
check "  verify -d DIR (now PostgreSQL): intact, the prune still a prune" \
    bash -c "grep -q intact '$T/after.verify' && grep -q pruned '$T/after.verify'"
check "  verify from the database alone with the log's first key" \
    "$LEDGERCTL" verify --database "$DB" --key "$V/ledger.pub" --no-pin
"$LEDGERCTL" migrate --from -d "$V" --to --database "$DB" >"$T/out" 2>&1
check "migrate again: refused, the directory no longer holds a SQLite log" \
    bash -c "[ $? = 2 ] && [ -e '$V/ledger.database' ]"
mkdir -p "$T/b" && cp -a "$V" "$T/b/var" && rm "$T/b/var/ledger.database" &&
    mv "$T/b/var/ledger.db.migrated" "$T/b/var/ledger.db"
"$LEDGERCTL" migrate --from -d "$T/b/var" --to --database "$DB" >"$T/out" 2>&1
check "a log of the same name into a database that holds it: refused (exit 2)" \
    bash -c "[ $? = 2 ] && grep -q 'already holds $N entries' '$T/out'"

# ---- ledgerd on PostgreSQL, the same directory ----
STARTS=2 start "$A" "\"checkpoint_interval_ms\":200,\"database\":\"$DB\""
check "ledgerd starts on the moved log" curl -sf "$URL/healthz" -o /dev/null
code=$(post '{"kind":"build","subject":{"run":"r5","service":"api"}}' -H "Idempotency-Key: d5")
check "a delivery sent before the move is a duplicate of its seq $D5 ($code)" \
    bash -c "[ '$code' = 200 ] && grep -q '\"seq\":$D5[,}]' '$T/body'"
code=$(post '{"kind":"deployment","subject":{"environment":"prod","service":"api"}}')
SEQ=$(grep -o '"seq":[0-9]*' "$T/body" | cut -d: -f2)
check "the write token made on SQLite appends, after the copied $N ($code, seq $SEQ)" \
    bash -c "[ '$code' = 201 ] && [ '$SEQ' -ge $N ]"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $RTOK" "$URL/v1/events")
check "the read token made on SQLite reads ($code)" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OLDTOK" "$URL/v1/events")
check "the token revoked on SQLite is refused ($code)" test "$code" = 401
sleep 0.5
"$LEDGERCTL" checkpoint -d "$V" >"$T/cp" 2>&1
check "the next checkpoint extends the last one signed on SQLite" \
    "$LEDGERCTL" verify -d "$V"
summary
