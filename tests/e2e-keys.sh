#!/bin/bash
# e2e-keys.sh - key rotation end to end: the real ledgerd rotates on
# SIGUSR1 while it ingests, its replaced key co-signs checkpoints until
# key_overlap_s retires it; a pin made before the rotation follows it
# through the log's own key records (GET /v1/keys); verify --url, the
# database and a bundle spanning both keys pass with the first key as
# the only trust root; ledgerctl refuses to rotate under a running
# daemon; a revocation is reported with its seqs.  Prints one line per
# check and "N passed, N failed"; exits 1 if anything failed.
set -u
. "$(dirname "$0")/e2e-lib.sh"

D=$T/k
start "$D" '"checkpoint_interval_ms":100,"heartbeat_interval_s":0,"key_overlap_s":2'
check "ledgerd started" [ -n "$PORT" ]
PUB=$D/var/ledger.pub
dep() {
	post "{\"kind\":\"build\",\"subject\":{\"run\":\"r$1\"}}" >/dev/null
}
for i in $(seq 1 5); do dep "$i"; done
sleep 0.3
"$LEDGERCTL" checkpoint --url "$URL" --key "$PUB" >"$T/out" 2>&1
check "checkpoint pinned before the rotation" grep -q "key_id: .*signature verified" "$T/out"
K1=$(cut -d+ -f2 "$PUB")

"$LEDGERCTL" key rotate -d "$D/var" >/dev/null 2>"$T/err"
check "ledgerctl refuses to rotate under a running ledgerd" grep -q "send it SIGUSR1" "$T/err"

# rotate while events arrive
( for i in $(seq 6 60); do dep "$i"; done ) &
BG=$!
sleep 0.2
kill -USR1 "$PID"
wait "$BG"
for _ in $(seq 1 50); do grep -q "key rotated" "$D/log" && break; sleep 0.1; done
check "ledgerd rotated on SIGUSR1" grep -q "key rotated key_id=" "$D/log"
K2=$(grep -o 'key rotated key_id=[0-9a-f]*' "$D/log" | sed 's/.*=//')
check "the new key's files exist, the secret 0600" [ "$(stat -c %a "$D/var/ledger-$K2.key")" = 600 ]
sleep 0.3
curl -s "$URL/v1/checkpoint" >"$T/cp"
check "checkpoints carry both signatures during the overlap" [ "$(grep -c '^— ' "$T/cp")" = 2 ]
for _ in $(seq 1 60); do grep -q "key retired" "$D/log" && break; sleep 0.1; done
check "the replaced key is retired after key_overlap_s" grep -q "key retired key_id=$K1" "$D/log"
dep 99
sleep 0.3
curl -s "$URL/v1/checkpoint" >"$T/cp"
check "then only the new key signs" [ "$(grep -c '^— ' "$T/cp")" = 1 ]

"$LEDGERCTL" checkpoint --url "$URL" --key "$PUB" >"$T/out" 2>&1
check "the pin follows the rotation through the log's key records" grep -q "key_id:       $K2 (signature verified)" "$T/out"
check "... consistent with what it pinned" grep -q "pin:          consistent" "$T/out"
"$LEDGERCTL" verify --url "$URL" --token "$RTOK" --key "$PUB" >"$T/out" 2>&1
check "verify --url with the first key only" grep -q "^intact:" "$T/out"
"$LEDGERCTL" verify --url "$URL" --token "$RTOK" --key "$PUB" --no-payloads >"$T/out" 2>&1
check "... and with --no-payloads (key records' payloads are fetched)" grep -q "^intact:" "$T/out"
check "verify -d with the first key only" "$LEDGERCTL" verify -d "$D/var" --key "$PUB" --no-pin
"$LEDGERCTL" bundle --url "$URL" --token "$RTOK" --key "$PUB" --seq 0-50 \
    -o "$T/b.gz" >/dev/null 2>"$T/err"
"$LEDGERCTL" verify --bundle "$T/b.gz" --key "$PUB" >"$T/out" 2>&1
grep -q "0 problems: INTACT" "$T/out" && ok "a bundle spanning both keys verifies offline" ||
    bad "a bundle spanning both keys verifies offline: $(head -c 300 "$T/err") $(tail -2 "$T/out")"
"$LEDGERCTL" verify --bundle "$T/b.gz" --key "$D/var/ledger-$K2.pub" >"$T/out" 2>&1
check "... but not from the new key alone" grep -q "never announced" "$T/out"
LAST=$(count "$D" 2>/dev/null)
curl -sS -o "$T/h.gz" -H "Authorization: Bearer $RTOK" \
    "$URL/v1/bundle?seq=$((LAST - 1))"
"$LEDGERCTL" verify --bundle "$T/h.gz" --key "$PUB" >"$T/out" 2>&1
check "GET /v1/bundle of an entry the new key signed carries the key records: verifies from the first key" \
    grep -q "0 problems: INTACT" "$T/out"
"$LEDGERCTL" status --url "$URL" --token "$RTOK" >"$T/out"
check "status shows both keys" grep -q "$K1 from seq 0 until seq" "$T/out"

# a second rotation: three keys
kill -USR1 "$PID"
for _ in $(seq 1 50); do
	[ "$(grep -c 'key rotated' "$D/log")" -ge 2 ] && break; sleep 0.1
done
K3=$(grep -o 'key rotated key_id=[0-9a-f]*' "$D/log" | tail -1 | sed 's/.*=//')
for i in $(seq 100 104); do dep "$i"; done
sleep 0.3
check "a second rotation" [ -n "$K3" ] && [ "$K3" != "$K2" ]
"$LEDGERCTL" verify --url "$URL" --token "$RTOK" --key "$PUB" >"$T/out" 2>&1
check "verify --url across three keys, from the first" grep -q "^intact:" "$T/out"
S2=$(grep -o 'key rotated key_id=[0-9a-f]* key_added_seq=[0-9]*' "$D/log" |
    head -1 | sed 's/.*=//')
FROM=$((S2 + 3))
S3=$(grep -o 'key rotated key_id=[0-9a-f]* key_added_seq=[0-9]*' "$D/log" |
    tail -1 | sed 's/.*=//')
stop "$PID"

# stopped, revoke the second key from a seq it signed: what it signed
# since is out, by --url, -d and in a bundle spanning the three keys
"$LEDGERCTL" key revoke --compromised-from "$FROM" --reason test -d "$D/var" "$K2" >"$T/out" 2>&1
check "key revoke records it" grep -q "revoked at seq" "$T/out"
"$LEDGERCTL" verify -d "$D/var" --key "$PUB" --no-pin >"$T/out" 2>&1
check "verify -d names the first entry the revoked key signed since ($FROM)" grep -q "^seq $FROM: key not valid" "$T/out"
check "... and says TAMPERED from there" grep -q "first bad entry: seq $FROM" "$T/out"
restart_nth "$D" 2 '"checkpoint_interval_ms":100,"heartbeat_interval_s":0'
sleep 0.3
"$LEDGERCTL" verify --url "$URL" --token "$RTOK" --key "$PUB" --no-pin >"$T/out" 2>&1
check "verify --url names it too" grep -q "first bad entry: seq $FROM" "$T/out"
"$LEDGERCTL" bundle --url "$URL" --token "$RTOK" --key "$PUB" \
    --seq "0-$((FROM + 2)),$((S3 + 1))-$((S3 + 3))" -o "$T/c.gz" >/dev/null 2>"$T/err"
"$LEDGERCTL" verify --bundle "$T/c.gz" --key "$PUB" >"$T/out" 2>&1
grep -q "^seq $FROM: TAMPERED" "$T/out" && grep -q " 3 problems" "$T/out" &&
    ok "a bundle spanning the three keys names $FROM..$((FROM + 2)), not the third key's" ||
    bad "a bundle spanning the three keys: $(head -c 300 "$T/err") $(grep -v ": ok" "$T/out" | head -5 | tr "\n" "|")"
stop "$PID"
summary
