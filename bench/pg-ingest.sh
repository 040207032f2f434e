#!/bin/bash
# pg-ingest.sh - durable events/s over HTTP with the log in PostgreSQL,
# front ends scaled out, next to SQLite, in one run (issue 14)
#
# usage: bench/pg-ingest.sh [-c connections] [-d seconds] [-s 'scenarios']
#
# Scenarios (all by default, in this order):
#   sqlite   one ledgerd, its log in SQLite (the embedded default)
#   pg1      one ledgerd, its log in PostgreSQL
#   pg2      two ledgerd front ends on the same log
#   pg3      three ledgerd front ends on the same log
#   pg2x2    two front ends, each with its own log in the same database
# PostgreSQL is a throwaway cluster on 127.0.0.1 (tests/pg-lib.sh), fsync
# and synchronous_commit on, on this machine; so are the front ends and
# the load (wrk with bench/post-event.lua: 1 KiB generic events, a random
# Idempotency-Key each).  The connections are split evenly over the
# front ends, one wrk per front end.  After each scenario: ledgerctl
# verify on each log, and every 201 must be in it.  Then where the CPU
# went (by process name), the group commit sizes from /metrics, and
# bench-append's sign time for this run.
#
#   -c  connections in all (32)   -d  seconds of load per scenario (15)
#   -C  lines for the cluster's postgresql.conf, e.g. 'wal_init_zero = off'
#   -x  SQL run on the database once each scenario's first front end has
#       made the schema (an A/B of a server setting, e.g. 'ALTER INDEX
#       ledger_entries_terms SET (fastupdate = off)')
#
# BUILD (default ./build) or LEDGERD, LEDGERCTL, BENCH_APPEND name the
# binaries.  Exit 0 when every scenario ran and verified; 1 otherwise.
# Targets are reported, not enforced (docs/performance.md).
set -u
prog=pg-ingest
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
LEDGERD=${LEDGERD:-$BUILD/ledgerd/ledgerd}
LEDGERCTL=${LEDGERCTL:-$BUILD/cli/ledgerctl}
BENCH_APPEND=${BENCH_APPEND:-$BUILD/bench/bench-append}
TARGET_EPS=5000
TARGET_P99_MS=50
CONNS=32
DURATION=15
SCENARIOS="sqlite pg1 pg2 pg3 pg2x2"
XSQL=
PGCONF=

die() { echo "$prog: $*" >&2; exit 1; }
while getopts "C:c:d:s:x:" opt; do
	case $opt in
	c) CONNS=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	s) SCENARIOS=$OPTARG ;;
	x) XSQL=$OPTARG ;;
	C) PGCONF=$OPTARG ;;
	*) echo "usage: $prog [-c connections] [-d seconds] [-s 'scenarios']" >&2
	   exit 2 ;;
	esac
done
case "$CONNS$DURATION" in *[!0-9]*|'') die "-c and -d take counts" ;; esac
[ "$CONNS" -ge 3 ] && [ "$DURATION" -ge 2 ] ||
	die "need at least 3 connections and 2 seconds"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
for b in "$LEDGERD" "$LEDGERCTL" "$BENCH_APPEND"; do
	[ -x "$b" ] || die "'$b' not found: build first (ninja -C build)"
done
. "$ROOT/tests/pg-lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/pg-ingest-XXXXXX") || die "no temporary directory"
chmod 755 "$T"
export XDG_STATE_HOME=$T/state
DPIDS=()
cleanup() {
	local p
	for p in "${DPIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	pg_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
ms() { echo $(($(date +%s%N) / 1000000)); }
# "comm ticks" summed over every process, for CPU by process name
cpu_by_name() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk '{
	    i = index($0, "("); j = 0
	    for (k = length($0); k > i; k--) if (substr($0, k, 1) == ")") { j = k; break }
	    if (i == 0 || j == 0) next
	    c = substr($0, i + 1, j - i - 1); sub(/:.*/, "", c); gsub(/ /, "_", c)
	    split(substr($0, j + 2), f, " "); t[c] += f[12] + f[13] }
	    END { for (c in t) print c, t[c] }'
}

echo "$prog: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
    "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on this" \
    "machine (fsync on, synchronous_commit on); $CONNS connections," \
    "${DURATION}s per scenario, 1 KiB events, wrk on the same machine"
[ -z "$XSQL" ] || echo "on the database before each load: $XSQL"
pg_new bench "$PGCONF" >/dev/null || die "no PostgreSQL cluster"
[ -z "$PGCONF" ] || echo "postgresql.conf: $PGCONF"
DB=$PG_URL_bench

# start DIR CONFIG_EXTRA: one ledgerd; sets URL, WTOK, RTOK
start() {
	local d=$1 extra=$2 port=
	mkdir -p "$d"
	printf '{"listen":"127.0.0.1:0","data_dir":"%s/var"%s}\n' "$d" \
	    "${extra:+,$extra}" >"$d/config.json"
	"$LEDGERD" -d -f "$d/config.json" >>"$d/log" 2>&1 &
	DPIDS+=($!)
	for _ in $(seq 1 200); do
		port=$(grep -oE 'listening on http://127.0.0.1:[0-9]*' "$d/log" |
		    tail -1 | sed 's/.*://')
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || die "ledgerd did not start: $(tail -3 "$d/log")"
	URL=http://127.0.0.1:$port
	WTOK=$(grep -o 'write token (id [0-9]*): [^ ]*' "$d/log" | head -1 | awk '{print $5}')
	RTOK=$(grep -o 'read token  *(id [0-9]*): [^ ]*' "$d/log" | head -1 | awk '{print $NF}')
}

# scenario NAME FRONTENDS LOGS: run it, print its row
RC=0
scenario() {
	local name=$1 nfe=$2 nlogs=$3 i d urls=() toks=() rtoks=() dirs=()
	local per=$((CONNS / nfe)) wpids=() n201=0 non2xx=0 p50=0 p99=0 r
	local batches=0 bevents=0 entries=0 ok=1
	for i in $(seq 1 "$nfe"); do
		d=$T/$name/fe$i
		dirs+=("$d")
		if [ "$name" = sqlite ]; then
			start "$d" ""
		elif [ "$i" -le "$nlogs" ]; then
			start "$d" "\"database\":\"$DB\",\"origin\":\"bench/$name/$i\""
		else	# another front end of log 1: its key and database file
			mkdir -p "$d/var" && chmod 700 "$d/var"
			cp -p "$T/$name/fe1/var/ledger.key" "$T/$name/fe1/var/ledger.pub" \
			    "$T/$name/fe1/var/ledger.database" "$d/var/"
			start "$d" "\"database\":\"$DB\""
			WTOK=${toks[0]}; RTOK=${rtoks[0]}
		fi
		urls+=("$URL"); toks+=("$WTOK"); rtoks+=("$RTOK")
		if [ "$i" = 1 ] && [ "$name" != sqlite ] && [ -n "$XSQL" ]; then
			pg_sql bench "$XSQL" >/dev/null || die "-x failed"
		fi
	done
	for i in $(seq 0 $((nfe - 1))); do
		TOKEN=${toks[$i]} DELIVERY=uuid wrk -t1 -c"$per" -d"${DURATION}s" \
		    --timeout 10s --latency -s "$HERE/post-event.lua" "${urls[$i]}" \
		    >"$T/$name.wrk$i" 2>&1 &
		wpids+=($!)
	done
	# CPU by process over the middle of the load (wrk still alive)
	sleep 1
	cpu_by_name >"$T/$name.cpu0"
	local t0; t0=$(ms)
	sleep $((DURATION - 2))
	cpu_by_name >"$T/$name.cpu1"
	local el=$(($(ms) - t0))
	for i in "${wpids[@]}"; do wait "$i"; done
	for i in $(seq 0 $((nfe - 1))); do
		r=$(grep '^RESULT ' "$T/$name.wrk$i" | tail -1)
		[ -n "$r" ] || { echo "  $name: wrk $i printed no result"; ok=0; continue; }
		n201=$((n201 + $(field "$r" n201)))
		non2xx=$((non2xx + $(field "$r" non2xx)))
		p50=$(awk -v a="$p50" -v b="$(field "$r" lat_p50_ms)" 'BEGIN { print (b > a) ? b : a }')
		p99=$(awk -v a="$p99" -v b="$(field "$r" lat_p99_ms)" 'BEGIN { print (b > a) ? b : a }')
		curl -s -H "Authorization: Bearer ${rtoks[$i]}" "${urls[$i]}/metrics" >"$T/m"
		batches=$((batches + $(awk '$1 == "ledgerd_batch_size_count" {print int($2)}' "$T/m")))
		bevents=$((bevents + $(awk '$1 == "ledgerd_batch_size_sum" {print int($2)}' "$T/m")))
	done
	for i in "${DPIDS[@]}"; do kill -TERM "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
	DPIDS=()
	for i in $(seq 1 "$nlogs"); do
		d=$T/$name/fe$i/var
		if ! "$LEDGERCTL" verify -d "$d" --no-pin >"$T/$name.verify$i" 2>&1; then
			ok=0
			echo "  $name: verify: $(head -1 "$T/$name.verify$i")"
		fi
		entries=$((entries + $(sed -n 's/^intact: \([0-9]*\) entries.*/\1/p' "$T/$name.verify$i")))
	done
	[ "$entries" -ge "$n201" ] || { ok=0; echo "  $name: $n201 receipts, $entries entries"; }
	[ "$ok" = 1 ] || RC=1
	local eps; eps=$(awk -v n="$n201" -v d="$DURATION" 'BEGIN { printf "%.0f", n / d }')
	printf '  %-8s %3s %4s %9s %8s %8s %7s %9s %10s  %s\n' "$name" "$nfe" \
	    "$nlogs" "$eps" "$p50" "$p99" "$non2xx" \
	    "$(awk -v b="$batches" -v e="$bevents" 'BEGIN { if (b) printf "%.1f", e / b; else print "-" }')" \
	    "$entries" "$([ "$ok" = 1 ] && echo intact || echo FAILED)"
	echo "$name $eps $p99" >>"$T/rows"
	# CPU by process, % of one core over the load
	awk -v ms="$el" -v hz="$(getconf CLK_TCK)" 'NR == FNR { a[$1] = $2; next }
	    { d = $2 - a[$1]; if (d > 0) printf "%s %.0f\n", $1, 100 * d / hz / (ms / 1000) }' \
	    "$T/$name.cpu0" "$T/$name.cpu1" | sort -k2 -rn | head -4 |
	    awk '{ printf "%s %s%%  ", $1, $2 }' >"$T/$name.cpushare"
}

echo
printf '  %-8s %3s %4s %9s %8s %8s %7s %9s %10s  %s\n' scenario fe logs \
    events/s "p50 ms" "p99 ms" non2xx "ev/commit" entries verify
for s in $SCENARIOS; do
	case $s in
	sqlite) scenario sqlite 1 1 ;;
	pg1) scenario pg1 1 1 ;;
	pg2) scenario pg2 2 1 ;;
	pg3) scenario pg3 3 1 ;;
	pg2x2) scenario pg2x2 2 2 ;;
	*) die "unknown scenario '$s'" ;;
	esac
done
echo
echo "where the CPU went during each load (% of one core; $(nproc) cores):"
for s in $SCENARIOS; do echo "  $s: $(cat "$T/$s.cpushare")"; done
echo
"$BENCH_APPEND" -n 5000 >"$T/ba" 2>&1
echo "this run's sign time: $(grep '^result ' "$T/ba" | tr ' ' '\n' | grep sign_us) (bench-append)"
echo
echo "targets: one log on PostgreSQL >= $TARGET_EPS events/s at p99 <= $TARGET_P99_MS ms:"
awk -v t="$TARGET_EPS" -v p="$TARGET_P99_MS" '$1 ~ /^pg/ {
    printf "  %-8s %6s events/s, p99 %s ms: %s\n", $1, $2, $3,
        ($2 >= t && $3 <= p) ? "met" : "MISSED" }' "$T/rows"
exit $RC
