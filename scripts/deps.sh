#!/bin/sh
# deps.sh - install what building and testing ledgerd needs (Debian 12).
# Safe to run again: apt-get skips what is already installed.
set -eu
pkgs="meson ninja-build pkg-config gcc python3 libsqlite3-dev libsodium-dev
libmicrohttpd-dev libgnutls28-dev libjansson-dev zlib1g-dev
libcurl4-gnutls-dev check sqlite3 curl openssl"
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs valgrind clang libclang-rt-14-dev golang-go golang-golang-x-mod-dev wrk"
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
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
