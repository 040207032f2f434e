#!/bin/bash
# e2e-install.sh - what `meson install` puts in place: every file of the
# installed tree, the installed binaries running, the man pages rendered
# by man(1) without a warning, the installed configuration valid, the
# systemd unit passing `systemd-analyze verify` and its exposure score
# under `systemd-analyze security`, and the Prometheus alert rules of
# docs/operations.md through promtool (check and unit tests).  Prints one
# line per check and "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
B=${LEDGER_BUILD_ROOT:?}
S=${LEDGER_SOURCE_ROOT:?}
for p in meson man systemd-analyze promtool; do
	command -v "$p" >/dev/null || { echo "$p not found"; exit 77; }
done
R=$T/root
meson install -C "$B" --destdir "$R" --no-rebuild --quiet >"$T/out" 2>&1
check "meson install --destdir" [ $? -eq 0 ]
PREFIX=$(meson introspect "$B" --buildoptions |
    python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
P=$R$PREFIX
for f in bin/ledgerd bin/ledgerctl share/man/man8/ledgerd.8 \
    share/man/man1/ledgerctl.1 share/man/man5/ledgerd.conf.5 \
    lib/systemd/system/ledgerd.service lib/sysusers.d/ledgerd.conf \
    etc/ledgerd/ledgerd.json; do
	check "installed $f" [ -s "$P/$f" ]
done
check "installed ledgerd runs" "$P/bin/ledgerd" --version
check "installed ledgerctl runs" "$P/bin/ledgerctl" --version
check "the installed configuration is valid" "$P/bin/ledgerd" -n -f \
    "$P/etc/ledgerd/ledgerd.json"

for page in man8/ledgerd.8 man1/ledgerctl.1 man5/ledgerd.conf.5; do
	MANWIDTH=80 man --warnings -l "$P/share/man/$page" >"$T/page" 2>"$T/warn"
	check "man $page renders without warnings" [ ! -s "$T/warn" ]
	[ -s "$T/warn" ] && head -5 "$T/warn"
done
# every ledgerctl command has its section; every config key its entry
MANWIDTH=200 man -l "$P/share/man/man1/ledgerctl.1" >"$T/l1" 2>/dev/null
n=0
for c in $("$P/bin/ledgerctl" --help | awk '/^commands:/ { on = 1; next }
    on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }'); do
	grep -q "^   $c\$" "$T/l1" || { n=$((n + 1)); echo "  no section: $c"; }
done
check "ledgerctl(1) has a section for every command" [ "$n" = 0 ]
MANWIDTH=200 man -l "$P/share/man/man5/ledgerd.conf.5" >"$T/c5" 2>/dev/null
n=0
for k in $(grep -o '^| `[a-z_]*`' "$S/docs/ledgerd.md" | tr -d '|` '); do
	grep -q "^       $k\$" "$T/c5" || { n=$((n + 1)); echo "  no entry: $k"; }
done
check "ledgerd.conf(5) has an entry for every key of docs/ledgerd.md" [ "$n" = 0 ]

# The unit names the installed paths; verify it where they exist.
U=$P/lib/systemd/system/ledgerd.service
check "the unit runs the installed binary" grep -q "^ExecStart=$PREFIX/bin/ledgerd -d -f $PREFIX/etc/ledgerd/ledgerd.json$" "$U"
sed "s|$PREFIX/|$P/|g" "$U" > "$T/ledgerd.service"
MANPATH=$P/share/man systemd-analyze verify "$T/ledgerd.service" >"$T/out" 2>&1
check "systemd-analyze verify passes" [ $? -eq 0 ] && [ ! -s "$T/out" ]
cat "$T/out"
systemd-analyze security --offline=yes "$T/ledgerd.service" >"$T/sec" 2>&1
SCORE=$(sed -n 's/.*Overall exposure level for ledgerd.service: \([0-9.]*\).*/\1/p' "$T/sec")
echo "  systemd-analyze security: exposure $SCORE (0 best, 10 worst)"
check "systemd-analyze security: exposure at most 2.0 (got ${SCORE:-?})" \
    awk -v s="${SCORE:-99}" 'BEGIN { exit !(s <= 2.0) }'
for o in Type=notify WatchdogSec= ExecReload= User=ledgerd \
    StateDirectory=ledgerd ProtectSystem=strict NoNewPrivileges=yes \
    PrivateTmp=yes ProtectHome=yes RestrictAddressFamilies= \
    SystemCallFilter=@system-service MemoryDenyWriteExecute=yes; do
	check "the unit sets $o" grep -q "^$o" "$U"
done

# alert rules (docs/operations.md)
promtool check rules "$S/dist/ledgerd-alerts.yml" >"$T/out" 2>&1
check "promtool check rules" [ $? -eq 0 ]
(cd "$S/dist" && promtool test rules ledgerd-alerts.test.yml) >"$T/out" 2>&1
check "promtool test rules: the alerts fire as documented" [ $? -eq 0 ]
grep -q SUCCESS "$T/out" || cat "$T/out"
# every ledgerd_* metric an alert reads is one ledgerd exports
D=$T/d
start "$D" '"metrics_public":true'
curl -sS "$URL/metrics" > "$T/metrics"
stop "$PID"
n=0
for m in $(grep -o 'ledgerd_[a-z_]*' "$S/dist/ledgerd-alerts.yml" | sort -u); do
	[ "$m" = ledgerd_tls_certificate_expiry_seconds ] && continue # TLS only
	grep -q "^# TYPE $m " "$T/metrics" || { n=$((n + 1)); echo "  not exported: $m"; }
done
check "every metric the alerts read is exported" [ "$n" = 0 ]

summary
