#!/bin/bash
# smoke-run.sh - the README's first command, as a new user runs it:
# ./scripts/run.sh builds the release build and starts ledgerd; post an
# event with the token it printed, read it back, verify, stop.  Run from
# scripts/test.sh (it changes ./build).  Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d "${TMPDIR:-/tmp}/ledger-smoke-XXXXXX")
export XDG_STATE_HOME=$T/state
PASS=0
FAIL=0
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n"; fi; }

printf '{"listen":"127.0.0.1:0","data_dir":"%s/var"}\n' "$T" >"$T/config.json"
./scripts/run.sh -f "$T/config.json" >"$T/log" 2>&1 &
PID=$!
PORT=
for _ in $(seq 1 1200); do	# the first run builds: up to 10 minutes
	PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/log" |
	    sed 's/.*://')
	[ -n "$PORT" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.5
done
check "run.sh builds and ledgerd listens" test -n "$PORT"
[ -n "$PORT" ] || { cat "$T/log"; echo; echo "$PASS passed, $FAIL failed"; exit 1; }
bt=$(meson introspect build --buildoptions | python3 -c 'import json,sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"][0])')
check "the build is a release build" test "$bt" = release
check "the release build has no compiler warnings" \
    bash -c "! grep -q 'warning:' build/compile.log"
WTOK=$(grep -o 'write token (id [0-9]*): [^ ]*' "$T/log" | awk '{print $5}')
RTOK=$(grep -o 'read token  (id [0-9]*): [^ ]*' "$T/log" | awk '{print $5}')
check "it printed a write and a read token" test -n "$WTOK" -a -n "$RTOK"
code=$(curl -sS -o "$T/body" -w '%{http_code}' \
    -H "Authorization: Bearer $WTOK" -H 'Content-Type: application/json' \
    -d '{"kind":"deployment","subject":{"environment":"production","service":"pay"}}' \
    "http://127.0.0.1:$PORT/v1/events")
check "POST /v1/events answers 201" test "$code" = 201
check "GET /v1/events reads it back" bash -c "curl -sS -H 'Authorization: \
    Bearer $RTOK' 'http://127.0.0.1:$PORT/v1/events?kind=deployment' |
    grep -q '\"service\":\"pay\"'"
check "ledgerctl events -d lists it" bash -c "./build/cli/ledgerctl events \
    -d '$T/var' --env production | grep -q 'service=pay'"
check "ledgerctl verify -d: intact" ./build/cli/ledgerctl verify -d "$T/var"
kill -TERM "$PID"
wait "$PID"
check "SIGTERM stops it cleanly" test $? = 0
PID=
echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
