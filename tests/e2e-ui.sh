#!/bin/bash
# e2e-ui.sh - the web view (GET /ui/) in a real browser: Debian's chromium,
# headless, driven by playwright-core (tests/ui, installed by
# scripts/deps.sh --test from its package-lock.json), against a real
# ledgerd on 127.0.0.1 -- the timeline's marks, an entry verified in the
# browser against the signed checkpoint and ledger.pub, an entry edited
# in the database behind ledgerd's back not verified, attacker text shown
# as text with no script run; screenshots in $LEDGER_UI_OUT (default: the
# build directory's meson-logs/ui).  No browser or no playwright-core is a
# failure, not a skip.
set -u
. "$(dirname "$0")/e2e-lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${LEDGER_UI_OUT:-$PWD/meson-logs/ui}
mkdir -p "$OUT"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
check "chromium is installed (scripts/deps.sh --test)" test -x "${CHROMIUM:-/nonexistent}"
check "playwright-core is installed in tests/ui (npm ci)" \
    test -f "$HERE/ui/node_modules/playwright-core/package.json"
command -v node >/dev/null
check "node is installed" [ $? -eq 0 ]

# the view's files: no token, a strict policy
D=$T/ui
start "$D" '"anonymous_read":true,"checkpoint_interval_ms":100'
curl -sS -D "$T/h" -o "$T/index.html" "$URL/ui/"
check "GET /ui/ serves the page" grep -q '<script src="app.js" defer></script>' "$T/index.html"
check "  under a Content-Security-Policy without inline script" \
    grep -qi "^content-security-policy: default-src 'none'; script-src 'self';" "$T/h"
check "  no inline script or style in the page" \
    bash -c "! grep -qiE '<script>|<style|onclick=|javascript:' '$T/index.html'"
z=0
for f in "" app.js app.css favicon.svg; do
	z=$((z + $(curl -sS "$URL/ui/$f" | gzip -9 | wc -c)))
done
check "the page's own assets: $z bytes compressed, within 300 KB" [ "$z" -gt 1000 -a "$z" -le 307200 ]
check "GET /ui/nothing: 404" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/ui/nothing")" = 404 ]

# a day of events: deployments in two environments, one carrying
# attacker text, one to be edited behind ledgerd's back
seqof() { grep -o '"seq":[0-9]*' "$T/body" | head -1 | cut -d: -f2; }
post '{"kind":"build","subject":{"environment":"staging","service":"pay","status":"success","commit":"3f2c9a1"}}' > /dev/null
post '{"kind":"deployment","subject":{"environment":"staging","service":"pay","status":"success"}}' > /dev/null
post '{"kind":"approval","subject":{"environment":"production","service":"pay","status":"approved","actor":"carol"}}' > /dev/null
post '{"kind":"deployment","subject":{"environment":"production","service":"pay","status":"success","actor":"alice"}}' > /dev/null
DEP=$(seqof)
post '{"kind":"deployment","subject":{"environment":"production","service":"web","status":"failure","actor":"<img src=x onerror=window.pwned=1>"},"payload":{"note":"<script>window.pwned=2</script>"}}' > /dev/null
XSS=$(seqof)
post '{"kind":"build","subject":{"service":"api","status":"success","commit":"9c1d2e3","artifact":"sha256:abababababababababababababababababababababababababababababababab"}}' > /dev/null
post '{"kind":"deployment","subject":{"environment":"production","service":"api","status":"success","actor":"dana","artifact":"sha256:abababababababababababababababababababababababababababababababab"}}' > /dev/null
API=$(seqof)
post '{"kind":"rollback","subject":{"environment":"production","service":"pay","status":"success"}}' > /dev/null
BAD=$(seqof)
sleep 0.6		# a checkpoint covers them all
sqlite3 "$D/var/ledger.db" "DROP TRIGGER IF EXISTS entries_no_update;
    UPDATE entries SET entry = CAST(replace(CAST(entry AS TEXT),
    '\"service\":\"pay\"', '\"service\":\"pax\"') AS BLOB) WHERE seq = $BAD"
check "the edit was made" test "$(sqlite3 "$D/var/ledger.db" \
    "SELECT instr(CAST(entry AS TEXT), 'pax') > 0 FROM entries WHERE seq = $BAD")" = 1

if [ "$FAIL" = 0 ]; then
	CHROMIUM=$CHROMIUM node "$HERE/ui/ui-test.mjs" "$URL" \
	    "$(cat "$D/var/ledger.pub")" "$OUT" 8 "$DEP" "$XSS" "$BAD" "$API" \
	    > "$T/ui.out" 2>&1
	rc=$?
	cat "$T/ui.out"
	check "the browser run passed" [ $rc = 0 ]
	for b in entry population; do
		check "the $b bundle the browser saved verifies offline with ledger.pub" \
		    "$LEDGERCTL" verify --bundle "$OUT/$b.bundle.gz" --key "$D/var/ledger.pub"
	done
	check "a screenshot of each view" test -s "$OUT/timeline.png" -a \
	    -s "$OUT/entry.png" -a -s "$OUT/entry-tampered.png" -a \
	    -s "$OUT/state.png" -a -s "$OUT/deployments.png"
fi
summary
