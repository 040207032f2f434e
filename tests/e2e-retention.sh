#!/bin/bash
# e2e-retention.sh - retention end to end: the real ledgerd with a
# retention schedule of seconds prunes old payloads while it ingests;
# ledgerctl hold (on the data directory, while the daemon runs) keeps a
# legal hold's payloads; ledgerctl prune runs beside the daemon's own
# schedule; nothing acknowledged is lost, and verify reports the ranges as
# pruned, not missing.  Prints one line per check and "N passed, N
# failed"; exits 1 if anything failed.
set -u
. "$(dirname "$0")/e2e-lib.sh"

D=$T/r
start "$D" '"checkpoint_interval_ms":100,"heartbeat_interval_s":0,"retention":{"payload_age_s":3,"check_interval_s":1,"step_payloads":25}'
check "ledgerd started" [ -n "$PORT" ]

# dep ENV I: one deployment; prints the HTTP status
dep() {
	post "{\"kind\":\"deployment\",\"subject\":{\"environment\":\"$1\",\"status\":\"success\"},\"payload\":{\"i\":$2}}"
}
acked=0
for i in $(seq 1 60); do
	env=staging; [ $((i % 2)) = 0 ] && env=prod
	[ "$(dep $env "$i")" = 201 ] && acked=$((acked + 1))
	[ "$i" = 2 ] && PROD_SEQ=$(sed 's/.*"seq":\([0-9]*\).*/\1/' "$T/body")
	[ "$i" = 1 ] && STAGING_SEQ=$(sed 's/.*"seq":\([0-9]*\).*/\1/' "$T/body")
done
check "60 events acknowledged" [ "$acked" = 60 ]

"$LEDGERCTL" hold add --env prod --reason "litigation 2026-114" \
    -d "$D/var" >"$T/out" 2>&1
check "hold added beside the running daemon" grep -q "hold recorded at seq" "$T/out"
HOLD=$(sed 's/.*seq //' "$T/out")

# ingest while the schedule prunes, and a ledgerctl prune beside it
( n=0; for i in $(seq 1 300); do
	[ "$(dep staging $((1000 + i)))" = 201 ] && n=$((n + 1))
  done; echo "$n" > "$T/bg" ) &
BG=$!
sleep 1
SIZE=$("$LEDGERCTL" events -d "$D/var" --json | wc -l)
"$LEDGERCTL" prune --payloads-before "$SIZE" -d "$D/var" --json \
    >"$T/prune" 2>"$T/prune.err"
check "ledgerctl prune beside the daemon" grep -q '"pruned":' "$T/prune"
pruned=0
for _ in $(seq 1 150); do
	pruned=$(curl -s -H "Authorization: Bearer $RTOK" "$URL/metrics" | awk '/^ledgerd_payloads_pruned_total/ {print $2}')
	[ "${pruned:-0}" -gt 0 ] && break
	sleep 0.2
done
check "the schedule pruned (metrics: $pruned)" [ "${pruned:-0}" -gt 0 ]
wait "$BG"
check "300 events acknowledged during the prunes" [ "$(cat "$T/bg")" = 300 ]
n=$("$LEDGERCTL" events -d "$D/var" --kind deployment --json | wc -l)
check "every acknowledged deployment is in the log ($n)" [ "$n" = 360 ]

"$LEDGERCTL" verify -d "$D/var" >"$T/v" 2>&1
check "verify passes after pruning" grep -q "^intact:" "$T/v"
check "verify reports the range as pruned" grep -q "^pruned: .* payloads of entries before seq" "$T/v"
"$LEDGERCTL" verify --url "$URL" --token "$RTOK" --key "$D/var/ledger.pub" >"$T/v" 2>&1
grep -q "^intact:" "$T/v" && grep -q "^pruned: " "$T/v" &&
    ok "verify --url says pruned, not missing" ||
    bad "verify --url says pruned, not missing: $(head -3 "$T/v")"
check "the held payload is kept" "$LEDGERCTL" show -d "$D/var" --payload "$PROD_SEQ"
"$LEDGERCTL" show -d "$D/var" --payload "$STAGING_SEQ" >/dev/null 2>"$T/err"
check "a pruned payload is reported as pruned by show" grep -q "was pruned (the record at seq" "$T/err"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $RTOK" \
    "$URL/v1/events/$STAGING_SEQ/payload")
check "the API says pruned ($code)" [ "$code" = 404 ] && grep -q "was pruned" "$T/body"
grep -q "pruned payloads=" "$D/log"
check "the daemon logs what it pruned" [ $? = 0 ]
"$LEDGERCTL" status -d "$D/var" --json >"$T/st"
check "status lists the prunes and the hold" python3 -c "
import json,sys
d=json.load(open('$T/st'))
assert len(d['pruned'])>=1 and d['pruned'][-1]['before_seq']>0
assert [h['seq'] for h in d['holds'] if h['released_seq'] is None]==[$HOLD]
assert d['disk']['incremental_vacuum'] is True"
n=$("$LEDGERCTL" events -d "$D/var" --kind ledger --status payloads-pruned --json | grep -c '"name":"ledgerd"')
check "the daemon's prunes are recorded in the log ($n)" [ "$n" -ge 1 ]

# released, the held payloads go in the next round
"$LEDGERCTL" hold release --reason "settled" -d "$D/var" "$HOLD" >/dev/null
for _ in $(seq 1 100); do
	"$LEDGERCTL" show -d "$D/var" --payload "$PROD_SEQ" >/dev/null 2>&1 || break
	sleep 0.2
done
gone() { ! "$LEDGERCTL" show -d "$D/var" --payload "$1" >/dev/null 2>&1; }
check "a released hold's payloads are pruned" gone "$PROD_SEQ"
"$LEDGERCTL" verify -d "$D/var" >"$T/v" 2>&1
grep -q "^intact:" "$T/v" && ok "verify still passes" ||
    bad "verify still passes: $(head -3 "$T/v")"

# progress on a terminal only (script(1) gives a pseudo-terminal)
if command -v script >/dev/null; then
	script -qec "'$LEDGERCTL' verify -d '$D/var' --no-pin" /dev/null > "$T/tty" 2>&1
	check "verify shows progress on a terminal" grep -q "verify: [0-9]* of [0-9]* entries" "$T/tty"
	script -qec "'$LEDGERCTL' verify -d '$D/var' --no-pin --quiet" /dev/null > "$T/tty" 2>&1
	check "... not with --quiet" bash -c "! grep -q 'verify: [0-9]* of' '$T/tty'"
fi
"$LEDGERCTL" verify -d "$D/var" --no-pin > "$T/v" 2>&1
check "... nor into a pipe" bash -c "! grep -q 'verify: [0-9]* of' '$T/v'"

# ledgerctl migrate: an older log brought to this schema, watched
M=$T/mig
"$LEDGERCTL" init "$M" >/dev/null 2>&1
sqlite3 "$M/ledger.db" "BEGIN; DROP TRIGGER tokens_no_unrevoke;
    ALTER TABLE tokens DROP COLUMN identity; CREATE TRIGGER
    tokens_no_unrevoke BEFORE UPDATE ON tokens WHEN OLD.revoked_ms IS NOT
    NULL OR NEW.hash != OLD.hash OR NEW.scope != OLD.scope BEGIN SELECT
    RAISE(ABORT, 'a token can only be revoked'); END;
    ALTER TABLE entries DROP COLUMN summary; ALTER TABLE entries DROP
    COLUMN tool; ALTER TABLE entries DROP COLUMN tool_version;
    DROP INDEX entries_approvals; DROP INDEX entries_build_authors;
    DROP INDEX entries_seq_time; DROP INDEX entries_deployments;
    PRAGMA user_version = 9; COMMIT;"
if command -v script >/dev/null; then
	script -qec "'$LEDGERCTL' migrate -d '$M'" /dev/null > "$T/tty" 2>&1
	check "migrate shows its progress on a terminal" \
	    grep -q "migrate: 0 of 3 migrations" "$T/tty"
	check "... and what it did" grep -q "3 migrations applied" "$T/tty"
fi
"$LEDGERCTL" migrate -d "$M" > "$T/out" 2>&1
check "migrate again: nothing to do" grep -q "the schema is current; nothing to do" "$T/out"
check "... the migrated log verifies" "$LEDGERCTL" verify -d "$M" --no-pin
"$LEDGERCTL" migrate -d "$D/var" > "$T/out" 2>&1
check "migrate refuses while ledgerd runs on the log" \
    grep -q "ledgerd is running on" "$T/out"

# a bad retention configuration is refused with the key named
printf '{"data_dir":"%s/x","retention":{"payload_days":0}}' "$T" > "$T/bad.json"
"$LEDGERD" -n -f "$T/bad.json" >/dev/null 2>"$T/err"
check "payload_days 0 is refused" grep -q "payload_days" "$T/err"
printf '{"data_dir":"%s/x","retention":{"days":3}}' "$T" > "$T/bad.json"
"$LEDGERD" -n -f "$T/bad.json" >/dev/null 2>"$T/err"
check "an unknown retention key is refused" grep -q "unknown key 'days' in 'retention'" "$T/err"
stop "$PID"
summary
