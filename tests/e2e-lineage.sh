#!/bin/bash
# e2e-lineage.sh - ledgerctl trace and where, on a data directory and
# through the daemon (GET /v1/trace, /v1/where): the same answer from the
# same code, their exit statuses, and the API's refusals.
set -u
. "$(dirname "$0")/e2e-lib.sh"

D=$T/lin
start "$D"
C=1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c
A=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
ev() { # KIND SUBJECT_JSON
	local st
	st=$(post "{\"kind\":\"$1\",\"subject\":$2}")
	[ "$st" = 201 ] || echo "post $1: $st $(cat "$T/body")" >&2
}
ev change "{\"commit\":\"$C\",\"actor\":\"alice\"}"
ev build "{\"commit\":\"$C\",\"run\":\"77\",\"pipeline\":\"ci\",\"artifact\":\"$A\",\"status\":\"success\"}"
ev test '{"run":"77","pipeline":"ci","status":"success"}'
ev approval "{\"artifact\":\"$A\",\"environment\":\"production\",\"actor\":\"bob\",\"status\":\"approved\"}"
ev deployment "{\"artifact\":\"$A\",\"environment\":\"production\",\"service\":\"pay\",\"actor\":\"carol\",\"status\":\"success\"}"
ev deployment '{"artifact":"sha256:0000000000000000000000000000000000000000000000000000000000000000","environment":"production","service":"web"}'

"$LEDGERCTL" trace -d "$D/var" --commit 1f2e3d4c --json >"$T/local" 2>"$T/err"
check "trace -d: exit 0 with entries" test $? = 0
"$LEDGERCTL" trace --url "$URL" --token "$RTOK" --commit 1f2e3d4c --json \
    >"$T/remote" 2>>"$T/err"
check "trace --url: exit 0" test $? = 0
check "trace: the daemon's answer is the data directory's" \
    python3 -c "import json,sys; a=json.load(open('$T/local')); b=json.load(open('$T/remote')); sys.exit(a!=b)"
check "trace: the five linked entries in ledger order, each with via" \
    python3 -c "import json,sys; d=json.load(open('$T/local')); e=d['entries']; sys.exit(not([x['seq'] for x in e]==[1,2,3,4,5] and [x['via'] for x in e]==['commit','commit','run','artifact','artifact']))"
curl -sS -o "$T/api" -w '%{http_code}' -H "Authorization: Bearer $RTOK" \
    "$URL/v1/where?artifact=$A" >"$T/code"
check "GET /v1/where: 200" test "$(cat "$T/code")" = 200
"$LEDGERCTL" where -d "$D/var" --artifact "$A" --json >"$T/where"
check "where: the API's JSON is the CLI's" \
    python3 -c "import json,sys; a=json.load(open('$T/api')); b=json.load(open('$T/where')); sys.exit(a!=b or [x['seq'] for x in a['deployments']]!=[5] or a['targets'][0]['service']!='pay')"
"$LEDGERCTL" trace -d "$D/var" --commit 1f2e3d4c >"$T/table"
check "trace table: a header and five rows" test "$(wc -l <"$T/table")" = 6

"$LEDGERCTL" trace -d "$D/var" --commit 1f2e3d4c --csv >"$T/trace.csv"
check "trace --csv: RFC 4180, the rows of --json" \
    python3 -c "
import csv, json, sys
rows = list(csv.reader(open('$T/trace.csv', newline='')))
d = json.load(open('$T/local'))['entries']
sys.exit(not (rows[0][:3] == ['seq', 'time', 'kind'] and [r[0] for r in rows[1:]] == [str(x['seq']) for x in d] and open('$T/trace.csv', 'rb').read().count(b'\\r\\n') == len(d) + 1))"
"$LEDGERCTL" trace -d "$D/var" --commit 0123456789ab >/dev/null 2>&1
check "trace of a commit nothing carries: exit 1" test $? = 1
"$LEDGERCTL" where --url "$URL" --token "$RTOK" --commit 0123456789ab >/dev/null 2>&1
check "where of a commit never deployed: exit 1" test $? = 1
"$LEDGERCTL" trace -d "$D/var" --commit "$C" --artifact "$A" >/dev/null 2>&1
check "trace with two starting points: exit 2" test $? = 2
"$LEDGERCTL" trace -d "$D/var" --commit "$C" --pipeline ci >/dev/null 2>&1
check "--pipeline without --run: exit 2" test $? = 2
code() { curl -sS -o "$T/body" -w '%{http_code}' "$@"; }
check "GET /v1/trace without a token: 401" \
    test "$(code "$URL/v1/trace?commit=$C")" = 401
check "GET /v1/trace with two starting points: 400" \
    test "$(code -H "Authorization: Bearer $RTOK" "$URL/v1/trace?commit=$C&run=77")" = 400
check "GET /v1/trace with an unknown parameter: 400" \
    test "$(code -H "Authorization: Bearer $RTOK" "$URL/v1/trace?commit=$C&env=x")" = 400
check "GET /v1/trace with a control character: 400" \
    test "$(code -H "Authorization: Bearer $RTOK" "$URL/v1/trace?commit=a%01b")" = 400
# ---- timeline ----
DAY=$(date -u +%Y-%m-%d)
"$LEDGERCTL" timeline -d "$D/var" --period "$DAY" --env Production --json \
    >"$T/tl-local"
check "timeline -d: exit 0" test $? = 0
"$LEDGERCTL" timeline --url "$URL" --token "$RTOK" --period "$DAY" \
    --env Production --json >"$T/tl-remote"
check "timeline --url: exit 0" test $? = 0
check "timeline: the daemon's answer is the data directory's" \
    python3 -c "import json,sys; a=json.load(open('$T/tl-local')); b=json.load(open('$T/tl-remote')); sys.exit(a!=b)"
check "timeline --env production: the approval and two deployments, the daemon's start" \
    python3 -c "import json,sys; d=json.load(open('$T/tl-local')); sys.exit(not([e['seq'] for e in d['entries']]==[4,5,6] and d['ledger']['started']==[0]))"
"$LEDGERCTL" timeline -d "$D/var" --period "$DAY" --env Production --csv >"$T/tl.csv"
check "timeline --csv: a header and the three rows" \
    python3 -c "
import csv, sys
rows = list(csv.reader(open('$T/tl.csv', newline='')))
sys.exit(not (rows[0][0] == 'seq' and [r[0] for r in rows[1:]] == ['4', '5', '6']))"
"$LEDGERCTL" timeline -d "$D/var" --period 2001-01 >/dev/null
check "timeline of an empty period: exit 1" test $? = 1
"$LEDGERCTL" timeline -d "$D/var" --period 2026-13 >/dev/null 2>&1
check "timeline of a malformed period: exit 2" test $? = 2
"$LEDGERCTL" timeline -d "$D/var" --period "$DAY" --from "$DAY" >/dev/null 2>&1
check "timeline with a period and --from: exit 2" test $? = 2
check "GET /v1/timeline with a malformed period: 400" \
    test "$(code -H "Authorization: Bearer $RTOK" "$URL/v1/timeline?period=2026Q9")" = 400
check "...the message names the forms" grep -q 'ISO week' "$T/body"
check "GET /v1/timeline with from after to: 400" \
    test "$(code -H "Authorization: Bearer $RTOK" "$URL/v1/timeline?from=2026-02-01&to=2026-01-01")" = 400
check "the log verifies" verify "$D"
summary
