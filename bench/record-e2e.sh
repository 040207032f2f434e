#!/bin/bash
# record-e2e.sh - `ledgerctl record` end to end against a local ledgerd
# (issue 15: the 112 KB SARIF-schema-sized report and the 80 KB Puppet
# report each within 20 ms)
#
# usage: bench/record-e2e.sh [-n runs]
#
# One fresh daemon (127.0.0.1 port 0, a fresh data directory, the
# release build's binaries), then for each report -n runs of
#     ledgerctl record KIND --url URL --token T --file REPORT --run N
# (each with its own run id, so none is a duplicate), timed from before
# the process starts to after it exits: process start, reading the file,
# the HTTP request, the daemon's parse, sequencing, the fsync'd COMMIT and
# the receipt.  Prints the median, p95 and worst in ms, then verifies the
# log.  Also a Trivy report and a CycloneDX SBOM, read as formats.
#
# BUILD (default ./build) or LEDGERD and LEDGERCTL name the binaries.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
LEDGERD=${LEDGERD:-$BUILD/ledgerd/ledgerd}
LEDGERCTL=${LEDGERCTL:-$BUILD/cli/ledgerctl}
P=${PAYLOADS:-$ROOT/../shared/payloads}
N=50
while getopts n: o; do
	case $o in
	n) N=$OPTARG ;;
	*) echo "usage: record-e2e.sh [-n runs]" >&2; exit 2 ;;
	esac
done
D=$(mktemp -d /tmp/record-e2e-XXXXXX)
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$D"' EXIT
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","heartbeat_interval_s":0}\n' \
    "$D" > "$D/config.json"
"$LEDGERD" -d -f "$D/config.json" > "$D/log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
	grep -q 'listening on' "$D/log" 2>/dev/null && break
	sleep 0.05
done
URL=http://127.0.0.1:$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$D/log" | sed 's/.*://')
TOK=$(grep -o 'write token (id [0-9]*): [^ ]*' "$D/log" | awk '{print $5}')
echo "ledgerctl record, $N runs each, against $URL (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-58s %8s %8s %8s\n' "report" "median" "p95" "worst"
i=0
while IFS='|' read -r class kind f; do
	: > "$D/t"
	for _ in $(seq 1 "$N"); do
		i=$((i + 1))
		t0=$(date +%s%N)
		"$LEDGERCTL" record "$class" ${kind:+--kind "$kind"} --url "$URL" \
		    --token "$TOK" --file "$P/$f" --run "r$i" > /dev/null ||
		    { echo "record failed: $f" >&2; exit 1; }
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 )) >> "$D/t"
	done
	sort -n "$D/t" | awk -v name="$(basename "$f") ($(stat -c %s "$P/$f") B)" '
	    { v[NR] = $1 } END { printf "%-58s %6.1f ms %6.1f ms %6.1f ms\n",
	    name, v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.95 + 0.999)] / 1000,
	    v[NR] / 1000 }'
done <<'LIST'
scan|scan|scans/sarif/sarif-schema-2.1.0.json
run|change|iac/puppet/puppetdb-store-report.puppetdb1.vm.json
scan||scans/trivy/image.alpine-310.json
scan||scans/zap/traditional-json.zap-2.7.0.zero.webappsecurity.json
sbom||scans/sbom/cyclonedx-1.5.trivy.centos-7.json
LIST
"$LEDGERCTL" verify -d "$D/var" --no-pin | head -1
