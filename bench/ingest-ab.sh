#!/bin/bash
# ingest-ab.sh - two ways of running ledgerd, A/B in one run
#
# usage: bench/ingest-ab.sh [-c connections] [-d seconds] [-r rounds]
#            NAME_A 'http-ingest.sh options' NAME_B 'http-ingest.sh options'
#
#   bench/ingest-ab.sh http '' https '-T'        HTTPS against plain HTTP
#   bench/ingest-ab.sh off '-x "self_verify_interval_s":0,"self_verify_tail_ms":0' \
#       on '-x "self_verify_interval_s":5,"self_verify_tail_ms":1000'
#                                               the self-verifier's cost
#
# Runs bench/http-ingest.sh with A's options and with B's, one after the
# other, rounds times (A B A B ...: drift of the machine's speed hits both
# alike), each with wrk's keep-alive connections, a fresh daemon and data
# directory and a verify of what it wrote.  The first run also measures
# the in-process ceiling (bench-append: sign time, appends/s).  Prints each
# run's durable rate and latency, then the medians and B as a share of A.
# Exit status 0 when every run ran and verified.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
CONNS=32 DURATION=15 ROUNDS=2
usage() {
    echo "usage: ingest-ab.sh [-c connections] [-d seconds] [-r rounds]" \
        "NAME_A 'options' NAME_B 'options'" >&2
    exit 2
}
while getopts "c:d:r:" opt; do
    case $opt in
    c) CONNS=$OPTARG ;;
    d) DURATION=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 4 ] || usage
NAMES=("$1" "$3")
OPTS=("$2" "$4")
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ingest-ab-XXXXXX") || exit 1
trap 'rm -rf "$OUT"' EXIT
rc=0 n=0
echo "ingest-ab: ${NAMES[0]} ('${OPTS[0]}') against ${NAMES[1]}" \
    "('${OPTS[1]}'), $CONNS connections, ${DURATION}s a run, $ROUNDS rounds," \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for r in $(seq 1 "$ROUNDS"); do
    for k in 0 1; do
        n=$((n + 1))
        name=${NAMES[$k]}
        args=(-c "$CONNS" -d "$DURATION" -n 0)
        [ "$n" -eq 1 ] && args=(-c "$CONNS" -d "$DURATION" -n 50000)
        eval "args+=(${OPTS[$k]})"
        "$HERE/http-ingest.sh" "${args[@]}" >"$OUT/$n.$k" 2>&1 || rc=1
        eps=$(sed -n 's/.*durable ingest rate (201s \/ duration) *\([0-9]*\) events.*/\1/p' \
            "$OUT/$n.$k")
        vf=$(grep -m1 'ledgerctl verify' "$OUT/$n.$k" | sed 's/  */ /g')
        printf '  round %d %-8s %8s events/s   latency p50/p90/p99/max %s\n' \
            "$r" "$name" "${eps:-?}" "$(grep -m1 'p50 / p90 / p99' \
            "$OUT/$n.$k" | awk -F'  +' '{print $NF}')"
        echo "$k ${eps:-0}" >>"$OUT/rates"
        [ -n "$eps" ] || { rc=1; tail -5 "$OUT/$n.$k"; }
        case $vf in *"exit 0"*) ;; *) rc=1; echo "    verify: $vf" ;; esac
        [ "$n" -eq 1 ] && grep -m1 '^  result ' "$OUT/1.0" |
            tr ' ' '\n' | grep -E '^(append_eps|sign_us)=' |
            sed 's/^/    in-process ceiling: /'
    done
done
median() { # median K: of that variant's rates
    awk -v m="$1" '$1 == m { print $2 }' "$OUT/rates" | sort -n |
        awk '{ a[NR] = $1 } END { if (NR == 0) print 0;
            else if (NR % 2) print a[(NR + 1) / 2];
            else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
A=$(median 0) B=$(median 1)
awk -v a="$A" -v b="$B" -v na="${NAMES[0]}" -v nb="${NAMES[1]}" 'BEGIN {
    printf "median: %s %.0f events/s, %s %.0f events/s: %s is %.0f%% of %s\n",
        na, a, nb, b, nb, (a > 0 ? 100 * b / a : 0), na }'
exit $rc
