# e2e-lib.sh - shared by the end-to-end scripts: a temp dir, ok/FAIL
# lines with a final "N passed, N failed", and starting ledgerd on port 0.
# Source it; it expects LEDGERD and LEDGERCTL in the environment.
LEDGERD=${LEDGERD:?LEDGERD is not set}
LEDGERCTL=${LEDGERCTL:?LEDGERCTL is not set}
command -v curl >/dev/null || { echo "curl not found"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/ledger-e2e-XXXXXX")
# ledgerctl pins checkpoints per user: keep this run's pins to itself.
export XDG_STATE_HOME=$T/state
SLOW=()
PASS=0
FAIL=0
PIDS=()
MOUNTS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { # check NAME COMMAND...
	local name=$1; shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# start DIR [EXTRA_JSON_MEMBERS]: run ledgerd -d on port 0 in DIR; sets
# PORT, URL, PID, WTOK, RTOK (tokens only on the first start of a DIR).
start() {
	local dir=$1 extra=${2:-}
	mkdir -p "$dir"
	# each log its own origin (pins are kept per origin)
	printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","origin":"e2e%s"%s}\n' \
	    "$dir" "$(echo "$dir" | tr -c 'a-zA-Z0-9\n' '-')" \
	    "${extra:+,$extra}" > "$dir/config.json"
	"$LEDGERD" -d -f "$dir/config.json" >>"$dir/log" 2>&1 &
	PID=$!
	PIDS+=("$PID")
	local i
	local lines
	PORT=
	for i in $(seq 1 100); do
		# one snapshot of the log: the count and the port must agree
		lines=$(grep -oE 'listening on https?://127.0.0.1:[0-9]*' \
		    "$dir/log" 2>/dev/null)
		if [ -n "$lines" ] && [ "$(echo "$lines" | wc -l)" -ge \
		    "${STARTS:-1}" ]; then
			PORT=$(echo "$lines" | sed -n "${STARTS:-1}p" |
			    sed 's/.*://')
			SCHEME=$(echo "$lines" | sed -n "${STARTS:-1}p" |
			    sed 's/listening on \(https*\):.*/\1/')
			break
		fi
		sleep 0.05
	done
	URL=${SCHEME:-http}://127.0.0.1:$PORT
	local w r
	w=$(grep -o 'write token (id [0-9]*): [^ ]*' "$dir/log" | head -1 |
	    awk '{print $5}')
	r=$(grep -o 'read token  (id [0-9]*): [^ ]*' "$dir/log" | head -1 |
	    awk '{print $5}')
	[ -n "$w" ] && WTOK=$w
	[ -n "$r" ] && RTOK=$r
}

stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# restart_nth DIR N [EXTRA_JSON_MEMBERS]: the Nth start of ledgerd in DIR;
# the port is read again from the Nth "listening on" line.
restart_nth() {
	STARTS=$2 start "$1" "${3:-}"
	PORT=$(grep -oE 'listening on https?://127.0.0.1:[0-9]*' "$1/log" |
	    sed -n "${2}p" | sed 's/.*://')
	URL=${SCHEME:-http}://127.0.0.1:$PORT
}

# Certificates for the TLS tests, made with openssl into $C (P-256, two
# days).  ca NAME: a CA.  leaf NAME CA CN [EXT]: a key and a certificate
# CA signs, subject O=Example/CN=CN; EXT (printf %b: "\n" separates
# lines) defaults to a server's SAN for 127.0.0.1 and localhost.
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.pem" -days 2 -subj "/CN=$1" \
	    2>/dev/null
}
leaf() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.csr" -subj "/O=Example/CN=$3" \
	    2>/dev/null
	printf '%b\n' "${4:-subjectAltName=IP:127.0.0.1,DNS:localhost}" \
	    > "$C/$1.ext"
	openssl x509 -req -in "$C/$1.csr" -CA "$C/$2.pem" -CAkey "$C/$2.key" \
	    -CAcreateserial -out "$C/$1.pem" -days 2 -extfile "$C/$1.ext" \
	    2>/dev/null
	chmod 600 "$C/$1.key"
}

# post BODY [curl args...]: prints "STATUS" and leaves the body in $T/body.
# AUTH and CT override the Authorization and Content-Type headers.
post() {
	local body=$1; shift
	curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/events" \
	    -H "${AUTH:-Authorization: Bearer $WTOK}" \
	    -H "${CT:-Content-Type: application/json}" -H 'Expect:' \
	    --data-binary "$body" "$@"
}

count() { "$LEDGERCTL" events -d "$1/var" --json | wc -l; }
verify() { "$LEDGERCTL" verify -d "$1/var" >/dev/null 2>&1; }
jerr() { grep -q "\"error\":\"$1\"" "$T/body"; }

# The sanitizer build's daemons report at exit: stop every daemon still
# running with SIGTERM (so LeakSanitizer runs), then any AddressSanitizer,
# LeakSanitizer or UndefinedBehaviorSanitizer report in a daemon's log is
# a failure.  A daemon killed with -9 on purpose reports nothing.
sanitizer_check() {
	local p f
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
	done
	while IFS= read -r f; do
		bad "sanitizer report in $f: $(grep -m1 -E 'ERROR: (Leak|Address)Sanitizer|runtime error:' "$f")"
	done < <(grep -rlE 'ERROR: (Leak|Address)Sanitizer|runtime error:' \
	    --include=log --include='*.log' "$T" 2>/dev/null)
}

summary() {
	sanitizer_check
	echo
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}
