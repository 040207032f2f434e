#!/bin/bash
# e2e-pg-failover.sh - issue 14's failover test, against real clusters on
# 127.0.0.1 (tests/pg-lib.sh; nothing is mocked).  A primary with a
# synchronous standby (pg_basebackup -R, synchronous_standby_names), two
# ledgerd front ends reaching it through a multi-host connection string
# with target_session_attrs=read-write, load running; the primary killed
# (pg_ctl -m immediate stop), the standby promoted (pg_ctl promote), the
# old primary rebuilt as the new one's standby.  Every event that got a
# 2xx must be on the new primary under the seq its receipt names, the
# seqs dense, the chain verifying; the front ends take writes again
# without a restart.  ROUNDS times (default 3), the roles swapping each
# round.  Then the last round's deliveries sent again: each in the log
# exactly once.  One line per check, then "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
. "$(dirname "$0")/pg-lib.sh"
trap 'cleanup; pg_cleanup' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-3}
export PGCONNECT_TIMEOUT=5

pg_new a "wal_keep_size = 256MB" || exit 1
pg_standby b a || exit 1
# synchronous from now on, on both (a promoted standby keeps it: its
# commits wait for the rebuilt old primary, never acknowledged alone)
pg_conf a "synchronous_standby_names = '*'"
pg_conf b "synchronous_standby_names = '*'"
DB="postgresql://ledger@127.0.0.1:$PG_PORT_a,127.0.0.1:$PG_PORT_b/ledger?target_session_attrs=read-write"
check "a primary and its synchronous standby" \
    test "$(pg_sql a "SELECT sync_state FROM pg_stat_replication")" = sync

mkdir -p "$T/fe1"
"$LEDGERCTL" init --database "$DB" --origin e2e.example/failover "$T/fe1/var" \
    >"$T/init" 2>&1
check "ledgerctl init through the multi-host connection string" \
    test "$(pg_sql a 'SELECT log FROM ledger_logs')" = e2e.example/failover
mkdir -p "$T/fe2/var" && chmod 700 "$T/fe2/var"
cp -p "$T/fe1/var/ledger.key" "$T/fe1/var/ledger.pub" \
    "$T/fe1/var/ledger.database" "$T/fe2/var/"
FE=()
for i in 1 2; do
	start "$T/fe$i" "\"database\":\"$DB\",\"checkpoint_interval_ms\":200"
	FE+=("$URL")
done
check "two front ends serve the log" \
    bash -c "for u in ${FE[*]}; do curl -sf \$u/readyz >/dev/null || exit 1; done"

primary=a standby=b
: >"$T/acked"
for round in $(seq 1 "$ROUNDS"); do
	python3 "$HERE/load.py" "$T/load$round" "$WTOK" "r$round" 6000 8 \
	    "${FE[@]}" >"$T/load$round.sum" &
	LP=$!
	sleep 1
	kill -0 "$LP" 2>/dev/null && during=1 || during=0
	pg_stop "$primary" immediate
	t0=$(date +%s%3N)
	pg_promote "$standby"
	# the old primary, its WAL possibly ahead of what was replicated,
	# is rebuilt from the new one (pg_rewind would do it faster)
	pg_standby "$primary" "$standby" >"$T/rebuild$round" 2>&1
	rebuilt=$?
	# back: a write through a front end succeeds
	back=
	for _ in $(seq 1 120); do
		c=$(curl -s -o /dev/null -m 20 -w '%{http_code}' -X POST \
		    "${FE[0]}/v1/events" -H "Authorization: Bearer $WTOK" \
		    -H 'Content-Type: application/json' \
		    -H "Idempotency-Key: probe-$round" \
		    -d '{"kind":"test","subject":{"run":"probe"}}')
		[ "$c" = 201 ] || [ "$c" = 200 ] && { back=1; break; }
		sleep 0.25
	done
	ms=$(( $(date +%s%3N) - t0 ))
	kill -0 "$LP" 2>/dev/null && after=1 || after=0
	wait "$LP"
	tmp=$primary; primary=$standby; standby=$tmp
	check "round $round: primary killed (immediate), standby promoted, old primary rebuilt as its standby" \
	    test "$rebuilt $(pg_sql "$primary" 'SELECT pg_is_in_recovery()') $(pg_sql "$standby" 'SELECT pg_is_in_recovery()')" = "0 f t"
	check "  under load (the load running at the kill and after the recovery: $during $after): $(cat "$T/load$round.sum")" \
	    test "$during $after" = "1 1"
	check "  the front ends write again $ms ms after the kill, without a restart" \
	    test -n "$back"
	awk '$2 == 201 || $2 == 200 {print $1, $3}' "$T/load$round" >>"$T/acked"
	pg_sql "$primary" "SELECT delivery || ' ' || seq FROM ledger_entries
	    WHERE log = 'e2e.example/failover' AND delivery IS NOT NULL" |
	    sort >"$T/present"
	sort -o "$T/acked" "$T/acked"
	check "  every acknowledged event ($(wc -l <"$T/acked") so far) on the new primary, at the seq of its receipt" \
	    test -z "$(comm -23 "$T/acked" "$T/present")"
	check "  seqs dense on the new primary" \
	    test "$(pg_sql "$primary" "SELECT count(*) = coalesce(max(seq) + 1, 0) FROM ledger_entries WHERE log = 'e2e.example/failover'")" = t
	"$LEDGERCTL" verify --database "$DB" --key "$T/fe1/var/ledger.pub" \
	    --no-pin >"$T/verify$round" 2>&1
	check "  the chain and its checkpoints verify (ledgerctl verify --database, the multi-host string): $(grep -o 'intact: [0-9]* entries' "$T/verify$round")" \
	    grep -q '^intact' "$T/verify$round"
	sync=
	for _ in $(seq 1 50); do
		sync=$(pg_sql "$primary" 'SELECT sync_state FROM pg_stat_replication')
		[ "$sync" = sync ] && break
		sleep 0.2
	done
	check "  the rebuilt standby is synchronous again" test "$sync" = sync
done

# the clients retry what was refused or lost: each delivery once, whatever
# the outcome of the attempt cut by the failover was
python3 "$HERE/load.py" "$T/retry" "$WTOK" "r$ROUNDS" 6000 8 "${FE[@]}" \
    >"$T/retry.sum"
check "the last round's 6000 deliveries sent again: $(cat "$T/retry.sum")" \
    test "$(awk '$2 == 201 || $2 == 200' "$T/retry" | wc -l)" = 6000
check "  each is in the log exactly once" \
    test "$(pg_sql "$primary" "SELECT count(*) || ' ' || count(DISTINCT delivery) FROM ledger_entries WHERE log = 'e2e.example/failover' AND delivery LIKE 'r$ROUNDS-%'")" = "6000 6000"
summary
