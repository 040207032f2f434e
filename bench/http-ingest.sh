#!/bin/bash
# http-ingest.sh - ledgerd's durable ingest rate over HTTP, in one report
#
# usage: bench/http-ingest.sh [-kpT] [-c connections] [-d seconds]
#            [-D uuid|none] [-n append_events] [-t wrk_threads]
#            [-x 'config members']
#
# Starts the real daemon on 127.0.0.1 port 0 in a fresh data directory,
# posts 1 KiB generic events with wrk and bench/post-event.lua, samples the
# daemon's RSS and CPU every second, stops it with SIGTERM, runs
# `ledgerctl verify` on what it wrote, then runs bench-append for the
# in-process ceiling of this machine in the same run.  The load generator
# runs on the same machine (the target counts it in).
#
#   -c  concurrent connections (32)         -d  seconds of load (20)
#   -D  delivery ids: uuid sends a random Idempotency-Key per event, none
#       sends none (uuid)
#   -n  events for bench-append's in-process run (50000; 0 skips it)
#   -t  wrk threads (2)                     -k  keep the data directory
#   -p  also profile the daemon with perf (cpu-clock); slows it down, so
#       read the profile, not the rate, of such a run
#   -x  extra members for the daemon's config, e.g. '"batch_delay_ms":2'
#   -T  serve HTTPS (a P-256 certificate made with openssl for the run;
#       wrk's TLS is OpenSSL, ledgerd's GnuTLS); bench/ingest-ab.sh
#       compares it with plain HTTP in one run
#
# BUILD (default: ./build beside bench/) or LEDGERD, LEDGERCTL and
# BENCH_APPEND name the binaries.  Exit status 0 when every step ran and
# verify reported the log intact; 1 otherwise.  Targets are reported, not
# enforced: see docs/performance.md.
set -u

prog=http-ingest
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
LEDGERD=${LEDGERD:-$BUILD/ledgerd/ledgerd}
LEDGERCTL=${LEDGERCTL:-$BUILD/cli/ledgerctl}
BENCH_APPEND=${BENCH_APPEND:-$BUILD/bench/bench-append}
LUA=$HERE/post-event.lua

# DESIGN.md "Performance targets" (2 cores, load generator included).
TARGET_EPS=10000
TARGET_P99_MS=25

CONNS=32
DURATION=20
WRK_THREADS=2
APPEND_N=50000
DELIVERY=uuid
KEEP=0
PROFILE=0
EXTRA=
TLS=0

usage() {
    echo "usage: $prog [-kpT] [-c connections] [-d seconds] [-D uuid|none]" \
        "[-n append_events] [-t wrk_threads] [-x 'config members']" >&2
    exit 2
}
die() { echo "$prog: $*" >&2; exit 1; }
misuse() { echo "$prog: $*" >&2; usage; }
is_uint() { case $1 in ''|*[!0-9]*) return 1;; esac; }

while getopts "c:d:D:kn:pTt:x:" opt; do
    case $opt in
    c) CONNS=$OPTARG ;;
    d) DURATION=$OPTARG ;;
    D) DELIVERY=$OPTARG ;;
    k) KEEP=1 ;;
    n) APPEND_N=$OPTARG ;;
    p) PROFILE=1 ;;
    T) TLS=1 ;;
    t) WRK_THREADS=$OPTARG ;;
    x) EXTRA=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
for v in "$CONNS" "$DURATION" "$WRK_THREADS" "$APPEND_N"; do
    is_uint "$v" || misuse "'$v' is not a count"
done
if [ "$CONNS" -lt 1 ] || [ "$DURATION" -lt 2 ] || [ "$WRK_THREADS" -lt 1 ]
then
    misuse "need at least 1 connection, 1 thread and 2 seconds"
fi
[ "$WRK_THREADS" -le "$CONNS" ] || WRK_THREADS=$CONNS
case $DELIVERY in
uuid|none) ;;
*) misuse "bad -D '$DELIVERY' (uuid, none)" ;;
esac
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
for b in "$LEDGERD" "$LEDGERCTL"; do
    [ -x "$b" ] || die "'$b' not found: build first (ninja -C build)"
done
[ "$APPEND_N" -eq 0 ] || [ -x "$BENCH_APPEND" ] ||
    die "'$BENCH_APPEND' not found: build first (ninja -C build)"
if [ "$PROFILE" -eq 1 ]; then
    command -v perf >/dev/null || die "perf not found (-p)"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/http-ingest-XXXXXX") ||
    die "cannot create a temporary directory"
# ledgerctl pins each log's checkpoints under $XDG_STATE_HOME; keep this
# run's throw-away logs out of the user's state.
export XDG_STATE_HOME=$T/state
DPID='' WPID='' SPID='' PPID_PERF=
cleanup() {
    # Only what this script started, by process id.
    [ -n "$PPID_PERF" ] && kill -INT "$PPID_PERF" 2>/dev/null
    [ -n "$WPID" ] && kill "$WPID" 2>/dev/null
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    if [ "$KEEP" -eq 1 ]; then
        echo "data kept in $T"
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ms() { echo $(($(date +%s%N) / 1000000)); }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# The value of key in a "RESULT k=v k=v" line.
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
# The value of a Prometheus sample (first match, no labels).
metric() { awk -v m="$1" '$1 == m { print $2; exit }' "$T/metrics.txt"; }
# CPU ticks (user + system) of a process.
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null |
    awk '{ print $12 + $13 }'; }
# Whole machine: total, idle and iowait ticks.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i;
    print t, $5, $6 }' /proc/stat; }

# "pid ticks comm" for every process (user + system CPU ticks so far), or
# with an argument, for every thread of that process.
proc_snapshot() {
    local glob="/proc/[0-9]*/stat"
    [ $# -eq 0 ] || glob="/proc/$1/task/[0-9]*/stat"
    # shellcheck disable=SC2086
    cat $glob 2>/dev/null | awk '{
        i = index($0, "("); j = 0
        for (k = length($0); k > i; k--)
            if (substr($0, k, 1) == ")") { j = k; break }
        if (i == 0 || j == 0) next
        comm = substr($0, i + 1, j - i - 1); gsub(/ /, "_", comm)
        split(substr($0, j + 2), f, " ")
        print substr($0, 1, i - 2), f[12] + f[13], comm }'
}

# The daemon's count of appended entries (GET /metrics), or empty.
appended_now() { curl -s -m 2 -H "Authorization: Bearer $RTOK" \
    "$URL/metrics" | awk '$1 == "ledgerd_events_appended_total" { print $2 }'; }

# sample DAEMON_PID WRK_PID OUT: one line a second until $T/stop exists:
# seconds, daemon RSS KiB, daemon CPU %, wrk CPU %, machine busy %,
# iowait %, WAL KiB, other processes' CPU %, events appended that second.
# Process figures are % of one core; busy and iowait are % of the whole
# machine (NCPU cores).
sample() {
    local dpid=$1 wpid=$2 out=$3 hz t0 now rss
    local d0 d1 w0 w1 tot0 idle0 iow0 tot1 idle1 iow1 wal prev a0 a1
    hz=$(getconf CLK_TCK)
    t0=$(ms)
    prev=$t0
    d0=$(proc_ticks "$dpid"); w0=$(proc_ticks "$wpid")
    read -r tot0 idle0 iow0 < <(cpu_ticks)
    a0=$(appended_now)
    while [ ! -e "$T/stop" ] && kill -0 "$dpid" 2>/dev/null; do
        sleep 1
        now=$(ms)
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$dpid/status" \
            2>/dev/null) || break
        d1=$(proc_ticks "$dpid"); w1=$(proc_ticks "$wpid")
        [ -n "$w1" ] || w1=$w0
        read -r tot1 idle1 iow1 < <(cpu_ticks)
        wal=$(stat -c %s "$T/var/ledger.db-wal" 2>/dev/null || echo 0)
        a1=$(appended_now)
        [ -n "$a1" ] || a1=${a0:-0}
        awk -v el=$((now - t0)) -v dt=$((now - prev)) -v hz="$hz" \
            -v rss="$rss" -v dd=$((d1 - d0)) -v dw=$((w1 - w0)) \
            -v dtot=$((tot1 - tot0)) -v didle=$((idle1 - idle0)) \
            -v diow=$((iow1 - iow0)) -v wal="$wal" -v ncpu="$NCPU" \
            -v da=$((a1 - ${a0:-0})) 'BEGIN {
            s = dt / 1000; if (s <= 0) s = 1; if (dtot <= 0) dtot = 1
            d = 100 * dd / hz / s; w = 100 * dw / hz / s
            b = 100 * (dtot - didle - diow) / dtot
            o = b * ncpu - d - w; if (o < 0) o = 0
            printf "%.1f %d %.0f %.0f %.0f %.0f %d %.0f %.0f\n", el / 1000,
                rss, d, w, b, 100 * diow / dtot, wal / 1024, o, da / s
            }' >>"$out"
        prev=$now; d0=$d1; w0=$w1; tot0=$tot1; idle0=$idle1; iow0=$iow1
        a0=$a1
    done
}

NCPU=$(nproc)
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "http-ingest: ledgerd over $([ "$TLS" -eq 1 ] && echo HTTPS ||
    echo HTTP), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $NCPU cores, ${CPU_MODEL:-unknown CPU}, $(uname -sr)"
echo "load: $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $WRK_THREADS" \
    "threads, $CONNS connections, ${DURATION}s, 1 KiB generic events," \
    "delivery ids: $DELIVERY (same machine as the daemon)"
echo "data: $T/var${EXTRA:+; config extra: $EXTRA}"
echo "load average at start: $(cat /proc/loadavg)"

# ---- start the daemon ----
mkdir -p "$T"
if [ "$TLS" -eq 1 ]; then
    command -v openssl >/dev/null || die "openssl not found (-T)"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/tls.key" -out "$T/tls.pem" -days 2 -subj /CN=localhost \
        -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
        die "openssl could not make a certificate"
    chmod 600 "$T/tls.key"
    EXTRA="\"tls\":{\"cert_file\":\"$T/tls.pem\",\"key_file\":\"$T/tls.key\"}${EXTRA:+,$EXTRA}"
fi
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var"%s}\n' "$T" \
    "${EXTRA:+,$EXTRA}" >"$T/config.json"
"$LEDGERD" -d -f "$T/config.json" >"$T/ledgerd.log" 2>&1 &
DPID=$!
DPID_RUN=$DPID
PORT=
for _ in $(seq 1 200); do
    PORT=$(grep -oE 'listening on https?://127.0.0.1:[0-9]*' \
        "$T/ledgerd.log" | head -1 | sed 's/.*://')
    [ -n "$PORT" ] && break
    kill -0 "$DPID" 2>/dev/null ||
        die "ledgerd exited: $(tail -3 "$T/ledgerd.log")"
    sleep 0.05
done
[ -n "$PORT" ] || die "ledgerd did not report its port"
WTOK=$(grep -o 'write token (id [0-9]*): [^ ]*' "$T/ledgerd.log" | head -1 |
    awk '{ print $5 }')
RTOK=$(grep -o 'read token  *(id [0-9]*): [^ ]*' "$T/ledgerd.log" | head -1 |
    awk '{ print $NF }')
[ -n "$WTOK" ] || die "ledgerd printed no write token"
URL=http://127.0.0.1:$PORT
[ "$TLS" -eq 0 ] || URL=https://127.0.0.1:$PORT
[ "$TLS" -eq 0 ] || export CURL_CA_BUNDLE=$T/tls.pem	# curl's /metrics
RSS_IDLE=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status")

# ---- load ----
proc_snapshot >"$T/procs.before"
proc_snapshot "$DPID" >"$T/threads.before"
LOAD_T0=$(ms)
TOKEN=$WTOK DELIVERY=$DELIVERY wrk -t"$WRK_THREADS" -c"$CONNS" \
    -d"${DURATION}s" --timeout 10s --latency -s "$LUA" "$URL" \
    >"$T/wrk.out" 2>&1 &
WPID=$!
sample "$DPID" "$WPID" "$T/samples" &
SPID=$!
if [ "$PROFILE" -eq 1 ]; then
    perf record -q -e cpu-clock -F 199 --call-graph dwarf,8192 \
        -p "$DPID" -o "$T/perf.data" >/dev/null 2>&1 &
    PPID_PERF=$!
fi
wait "$WPID"
WRC=$?
proc_snapshot >"$T/procs.after"
proc_snapshot "$DPID" >"$T/threads.after"
LOAD_MS=$(($(ms) - LOAD_T0))
WRK_PID=$WPID
WPID=
touch "$T/stop"
wait "$SPID"
SPID=
if [ -n "$PPID_PERF" ]; then
    kill -INT "$PPID_PERF" 2>/dev/null
    wait "$PPID_PERF"
    PPID_PERF=
fi
[ "$WRC" -eq 0 ] || die "wrk failed: $(tail -3 "$T/wrk.out")"
RESULT=$(grep '^RESULT ' "$T/wrk.out" | tail -1)
[ -n "$RESULT" ] || die "wrk printed no RESULT line: $(tail -3 "$T/wrk.out")"

curl -sS -o "$T/metrics.txt" -H "Authorization: Bearer $RTOK" \
    "$URL/metrics" || : >"$T/metrics.txt"

# ---- stop, then verify ----
t0=$(ms)
kill -TERM "$DPID"
wait "$DPID"
DRC=$?
DPID=
STOP_MS=$(($(ms) - t0))
t0=$(ms)
"$LEDGERCTL" verify -d "$T/var" >"$T/verify.out" 2>&1
VRC=$?
VERIFY_MS=$(($(ms) - t0))
ENTRIES=$(sed -n 's/^intact: \([0-9]*\) entries.*/\1/p' "$T/verify.out")
LEDGER_ENTRIES=$("$LEDGERCTL" events -d "$T/var" --kind ledger --json \
    2>/dev/null | wc -l)

# ---- report ----
dur=$(field "$RESULT" duration_s)
n201=$(field "$RESULT" n201)
n200=$(field "$RESULT" n200)
reqs=$(field "$RESULT" requests)
non2xx=$(field "$RESULT" non2xx)
sockerr=$(($(field "$RESULT" connect_errors) + $(field "$RESULT" read_errors) \
    + $(field "$RESULT" write_errors) + $(field "$RESULT" timeouts)))
eps=$(awk -v n="$n201" -v d="$dur" 'BEGIN { printf "%.0f", n / d }')
p50=$(field "$RESULT" lat_p50_ms)
p99=$(field "$RESULT" lat_p99_ms)

echo
echo "1. wrk (its own report)"
echo
sed -n '/^Running/,/^Transfer/p' "$T/wrk.out" | sed 's/^/  /'
grep '^FIRST_ERROR' "$T/wrk.out" | sed 's/^/  /'

echo
echo "2. the daemon, once a second (process CPU: 100% = one core;" \
    "machine and iowait: % of all $NCPU cores)"
echo
printf '  %6s %9s %8s %10s %6s %9s %8s %7s %9s\n' "t (s)" "events/s" \
    "RSS MiB" "ledgerd %" "wrk %" "others %" "machine" "iowait" "WAL MiB"
while read -r t rss dcpu wcpu busy iow wal other eps1; do
    printf '  %6s %9s %8s %10s %6s %9s %7s%% %6s%% %9s\n' "$t" "$eps1" \
        "$(mib "$rss")" "$dcpu" "$wcpu" "$other" "$busy" "$iow" \
        "$(mib "$wal")"
done <"$T/samples"
read -r RSS_WARM RSS_MAX RSS_LAST DCPU WCPU BUSY OTHER <<<"$(awk '
    { n++; rss[n] = $2; if ($2 > max) max = $2; dc += $3; wc += $4
      b += $5; o += $8 }
    END { w = int(n / 2); if (w < 1) w = 1
          printf "%d %d %d %.0f %.0f %.0f %.0f\n", rss[w], max, rss[n],
              dc / n, wc / n, b / n, o / n }' "$T/samples")"
RSS_GROWTH=$((RSS_LAST - RSS_WARM))
# Flat: the second half of the run adds at most 4 MiB or 5%.  (The first
# seconds fill SQLite's page cache, which is bounded by cache_size.)
FLAT=$(awk -v g="$RSS_GROWTH" -v w="$RSS_WARM" 'BEGIN {
    print (g <= 4096 || g <= w * 0.05) ? "flat" : "GROWING" }')

batches=$(metric ledgerd_batches_total)
bsum=$(metric ledgerd_batch_size_sum)
bcount=$(metric ledgerd_batch_size_count)
appended=$(metric ledgerd_events_appended_total)
failures=$(metric ledgerd_storage_failures_total)

echo
echo "3. results"
echo
printf '  %-40s %s\n' "requests (wrk)" "$reqs in ${dur}s"
printf '  %-40s %s\n' "201 Created (durable receipts)" "$n201"
printf '  %-40s %s\n' "200 duplicate deliveries" "$n200"
printf '  %-40s %s\n' "non-2xx responses" "$non2xx"
printf '  %-40s %s\n' "socket errors and timeouts" "$sockerr"
printf '  %-40s %s events/s\n' "durable ingest rate (201s / duration)" "$eps"
printf '  %-40s %s ms / %s ms / %s ms / %s ms\n' \
    "latency p50 / p90 / p99 / max" "$p50" "$(field "$RESULT" lat_p90_ms)" \
    "$p99" "$(field "$RESULT" lat_max_ms)"
if [ -n "$bcount" ] && [ "${bcount:-0}" -gt 0 ]; then
    printf '  %-40s %s (mean %s events per commit)\n' \
        "group commits (ledgerd_batches_total)" "$batches" \
        "$(awk -v s="$bsum" -v c="$bcount" 'BEGIN { printf "%.1f", s / c }')"
fi
printf '  %-40s %s\n' "events appended (metrics)" "${appended:-?}"
printf '  %-40s %s\n' "storage failures (metrics)" "${failures:-?}"
printf '  %-40s idle %s, half-way %s, max %s, end %s MiB: %s\n' \
    "daemon RSS" "$(mib "$RSS_IDLE")" "$(mib "$RSS_WARM")" \
    "$(mib "$RSS_MAX")" "$(mib "$RSS_LAST")" "$FLAT"
printf '  %-40s ledgerd %s%%, wrk %s%%, others %s%% (of one core);' \
    "mean CPU during the load" "$DCPU" "$WCPU" "$OTHER"
printf ' machine %s%% busy\n' "$BUSY"
if [ "${OTHER:-0}" -gt 10 ]; then
    echo "  WARNING: other processes used ${OTHER}% of a core: this" \
        "machine was not idle, so the rates above are low.  The busiest" \
        "processes alive at the end (short-lived ones are not listed):"
    awk -v d="$DPID_RUN" -v w="$WRK_PID" -v ms="$LOAD_MS" \
        -v hz="$(getconf CLK_TCK)" '
        NR == FNR { before[$1] = $2; next }
        $1 != d && $1 != w { t = $2 - before[$1]
            if (t > 0) printf "%.0f %s %s\n", 100 * t / hz / (ms / 1000),
                $1, $3 }' "$T/procs.before" "$T/procs.after" |
        sort -rn | head -5 | awk '{ printf "    %5s%%  pid %s  %s\n", $1, $2,
            $3 }'
fi
printf '  %-40s %s\n' "busiest ledgerd threads during the load" \
    "(% of one core)"
awk -v ms="$LOAD_MS" -v hz="$(getconf CLK_TCK)" '
    NR == FNR { before[$1] = $2; next }
    { t = $2 - before[$1]; if (t > 0) printf "%.0f %s %s\n",
        100 * t / hz / (ms / 1000), $1, $3 }' "$T/threads.before" \
    "$T/threads.after" | sort -rn | head -6 |
    awk '{ printf "  %-40s %s%%\n", "    tid " $2 " (" $3 ")", $1 }'
printf '  %-40s exit %s after %s ms\n' "SIGTERM" "$DRC" "$STOP_MS"
printf '  %-40s exit %s in %s ms: %s\n' "ledgerctl verify" "$VRC" \
    "$VERIFY_MS" "$(head -1 "$T/verify.out")"
if [ -n "$ENTRIES" ]; then
    # wrk stops counting at the deadline; requests still in flight then are
    # committed (and answered) but not counted, so the log may hold more.
    late=$((ENTRIES - n201 - LEDGER_ENTRIES))
    printf '  %-40s %s entries = %s receipts + %s ledgerd entries' \
        "every 201 is in the log" "$ENTRIES" "$n201" "$LEDGER_ENTRIES"
    if [ "$late" -ge 0 ]; then
        printf ' + %s answered after wrk stopped counting: yes\n' "$late"
    else
        printf ': NO, %s missing\n' "$((-late))"
    fi
fi

if [ "$PROFILE" -eq 1 ] && [ -s "$T/perf.data" ]; then
    echo
    echo "4. where the daemon's CPU time went (perf, cpu-clock; the load" \
        "was slowed by profiling)"
    echo
    echo "  by library:"
    perf report -i "$T/perf.data" --stdio --no-children --sort dso -g none \
        2>/dev/null | grep '%' | head -12 | sed 's/^/  /'
    echo
    echo "  inclusive, by function (children included):"
    perf report -i "$T/perf.data" --stdio --children --sort sym -g none \
        2>/dev/null | grep '%' | grep -v '\[k\]' | head -40 | sed 's/^/  /'
    echo
    echo "  kernel, inclusive:"
    perf report -i "$T/perf.data" --stdio --children --sort sym -g none \
        2>/dev/null | grep '\[k\]' | head -15 | sed 's/^/  /'
fi

# ---- the in-process ceiling, same machine, same run ----
CEIL=
if [ "$APPEND_N" -gt 0 ]; then
    echo
    echo "5. in-process ceiling: bench-append -n $APPEND_N -D $DELIVERY"
    echo
    "$BENCH_APPEND" -n "$APPEND_N" -D "$DELIVERY" >"$T/bench-append.out" 2>&1 ||
        echo "  bench-append failed"
    sed 's/^/  /' "$T/bench-append.out"
    CEIL=$(grep '^result ' "$T/bench-append.out" | tail -1)
fi

echo
echo "summary ($NCPU cores, load generator on the same machine)"
echo
verdict() { [ "$1" = 1 ] && echo "met" || echo "MISSED"; }
printf '  %-34s %16s  %-14s %s\n' "" "measured" "target" ""
printf '  %-34s %16s  %-14s %s\n' "HTTP durable events/s" "$eps" \
    ">= $TARGET_EPS" "$(verdict "$(awk -v e="$eps" -v t=$TARGET_EPS \
    'BEGIN { print (e >= t) }')")"
printf '  %-34s %16s  %-14s %s\n' "HTTP p99 latency at $CONNS conns" \
    "$p99 ms" "<= $TARGET_P99_MS ms" "$(verdict "$(awk -v p="$p99" \
    -v t=$TARGET_P99_MS 'BEGIN { print (p <= t) }')")"
printf '  %-34s %16s  %-14s %s\n' "daemon RSS growth, 2nd half of run" \
    "$(mib "$RSS_GROWTH") MiB" "flat" \
    "$(verdict "$([ "$FLAT" = flat ] && echo 1)")"
printf '  %-34s %16s  %-14s %s\n' "verify after the run" \
    "$([ "$VRC" -eq 0 ] && echo intact || echo "exit $VRC")" "intact" \
    "$(verdict "$([ "$VRC" -eq 0 ] && echo 1)")"
if [ -n "$CEIL" ]; then
    a=$(field "$CEIL" append_eps)
    v=$(field "$CEIL" verify_all_eps)
    printf '  %-34s %16s  %-14s %s\n' "in-process append events/s" "$a" \
        ">= 15000" "$(verdict "$(awk -v e="$a" 'BEGIN { print (e >= 15000) }')")"
    printf '  %-34s %16s  %-14s %s\n' "verify entries/s (all cores)" "$v" \
        ">= 25000" "$(verdict "$(awk -v e="$v" 'BEGIN { print (e >= 25000) }')")"
fi
[ "$VRC" -eq 0 ]
