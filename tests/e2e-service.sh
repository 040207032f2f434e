#!/bin/bash
# e2e-service.sh - ledgerd as a service: detached start that reports its
# failure, the pidfile, systemd's notify protocol (READY, RELOADING,
# STOPPING, WATCHDOG) over a real datagram socket (path and abstract),
# first tokens kept out of the journal, and dropping root after binding.
# Runs as root (CI does): the privilege drop needs it.  Prints one line
# per check and "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
command -v python3 >/dev/null || { echo "python3 not found"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "not root: cannot test dropping root"; exit 77; }

# ---- detached ----
D=$T/det
mkdir -p "$D"
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var"}\n' "$D" > "$D/c.json"
"$LEDGERD" -f "$D/c.json" >"$D/out" 2>&1
check "detached start exits 0 once serving" [ $? -eq 0 ]
P=$(cat "$D/var/ledgerd.pid" 2>/dev/null)
check "it wrote DIR/ledgerd.pid" [ -n "$P" ]
check "  naming the running daemon" grep -q ledgerd "/proc/$P/cmdline"
PIDS+=("$P")
check "  in a session of its own" [ "$(ps -o sess= -p "$P" | tr -d ' ')" = "$P" ]
check "first start's tokens were shown on the terminal" \
    grep -q "write token (id 1)" "$D/out"
# gone PID: exited (a zombie counts: whoever reaps orphans here may not)
gone() { ! kill -0 "$1" 2>/dev/null ||
    grep -qE '^State:\s+Z' "/proc/$1/status" 2>/dev/null; }
kill -TERM "$P"
for _ in $(seq 1 100); do gone "$P" && break; sleep 0.1; done
check "SIGTERM stops it" gone "$P"
check "  and removes the pidfile" [ ! -e "$D/var/ledgerd.pid" ]
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","pidfile":"%s/run.pid",
"tls":{"cert_file":"nope.pem","key_file":"nope.key"}}\n' "$D" "$D" > "$D/c.json"
"$LEDGERD" -f "$D/c.json" >"$D/out" 2>&1
check "a detached start that fails exits 1" [ $? -eq 1 ]
check "  saying why on the terminal" grep -q "cannot open cert_file" "$D/out"
check "  and leaves no pidfile" [ ! -e "$D/run.pid" ]

# ---- sd_notify ----
# listen SOCKET FILE: record every datagram on SOCKET (a path, or @name)
listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = sys.argv[1]
s.bind("\0" + a[1:] if a.startswith("@") else a)
open(sys.argv[2] + ".up", "w").close()
with open(sys.argv[2], "a") as f:
    while True:
        m = s.recv(4096).decode()
        f.write(m.replace("\n", " ") + "\n")
        f.flush()
' "$1" "$2" &
	PIDS+=("$!")
	for _ in $(seq 1 100); do [ -e "$2.up" ] && break; sleep 0.05; done
}
waitfor() { # waitfor FILE PATTERN
	for _ in $(seq 1 100); do grep -q "$2" "$1" && return 0; sleep 0.05; done
	return 1
}
N=$T/notify
mkdir -p "$N"
listen "$N/sock" "$N/msgs"
# systemd's JOURNAL_STREAM names the journal stream stderr is: here, the
# log file start() appends stderr to
touch "$N/log"
NOTIFY_SOCKET=$N/sock WATCHDOG_USEC=400000 \
    JOURNAL_STREAM=$(stat -c %d:%i "$N/log") start "$N" \
    '"checkpoint_interval_ms":100'
check "READY=1 with MAINPID once serving" waitfor "$N/msgs" "READY=1 MAINPID=$PID"
check "first tokens under systemd go to DIR/first-tokens, not the journal" \
    [ -z "$(grep 'ledger_[wr]_' "$N/log")" ]
check "  a file of mode 0600" [ "$(stat -c %a "$N/var/first-tokens")" = 600 ]
check "  holding both tokens" [ "$(grep -c 'token *(id' "$N/var/first-tokens")" = 2 ]
check "  and the log says where" grep -q "are in $N/var/first-tokens" "$N/log"
sleep 1
check "WATCHDOG=1 every half of WATCHDOG_USEC" \
    [ "$(grep -c '^WATCHDOG=1' "$N/msgs")" -ge 3 ]
kill -HUP "$PID"
check "SIGHUP: RELOADING=1" waitfor "$N/msgs" "^RELOADING=1"
ready_after_reload() {
	for _ in $(seq 1 100); do
		sed -n '/^RELOADING=1/,$p' "$N/msgs" | grep -q '^READY=1' &&
		    return 0
		sleep 0.05
	done
	return 1
}
check "  then READY=1 again" ready_after_reload
stop "$PID"
check "SIGTERM: STOPPING=1" grep -q "^STOPPING=1" "$N/msgs"
# an inherited JOURNAL_STREAM that is not this stderr: shown as usual
J=$T/journal-elsewhere
mkdir -p "$J"
JOURNAL_STREAM=$(stat -c %d:%i "$N/msgs") start "$J"
check "a JOURNAL_STREAM that is not stderr: tokens shown as usual" \
    grep -q "write token (id 1)" "$J/log"
stop "$PID"
A=$T/abstract
mkdir -p "$A"
listen "@ledgerd-e2e-$$" "$A/msgs"
NOTIFY_SOCKET=@ledgerd-e2e-$$ start "$A"
check "an abstract NOTIFY_SOCKET gets READY=1" waitfor "$A/msgs" "^READY=1"
stop "$PID"

# ---- dropping root ----
R=$T/root
mkdir -p "$R/var"
chmod 755 "$T" "$R"
chown nobody "$R/var"
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","user":"nobody"}\n' \
    "$R" > "$R/c.json"
"$LEDGERD" -d -f "$R/c.json" >"$R/log" 2>&1 &
PID=$!
PIDS+=("$PID")
check "started as root with user nobody" waitfor "$R/log" "listening on"
check "  says it dropped root" grep -q "now running as user 'nobody'" "$R/log"
NOBODY=$(id -u nobody)
check "  runs as nobody (real, effective, saved)" grep -qE \
    "^Uid:\s+$NOBODY\s+$NOBODY\s+$NOBODY" "/proc/$PID/status"
no_root_groups() { ! grep -qE "^Groups:.*\b0\b" "/proc/$1/status"; }
check "  with no root groups" no_root_groups "$PID"
check "  its database is nobody's" [ "$(stat -c %U "$R/var/ledger.db")" = nobody ]
PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$R/log" | sed 's/.*://')
URL=http://127.0.0.1:$PORT
WTOK=$(grep -o 'write token (id [0-9]*): [^ ]*' "$R/log" | awk '{print $5}')
check "  and serves" [ "$(post '{"kind":"build"}')" = 201 ]
stop "$PID"
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","user":"no-such-user-e2e"}\n' \
    "$R" > "$R/c.json"
timeout 20 "$LEDGERD" -d -f "$R/c.json" >"$R/out" 2>&1
check "a user that does not exist: ledgerd refuses" [ $? -eq 1 ]
check "  saying so" grep -q "no user 'no-such-user-e2e'" "$R/out"

summary
