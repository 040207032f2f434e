#!/bin/bash
# https-ab.sh - HTTPS ingest against plain HTTP, A/B in one run
#
# usage: bench/https-ab.sh [-c connections] [-d seconds] [-r rounds]
#
# Runs bench/http-ingest.sh over plain HTTP and over HTTPS (-T), one after
# the other, rounds times (A B A B ...: drift of the machine's speed hits
# both alike), each with wrk's keep-alive connections, a fresh daemon and
# data directory, and a verify of what it wrote.  The first run also
# measures the in-process ceiling (bench-append: sign time, appends/s).
# Prints each run's durable rate and p99, then the medians and HTTPS as a
# share of HTTP; docs/performance.md asks for at least 85%.  Exit status 0
# when every run ran and verified.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
CONNS=32 DURATION=15 ROUNDS=2
while getopts "c:d:r:" opt; do
    case $opt in
    c) CONNS=$OPTARG ;;
    d) DURATION=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    *) echo "usage: https-ab.sh [-c connections] [-d seconds] [-r rounds]" >&2
       exit 2 ;;
    esac
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/https-ab-XXXXXX") || exit 1
trap 'rm -rf "$OUT"' EXIT
rc=0 n=0
echo "https-ab: $CONNS connections, ${DURATION}s a run, $ROUNDS rounds," \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for r in $(seq 1 "$ROUNDS"); do
    for mode in http https; do
        n=$((n + 1))
        args=(-c "$CONNS" -d "$DURATION" -n 0)
        [ "$n" -eq 1 ] && args=(-c "$CONNS" -d "$DURATION" -n 50000)
        [ "$mode" = https ] && args+=(-T)
        "$HERE/http-ingest.sh" "${args[@]}" >"$OUT/$n.$mode" 2>&1 || rc=1
        eps=$(sed -n 's/.*durable ingest rate (201s \/ duration) *\([0-9]*\) events.*/\1/p' \
            "$OUT/$n.$mode")
        lat=$(grep -m1 'p50 / p90 / p99' "$OUT/$n.$mode" |
            sed 's/.*p99[^0-9]*//')
        vf=$(grep -m1 'ledgerctl verify' "$OUT/$n.$mode" | sed 's/  */ /g')
        printf '  round %d %-5s %8s events/s   latency p50/p90/p99/max %s\n' \
            "$r" "$mode" "${eps:-?}" "$(grep -m1 'p50 / p90 / p99' \
            "$OUT/$n.$mode" | awk -F'  +' '{print $NF}')"
        echo "$mode ${eps:-0}" >>"$OUT/rates"
        [ -n "$eps" ] || { rc=1; tail -5 "$OUT/$n.$mode"; }
        case $vf in *"exit 0"*) ;; *) rc=1; echo "    verify: $vf" ;; esac
        [ "$n" -eq 1 ] && grep -m1 '^  result ' "$OUT/1.http" |
            tr ' ' '\n' | grep -E '^(append_eps|sign_us)=' |
            sed 's/^/    in-process ceiling: /'
    done
done
median() { # median MODE: of that mode's rates
    awk -v m="$1" '$1 == m { print $2 }' "$OUT/rates" | sort -n |
        awk '{ a[NR] = $1 } END { if (NR == 0) print 0;
            else if (NR % 2) print a[(NR + 1) / 2];
            else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
H=$(median http) S=$(median https)
awk -v h="$H" -v s="$S" 'BEGIN { printf "median: http %.0f events/s, " \
    "https %.0f events/s: https is %.0f%% of http (target >= 85%%)\n", h, s,
    h > 0 ? 100 * s / h : 0 }'
exit $rc
