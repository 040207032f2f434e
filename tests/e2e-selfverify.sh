#!/bin/bash
# e2e-selfverify.sh - a daemon that watches its own log: with
# self_verify_interval_s 1 the real ledgerd verifies its whole log each
# second; a row edited behind its back is found within the interval:
# logged loudly, recorded in the log, counted in /metrics, and /readyz
# turns 503.  Then the tail alone finds an entry edited just after it was
# committed.  Prints one line per check and "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 not found"; exit 77; }

D=$T/sv
start "$D" '"checkpoint_interval_ms":100,"self_verify_interval_s":1'
check "ledgerd started" [ -n "$PORT" ]
for i in 1 2 3 4 5; do
	post "{\"kind\":\"deployment\",\"subject\":{\"environment\":\"prod\",\"actor\":\"alice\"}}" >/dev/null
done
metric() {
	curl -s -H "Authorization: Bearer $RTOK" "$URL/metrics" |
	    awk -v m="$1" '$1 == m {print $2}'
}
for _ in $(seq 1 40); do
	[ "$(metric ledgerd_self_verify_runs_total)" -ge 1 ] 2>/dev/null && break
	sleep 0.1
done
check "it verified its log ($(metric ledgerd_self_verify_entries) entries)" \
    [ "$(metric ledgerd_self_verify_problems)" = 0 ]
check "last success exported" bash -c "[ \$(printf '%.0f' $(metric ledgerd_self_verify_last_success_seconds)) -gt 0 ]"
check "/readyz 200 while intact" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200 ]

SEQ=$(grep -o '"seq":[0-9]*' "$T/body" | head -1 | sed 's/.*://')
sqlite3 "$D/var/ledger.db" "DROP TRIGGER entries_no_update;
    UPDATE entries SET actor = 'mallory' WHERE seq = $SEQ"
code=200
for _ in $(seq 1 40); do
	code=$(curl -s -o "$T/rz" -w '%{http_code}' "$URL/readyz")
	[ "$code" = 503 ] && break
	sleep 0.1
done
check "the edit is found within the interval: /readyz 503" [ "$code" = 503 ]
check "... saying why, with the seq" grep -q "self-verification found the log changed, first at seq $SEQ" "$T/rz"
check "... problems in /metrics" bash -c "[ '$(metric ledgerd_self_verify_problems)' -ge 1 ]"
check "... logged loudly" grep -q "SELF-VERIFY FAILED" "$D/log"
n=$("$LEDGERCTL" events -d "$D/var" --kind ledger --status self-verify-failed --json | wc -l)
check "... and recorded in the log, once ($n)" [ "$n" = 1 ]
stop "$PID"

# The tail alone (the whole-log pass an hour away): an entry edited a
# moment after it was committed is found by the next look.  If the tail
# happened to look between the commit and the edit (a window of tens of
# ms in 3 s), the edit was after its look and it rightly finds nothing
# new: try again with a fresh entry, at most 3 times.
D2=$T/tail
start "$D2" '"checkpoint_interval_ms":100,"self_verify_interval_s":3600,
"self_verify_tail_ms":3000'
for i in 1 2 3; do post '{"kind":"build","subject":{"run":"t"}}' >/dev/null; done
found=
for attempt in 1 2 3; do
	post "{\"kind\":\"deployment\",\"subject\":{\"environment\":\"prod\",\"run\":\"a$attempt\"}}" >/dev/null
	SEQ=$(grep -o '"seq":[0-9]*' "$T/body" | head -1 | sed 's/.*://')
	sqlite3 "$D2/var/ledger.db" "DROP TRIGGER IF EXISTS entries_no_update;
	    UPDATE entries SET environment = 'staging' WHERE seq = $SEQ"
	for _ in $(seq 1 80); do
		code=$(curl -s -o "$T/rz" -w '%{http_code}' "$URL/readyz")
		[ "$code" = 503 ] && { found=$SEQ; break; }
		sleep 0.1
	done
	[ -n "$found" ] && break
	sqlite3 "$D2/var/ledger.db" "UPDATE entries SET environment = 'prod'
	    WHERE seq = $SEQ"
done
check "the tail finds an entry edited after its commit (seq ${found:-none})" \
    [ -n "$found" ]
check "... at that seq" grep -q "first at seq $found" "$T/rz"
check "... logged as the tail's finding" \
    grep -q "SELF-VERIFY FAILED (tail).*first at seq $found" "$D2/log"
check "... with the tail's detail" \
    grep -q "self-verify tail: seq $found index mismatch" "$D2/log"
check "... the whole-log pass has not run" \
    [ "$(metric ledgerd_self_verify_runs_total)" = 0 ]
check "... tail progress exported" \
    [ "$(metric ledgerd_self_verify_tail_entries)" -gt "$found" ]
n=$("$LEDGERCTL" events -d "$D2/var" --kind ledger --status self-verify-failed --json | wc -l)
check "... recorded in the log, once ($n)" [ "$n" = 1 ]
stop "$PID"
summary
