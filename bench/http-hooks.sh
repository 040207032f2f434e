#!/bin/bash
# http-hooks.sh - GitHub webhook deliveries through /v1/hooks, next to the
# generic-event ingest rate, in one run
#
# usage: bench/http-hooks.sh [-kp] [-c connections] [-d seconds]
#            [-f payload.json] [-v variants] [-t wrk_threads]
#
# Two phases, each on a fresh daemon (127.0.0.1 port 0, heartbeats off) in
# a fresh data directory, so that neither runs on the other's log and WAL:
#
#  1. hooks: a config with a github source {"name":"gh","type":"github",
#     "secret_file":"gh.secret","duplicate_bodies":"record"} (mode 0600;
#     "record" because the variants repeat: deduplicated on the body, all
#     but the first of each would be a 200 duplicate, not an append).  -v variants of a real
#     workflow_run delivery (default: the largest file in
#     ../shared/payloads/github/workflow_run/), each with its own random
#     head_sha and run id substituted at equal length (so every variant
#     has the real size), each signed with openssl (X-Hub-Signature-256 =
#     sha256=HMAC-SHA256(secret, body)).  wrk with bench/post-hook.lua
#     posts them at random with X-GitHub-Event: workflow_run and a random
#     X-GitHub-Delivery per request.  The daemon authenticates (HMAC),
#     normalizes (kind build, subject fields) and appends each.
#  2. generic: wrk with bench/post-event.lua, 1 KiB generic events with a
#     random Idempotency-Key, to POST /v1/events (as http-ingest.sh).
#
# Each phase reports events/s (201s / duration), latency, every non-201
# status, socket errors, the CPU of the daemon, wrk and other processes,
# and `ledgerctl verify` of what it wrote.  Target (issue 5): >= 5,000
# hook events/s with HMAC verification and normalization included.
#
#   -c  connections (32)     -d  seconds per phase (20)   -t  wrk threads (2)
#   -f  the delivery to send -v  signed variants (256)    -k  keep data
#   -p  also profile the daemon with perf (cpu-clock) in the hooks phase
#       and print where its time went (slows it: read shares, not rates)
#
# BUILD (default ./build) or LEDGERD and LEDGERCTL name the binaries.
set -u

prog=http-hooks
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
LEDGERD=${LEDGERD:-$BUILD/ledgerd/ledgerd}
LEDGERCTL=${LEDGERCTL:-$BUILD/cli/ledgerctl}
PAYLOADS=${PAYLOADS:-$ROOT/../shared/payloads}
TARGET_HOOKS=5000

CONNS=32
DURATION=20
WRK_THREADS=2
VARIANTS=256
PAYLOAD=
KEEP=0
PROFILE=0
PPERF=

usage() {
    echo "usage: $prog [-k] [-c connections] [-d seconds] [-f payload.json]" \
        "[-v variants] [-t wrk_threads]" >&2
    exit 2
}
die() { echo "$prog: $*" >&2; exit 1; }
is_uint() { case $1 in ''|*[!0-9]*) return 1;; esac; }

while getopts "c:d:f:kpt:v:" opt; do
    case $opt in
    c) CONNS=$OPTARG ;;
    d) DURATION=$OPTARG ;;
    f) PAYLOAD=$OPTARG ;;
    k) KEEP=1 ;;
    p) PROFILE=1 ;;
    t) WRK_THREADS=$OPTARG ;;
    v) VARIANTS=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
for v in "$CONNS" "$DURATION" "$WRK_THREADS" "$VARIANTS"; do
    is_uint "$v" && [ "$v" -gt 0 ] || usage
done
for c in wrk curl openssl; do
    command -v $c >/dev/null || die "$c not found (apt-get install $c)"
done
for b in "$LEDGERD" "$LEDGERCTL"; do
    [ -x "$b" ] || die "'$b' not found: build first (ninja -C build)"
done
if [ -z "$PAYLOAD" ]; then
    PAYLOAD=$(ls -S "$PAYLOADS"/github/workflow_run/*.json 2>/dev/null |
        head -1)
    [ -n "$PAYLOAD" ] || die "no payloads in $PAYLOADS/github/workflow_run"
fi
[ -r "$PAYLOAD" ] || die "cannot read '$PAYLOAD'"

T=$(mktemp -d "${TMPDIR:-/tmp}/http-hooks-XXXXXX") ||
    die "cannot create a temporary directory"
export XDG_STATE_HOME=$T/state
DPID=''
cleanup() {
    [ -n "$PPERF" ] && kill -INT "$PPERF" 2>/dev/null
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
echo "http-hooks: GitHub deliveries vs generic events, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $NCPU cores, $(awk -F': ' '/^model name/ { print $2; exit }' \
    /proc/cpuinfo), $(uname -sr)"
echo "load: $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $WRK_THREADS" \
    "threads, $CONNS connections, ${DURATION}s per phase (same machine)"
echo "load average at start: $(cat /proc/loadavg)"

# ---- the signed deliveries ----
mkdir -p "$T/hooks"
SECRET=$(openssl rand -hex 32)
(umask 077; printf '%s\n' "$SECRET" >"$T/gh.secret")
SHA=$(grep -o '"head_sha": *"[0-9a-f]\{40\}"' "$PAYLOAD" | head -1 |
    grep -o '[0-9a-f]\{40\}')
# The workflow run's id, from its URLs (".../actions/runs/N").
RUNID=$(grep -o 'actions/runs/[0-9]*' "$PAYLOAD" | head -1 | sed 's/.*runs.//')
[ -n "$SHA" ] && [ -n "$RUNID" ] ||
    die "'$PAYLOAD' has no workflow_run head_sha and id"
SIZE=$(stat -c %s "$PAYLOAD")
t0=$(ms)
: >"$T/hooks/index"
for i in $(seq 1 "$VARIANTS"); do
    sha=$(openssl rand -hex 20)
    id=$(( (RANDOM << 15 | RANDOM) % (9 * 10 ** (${#RUNID} - 1)) \
        + 10 ** (${#RUNID} - 1) ))
    f=$T/hooks/$i.json
    sed -e "s/$SHA/$sha/g" -e "s/\\b$RUNID\\b/$id/g" "$PAYLOAD" >"$f"
    sig=$(openssl dgst -sha256 -hmac "$SECRET" -hex <"$f" | awk '{ print $NF }')
    echo "sha256=$sig $f" >>"$T/hooks/index"
done
echo "deliveries: $VARIANTS variants of $(basename "$(dirname "$PAYLOAD")")/$(basename "$PAYLOAD")" \
    "($SIZE bytes each; head_sha and run id $RUNID varied), signed in" \
    "$(($(ms) - t0)) ms"
cmp -s <(stat -c %s "$T"/hooks/*.json | sort -u) <(echo "$SIZE") ||
    die "a variant changed size"

# start_daemon CONFIG: sets DPID, URL, WTOK
start_daemon() {
    "$LEDGERD" -d -f "$1" >"$1.log" 2>&1 &
    DPID=$!
    local port=
    for _ in $(seq 1 200); do
        port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$1.log" |
            head -1 | sed 's/.*://')
        [ -n "$port" ] && break
        kill -0 "$DPID" 2>/dev/null ||
            die "ledgerd exited: $(tail -3 "$1.log")"
        sleep 0.05
    done
    [ -n "$port" ] || die "ledgerd did not report its port"
    URL=http://127.0.0.1:$port
    WTOK=$(grep -o 'write token (id [0-9]*): [^ ]*' "$1.log" | head -1 |
        awk '{ print $5 }')
}

declare -A R
# phase NAME LUA ENV...: run wrk on the running daemon, then stop and verify
phase() {
    local name=$1 lua=$2 d0 d1 b0 b1 t0 t1 wu ws res hz cpu
    shift 2
    if [ "$PROFILE" -eq 1 ] && [ "$name" = hooks ]; then
        perf record -q -e cpu-clock -F 199 --call-graph dwarf,8192 \
            -p "$DPID" -o "$T/perf.data" >/dev/null 2>&1 &
        PPERF=$!
    fi
    d0=$(proc_ticks "$DPID"); b0=$(busy_ticks); t0=$(ms)
    env "$@" /usr/bin/time -f '%U %S' -o "$T/wrk.$name.time" \
        wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
        --latency -s "$lua" "$URL" >"$T/wrk.$name.out" 2>&1 ||
        die "wrk failed: $(tail -3 "$T/wrk.$name.out")"
    d1=$(proc_ticks "$DPID"); b1=$(busy_ticks); t1=$(ms)
    read -r wu ws <"$T/wrk.$name.time"
    if [ -n "$PPERF" ]; then
        kill -INT "$PPERF" 2>/dev/null; wait "$PPERF"; PPERF=
    fi
    res=$(grep '^RESULT ' "$T/wrk.$name.out" | tail -1)
    [ -n "$res" ] || die "wrk printed no RESULT: $(tail -3 "$T/wrk.$name.out")"
    hz=$(getconf CLK_TCK)
    cpu=$(awk -v dd=$((d1 - d0)) -v db=$((b1 - b0)) -v hz="$hz" \
        -v w="$wu $ws" -v s=$((t1 - t0)) 'BEGIN { split(w, a, " ")
        s /= 1000; d = 100 * dd / hz / s; wc = 100 * (a[1] + a[2]) / s
        o = 100 * db / hz / s - d - wc; if (o < 0) o = 0
        printf "%.0f %.0f %.0f", d, wc, o }')
    kill -TERM "$DPID"; wait "$DPID"; DPID=
    R[$name]="$res cpu=$cpu"
    echo
    echo "  $name: wrk's report"
    sed -n '/^Running/,/^Transfer/p' "$T/wrk.$name.out" | sed 's/^/    /'
    grep '^FIRST_ERROR' "$T/wrk.$name.out" | head -2 | sed 's/^/    /'
}

# verify_dir NAME DIR: ledgerctl verify, entries by kind
verify_dir() {
    local out
    # A state directory per log: both are "vm/ledgerd" with different keys.
    out=$(XDG_STATE_HOME=$T/state-$1 "$LEDGERCTL" verify -d "$2" 2>&1 |
        grep -E '^(intact|ledgerctl)' | grep -v 'trusting checkpoint' |
        tail -1)
    V[$1]=$out
    echo "  $1: ledgerctl verify: $out"
}
declare -A V

echo
echo "1. hooks phase: POST /v1/hooks/gh (github source, HMAC-SHA256)"
mkdir -p "$T/h"
printf '{"listen":"127.0.0.1:0","data_dir":"%s/h/var","heartbeat_interval_s":0,"sources":[{"name":"gh","type":"github","secret_file":"%s/gh.secret","duplicate_bodies":"record"}]}\n' \
    "$T" "$T" >"$T/h/config.json"
start_daemon "$T/h/config.json"
# One delivery first, to show what the adapter made of it.
read -r sig1 f1 <"$T/hooks/index"
code=$(curl -s -o "$T/one.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: workflow_run' -H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" \
    -H "X-Hub-Signature-256: $sig1" --data-binary "@$f1" "$URL/v1/hooks/gh")
echo "  one delivery: $code $(head -c 200 "$T/one.json")"
code=$(curl -s -o "$T/bad.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: workflow_run' -H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" \
    -H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" --data-binary "@$f1" "$URL/v1/hooks/gh")
echo "  a wrong signature: $code $(head -c 120 "$T/bad.json")"
phase hooks "$HERE/post-hook.lua" HOOKS="$T/hooks/index" SOURCE=gh EVENT=workflow_run
verify_dir hooks "$T/h/var"
"$LEDGERCTL" events -d "$T/h/var" --kind build --json 2>/dev/null | head -1 |
    head -c 600 | sed 's/^/  first build entry: /'
echo

echo
echo "2. generic phase: POST /v1/events (1 KiB generic events, random Idempotency-Key)"
mkdir -p "$T/g"
printf '{"listen":"127.0.0.1:0","data_dir":"%s/g/var","heartbeat_interval_s":0}\n' \
    "$T" >"$T/g/config.json"
start_daemon "$T/g/config.json"
phase generic "$HERE/post-event.lua" TOKEN="$WTOK" DELIVERY=uuid
verify_dir generic "$T/g/var"

echo
echo "summary ($NCPU cores, wrk on the same machine; CPU in % of one core)"
echo
printf '  %-8s %8s %8s %8s %8s %8s %7s %8s %8s %5s %7s  %s\n' phase \
    "events/s" "p50 ms" "p99 ms" "max ms" "201s" "non2xx" "sockerr" ledgerd \
    wrk others target
rc=0
for name in hooks generic; do
    res=${R[$name]}
    dur=$(field "$res" duration_s)
    n201=$(field "$res" n201)
    eps=$(awk -v n="$n201" -v d="$dur" 'BEGIN { printf "%.0f", n / d }')
    se=$(($(field "$res" connect_errors) + $(field "$res" read_errors) \
        + $(field "$res" write_errors) + $(field "$res" timeouts)))
    read -r dc wc oc <<<"${res##*cpu=}"
    tgt=-
    if [ "$name" = hooks ]; then
        if [ "$eps" -ge "$TARGET_HOOKS" ]; then tgt="met (>= $TARGET_HOOKS)"
        else tgt="MISSED (>= $TARGET_HOOKS)"; rc=1; fi
    fi
    printf '  %-8s %8s %8s %8s %8s %8s %7s %8s %7s%% %4s%% %6s%%  %s\n' \
        "$name" "$eps" "$(field "$res" lat_p50_ms)" \
        "$(field "$res" lat_p99_ms)" "$(field "$res" lat_max_ms)" "$n201" \
        "$(field "$res" non2xx)" "$se" "$dc" "$wc" "$oc" "$tgt"
    [ "${oc%.*}" -le 10 ] ||
        echo "  ^ other processes took ${oc}% of a core: NOT an idle machine"
done
printf '  %-8s %s\n' "verify" "hooks: ${V[hooks]}; generic: ${V[generic]}"
if [ "$PROFILE" -eq 1 ] && [ -s "$T/perf.data" ]; then
    echo
    echo "where the daemon's CPU time went in the hooks phase (perf cpu-clock," \
        "inclusive, children included)"
    perf report -i "$T/perf.data" --stdio --children --sort sym -g none \
        2>/dev/null | grep '%' | head -45 | sed 's/^/  /'
fi
echo "load average at end: $(cat /proc/loadavg)"
exit $rc
