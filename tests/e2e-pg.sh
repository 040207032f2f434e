#!/bin/bash
# e2e-pg.sh - ledgerd on PostgreSQL (issue 14), end to end, against a
# throwaway cluster on 127.0.0.1 (tests/pg-lib.sh; nothing is mocked):
# ledgerctl init --database; three ledgerd front ends on one log, loaded
# at once: every receipt unique, seqs dense, the chain verifies, their
# checkpoints consistent with each other, one delivery posted to all three
# at once appended once; a front end killed (-9) under load: the others go
# on and nothing acknowledged is lost; the database stopped and started
# under ledgerd: 503s, then recovery, nothing half-written; rows edited
# behind ledgerd's back found by verify at their exact seq; a second log
# in the same database apart from the first.  One line per check, then
# "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
. "$(dirname "$0")/pg-lib.sh"
trap 'cleanup; pg_cleanup' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)
pg_new main || exit 1
DB=$PG_URL_main
export PGCONNECT_TIMEOUT=5

# ---- init --database: the key here, the log there ----
mkdir -p "$T/fe1" "$T/dup"
"$LEDGERCTL" init --database "$DB" --origin e2e.example/pg "$T/fe1/var" \
    >"$T/init" 2>&1
check "init --database: the key in the directory, the log in the database" \
    bash -c "[ -f '$T/fe1/var/ledger.key' ] && [ ! -e '$T/fe1/var/ledger.db' ] &&
        [ \$(stat -c %a '$T/fe1/var/ledger.database') = 600 ] &&
        [ '$(pg_sql main 'SELECT log FROM ledger_logs')' = e2e.example/pg ]"
check "  the log's head row is in the database" \
    test "$(pg_sql main "SELECT size FROM ledger_head WHERE log = 'e2e.example/pg'")" = 0
"$LEDGERCTL" init --database "$DB" --origin e2e.example/pg "$T/dup/var" \
    >"$T/out" 2>&1
check "init --database of a log the database holds: refused, nothing left" \
    bash -c "grep -q 'already holds log' '$T/out' && [ ! -e '$T/dup/var/ledger.key' ]"
chmod 644 "$T/fe1/var/ledger.database"
"$LEDGERCTL" events -d "$T/fe1/var" >"$T/out" 2>&1
check "a ledger.database readable by others is refused (it may hold a password)" \
    grep -q "readable by group or others" "$T/out"
chmod 600 "$T/fe1/var/ledger.database"

# ---- three front ends, one log ----
for i in 2 3; do
	mkdir -p "$T/fe$i/var" && chmod 700 "$T/fe$i/var"
	cp -p "$T/fe1/var/ledger.key" "$T/fe1/var/ledger.pub" \
	    "$T/fe1/var/ledger.database" "$T/fe$i/var/"
done
FE=()
FEPID=()
for i in 1 2 3; do
	start "$T/fe$i" "\"database\":\"$DB\",\"checkpoint_interval_ms\":200"
	FE+=("$URL")
	FEPID+=("$PID")
done
check "three ledgerd front ends serve the log" \
    bash -c "for u in ${FE[*]}; do curl -sf \$u/healthz >/dev/null || exit 1; done"
check "  with the tokens the first one made (one set, in the database)" \
    test -n "$WTOK"

python3 "$HERE/load.py" "$T/load1" "$WTOK" a 600 12 "${FE[@]}" >"$T/load1.sum"
check "600 events through three front ends at once, 12 connections: $(cat "$T/load1.sum")" \
    test "$(awk '$2 == 201' "$T/load1" | wc -l)" = 600
check "  every receipt's seq unique" \
    test "$(awk '{print $3}' "$T/load1" | sort -n | uniq | wc -l)" = 600
"$LEDGERCTL" events -d "$T/fe1/var" --json >"$T/all"
check "  the log's seqs dense: 0 .. N-1, no gap, no repeat" python3 -c "
import json, sys
s = [json.loads(l)['seq'] for l in open('$T/all')]
sys.exit(s != list(range(len(s))))"
check "  the chain verifies (ledgerctl verify -d)" "$LEDGERCTL" verify -d "$T/fe1/var"
check "  and from the database alone, with the log's key (verify --database --key)" \
    "$LEDGERCTL" verify --database "$DB" --key "$T/fe1/var/ledger.pub" --no-pin

sleep 0.5
export XDG_STATE_HOME=$T/pins
for i in 0 1 2; do
	"$LEDGERCTL" checkpoint --url "${FE[$i]}" --key "$T/fe1/var/ledger.pub" \
	    >"$T/cp$i" 2>&1
done
check "checkpoints from the three front ends: each consistent with the one pinned before" \
    bash -c "grep -q 'signature verified' '$T/cp0' && grep -q 'pin:.*consistent' '$T/cp1' && grep -q 'pin:.*consistent' '$T/cp2'"
for i in 0 1 2; do curl -s "${FE[$i]}/v1/checkpoint" | sed -n 2p; done >"$T/sizes"
check "  each signs what the log holds ($(tr '\n' ' ' <"$T/sizes"))" \
    test "$(sort -u "$T/sizes" | wc -l)" -ge 1

# one delivery to all three at once
CP=()
for i in 0 1 2; do
	curl -s -o "$T/same$i" -w '%{http_code}\n' -X POST "${FE[$i]}/v1/events" \
	    -H "Authorization: Bearer $WTOK" -H 'Content-Type: application/json' \
	    -H 'Idempotency-Key: one-for-all' \
	    -d '{"kind":"deployment","subject":{"environment":"production","service":"pay"}}' \
	    >"$T/samecode$i" &
	CP+=($!)
done
wait "${CP[@]}"
codes=$(cat "$T/samecode0" "$T/samecode1" "$T/samecode2" | sort | tr '\n' ' ')
seqs=$(grep -ho '"seq":[0-9]*' "$T/same0" "$T/same1" "$T/same2" | sort -u | wc -l)
check "one delivery posted to every front end at once: one 201, two 200 ($codes), one receipt" \
    bash -c "[ '$codes' = '200 200 201 ' ] && [ $seqs = 1 ]"
check "  appended exactly once" \
    test "$(pg_sql main "SELECT count(*) FROM ledger_entries WHERE delivery = 'one-for-all'")" = 1

# ---- kill -9 of a front end under load ----
python3 "$HERE/load.py" "$T/load2" "$WTOK" b 3000 12 "${FE[0]}" "${FE[1]}" "${FE[2]}" \
    >"$T/load2.sum" &
LP=$!
sleep 0.5
kill -9 "${FEPID[1]}"
wait "$LP"
ok_a=$(awk '$2 == 201 || $2 == 200' "$T/load2" | wc -l)
check "front end 2 killed (-9) under load: $(cat "$T/load2.sum")" test "$ok_a" -gt 1500
awk '($2 == 201 || $2 == 200) {print $3}' "$T/load2" | sort >"$T/acked"
"$LEDGERCTL" events -d "$T/fe1/var" --json | python3 -c "
import json, sys
print('\n'.join(str(json.loads(l)['seq']) for l in sys.stdin))" | sort >"$T/present"
check "  every acknowledged event is in the log ($ok_a)" \
    test -z "$(comm -23 "$T/acked" "$T/present")"
check "  the others went on: only the dead one's share failed" \
    test "$(awk '$2 != 201 && $2 != 200' "$T/load2" | wc -l)" -le 1000
check "  no lock left behind: the survivors append at once" \
    bash -c "for u in ${FE[0]} ${FE[2]}; do c=\$(curl -s -o /dev/null -m 5 -w '%{http_code}' -X POST \$u/v1/events -H 'Authorization: Bearer $WTOK' -H 'Content-Type: application/json' -d '{\"kind\":\"test\"}'); [ \$c = 201 ] || exit 1; done"
check "  the chain verifies" "$LEDGERCTL" verify -d "$T/fe1/var"

# ---- the database going away and coming back ----
URL=${FE[0]}
pg_stop main fast
c=$(curl -s -o "$T/body" -w '%{http_code}' -m 20 -X POST "$URL/v1/events" \
    -H "Authorization: Bearer $WTOK" -H 'Content-Type: application/json' \
    -H 'Idempotency-Key: during-outage' -d '{"kind":"build"}')
check "the database stopped: a write is 503 ($c), saying why" \
    bash -c "[ $c = 503 ] && grep -qi 'database' '$T/body'"
c=$(curl -s -o "$T/body" -w '%{http_code}' -m 20 "$URL/readyz")
check "  /readyz says unavailable ($c), the database named, before any write finds it" \
    bash -c "[ $c = 503 ] && grep -qi 'database' '$T/body'"
pg_start main
back=
for _ in $(seq 1 40); do
	c=$(curl -s -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/events" \
	    -H "Authorization: Bearer $WTOK" -H 'Content-Type: application/json' \
	    -H 'Idempotency-Key: after-outage' -d '{"kind":"build"}')
	[ "$c" = 201 ] && { back=1; break; }
	sleep 0.25
done
check "  started again: writes work again within 10 s" test -n "$back"
c=$(curl -s -o "$T/body" -w '%{http_code}' -m 20 "$URL/readyz")
check "  and /readyz is ready again ($c)" test "$c" = 200
check "  the refused write was not half-written" \
    test "$(pg_sql main "SELECT count(*) FROM ledger_entries WHERE delivery = 'during-outage'")" = 0
check "  the chain verifies" "$LEDGERCTL" verify -d "$T/fe1/var"
for p in "${FEPID[0]}" "${FEPID[2]}"; do stop "$p"; done

# ---- a second log in the same database, apart ----
mkdir -p "$T/o"
"$LEDGERCTL" init --database "$DB" --origin e2e.example/other "$T/o/var" >/dev/null 2>&1
"$LEDGERCTL" append -d "$T/o/var" --kind build --subject run=o1 >/dev/null
"$LEDGERCTL" events --database "$DB" >"$T/out" 2>&1
check "a second log in the database: --database alone must name one" \
    grep -q "several logs" "$T/out"
check "  --log names it; each log has its own seqs and head" \
    bash -c "[ \$('$LEDGERCTL' events --database '$DB' --log e2e.example/other --json | wc -l) = 1 ] &&
        [ $(pg_sql main "SELECT count(*) FROM ledger_head") = 2 ]"

# ---- tampering with rows behind ledgerd's back: the exact seq ----
# tamper NAME SQL SEQ: a fresh log of 8 entries, SQL run on it with the
# guard triggers off ($LOG is its name), then verify names SEQ
n=0
tamper() {
	local name=$1 sql=$2 want=$3 d
	n=$((n + 1))
	d=$T/t$n/var
	mkdir -p "$T/t$n"
	"$LEDGERCTL" init --database "$DB" --origin "e2e.example/t$n" "$d" >/dev/null 2>&1
	for i in 0 1 2 3 4 5 6 7; do
		"$LEDGERCTL" append -d "$d" --kind build --subject "run=r$i" \
		    --subject service=pay >/dev/null
	done
	pg_sql main "SET session_replication_role = replica; ${sql//\$LOG/e2e.example/t$n}" >/dev/null
	"$LEDGERCTL" verify -d "$d" --no-pin >"$T/v$n" 2>&1
	rc=$?
	check "tamper: $name -> verify exit 1, first bad entry: seq $want" \
	    bash -c "[ $rc = 1 ] && grep -q 'first bad entry: seq $want\$' '$T/v$n'"
}
tamper "an entry's bytes edited" \
    "UPDATE ledger_entries SET entry = overlay(entry placing '9'::bytea from 30 for 1) WHERE log = '\$LOG' AND seq = 3" 3
tamper "a column edited (service)" \
    "UPDATE ledger_entries SET service = 'evil' WHERE log = '\$LOG' AND seq = 5" 5
tamper "a signature edited" \
    "UPDATE ledger_entries SET sig = overlay(sig placing '\\x00'::bytea from 1 for 1) WHERE log = '\$LOG' AND seq = 2" 2
tamper "an entry deleted" \
    "DELETE FROM ledger_payloads WHERE log = '\$LOG' AND seq = 4; DELETE FROM ledger_entries WHERE log = '\$LOG' AND seq = 4" 4
tamper "a payload's bytes edited" \
    "UPDATE ledger_payloads SET data = overlay(data placing '\\xff'::bytea from 3 for 1) WHERE log = '\$LOG' AND seq = 6" 6
tamper "a lookup term removed (the entry hidden from queries)" \
    "UPDATE ledger_entries SET terms = terms[2:] WHERE log = '\$LOG' AND seq = 1" 1
tamper "two entries swapped" \
    "UPDATE ledger_entries SET seq = 100 WHERE log = '\$LOG' AND seq = 2; UPDATE ledger_entries SET seq = 2 WHERE log = '\$LOG' AND seq = 3; UPDATE ledger_entries SET seq = 3 WHERE log = '\$LOG' AND seq = 100" 2
summary
