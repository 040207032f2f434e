#!/bin/sh
# deps.sh - install what building and testing ledgerd needs (Debian 12).
# Safe to run again: apt-get skips what is already installed.
set -eu
pkgs="meson ninja-build pkg-config gcc python3 libsqlite3-dev libsodium-dev
libmicrohttpd-dev libgnutls28-dev libjansson-dev zlib1g-dev
libcurl4-gnutls-dev libpq-dev check sqlite3 curl openssl"
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs valgrind clang libclang-rt-14-dev golang-go golang-golang-x-mod-dev wrk
scdoc man-db systemd chromium postgresql postgresql-15-auto-failover pg-auto-failover-cli"
	# Node.js and npm for the browser test: the machine's own when it
	# has them (a NodeSource nodejs conflicts with Debian's npm), else
	# Debian's
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
fi
# PostgreSQL's server for the scale-out tests (tests/pg-lib.sh starts its
# own clusters on 127.0.0.1): Debian's package would create and start a
# cluster of its own on port 5432; it is told not to.
if [ "${1:-}" = "--test" ] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO mkdir -p /etc/postgresql-common
	echo "create_main_cluster = false" |
	    $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	echo "deps.sh: installing:$missing" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	    -o Dpkg::Options::=--force-confdef \
	    -o Dpkg::Options::=--force-confold $missing >/dev/null
fi

# promtool (the alert rules' check) ships only in Debian's prometheus
# package: installed without its recommends (node exporter, smartd), and
# with policy-rc.d saying no, so that no Prometheus server starts
# listening on this machine.
if [ "${1:-}" = "--test" ] && ! command -v promtool >/dev/null; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	echo "deps.sh: installing: prometheus (for promtool; not started)" >&2
	policy=/usr/sbin/policy-rc.d
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
		$SUDO chmod 755 "$policy"
		trap '$SUDO rm -f "$policy"' EXIT
	fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	    --no-install-recommends prometheus >/dev/null
	if command -v systemctl >/dev/null; then
		$SUDO systemctl disable --now prometheus >/dev/null 2>&1 || :
	fi
fi

# The web view's browser test (tests/e2e-ui.sh) drives Debian's chromium
# with playwright-core from npm, pinned by tests/ui/package-lock.json.
if [ "${1:-}" = "--test" ] && [ ! -f "$(dirname "$0")/../tests/ui/node_modules/playwright-core/package.json" ]; then
	echo "deps.sh: npm ci in tests/ui (playwright-core)" >&2
	(cd "$(dirname "$0")/../tests/ui" && npm ci --no-audit --no-fund >/dev/null)
fi
