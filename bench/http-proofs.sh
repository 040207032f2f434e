#!/bin/bash
# http-proofs.sh - ledgerd's proof endpoints over HTTP on a 10M-leaf log
#
# usage: bench/http-proofs.sh [-k] [-c connections] [-d seconds]
#            [-D data_dir] [-n leaves] [-t wrk_threads]
#
# Builds (or reuses) a log of n leaves with bench-proofs (synthetic leaf
# hashes, one real entry, copies of it under the seqs listed in
# DIR/proof-seqs.txt), starts the real daemon on it (127.0.0.1 port 0,
# heartbeats off), then runs wrk twice: GET /v1/proof/inclusion?seq=S&size=n
# with S random among the seqs that hold an entry (the endpoint reads the
# entry for its leaf hash), and GET /v1/proof/consistency?first=M&second=n
# with M random in [1, n).  Reports requests/s, latency, status counts, and
# the CPU of the daemon, of wrk and of other processes during each run.
#
#   -c  concurrent connections (32)      -d  seconds per run (20)
#   -D  data directory to build or reuse (default: a temporary one)
#   -n  leaves (10000000)                -t  wrk threads (2)
#   -k  keep the temporary directory
#
# The daemon appends its own `ledger` entries ("started", ...) to the log,
# so a reused directory holds n + a few leaves; the proofs ask for size n.
# BUILD (default ./build) or LEDGERD and BENCH_PROOFS name the binaries.
set -u

prog=http-proofs
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
LEDGERD=${LEDGERD:-$BUILD/ledgerd/ledgerd}
BENCH_PROOFS=${BENCH_PROOFS:-$BUILD/bench/bench-proofs}
LUA=$HERE/get-proof.lua
TARGET_RPS=5000

CONNS=32
DURATION=20
WRK_THREADS=2
LEAVES=10000000
DATA=
KEEP=0

usage() {
    echo "usage: $prog [-k] [-c connections] [-d seconds] [-D data_dir]" \
        "[-n leaves] [-t wrk_threads]" >&2
    exit 2
}
die() { echo "$prog: $*" >&2; exit 1; }
is_uint() { case $1 in ''|*[!0-9]*) return 1;; esac; }

while getopts "c:d:D:kn:t:" opt; do
    case $opt in
    c) CONNS=$OPTARG ;;
    d) DURATION=$OPTARG ;;
    D) DATA=$OPTARG ;;
    k) KEEP=1 ;;
    n) LEAVES=$OPTARG ;;
    t) WRK_THREADS=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
for v in "$CONNS" "$DURATION" "$WRK_THREADS" "$LEAVES"; do
    is_uint "$v" || usage
done
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
for b in "$LEDGERD" "$BENCH_PROOFS"; do
    [ -x "$b" ] || die "'$b' not found: build first (ninja -C build)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/http-proofs-XXXXXX") ||
    die "cannot create a temporary directory"
[ -n "$DATA" ] || DATA=$T/var
DPID=''
cleanup() {
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    if [ "$KEEP" -eq 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null |
    awk '{ print $12 + $13 }'; }
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
ms() { echo $(($(date +%s%N) / 1000000)); }

NCPU=$(nproc)
echo "http-proofs: ledgerd proof endpoints, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $NCPU cores, $(awk -F': ' '/^model name/ { print $2; exit }' \
    /proc/cpuinfo), $(uname -sr)"
echo "load: $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $WRK_THREADS" \
    "threads, $CONNS connections, ${DURATION}s per run (same machine)"
echo "load average at start: $(cat /proc/loadavg)"

# ---- the log ----
echo
echo "1. the log: bench-proofs -k -n $LEAVES -d $DATA"
"$BENCH_PROOFS" -k -n "$LEAVES" -d "$DATA" >"$T/build.out" 2>&1 ||
    die "bench-proofs failed: $(tail -3 "$T/build.out")"
grep -E 'build|tree built|entry copies|ledger.db|other proc' "$T/build.out" |
    sed 's/^ */  /'
SEQS=$DATA/proof-seqs.txt
[ -s "$SEQS" ] || die "$SEQS is empty: rebuild with entry copies (-e)"

# ---- the daemon ----
printf '{"listen":"127.0.0.1:0","data_dir":"%s","heartbeat_interval_s":0}\n' \
    "$DATA" >"$T/config.json"
t0=$(ms)
"$LEDGERD" -d -f "$T/config.json" >"$T/ledgerd.log" 2>&1 &
DPID=$!
PORT=
for _ in $(seq 1 600); do
    PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/ledgerd.log" |
        head -1 | sed 's/.*://')
    [ -n "$PORT" ] && break
    kill -0 "$DPID" 2>/dev/null ||
        die "ledgerd exited: $(tail -5 "$T/ledgerd.log")"
    sleep 0.05
done
[ -n "$PORT" ] || die "ledgerd did not report its port"
URL=http://127.0.0.1:$PORT
sleep 0.5
echo
echo "2. ledgerd started in $(($(ms) - t0)) ms; its log (tokens elided):"
grep -v -i 'token\|bearer' "$T/ledgerd.log" | head -12 | sed 's/^/  /'
curl -s "$URL/v1/checkpoint" -o "$T/cp.txt" -w '%{http_code}' >"$T/cp.code"
echo "  GET /v1/checkpoint: $(cat "$T/cp.code"), size line:" \
    "$(sed -n 2p "$T/cp.txt")"
S1=$(head -1 "$SEQS")
for p in "inclusion?seq=$S1&size=$LEAVES" "inclusion?seq=$((S1 + 1))&size=$LEAVES" \
    "consistency?first=12345&second=$LEAVES"; do
    code=$(curl -s -o "$T/one.json" -w '%{http_code}' "$URL/v1/proof/$p")
    printf '  GET /v1/proof/%s: %s %s\n' "$p" "$code" \
        "$(head -c 160 "$T/one.json")..."
done

# ---- load ----
echo
echo "3. load (target >= $TARGET_RPS requests/s each)"
declare -A R
run() {
    local mode=$1 d0 d1 b0 b1 t0 t1 wu ws
    d0=$(proc_ticks "$DPID"); b0=$(busy_ticks); t0=$(ms)
    MODE=$mode SIZE=$LEAVES SEQS=$SEQS /usr/bin/time -f '%U %S' \
        -o "$T/wrk.$mode.time" wrk -t"$WRK_THREADS" -c"$CONNS" \
        -d"${DURATION}s" --timeout 10s --latency -s "$LUA" "$URL" \
        >"$T/wrk.$mode.out" 2>&1 || die "wrk failed: $(tail -3 "$T/wrk.$mode.out")"
    d1=$(proc_ticks "$DPID"); b1=$(busy_ticks); t1=$(ms)
    read -r wu ws <"$T/wrk.$mode.time"
    local res; res=$(grep '^RESULT ' "$T/wrk.$mode.out" | tail -1)
    [ -n "$res" ] || die "wrk printed no RESULT: $(tail -3 "$T/wrk.$mode.out")"
    local hz; hz=$(getconf CLK_TCK)
    local cpu; cpu=$(awk -v dd=$((d1 - d0)) -v db=$((b1 - b0)) -v hz="$hz" \
        -v w="$wu $ws" -v s=$(((t1 - t0))) 'BEGIN { split(w, a, " ")
        s /= 1000; d = 100 * dd / hz / s; wc = 100 * (a[1] + a[2]) / s
        o = 100 * db / hz / s - d - wc; if (o < 0) o = 0
        printf "%.0f %.0f %.0f %.0f", d, wc, o, 100 * db / hz / s }')
    R[$mode]="$res cpu=$cpu"
    echo
    echo "  $mode: wrk's report"
    sed -n '/^Running/,/^Transfer/p' "$T/wrk.$mode.out" | sed 's/^/    /'
    grep '^FIRST_ERROR' "$T/wrk.$mode.out" | head -2 | sed 's/^/    /'
}
run inclusion
run consistency

t0=$(ms)
kill -TERM "$DPID"
wait "$DPID"
DRC=$?
DPID=
echo
echo "  SIGTERM: exit $DRC after $(($(ms) - t0)) ms"

echo
echo "summary ($NCPU cores, wrk on the same machine; CPU in % of one core)"
echo
printf '  %-13s %9s %8s %8s %8s %7s %6s %8s %6s %6s %7s  %s\n' endpoint \
    "req/s" "p50 ms" "p99 ms" "max ms" "200s" "non200" "sockerr" ledgerd \
    wrk others "target"
rc=0
for mode in inclusion consistency; do
    res=${R[$mode]}
    dur=$(field "$res" duration_s)
    n200=$(field "$res" n200)
    rps=$(awk -v n="$n200" -v d="$dur" 'BEGIN { printf "%.0f", n / d }')
    se=$(($(field "$res" connect_errors) + $(field "$res" read_errors) \
        + $(field "$res" write_errors) + $(field "$res" timeouts)))
    read -r dc wc oc _ <<<"$(sed 's/.*cpu=//' <<<"$res")"
    ok=$(awk -v r="$rps" -v t=$TARGET_RPS 'BEGIN { print (r >= t) }')
    [ "$ok" = 1 ] || rc=1
    printf '  %-13s %9s %8s %8s %8s %7s %6s %8s %6s%% %5s%% %6s%%  %s\n' \
        "$mode" "$rps" "$(field "$res" lat_p50_ms)" \
        "$(field "$res" lat_p99_ms)" "$(field "$res" lat_max_ms)" "$n200" \
        "$(field "$res" non2xx)" "$se" "$dc" "$wc" "$oc" \
        "$([ "$ok" = 1 ] && echo "met" || echo "MISSED (>= $TARGET_RPS)")"
    if [ "${oc%.*}" -gt 10 ]; then
        echo "  ^ other processes took ${oc}% of a core: NOT an idle machine"
    fi
done
echo "load average at end: $(cat /proc/loadavg)"
exit $rc
