#!/bin/bash
# ui-timeline.sh - the web view's timeline on a 1,000,000-entry ledger
# (issue 17: a day renders in <= 1 s after the page loads; the page's own
# assets <= 300 KB compressed)
#
# usage: bench/ui-timeline.sh [-k DIR] [-n entries] [-r runs] [-w DAYS]
#
# Builds the ledger bench-answers builds (-n entries over 2026 by a
# simulated clock, 10,000 pipelines, 300 services, 5 environments: about
# 2,750 entries a day at 1,000,000) in a temporary directory, or reuses
# the one in -k DIR (bench-answers -d DIR keeps one), starts ledgerd on it
# (127.0.0.1 port 0, anonymous_read), then loads
# /ui/#/timeline?from=2026-06-01&to=+DAYS (1) -r times (5) in Debian's
# chromium (tests/ui/ui-bench.mjs): per load, the page's own Performance
# API marks -- the marks in the page, then painted -- from navigation
# start, and the GET /v1/timeline it made.  Then the assets' sizes, each
# as ledgerd serves it and gzip -9'd.  Not a test: the numbers go to
# docs/performance.md with the run's sign time (bench-answers prints it).
#
# BUILD (default ./build) names the build; CHROMIUM the browser.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
LEDGERD=${LEDGERD:-$BUILD/ledgerd/ledgerd}
export CHROMIUM=${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}
N=1000000 RUNS=5 DAYS=1 KEEP=
while getopts k:n:r:w: o; do
	case $o in
	k) KEEP=$OPTARG ;;
	n) N=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	w) DAYS=$OPTARG ;;
	*) echo "usage: ui-timeline.sh [-k DIR] [-n entries] [-r runs] [-w days]" >&2
	   exit 2 ;;
	esac
done
[ -f "$ROOT/tests/ui/node_modules/playwright-core/package.json" ] || {
	echo "ui-timeline.sh: run scripts/deps.sh --test first (playwright-core)" >&2
	exit 2; }
W=$(mktemp -d /tmp/ui-timeline-XXXXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
DIR=${KEEP:-$W/var}
if [ -z "$KEEP" ] || [ ! -f "$KEEP/ledger.db" ]; then
	# -a matches no answer: build (and settle) the ledger, measure nothing
	"$BUILD/bench/bench-answers" -d "$DIR" -n "$N" -q 10 -a build-only |
	    grep -E '^(load|Ed25519|built)' || exit 1
fi
printf '{"listen":"127.0.0.1:0","data_dir":"%s","anonymous_read":true,"heartbeat_interval_s":0}\n' \
    "$DIR" > "$W/config.json"
"$LEDGERD" -d -f "$W/config.json" > "$W/log" 2>&1 &
PID=$!
for _ in $(seq 1 1200); do
	grep -q 'listening on' "$W/log" 2>/dev/null && break
	kill -0 $PID 2>/dev/null || break
	sleep 0.05
done
grep -q 'listening on' "$W/log" || { echo "ledgerd did not start:"; cat "$W/log"; exit 1; }
URL=http://127.0.0.1:$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$W/log" | sed 's/.*://')
SIZE=$(curl -s "$URL/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["log_size"])')
FROM=2026-06-01T00:00:00Z
TO=$(date -u -d "2026-06-01 + $DAYS days" +%Y-%m-%dT%H:%M:%SZ)
echo "timeline $FROM .. $TO of a $SIZE-entry ledger, $RUNS page loads (load: $(cut -d' ' -f1-3 /proc/loadavg))"
node "$ROOT/tests/ui/ui-bench.mjs" "$URL" "$FROM" "$TO" "$RUNS" || exit 1
total=0 ztotal=0
for f in "" app.js app.css favicon.svg; do
	n=$(curl -s "$URL/ui/$f" | wc -c)
	z=$(curl -s "$URL/ui/$f" | gzip -9 | wc -c)
	printf 'asset %-12s %7d bytes, %6d gzip -9\n' "${f:-index.html}" "$n" "$z"
	total=$((total + n)) ztotal=$((ztotal + z))
done
printf 'assets in all %7d bytes, %6d compressed (budget 307200)\n' "$total" "$ztotal"
