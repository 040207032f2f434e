#!/bin/bash
# bruteforce.sh - guessing credentials from one address: bad bearer tokens
# and forged webhook signatures are counted per peer; at
# refusals.alert_per_minute the burst is logged once as a possible attack
# naming the peer and counted in ledgerd_suspected_attacks_total{source};
# at block_per_minute the peer gets 429 with Retry-After (even with a good
# token) until block_s passes, while /healthz still answers; nothing a
# refused request carried is written.  Bounded: 40 requests.
set -u
. "$(dirname "$0")/../e2e-lib.sh"

D=$T/bf
mkdir -p "$D"
printf 'gh-secret' >"$D/gh.secret"
chmod 600 "$D/gh.secret"
start "$D" '"refusals":{"alert_per_minute":5,"block_per_minute":12,
"block_s":2},"sources":[{"name":"gh","type":"github","secret_file":
"gh.secret"}]'
check "ledgerd started" [ -n "$PORT" ]
before=$(count "$D")
codes=
for i in $(seq 1 6); do
	codes="$codes $(AUTH="Authorization: Bearer ledger_w_guess$i" \
	    post '{"kind":"build"}')"
done
check "bad tokens: 401 each ($codes)" [ "$codes" = " 401 401 401 401 401 401" ]
check "the burst is logged once as a possible attack, naming the peer" \
    [ "$(grep -c 'possible attack peer=127.0.0.1' "$D/log")" = 1 ]
metric() { curl -sS -H "Authorization: Bearer $RTOK" "$URL/metrics" |
    awk -v m="$1" '$1 == m { print $2 }'; }
check "ledgerd_suspected_attacks_total{source=\"api\"} 1" \
    [ "$(metric 'ledgerd_suspected_attacks_total{source="api"}')" = 1 ]
# forged GitHub signatures count too, by source
for i in $(seq 1 6); do
	curl -sS -o /dev/null -X POST "$URL/v1/hooks/gh" -H 'Expect:' \
	    -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
	    -H "X-GitHub-Delivery: forged-$i" \
	    -H 'X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000' \
	    --data-binary '{"ref":"refs/heads/main"}'
done
code=$(post '{"kind":"build"}')
check "past block_per_minute even a good token gets 429 ($code)" [ "$code" = 429 ]
check "  with Retry-After" bash -c "curl -sS -D - -o /dev/null -H 'Authorization: Bearer $WTOK' $URL/v1/events | grep -qi '^Retry-After: [12]'"
check "  and says why" grep -q "too many refused credentials" "$T/body"
check "  logged" grep -q "refusing peer=127.0.0.1 for 2 s" "$D/log"
check "/healthz still answers" curl -sSf "$URL/healthz" -o /dev/null
sleep 2.2
check "after block_s a good token works again" [ "$(post '{"kind":"build"}')" = 201 ]
check "nothing refused was written (1 entry added)" \
    [ "$(count "$D")" = $((before + 1)) ]
stop "$PID"
summary
