#!/bin/bash
# run.sh - interoperability with the transparency-log ecosystem: the
# checkpoints and proofs of a real ledger, checked by a small Go program
# (main.go) built against golang.org/x/mod/sumdb/note and .../tlog as
# Debian packages them (golang-go, golang-golang-x-mod-dev), unmodified.
#
# Proofs come from `ledgerctl prove --json` and `ledgerctl consistency
# --json` on a data directory and, when $LEDGERD is set, from a running
# ledgerd's API.  Exits 77 (skipped) without Go or the packages.
set -u
LEDGERCTL=${LEDGERCTL:?LEDGERCTL is not set}
HERE=$(cd "$(dirname "$0")" && pwd)
GOPATH=${INTEROP_GOPATH:-/usr/share/gocode}
command -v go >/dev/null || { echo "go not found: skipped"; exit 77; }
for p in note tlog; do
	[ -d "$GOPATH/src/golang.org/x/mod/sumdb/$p" ] || {
		echo "golang.org/x/mod/sumdb/$p not in $GOPATH: skipped"
		exit 77
	}
done

T=$(mktemp -d "${TMPDIR:-/tmp}/ledger-interop-XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
export XDG_STATE_HOME=$T/state

echo "# building $HERE/main.go with $(go version)"
if ! GO111MODULE=off GOPATH=$GOPATH GOCACHE=$T/gocache GOFLAGS= \
    go build -o "$T/interop" "$HERE/main.go"; then
	echo "FAIL - go build"
	exit 1
fi

# ---- a ledger made with ledgerctl: a checkpoint after every append ----
D=$T/log
"$LEDGERCTL" init --origin interop.example/log "$D" >/dev/null || exit 1
for i in $(seq 1 21); do
	printf '{"kind":"build","subject":{"run":"r%d"},"payload":{"n":%d}}' \
	    "$i" "$i" | "$LEDGERCTL" append -d "$D" - >/dev/null || exit 1
done
ARGS=()
for ss in "0 1" "0 2" "1 2" "2 3" "6 7" "0 8" "5 8" "7 8" "12 13" "0 21" \
    "7 21" "16 21" "20 21" "3 16"; do
	set -- $ss
	f=$T/prove-$1-$2.json
	"$LEDGERCTL" prove -d "$D" --no-pin --size "$2" --json "$1" > "$f" ||
	    { echo "FAIL - ledgerctl prove $1 --size $2"; exit 1; }
	ARGS+=("inclusion:$f")
	f=$T/prove-$1-$2.tlog-proof
	"$LEDGERCTL" prove -d "$D" --no-pin --size "$2" --tlog-proof "$1" \
	    > "$f" || { echo "FAIL - ledgerctl prove --tlog-proof $1"; exit 1; }
	ARGS+=("tlogproof:$f")
done
# a bundle's entries are tlog-proofs one to one (docs/FORMAT.md
# "Bundles"): each converted by the documented rule, then checked by Go
"$LEDGERCTL" bundle -d "$D" --seq 0,5-7,20 -o "$T/b.bundle.gz" >/dev/null ||
    { echo "FAIL - ledgerctl bundle"; exit 1; }
if command -v python3 >/dev/null; then
	python3 - "$T/b.bundle.gz" "$T" <<'PY' || { echo "FAIL - bundle to tlog-proof"; exit 1; }
import gzip, json, sys
doc = json.loads(gzip.open(sys.argv[1]).read())
for e in doc["entries"]:
    text = "c2sp.org/tlog-proof@v1\nextra %s\nindex %d\n" % (e["entry"], e["seq"])
    text += "".join(h + "\n" for h in e["inclusion"]) + "\n" + doc["checkpoint"]
    open("%s/bundle-%d.tlog-proof" % (sys.argv[2], e["seq"]), "w").write(text)
PY
	for s in 0 5 6 7 20; do ARGS+=("tlogproof:$T/bundle-$s.tlog-proof"); done
else
	echo "FAIL - python3 not found (needed to convert a bundle)"
	exit 1
fi
for mn in "1 2" "1 8" "3 7" "4 8" "5 13" "7 21" "8 16" "13 21" "20 21" \
    "6 6" "1 21"; do
	set -- $mn
	f=$T/cons-$1-$2.json
	"$LEDGERCTL" consistency -d "$D" --no-pin --json "$1" "$2" > "$f" ||
	    { echo "FAIL - ledgerctl consistency $1 $2"; exit 1; }
	ARGS+=("consistency:$f")
done
# go_check ARGS: run the Go checker, keeping its lines for the final count
go_check() {
	local rc
	"$T/interop" "$@" > "$T/one" 2>&1
	rc=$?
	grep -v 'passed,' "$T/one"
	cat "$T/one" >> "$T/results"
	[ "$rc" = 0 ] ||
	    echo "FAIL - interop exited $rc ($*)" | tee -a "$T/results"
}
go_check -vkey "$D/ledger.pub" "${ARGS[@]}"

# ---- the same from a running ledgerd's API ----
if [ -n "${LEDGERD:-}" ] && command -v curl >/dev/null; then
	S=$T/daemon
	mkdir -p "$S"
	printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","origin":"%s",%s}\n' \
	    "$S" interop.example/daemon '"checkpoint_interval_ms":100' \
	    > "$S/config.json"
	"$LEDGERD" -d -f "$S/config.json" >"$S/log" 2>&1 &
	PIDS+=($!)
	for i in $(seq 1 100); do
		grep -q 'listening on' "$S/log" && break
		sleep 0.05
	done
	URL=http://127.0.0.1:$(grep -o 'listening on http://127.0.0.1:[0-9]*' \
	    "$S/log" | sed 's/.*://')
	W=$(grep -o 'write token (id [0-9]*): [^ ]*' "$S/log" | awk '{print $5}')
	R=$(grep -o 'read token  (id [0-9]*): [^ ]*' "$S/log" | awk '{print $5}')
	first=
	for i in $(seq 1 12); do
		curl -sS -o /dev/null -X POST "$URL/v1/events" \
		    -H "Authorization: Bearer $W" \
		    -H 'Content-Type: application/json' \
		    --data-binary "{\"kind\":\"test\",\"subject\":{\"run\":\"d$i\"}}"
		# a checkpoint in between, for the consistency proof
		if [ "$i" = 5 ]; then
			sleep 0.3
			first=$(curl -s "$URL/v1/checkpoint" | sed -n 2p)
		fi
	done
	n=
	for i in $(seq 1 100); do
		h=$(curl -s "$URL/healthz" | sed -n 's/.*"log_size":\([0-9]*\).*/\1/p')
		n=$(curl -s "$URL/v1/checkpoint" | sed -n 2p)
		[ -n "$h" ] && [ "$h" = "$n" ] && break
		sleep 0.05
	done
	curl -sS "$URL/v1/checkpoint/$n" > "$T/api-note"
	curl -sS "$URL/v1/checkpoint/$first" > "$T/api-old-note"
	curl -sS "$URL/v1/proof/consistency?first=$first&second=$n" > "$T/api-cons.json"
	go_check -vkey "$S/var/ledger.pub" -note "$T/api-note" \
	    -old-note "$T/api-old-note" "consistency:$T/api-cons.json"
	for seq in 0 3 $((n - 1)); do
		curl -sS "$URL/v1/proof/inclusion?seq=$seq&size=$n" > "$T/api-incl-$seq.json"
		curl -sS -H "Authorization: Bearer $R" "$URL/v1/events/$seq/entry" \
		    > "$T/api-entry-$seq"
		go_check -vkey "$S/var/ledger.pub" -note "$T/api-note" \
		    -entry "$T/api-entry-$seq" "inclusion:$T/api-incl-$seq.json"
		# the public tlog-proof: no extra, the record is the entry
		curl -sS "$URL/v1/events/$seq/proof" > "$T/api-$seq.tlog-proof"
		go_check -vkey "$S/var/ledger.pub" -entry "$T/api-entry-$seq" \
		    "tlogproof:$T/api-$seq.tlog-proof"
	done
	# ledgerctl against the daemon, checked by Go as well
	if "$LEDGERCTL" prove --url "$URL" --token "$R" \
	    --key "$S/var/ledger.pub" --json 7 > "$T/url-prove.json"; then
		go_check -vkey "$S/var/ledger.pub" "inclusion:$T/url-prove.json"
	else
		echo "FAIL - ledgerctl prove --url" | tee -a "$T/results"
	fi
	kill -TERM "${PIDS[0]}"
	wait "${PIDS[0]}" 2>/dev/null
	PIDS=()
else
	echo "skip - the daemon's API (LEDGERD not set)"
fi
pass=$(grep -c '^ok' "$T/results")
fail=$(grep -c '^FAIL' "$T/results")
echo
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
