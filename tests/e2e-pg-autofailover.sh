#!/bin/bash
# e2e-pg-autofailover.sh - ledgerd on a pg_auto_failover formation (issue
# 14), configured as docs/scale-out.md shows: a monitor, a primary and a
# synchronous standby (replication quorum), all on 127.0.0.1; ledgerd on
# the formation's multi-host URI.  Load runs; the primary's postgres is
# killed (-9, its pg_autoctl too); the monitor promotes the standby by
# itself (no pg_ctl promote here); the front end writes again; every 2xx
# is on the new primary at its receipt's seq; verify passes.  Needs
# pg_autoctl (Debian: pg-auto-failover-cli, postgresql-15-auto-failover;
# scripts/deps.sh --test).  One line per check, "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if ! command -v pg_autoctl >/dev/null; then
	echo "FAIL - pg_autoctl is not installed (scripts/deps.sh --test)"
	exit 1
fi
PGB=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
P=$(mktemp -d "${TMPDIR:-/tmp}/ledger-paf-XXXXXX")
chmod 755 "$P"
AS=()
if [ "$(id -u)" = 0 ]; then
	AS=(runuser -u postgres --)
	chown postgres "$P"
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# killtree PID: the process and all its descendants, -9 (each stopped
# first: a supervisor must not restart what it sees die)
killtree() {
	local c
	kill -STOP "$1" 2>/dev/null
	for c in $(pgrep -P "$1"); do killtree "$c"; done
	kill -KILL "$1" 2>/dev/null
}
# node_pid NAME: the pg_autoctl supervisor of node NAME
node_pid() { pgrep -f "pg_autoctl run --pgdata $P/$1\$" | head -1; }
paf_cleanup() {
	local n p
	for n in node1 node2 monitor; do
		p=$(node_pid "$n")
		[ -n "$p" ] && killtree "$p"
		[ -f "$P/$n/postmaster.pid" ] &&
		    kill -KILL "$(head -1 "$P/$n/postmaster.pid")" 2>/dev/null
	done
	for p in $(pgrep -f "$P/"); do kill -KILL "$p" 2>/dev/null; done
	sleep 0.5
	rm -rf "$P"
}
trap 'cleanup; paf_cleanup' EXIT
autoctl() { "${AS[@]}" env PATH="$PGB:$PATH" PG_REGRESS_SOCK_DIR="$P" \
    XDG_CONFIG_HOME="$P/config" XDG_DATA_HOME="$P/data" pg_autoctl "$@"; }
run_node() { # run_node NAME: pg_autoctl run in the background
	autoctl run --pgdata "$P/$1" >>"$P/$1.log" 2>&1 &
}
state_of() { # state_of NAME: the monitor's current state of node NAME
	autoctl show state --pgdata "$P/monitor" --json 2>/dev/null |
	    python3 -c "import json,sys
for n in json.load(sys.stdin):
    if n['nodename'] == '$1': print(n['current_group_state'])"
}
wait_state() { # wait_state NAME STATE SECONDS
	local i
	for i in $(seq 1 "$(($3 * 2))"); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.5
	done
	return 1
}

MP=$(free_port); N1=$(free_port); N2=$(free_port)
MON=postgres://autoctl_node@127.0.0.1:$MP/pg_auto_failover?sslmode=disable
autoctl create monitor --pgdata "$P/monitor" --pgport "$MP" \
    --hostname 127.0.0.1 --auth trust --no-ssl >"$P/monitor.log" 2>&1
# the monitor's failure detection, as docs/scale-out.md sets it: a node
# is down after 3 s without an answer, and a primary that cannot be
# reached is taken as demoted after 10 s (defaults 20 s and 30 s)
cat >>"$P/monitor/postgresql.conf" <<CONF
pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 3000
pgautofailover.primary_demote_timeout = 10000
CONF
run_node monitor
for i in 1 2; do
	port=$N1; [ "$i" = 2 ] && port=$N2
	autoctl create postgres --pgdata "$P/node$i" --pgport "$port" \
	    --hostname 127.0.0.1 --name "node$i" --dbname ledger \
	    --username ledger --monitor "$MON" --auth trust --no-ssl \
	    >>"$P/node$i.log" 2>&1
	run_node "node$i"
	[ "$i" = 1 ] && wait_state node1 single 60
done
both() { wait_state "$1" "$2" 120 && wait_state "$3" "$4" 120; }
check "pg_auto_failover: node1 primary, node2 secondary (monitor's view)" \
    both node1 primary node2 secondary
SYNC=$("${AS[@]}" "$PGB/psql" -qAt -h 127.0.0.1 -p "$N1" -U ledger -d ledger \
    -c "SHOW synchronous_standby_names" 2>/dev/null)
check "  the standby is synchronous (synchronous_standby_names = $SYNC)" \
    test -n "$SYNC"
URI=$(autoctl show uri --pgdata "$P/monitor" --formation default 2>/dev/null)
DB="postgresql://ledger@127.0.0.1:$N1,127.0.0.1:$N2/ledger?target_session_attrs=read-write&sslmode=disable"
check "  the formation's URI names both nodes, read-write ($URI)" \
    bash -c "echo '$URI' | grep -q 'target_session_attrs=read-write'"

start "$T/a" "\"database\":\"$DB\""
check "ledgerd serves on the formation" curl -sf "$URL/healthz" -o /dev/null
python3 "$HERE/load.py" "$T/load" "$WTOK" f 12000 8 "$URL" >"$T/load.sum" &
LPID=$!
logged() { "${AS[@]}" "$PGB/psql" -qAt -h 127.0.0.1 -p "$1" -U ledger -d ledger \
    -c "SELECT count(*) FROM ledger_entries WHERE delivery LIKE 'f-%'" 2>/dev/null; }
for _ in $(seq 1 100); do
	[ "$(logged "$N1")" -ge 1000 ] 2>/dev/null && break
	sleep 0.1
done
BEFORE=$(logged "$N1")
# the primary's host lost: its pg_autoctl and postgres, without warning
PGPID=$(head -1 "$P/node1/postmaster.pid")
killtree "$(node_pid node1)"
kill -KILL "$PGPID" 2>/dev/null
KILLED=$(date +%s%N)
gone() { local i; for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
check "  the primary's postgres killed (-9) under load, $BEFORE events in" \
    gone "$PGPID"
check "the monitor promotes node2 by itself" wait_state node2 wait_primary 120
for _ in $(seq 1 600); do
	code=$(post '{"kind":"build","subject":{"run":"after-failover"}}')
	[ "$code" = 201 ] && break
	sleep 0.1
done
UP=$((($(date +%s%N) - KILLED) / 1000000))
AFTER=$(grep -o '"seq":[0-9]*' "$T/body" | cut -d: -f2)
check "ledgerd writes again, ${UP} ms after the kill ($code, seq $AFTER)" test "$code" = 201
check "  on node2: the entry is there" test "$("${AS[@]}" "$PGB/psql" -qAt \
    -h 127.0.0.1 -p "$N2" -U ledger -d ledger -c \
    "SELECT count(*) FROM ledger_entries WHERE seq = $AFTER AND run = 'after-failover'")" = 1
wait "$LPID"
check "the load ran through it: $(cat "$T/load.sum")" \
    test "$(awk '$2 == 201' "$T/load" | wc -l)" -gt "$BEFORE"
awk '$2 == 201 || $2 == 200 {print $1, $3}' "$T/load" | sort >"$T/acked"
"${AS[@]}" "$PGB/psql" -qAt -h 127.0.0.1 -p "$N2" -U ledger -d ledger \
    -c "SELECT delivery || ' ' || seq FROM ledger_entries WHERE delivery LIKE 'f-%'" |
    sort >"$T/present"
check "every 2xx is on the new primary at its receipt's seq ($(wc -l <"$T/acked") acknowledged)" \
    test -z "$(comm -23 "$T/acked" "$T/present")"
check "verify on the new primary: intact" "$LEDGERCTL" verify -d "$T/a/var"
# a sender retries what it did not get a 2xx for: each lands once
python3 "$HERE/load.py" "$T/load2" "$WTOK" f 12000 8 "$URL" >"$T/load2.sum"
check "every delivery sent again: $(cat "$T/load2.sum")" \
    test "$(awk '$2 == 201 || $2 == 200' "$T/load2" | wc -l)" = 12000
check "  each is in the log exactly once" test "$(logged "$N2")" = 12000
# the old primary comes back as a standby of the new one
run_node node1
check "node1 rejoins as the secondary; node2 primary" \
    both node1 secondary node2 primary
summary
