#!/bin/bash
# e2e-settle.sh - ledgerd settles its lookup-key index after a quiet spell
# (ledger/store.h, ledger_keys_settle_due): 1,100 builds posted, then ten
# seconds without a write; the log says it settled, the index is one
# segment, every build is still found by its commit, and the log verifies.
set -u
. "$(dirname "$0")/e2e-lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 not found"; exit 77; }

D=$T/s
start "$D"
segments() {
	sqlite3 "$D/var/ledger.db" \
	    "SELECT count(DISTINCT segid) FROM entry_keys_idx"
}
# 1,100 builds of distinct commits, 16 requests at a time
seq 1 1100 | awk '{ printf "%040x\n", $1 }' |
    xargs -P 16 -I{} curl -sS -o /dev/null -w '%{http_code}\n' \
    -H "Authorization: Bearer $WTOK" -H 'Content-Type: application/json' \
    --data-binary '{"kind":"build","subject":{"commit":"{}","actor":"dev"}}' \
    "$URL/v1/events" > "$T/codes"
check "1,100 builds posted: all 201" \
    test "$(grep -c '^201$' "$T/codes")" = 1100
n=0
until grep -q "settling the lookup keys" "$D/log" || [ $n -ge 150 ]; do
	sleep 0.1
	n=$((n + 1))
done
check "quiet for ten seconds: ledgerd settles the lookup keys" \
    grep -q "settling the lookup keys entries=1[0-9][0-9][0-9]" "$D/log"
n=0
until [ "$(segments)" = 1 ] || [ $n -ge 50 ]; do
	sleep 0.2
	n=$((n + 1))
done
check "... and its merge steps leave one segment" test "$(segments)" = 1
check "... once per quiet spell" \
    test "$(grep -c "settling the lookup keys" "$D/log")" = 1
check "every build is still found by its commit" bash -c \
    "for i in 1 550 1100; do '$LEDGERCTL' events -d '$D/var' --commit \$(printf %040x \$i) --json | grep -q '\"kind\":\"build\"' || exit 1; done"
stop "$PID"
check "the log verifies, key index included" \
    "$LEDGERCTL" verify -d "$D/var" --no-pin
summary
