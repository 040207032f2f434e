#!/bin/bash
# e2e-review.sh - what a newcomer, an auditor and a code review hit (issue
# 9), each through the real binaries: CSV that a CSV parser reads back
# field for field, filters that OR repeated values and normalize like
# ingest, one JSON object per signed entry, a fresh log's own origin,
# --help everywhere, a failed start that appends nothing, one daemon per
# data directory, the export directory checked, a new token usable at once.
set -u
. "$(dirname "$0")/e2e-lib.sh"
command -v python3 >/dev/null || { echo "python3 not found"; exit 77; }
CTL=$LEDGERCTL

D=$T/main
start "$D"
for e in 'deployment production pay 3F2C9AB1111111111111111111111111111111AA' \
    'rollback production pay 3f2c9ab2222222222222222222222222222222bb' \
    'deployment staging web 4444444444444444444444444444444444444444' \
    'build staging web 4444444444444444444444444444444444444444'; do
	set -- $e
	post "{\"kind\":\"$1\",\"subject\":{\"environment\":\"$2\",\"service\":\"$3\",\"commit\":\"$4\",\"actor\":\"al,ice \\\"q\\\"\"}}" >/dev/null
done
post '{"kind":"scan","subject":{"artifact":"sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789","actor":"x\u202ey\u2028z"}}' >/dev/null

# ---- 1. CSV: header and rows from one table, RFC 4180, = --json ----
"$CTL" events -d "$D/var" --csv >"$T/ev.csv"
"$CTL" events -d "$D/var" --json >"$T/ev.jsonl"
check "events --csv parses, every row as wide as the header, and equals --json field by field" \
    python3 - "$T/ev.csv" "$T/ev.jsonl" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
hdr, body = rows[0], rows[1:]
objs = [json.loads(l) for l in open(sys.argv[2])]
assert len(body) == len(objs) > 0, (len(body), len(objs))
for r, o in zip(body, objs):
    assert len(r) == len(hdr), (len(r), len(hdr))
    d = dict(zip(hdr, r))
    e = o["entry"]
    assert int(d["seq"]) == o["seq"] == e["seq"]
    assert d["time"] == e["time"] and d["kind"] == e["kind"]
    for k in ("auth", "delivery", "event", "name", "type"):
        assert d["source_" + k] == e["source"].get(k, ""), k
    for k, v in e.get("subject", {}).items():
        assert d[k] == v, (k, d[k], v)
    for k in hdr:
        if k in ("seq", "time", "kind") or k.startswith("source_"):
            continue
        assert d[k] == e.get("subject", {}).get(k, ""), k
PY

# ---- 3. events --json: the object of show --json and of the API ----
check "events --json carries signature, leaf hash, key id and payload" \
    python3 -c "
import json,sys
for l in open('$T/ev.jsonl'):
    o=json.loads(l)
    assert len(o['signature'])==128 and len(o['leaf_hash'])==64
    assert o['key_id'] and o['payload']['sha256']
"
sed -n 2p "$T/ev.jsonl" >"$T/line"
seq1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$T/line")
"$CTL" show -d "$D/var" --json "$seq1" >"$T/show"
check "events --json line = show --json (less payload.stored)" python3 -c "
import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
b['payload'].pop('stored')
assert a==b,(a,b)" "$T/line" "$T/show"
check "events --url --json = events -d --json" bash -c \
    "'$CTL' events --url '$URL' --token '$RTOK' --json | cmp -s - '$T/ev.jsonl'"

# ---- 2. filters: repeated values ORed, values normalized ----
n() { "$CTL" events -d "$D/var" "$@" | wc -l; }
nu() { "$CTL" events --url "$URL" --token "$RTOK" "$@" | wc -l; }
api() { curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $RTOK" "$URL/v1/events?$1"; }
apin() { api "$1" >/dev/null; python3 -c "import json; print(len(json.load(open('$T/body'))['events']))"; }
check "--kind deployment --kind rollback: both kinds (3)" test "$(n --kind deployment --kind rollback)" = 3
check "the same through --url (3)" test "$(nu --kind deployment --kind rollback)" = 3
check "?kind=deployment&kind=rollback: both kinds (3)" test "$(apin 'kind=deployment&kind=rollback')" = 3
check "--env Production finds production (2)" test "$(n --env Production)" = 2
check "?environment=PRODUCTION finds production (2)" test "$(apin 'environment=PRODUCTION')" = 2
check "an upper-case full commit finds it (1)" test "$(n --commit 3F2C9AB2222222222222222222222222222222BB)" = 1
check "a 7-digit commit prefix finds both (2)" test "$(n --commit 3f2c9ab)" = 2
check "?commit=3F2C9AB (prefix, any case) finds both (2)" test "$(apin 'commit=3F2C9AB')" = 2
check "a bare-hex digest finds sha256:<hex> (1)" \
    test "$(n --artifact abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789)" = 1
"$CTL" append -d "$D/var" --kind artifact \
    --subject artifact=FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210 >/dev/null
check "a bare upper-case digest, kept as sent, is found by itself (1)" \
    test "$(n --artifact FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210)" = 1
"$CTL" events -d "$D/var" --since 2026-13-45 >/dev/null 2>"$T/bad.err"
check "a bad --since says so once, ungarbled" \
    grep -qx "ledgerctl: since: bad time '2026-13-45': want RFC 3339 (2026-11-22T10:00:00Z), a date, or epoch seconds" "$T/bad.err"
check "a 6-digit commit is refused (exit 2)" bash -c "'$CTL' events -d '$D/var' --commit 3f2c9a 2>/dev/null; [ \$? = 2 ]"
"$CTL" events -d "$D/var" --since 2026-11-22T03:00Z --until 2026-11-22T02:00Z \
    >/dev/null 2>"$T/since.err"
st=$?
check "--since after --until: exit 2 with the reason ($st)" bash -c \
    "[ $st = 2 ] && grep -q 'after until' '$T/since.err'"
check "?since after until: 400" test "$(api 'since=2026-11-22T03:00Z&until=2026-11-22T02:00Z')" = 400
check "?since given twice: 400" test "$(api 'since=2026-11-22&since=2026-11-23')" = 400
check "?actor without a value: 400, never everything" test "$(api 'actor')" = 400
check "an unknown parameter: 400" test "$(api 'colour=red')" = 400
check "table output escapes bidi and line-separator characters" bash -c \
    "'$CTL' events -d '$D/var' --kind scan | grep -q 'actor=x\\\\u202ey\\\\u2028z'"
"$CTL" append -d "$D/var" --kind incident --subject 'actor=p\x1bq' >/dev/null
check "a backslash in a value is doubled, so it never passes for an escape" \
    bash -c "'$CTL' events -d '$D/var' --kind incident | grep -qF 'actor=p\\\\x1bq'"

# ---- 4. a recreated data directory is another log, not TAMPERED ----
R=$T/recreated
"$CTL" init "$R" >/dev/null 2>&1
o1=$("$CTL" verify -d "$R" 2>&1 | grep -o "log '[^']*'" | head -1)
"$CTL" append -d "$R" --kind build >/dev/null
check "a recreated log verifies (first)" "$CTL" verify -d "$R"
rm -rf "$R"
"$CTL" init "$R" >/dev/null 2>&1
"$CTL" append -d "$R" --kind build >/dev/null
check "a recreated log verifies (again), not TAMPERED" "$CTL" verify -d "$R"
o2=$("$CTL" verify -d "$R" 2>&1 | grep -o "log '[^']*'" | head -1)
check "each new log gets its own default origin ($o1 / $o2)" test "$o1" != "$o2"
# The same origin given again, on purpose: caught, said once, explained.
Q=$T/same
"$CTL" init --origin e2e.example/same "$Q" >/dev/null 2>&1
"$CTL" append -d "$Q" --kind build >/dev/null
"$CTL" verify -d "$Q" >/dev/null 2>&1
rm -rf "$Q"
"$CTL" init --origin e2e.example/same "$Q" >/dev/null 2>&1
"$CTL" append -d "$Q" --kind build >/dev/null
"$CTL" verify -d "$Q" >"$T/v.out" 2>"$T/v.err"
check "same origin, new key: verify exits 1" test $? = 1
check "...says the log was tampered with or recreated" grep -q "TAMPERED OR RECREATED" "$T/v.out"
check "...shows the pin as CONTRADICTED, never as 'first use'" bash -c \
    "grep -q 'pin: *CONTRADICTED' '$T/v.out' && ! grep -q 'first use' '$T/v.out'"
check "...and says what to do (remove the pin file, --pin, --no-pin)" bash -c \
    "grep -q 'remove that pin file' '$T/v.err' && grep -q -- '--no-pin' '$T/v.err'"

# ---- 6. help, version, append without standard input ----
check "ledgerd --help exits 0" bash -c "'$LEDGERD' --help | grep -q usage"
check "ledgerd --version exits 0" bash -c "'$LEDGERD' --version | grep -q '^ledgerd '"
for c in append canonicalize checkpoint consistency events init prove show token verify; do
	check "ledgerctl $c --help lists its options and an example" bash -c \
	    "'$CTL' $c --help | grep -q '^example:'"
done
check "append with only options does not wait for standard input" \
    timeout 5 "$CTL" append -d "$D/var" --kind test --subject run=r9

# ---- 7. a failed start appends nothing ----
before=$(count "$D")
printf '{"listen":"127.0.0.1:%s","data_dir":"%s/var"}\n' "$PORT" "$T/second" >"$T/busy.json"
mkdir -p "$T/second"
"$LEDGERD" -d -f "$T/busy.json" >"$T/busy.log" 2>&1 </dev/null
check "a start on a port in use fails" test $? != 0
check "...and records no started entry and no checkpoint" bash -c \
    "[ \"\$('$CTL' events -d '$T/second/var' --kind ledger | wc -l)\" = 0 ] &&
     ! '$CTL' checkpoint -d '$T/second/var' --no-pin >/dev/null 2>&1"

# ---- 8. one daemon per data directory ----
"$LEDGERD" -d -f "$D/config.json" >"$T/two.log" 2>&1 </dev/null
st=$?
check "a second ledgerd on the same data directory is refused" test "$st" = 1
check "...saying another ledgerd (with its pid) holds it" grep -q "another ledgerd (pid $PID)" "$T/two.log"
check "...and appended nothing" test "$(count "$D")" = "$before"
check "ledgerctl append beside the daemon still works" "$CTL" append -d "$D/var" --kind test
# both sign checkpoints and keep the newest beside the database
for i in $(seq 1 15); do "$CTL" append -d "$D/var" --kind test >/dev/null 2>&1 & post '{"kind":"build"}' >/dev/null; done
wait $(jobs -p | grep -v "^$PID\$") 2>/dev/null
sleep 1.2
kept=$(sed -n 2p "$D/var/ledger.checkpoint")
newest=$(curl -s "$URL/v1/checkpoint" | sed -n 2p)
check "ledgerd and ledgerctl signing at once: ledger.checkpoint holds the newest ($kept = $newest)" \
    test "$kept" = "$newest"
check "...and no temporary file is left beside it" \
    test "$(ls "$D/var" | grep -c '^ledger\.checkpoint\.[A-Za-z0-9]\{6\}$')" = 0

# ---- 9. checkpoint_export is checked by -n, and the dir created 0700 ----
printf '{"data_dir":"%s/x","checkpoint_export":{"dir":"%s/no/such/dir"}}\n' "$T" "$T" >"$T/exp.json"
check "ledgerd -n refuses an export dir whose parent is missing" bash -c \
    "! '$LEDGERD' -n -f '$T/exp.json' 2>&1 | grep -q valid && '$LEDGERD' -n -f '$T/exp.json' 2>&1 | grep -q 'does not exist'"
E=$T/exp
start "$E" "\"checkpoint_export\":{\"dir\":\"$E/cps\"}"
check "the export dir is created 0700" test "$(stat -c %a "$E/cps" 2>/dev/null)" = 700
stop "$PID"

# ---- 10. a new token works the moment token create returns ----
start "$D" 2>/dev/null
tok=$("$CTL" token create --scope read -d "$D/var" 2>/dev/null | grep -o 'ledger_r_[A-Za-z0-9_-]*' | head -1)
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$URL/v1/events?limit=1")
check "a token created beside the daemon is accepted at once ($code)" test "$code" = 200
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ledger_r_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$URL/v1/events?limit=1")
check "an unknown token is still 401" test "$code" = 401
tid=$("$CTL" token list -d "$D/var" --json | python3 -c '
import json,sys
print(max(json.loads(l)["id"] for l in sys.stdin if l.strip()))')
"$CTL" token revoke -d "$D/var" "$tid" >/dev/null
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$URL/v1/events?limit=1")
check "a token revoked beside the daemon is refused at once ($code)" test "$code" = 401

# ---- 12. SIGHUP while the sequencer exports checkpoints ----
# The export paths were freed under the sequencer on reload; under the
# sanitizer build a use-after-free here fails the run (sanitizer_check).
H=$T/hup
mkdir -p "$H/a" "$H/b"
start "$H" "\"checkpoint_interval_ms\":10,\"checkpoint_export\":{\"dir\":\"$H/a\"}"
for i in $(seq 1 40); do
	if [ $((i % 2)) = 0 ]; then x=a; else x=b; fi
	printf '{"listen":"127.0.0.1:%s","data_dir":"%s/var","checkpoint_interval_ms":10,"checkpoint_export":{"dir":"%s/%s"}}\n' \
	    "$PORT" "$H" "$H" "$x" >"$H/config.json"
	kill -HUP "$PID"
	post '{"kind":"build"}' >/dev/null
done
sleep 0.2
check "40 reloads under checkpoint exports: still serving" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200
check "...checkpoints exported to both directories" bash -c \
    "[ \$(ls '$H/a' | wc -l) -gt 0 ] && [ \$(ls '$H/b' | wc -l) -gt 0 ]"
stop "$PID"
check "...the log verifies" verify "$H"

summary
