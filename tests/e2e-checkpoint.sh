#!/bin/bash
# e2e-checkpoint.sh - signed checkpoints, proofs and pinning end to end:
# the real ledgerd on 127.0.0.1 with port 0 and a 100 ms checkpoint
# interval, its checkpoint and proof API driven with curl, and ledgerctl
# checkpoint, prove, consistency and verify against --url and -d.  Then the
# attacks pinning exists for: the database truncated behind the daemon's
# back (rollback), and the log rebuilt with another history and the same
# key (fork), each checked against the pinned checkpoint.  Prints one line
# per check and "N passed, N failed"; exits 1 if anything failed.
set -u
. "$(dirname "$0")/e2e-lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 not found"; exit 77; }

# status WANT NAME COMMAND...: the exit status must be WANT; stdout is left
# in $T/out and stderr in $T/err.
status() {
	local want=$1 name=$2 got; shift 2
	"$@" >"$T/out" 2>"$T/err"; got=$?
	if [ "$got" = "$want" ]; then ok "$name (exit $got)"
	else bad "$name: want exit $want, got $got: $(head -c 400 "$T/err")"
	fi
}
err_has() { grep -qF -- "$1" "$T/err"; }
out_has() { grep -qF -- "$1" "$T/out"; }

# Every daemon here signs a checkpoint at most every 100 ms.
CP='"checkpoint_interval_ms":100'
# restart DIR N: the Nth start of ledgerd in DIR.  The port is read again
# once the Nth "listening on" line is there: start may read it just before.
restart() {
	STARTS=$2 start "$1" "$CP"
	PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$1/log" |
	    tail -1 | sed 's/.*://')
	URL=http://127.0.0.1:$PORT
}
# origin DIR: the origin of the log in DIR, from its verifier key line.
origin() { cut -d+ -f1 "$1/ledger.pub"; }
# wait_cp: until the newest checkpoint covers the whole log; sets CPSIZE.
wait_cp() {
	local i n s
	for i in $(seq 1 200); do
		n=$(curl -s "$URL/healthz" | sed -n 's/.*"log_size":\([0-9]*\).*/\1/p')
		s=$(curl -s "$URL/v1/checkpoint" | sed -n 2p)
		if [ -n "$n" ] && [ "$n" = "$s" ]; then CPSIZE=$s; return 0; fi
		sleep 0.05
	done
	return 1
}
code() { curl -s -o "$T/body" -w '%{http_code}' "$URL$1"; }
api_400() { # api_400 PATH WORDS: 400, a JSON error whose message has WORDS
	local c
	c=$(code "$1")
	if [ "$c" = 400 ] && grep -q '"error":"bad_request"' "$T/body" &&
	    grep -qF -- "$2" "$T/body"
	then ok "GET $1 -> 400 '$2'"
	else bad "GET $1: want 400 with '$2', got $c: $(head -c 200 "$T/body")"
	fi
}
# The pinned checkpoint in FILE: "SIZE ROOT".
pinned() { sed -n '2p;3p' "$1" | tr '\n' ' ' | sed 's/ $//'; }
popcount() { local n=$1 c=0; while [ "$n" -gt 0 ]; do c=$((c + (n & 1))); n=$((n >> 1)); done; echo $c; }
# tlog's stored hash index of leaf n, and the number of stored hashes of
# a tree of n leaves (ledger/merkle.h).
leaf_index() { echo $((2 * $1 - $(popcount "$1"))); }
stored_count() {
	local n=$1 c i
	[ "$n" = 0 ] && { echo 0; return; }
	c=$(($(leaf_index $((n - 1))) + 1))
	i=$((n - 1))
	while [ $((i & 1)) = 1 ]; do c=$((c + 1)); i=$((i >> 1)); done
	echo $c
}
# truncate DB K [keep-checkpoints]: what an attacker with the database
# does: drop the guard triggers, delete every entry from K on with its
# payload and tree hashes (and the checkpoints above K, unless told to
# keep them), and point the head at entry K-1.
truncate_db() {
	local db=$1 k=$2 keep=${3:-}
	local cps="DELETE FROM checkpoints WHERE size > $k;"
	[ -n "$keep" ] && cps=
	sqlite3 "$db" "
	    DROP TRIGGER entries_no_delete; DROP TRIGGER payloads_prune_only;
	    DROP TRIGGER tree_no_delete; DROP TRIGGER checkpoints_no_delete;
	    DROP TRIGGER head_no_shrink;
	    DELETE FROM payloads WHERE seq >= $k;
	    DELETE FROM entries WHERE seq >= $k;
	    CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, entry_keys, instance);
	    CREATE TEMP TABLE gone AS SELECT doc, group_concat(term, ' ') AS
	        terms FROM temp.v WHERE doc >= $k GROUP BY doc;
	    INSERT INTO entry_keys (entry_keys, rowid, k)
	        SELECT 'delete', doc, terms FROM gone;
	    DELETE FROM tree WHERE id >= $(stored_count "$k");
	    $cps
	    UPDATE head SET size = $k,
	        last_leaf = (SELECT hash FROM tree WHERE id = $(leaf_index $((k - 1)))),
	        last_time_ms = (SELECT time_ms FROM entries WHERE seq = $((k - 1)));"
}

# ---------------------------------------------------------------------
A=$T/a
start "$A" "$CP"
KEY=$A/var/ledger.pub
OA=$(origin "$A/var")
for i in $(seq 1 10); do post "{\"kind\":\"build\",\"subject\":{\"run\":\"r$i\"}}" >/dev/null; done
check "the daemon signs a checkpoint covering the log" wait_cp
N1=$CPSIZE

# ---- the API ----
c=$(curl -s -D "$T/hdr" -o "$T/cp" -w '%{http_code}' "$URL/v1/checkpoint")
check "GET /v1/checkpoint is 200 text/plain, public" \
    bash -c "[ $c = 200 ] && grep -qi '^content-type: text/plain' '$T/hdr'"
check "the checkpoint is origin, size, base64 root, blank line, signature" \
    bash -c "[ \"\$(sed -n 1p '$T/cp')\" = '$OA' ] &&
        [ \"\$(sed -n 2p '$T/cp')\" = $N1 ] &&
        sed -n 3p '$T/cp' | grep -qE '^[A-Za-z0-9+/]{43}=\$' &&
        [ -z \"\$(sed -n 4p '$T/cp')\" ] &&
        sed -n 5p '$T/cp' | grep -q '^— $OA '"
check "GET /v1/checkpoint/$N1 is the same note" \
    bash -c "curl -s '$URL/v1/checkpoint/$N1' | cmp -s - '$T/cp'"
check "GET /v1/checkpoint/99999 -> 404" test "$(code /v1/checkpoint/99999)" = 404
check "GET /v1/checkpoint/abc -> 400 (malformed size)" \
    test "$(code /v1/checkpoint/abc)" = 400
c=$(code "/v1/proof/inclusion?seq=3&size=$N1")
check "GET /v1/proof/inclusion answers the RFC 6962 fields" \
    bash -c "[ $c = 200 ] && grep -q '^{\"leaf_index\":3,\"tree_size\":$N1,\"leaf_hash\":\"[A-Za-z0-9+/=]*\",\"audit_path\":\[' '$T/body'"
c=$(code "/v1/proof/consistency?first=2&second=$N1")
check "GET /v1/proof/consistency answers first, second, consistency" \
    bash -c "[ $c = 200 ] && grep -q '^{\"first\":2,\"second\":$N1,\"consistency\":\[\"' '$T/body'"
c=$(code "/v1/proof/inclusion?seq=0")
check "GET /v1/proof/inclusion without size uses the newest checkpoint" \
    bash -c "[ $c = 200 ] && grep -q '\"tree_size\":$N1,' '$T/body'"
api_400 "/v1/proof/inclusion?seq=$N1&size=$N1" "is not in a tree of size $N1"
api_400 "/v1/proof/inclusion?seq=1&size=99999" "beyond the log"
api_400 "/v1/proof/consistency?first=1&second=99999" "beyond the log"
api_400 "/v1/proof/consistency?first=5&second=2" "larger than second"
api_400 "/v1/proof/inclusion?seq=abc&size=3" "'seq' is required and must be a non-negative integer"
api_400 "/v1/proof/inclusion?seq=-1&size=3" "non-negative integer"
api_400 "/v1/proof/inclusion?seq=01&size=3" "non-negative integer"
api_400 "/v1/proof/inclusion?seq=1&size=18446744073709551616" "'size' must be a non-negative integer"
api_400 "/v1/proof/inclusion?seq=&size=3" "non-negative integer"
api_400 "/v1/proof/inclusion?size=3" "'seq' is required"
api_400 "/v1/proof/consistency?first=1&second=2x" "'second' must be a non-negative integer"
api_400 "/v1/proof/consistency?first=1&second=2&third=3" "unknown parameter 'third'"

# ---- GET /v1/status and ledgerctl status --url ----
c=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $RTOK" "$URL/v1/status")
check "GET /v1/status (read token): size, checkpoint, keys, disk" \
    bash -c "[ $c = 200 ] && grep -q '\"log_size\":$N1,' '$T/body' &&
        grep -q '\"checkpoint\":{\"size\":$N1,' '$T/body' &&
        grep -q '\"verified\":true' '$T/body' &&
        grep -q '\"keys\":\[{\"key_id\"' '$T/body'"
check "GET /v1/status without a token -> 401" \
    test "$(code /v1/status)" = 401
c=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $RTOK" "$URL/v1/status?x=1")
check "GET /v1/status?x=1 -> 400" test "$c" = 400
check "ledgerctl status --url agrees" \
    bash -c "'$LEDGERCTL' status --url '$URL' --token '$RTOK' |
        grep -q '^entries:     $N1 '"

# ---- ledgerctl bundle --url: a bundle from the daemon, checked offline ----
status 0 "bundle --url --seq with payloads" \
    "$LEDGERCTL" bundle --url "$URL" --token "$RTOK" --key "$KEY" \
    --seq 1,3-4 --with-payloads -o "$T/url.bundle.gz"
status 0 "verify --bundle of the daemon's bundle: intact" \
    "$LEDGERCTL" verify --bundle "$T/url.bundle.gz" --key "$KEY"
check "... its three entries, each ok" \
    bash -c "grep -c ': ok\$' '$T/out' | grep -qx 3"
status 0 "bundle --url by the events filters" \
    "$LEDGERCTL" bundle --url "$URL" --token "$RTOK" --key "$KEY" \
    --kind build -o "$T/url2.bundle.gz"
status 0 "... verified offline" \
    "$LEDGERCTL" verify --bundle "$T/url2.bundle.gz" --key "$KEY"
"$LEDGERCTL" init --origin "$OA" "$T/impostor" >/dev/null 2>&1
status 1 "bundle --url refuses a checkpoint the --key did not sign" \
    "$LEDGERCTL" bundle --url "$URL" --token "$RTOK" \
    --key "$T/impostor/ledger.pub" --seq 1 -o "$T/url3.bundle.gz"
check "... and writes nothing" test ! -e "$T/url3.bundle.gz"
status 2 "bundle --url without --key is misuse" \
    "$LEDGERCTL" bundle --url "$URL" --token "$RTOK" --seq 1 \
    -o "$T/url4.bundle.gz"

# ---- GET /v1/events/{seq}/proof: the entry's tlog-proof@v1, public ----
c=$(curl -s -D "$T/hdr" -o "$T/tp" -w '%{http_code}' "$URL/v1/events/3/proof")
check "GET /v1/events/3/proof is 200 text/plain without a token" \
    bash -c "[ $c = 200 ] && grep -qi '^content-type: text/plain' '$T/hdr'"
check "it is c2sp.org/tlog-proof@v1, index 3, no extra" \
    bash -c "[ \"\$(sed -n 1p '$T/tp')\" = c2sp.org/tlog-proof@v1 ] &&
        [ \"\$(sed -n 2p '$T/tp')\" = 'index 3' ]"
curl -s "$URL/v1/proof/inclusion?seq=3&size=$N1" |
    grep -o '"audit_path":\[[^]]*\]' | sed 's/.*\[//; s/\]//' |
    tr -d '"' | tr , '\n' > "$T/path-json"
sed -n '3,/^$/p' "$T/tp" | sed '/^$/d' > "$T/path-tp"
check "its audit path is the inclusion proof's" \
    bash -c "[ -s '$T/path-tp' ] && cmp -s '$T/path-json' '$T/path-tp'"
check "it ends with the newest signed checkpoint, verbatim" \
    bash -c "sed '1,/^$/d' '$T/tp' | cmp -s - '$T/cp'"
check "GET /v1/events/99999/proof -> 404" \
    test "$(code /v1/events/99999/proof)" = 404
api_400 "/v1/events/3/proof?wait=11s" "at most 10 s"
api_400 "/v1/events/3/proof?wait=soon" "at most 10 s"
api_400 "/v1/events/3/proof?size=3" "unknown parameter 'size'"
A_URL=$URL A_PID=$PID A_W=$WTOK A_R=$RTOK
# a pipeline's receipt: post, then wait for the checkpoint that covers it
start "$T/r" "$CP"
post '{"kind":"build","subject":{"run":"r0"}}' >/dev/null
RSEQ=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$T/body")
t0=$(date +%s%N)
c=$(code "/v1/events/$RSEQ/proof?wait=5s")
t1=$(date +%s%N)
check "a fresh entry's proof with wait=5s: 200 once a checkpoint covers it ($(( (t1 - t0) / 1000000 )) ms)" \
    bash -c "[ $c = 200 ] && grep -qx 'index $RSEQ' '$T/body' &&
        [ $(( (t1 - t0) / 1000000 )) -lt 5000 ]"
stop "$PID"
# a daemon that signs once a minute: nothing covers a new entry for a while
start "$T/w" '"checkpoint_interval_ms":60000'
post '{"kind":"build","subject":{"run":"w1"}}' >/dev/null
WSEQ=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$T/body")
c=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$URL/v1/events/$WSEQ/proof")
check "an entry no checkpoint covers yet: 503 with Retry-After" \
    bash -c "[ $c = 503 ] && grep -qi '^retry-after: 1' '$T/hdr' &&
        grep -q 'no signed checkpoint covers entry $WSEQ' '$T/body'"
t0=$(date +%s%N)
c=$(code "/v1/events/$WSEQ/proof?wait=1s")
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
check "... and with wait=1s, 503 after the second ($ms ms)" \
    bash -c "[ $c = 503 ] && [ $ms -ge 900 ] && [ $ms -lt 3000 ]"
# waiters are suspended, not threads: more of them than the pool's threads
# leave the daemon answering
WAITERS=()
for i in 1 2 3 4 5 6; do
	curl -s -o "$T/waiter-$i" -w '%{http_code}' \
	    "$URL/v1/events/$WSEQ/proof?wait=10s" > "$T/waiter-code-$i" &
	WAITERS+=($!)
done
sleep 0.3
check "six waiting proofs do not stop the daemon answering" \
    bash -c "curl -s -m 2 '$URL/healthz' | grep -q '\"status\":\"ok\"'"
t0=$(date +%s%N)
stop "$PID"
wait "${WAITERS[@]}"
t1=$(date +%s%N)
check "SIGTERM answers every waiting proof at once ($(( (t1 - t0) / 1000000 )) ms)" \
    bash -c "[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] &&
        for i in 1 2 3 4 5 6; do
            c=\$(cat '$T/waiter-code-'\$i)
            [ \"\$c\" = 200 ] || [ \"\$c\" = 503 ] || exit 1
        done"
URL=$A_URL PID=$A_PID WTOK=$A_W RTOK=$A_R

# ---- ledgerctl checkpoint: trust on first use, then only forward ----
status 2 "checkpoint --url without --key is misuse" "$LEDGERCTL" checkpoint --url "$URL"
status 0 "checkpoint --url: verified, pinned on first use" \
    "$LEDGERCTL" checkpoint --url "$URL" --key "$KEY"
check "first use is said on stderr" err_has "trusting checkpoint size $N1"
# the origin is letters, digits and '-': the file name is the origin
PIN=$XDG_STATE_HOME/ledgerctl/$OA
check "the pin file is named after the origin, mode 0644" \
    test "$(stat -c %a "$PIN" 2>/dev/null)" = 644
check "the pin directory is created 0700" \
    test "$(stat -c %a "$XDG_STATE_HOME/ledgerctl")" = 700
check "the pin is the signed note as served" cmp -s "$PIN" "$T/cp"
check "nothing else is left in the pin directory" \
    test "$(ls -A "$XDG_STATE_HOME/ledgerctl" | wc -l)" = 1
check "the output names size and root" \
    bash -c "grep -q '^size: *$N1\$' '$T/out' && grep -qF \"root_hash:    \$(sed -n 3p '$T/cp')\" '$T/out'"
status 0 "checkpoint --url again" "$LEDGERCTL" checkpoint --url "$URL" --key "$KEY"
check "no first-use notice the second time" bash -c "! grep -q 'first use' '$T/err'"
for i in $(seq 11 15); do post "{\"kind\":\"test\",\"subject\":{\"run\":\"r$i\"}}" >/dev/null; done
wait_cp
N2=$CPSIZE
status 0 "checkpoint --url --json after the log grew" \
    "$LEDGERCTL" checkpoint --url "$URL" --key "$KEY" --json
check "--json: size, status ahead, pin updated from the old size" \
    bash -c "grep -q '\"size\":$N2,' '$T/out' && grep -q '\"status\":\"ahead\",\"updated\":true,\"pinned_size\":$N1,' '$T/out'"
check "the pin moved forward" test "$(sed -n 2p "$PIN")" = "$N2"
status 0 "checkpoint -d agrees with the daemon and the pin" \
    "$LEDGERCTL" checkpoint -d "$A/var"
status 0 "checkpoint --no-pin" env XDG_STATE_HOME="$T/nopin" \
    "$LEDGERCTL" checkpoint --url "$URL" --key "$KEY" --no-pin
check "--no-pin writes no pin" test ! -e "$T/nopin"
status 0 "checkpoint --pin FILE" \
    "$LEDGERCTL" checkpoint --url "$URL" --key "$KEY" --pin "$T/a.pin"
check "--pin FILE holds the checkpoint" test "$(sed -n 2p "$T/a.pin")" = "$N2"

# ---- ledgerctl prove ----
status 0 "prove --url SEQ (newest checkpoint)" \
    "$LEDGERCTL" prove --url "$URL" --token "$RTOK" --key "$KEY" 4
check "prove names the entry and the tree" out_has "entry 4 is in the tree of size $N2"
status 0 "prove --url --json" \
    "$LEDGERCTL" prove --url "$URL" --token "$RTOK" --key "$KEY" --json 4
check "prove --json has the API's fields and the checkpoint" \
    bash -c "grep -q '\"leaf_index\":4,\"tree_size\":$N2,\"leaf_hash\":' '$T/out' && grep -q '\"audit_path\":\[\"' '$T/out' && grep -q '\"checkpoint\":\"$OA' '$T/out'"
status 0 "prove -d SEQ" "$LEDGERCTL" prove -d "$A/var" 4
status 0 "prove --size OLD: an older checkpoint, a prefix of the pin" \
    "$LEDGERCTL" prove --url "$URL" --token "$RTOK" --key "$KEY" --size "$N1" 4
check "prove --size uses that tree" out_has "entry 4 is in the tree of size $N1"
status 2 "prove --url without a read token cannot fetch the entry" \
    "$LEDGERCTL" prove --url "$URL" --key "$KEY" 4
check "and says so" err_has "read scope"
status 1 "prove SEQ beyond the tree" \
    "$LEDGERCTL" prove --url "$URL" --token "$RTOK" --key "$KEY" "$N2"
status 1 "prove --size of a tree never signed" \
    "$LEDGERCTL" prove -d "$A/var" --size 99999 1
status 2 "prove with a malformed SEQ" "$LEDGERCTL" prove -d "$A/var" 4x

# ---- ledgerctl consistency ----
status 0 "consistency --url OLD NEW" \
    "$LEDGERCTL" consistency --url "$URL" --key "$KEY" "$N1" "$N2"
check "consistency prints both roots" \
    bash -c "grep -q '^first: *$N1 root_hash' '$T/out' && grep -q '^second: *$N2 root_hash' '$T/out'"
status 0 "consistency -d --json" \
    "$LEDGERCTL" consistency -d "$A/var" --json "$N1" "$N2"
check "consistency --json has first, second, consistency" \
    bash -c "grep -q '\"first\":$N1,\"second\":$N2,\"consistency\":\[' '$T/out'"
status 0 "consistency of a size with itself" \
    "$LEDGERCTL" consistency -d "$A/var" "$N1" "$N1"
status 2 "consistency NEW OLD is misuse" \
    "$LEDGERCTL" consistency -d "$A/var" "$N2" "$N1"
status 1 "consistency to a size never signed" \
    "$LEDGERCTL" consistency -d "$A/var" "$N1" 99999

# ---- ledgerctl verify checks the checkpoint and the pin ----
status 0 "verify --url: entries, newest checkpoint's root, pin" \
    "$LEDGERCTL" verify --url "$URL" --token "$RTOK" --key "$KEY"
check "verify --url recomputed the checkpoint's root" \
    out_has "root recomputed from the entries"
status 0 "verify -d --json" "$LEDGERCTL" verify -d "$A/var" --json
check "verify --json reports the checkpoint and the pin" \
    bash -c "grep -q '\"checkpoint\":{\"size\":' '$T/out' && grep -q '\"pin\":{\"path\":' '$T/out'"

# ---- ROLLBACK: the database truncated behind the daemon's back ----
status 0 "pin the newest checkpoint" "$LEDGERCTL" checkpoint --url "$URL" --key "$KEY"
read -r PSIZE PROOT <<<"$(pinned "$PIN")"
stop "$PID"
K=$((PSIZE - 4))
check "truncate the log to $K entries (entries, payloads, tree, checkpoints, head)" \
    truncate_db "$A/var/ledger.db" "$K"
cp "$PIN" "$T/pin.before"
status 1 "rollback: checkpoint -d against the pin" "$LEDGERCTL" checkpoint -d "$A/var"
check "rollback: the message names the pinned checkpoint's size and root" \
    bash -c "grep -qF 'size $PSIZE, root_hash $PROOT' '$T/err' && grep -q shrank '$T/err'"
status 1 "rollback: verify -d (the entries alone look intact)" \
    "$LEDGERCTL" verify -d "$A/var"
check "rollback: verify says the log contradicts its pin" \
    bash -c "grep -q 'TAMPERED' '$T/out' && grep -qF 'size $PSIZE, root_hash $PROOT' '$T/err'"
status 1 "rollback: prove -d" "$LEDGERCTL" prove -d "$A/var" 1
status 0 "rollback: the log without the pin looks fine (why pins exist)" \
    "$LEDGERCTL" verify -d "$A/var" --no-pin
restart "$A" 2
# The daemon kept its newest checkpoint beside the database
# (ledger.checkpoint): it sees the shortened log and refuses writes.
st=$(post '{"kind":"build"}')
check "rollback: the restarted daemon refuses writes ($st), naming the kept checkpoint" \
    bash -c "[ '$st' = 503 ] && grep -q 'ledger.checkpoint' '$T/body'"
status 1 "rollback: checkpoint --url after the restart" \
    "$LEDGERCTL" checkpoint --url "$URL" --key "$KEY"
check "rollback: --url names the pinned checkpoint too" \
    err_has "size $PSIZE, root_hash $PROOT"
status 1 "rollback: verify --url" \
    "$LEDGERCTL" verify --url "$URL" --token "$RTOK" --key "$KEY"
status 1 "rollback: prove --url" \
    "$LEDGERCTL" prove --url "$URL" --token "$RTOK" --key "$KEY" 1
# An attacker who also deletes ledger.checkpoint: the daemon accepts
# writes on the shortened log, and past the pinned size it is a fork of
# what was pinned, which the pin catches.
stop "$PID"
rm -f "$A/var/ledger.checkpoint"
restart "$A" 3
for i in $(seq 1 8); do post "{\"kind\":\"deployment\",\"subject\":{\"run\":\"x$i\"}}" >/dev/null; done
wait_cp
check "the rewritten log has grown past the pinned size" test "$CPSIZE" -gt "$PSIZE"
status 1 "rewritten history: checkpoint --url is a fork of the pin" \
    "$LEDGERCTL" checkpoint --url "$URL" --key "$KEY"
check "fork: the message says so and names the pin" \
    bash -c "grep -q forked '$T/err' && grep -qF 'size $PSIZE, root_hash $PROOT' '$T/err'"
status 1 "rewritten history: checkpoint -d" "$LEDGERCTL" checkpoint -d "$A/var"
status 1 "rewritten history: consistency --url from an intact size to the new" \
    "$LEDGERCTL" consistency --url "$URL" --key "$KEY" "$N1" "$CPSIZE"
check "consistency: it is the pin that fails" err_has "contradicts the pin"
check "a log that contradicts it never moves the pin" cmp -s "$PIN" "$T/pin.before"
stop "$PID"

# ---- ROLLBACK keeping the checkpoints: the daemon refuses writes ----
C=$T/c
start "$C" "$CP"
for i in $(seq 1 6); do post '{"kind":"build"}' >/dev/null; done
wait_cp
status 0 "pin log c" "$LEDGERCTL" checkpoint --url "$URL" --key "$C/var/ledger.pub" --pin "$T/c.pin"
read -r PSIZE PROOT <<<"$(pinned "$T/c.pin")"
stop "$PID"
# stopping adds an entry and may sign for it: keep every checkpoint
truncate_db "$C/var/ledger.db" $((PSIZE - 2)) keep
restart "$C" 2
if [ "$(grep -c 'listening on' "$C/log")" = 2 ] && kill -0 "$PID" 2>/dev/null; then
	st=$(post '{"kind":"build"}')
	check "the daemon refuses writes on a log shorter than it signed" \
	    bash -c "grep -q 'refusing writes' '$C/log' && [ '$st' = 503 ]"
	check "and /healthz says why, with the log's size" bash -c \
	    "curl -s '$URL/healthz' | grep -q 'refusing writes.*log_size'"
	status 1 "checkpoint --url: the log no longer holds its signed tree" \
	    "$LEDGERCTL" checkpoint --url "$URL" --key "$C/var/ledger.pub" --pin "$T/c.pin"
	check "and says which" err_has "does not hold the tree of its newest checkpoint"
	status 0 "status -d on the shortened log" "$LEDGERCTL" status -d "$C/var"
	check "status says the checkpoint is beyond the log" \
	    bash -c "grep -q '^WARNING: .*entries it signed are gone' '$T/out'"
	status 0 "status -d --json on the shortened log" \
	    "$LEDGERCTL" status -d "$C/var" --json
	check "... \"beyond_log\" > 0, \"behind\" 0" \
	    bash -c "grep -q '\"behind\":0,\"beyond_log\":[1-9]' '$T/out'"
	stop "$PID"
else
	bad "ledgerd did not start on a log shorter than its checkpoints: $(tail -1 "$C/log")"
fi
status 1 "checkpoint -d: the same from the store" \
    "$LEDGERCTL" checkpoint -d "$C/var" --pin "$T/c.pin"
status 1 "verify -d: a checkpoint beyond the entries" \
    "$LEDGERCTL" verify -d "$C/var" --pin "$T/c.pin"

# ---- FORK: another history under the same key ----
F=$T/fork
mkdir -p "$F/a"
"$LEDGERCTL" init --origin e2e.example/fork "$F/a/var" >/dev/null
for i in 1 2 3 4 5; do echo "{\"kind\":\"build\",\"subject\":{\"run\":\"f$i\"}}" | "$LEDGERCTL" append -d "$F/a/var" - >/dev/null; done
cp -a "$F/a" "$F/b"
for i in 6 7 8; do echo "{\"kind\":\"build\",\"subject\":{\"run\":\"a$i\"}}" | "$LEDGERCTL" append -d "$F/a/var" - >/dev/null; done
status 0 "fork: pin log A at size 8" "$LEDGERCTL" checkpoint -d "$F/a/var" --pin "$T/f.pin"
read -r PSIZE PROOT <<<"$(pinned "$T/f.pin")"
for i in 6 7 8; do echo "{\"kind\":\"deployment\",\"subject\":{\"run\":\"b$i\"}}" | "$LEDGERCTL" append -d "$F/b/var" - >/dev/null; done
status 0 "fork: B verifies on its own (same key)" \
    "$LEDGERCTL" verify -d "$F/b/var" --key "$F/a/var/ledger.pub" --no-pin
status 1 "fork: B at the pinned size, another root" \
    "$LEDGERCTL" checkpoint -d "$F/b/var" --pin "$T/f.pin"
check "fork: names the pinned checkpoint" \
    bash -c "grep -q forked '$T/err' && grep -qF 'size $PSIZE, root_hash $PROOT' '$T/err'"
for i in 9 10; do echo '{"kind":"test"}' | "$LEDGERCTL" append -d "$F/b/var" - >/dev/null; done
status 1 "fork: B grown past the pin" "$LEDGERCTL" checkpoint -d "$F/b/var" --pin "$T/f.pin"
check "fork: the consistency proof fails, the pin is named" \
    bash -c "grep -q 'not consistent' '$T/err' && grep -qF 'size $PSIZE, root_hash $PROOT' '$T/err'"
status 1 "fork: verify -d B" "$LEDGERCTL" verify -d "$F/b/var" --pin "$T/f.pin"
status 1 "fork: prove -d B" "$LEDGERCTL" prove -d "$F/b/var" --pin "$T/f.pin" 2
status 1 "fork: consistency -d B" \
    "$LEDGERCTL" consistency -d "$F/b/var" --pin "$T/f.pin" 5 10
status 0 "fork: the shared prefix still proves against A's pin" \
    "$LEDGERCTL" prove -d "$F/a/var" --pin "$T/f.pin" --size 5 2
start "$F/b" "$CP"
wait_cp
status 1 "fork: B served by ledgerd, checkpoint --url with A's key and pin" \
    "$LEDGERCTL" checkpoint --url "$URL" --key "$F/a/var/ledger.pub" --pin "$T/f.pin"
check "fork: --url names the pinned checkpoint" err_has "size $PSIZE, root_hash $PROOT"
stop "$PID"

# ---- a log rebuilt with a new key and the same origin ----
G=$T/g
"$LEDGERCTL" init --origin e2e.example/g "$G" >/dev/null
echo '{"kind":"build"}' | "$LEDGERCTL" append -d "$G" - >/dev/null
status 0 "rekey: pin log g" "$LEDGERCTL" verify -d "$G"
check "rekey: the pin's file name escapes the origin's '/'" \
    test -f "$XDG_STATE_HOME/ledgerctl/e2e.example%2Fg"
rm -rf "$G"
"$LEDGERCTL" init --origin e2e.example/g "$G" >/dev/null
echo '{"kind":"build"}' | "$LEDGERCTL" append -d "$G" - >/dev/null
status 1 "rekey: verify -d with the new ledger.pub is caught by the pin" \
    "$LEDGERCTL" verify -d "$G"
check "rekey: says the pin does not verify with the log's key" \
    err_has "does not verify with this log's key"
check "rekey: says what to do" err_has "remove that pin file"
status 1 "rekey: checkpoint -d" "$LEDGERCTL" checkpoint -d "$G"

# ---- a missing tree hash is tamper evidence, not a transient failure ----
M=$T/missing
start "$M" "$CP"
for i in 1 2 3 4 5; do post '{"kind":"build"}' >/dev/null; done
wait_cp
sqlite3 "$M/var/ledger.db" "DROP TRIGGER tree_no_delete;
    DELETE FROM tree WHERE id = $(leaf_index 2);"
c=$(code "/v1/proof/inclusion?seq=3&size=$CPSIZE")
check "a deleted tree hash: proof answers 500 integrity_error ($c), no Retry-After" \
    bash -c "[ $c = 500 ] && grep -q '\"error\":\"integrity_error\"' '$T/body' &&
        grep -q 'tree hash $(leaf_index 2) is missing' '$T/body' &&
        ! curl -s -D - -o /dev/null '$URL/v1/proof/inclusion?seq=3&size=$CPSIZE' | grep -qi retry-after"
check "...counted in ledgerd_integrity_errors_total" bash -c \
    "curl -s -H 'Authorization: Bearer $RTOK' '$URL/metrics' | grep -q '^ledgerd_integrity_errors_total [1-9]'"
stop "$PID"

summary
