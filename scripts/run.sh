#!/bin/sh
# run.sh - install what is missing, build, and start ledgerd in the
# foreground on 127.0.0.1:8420 with its data in ./var.  On the first start
# it creates the data directory, the signing key and the first write and
# read tokens, and prints them with a curl example.  Extra arguments go to
# ledgerd (e.g. -f ledgerd.json).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
meson compile -C build >/dev/null
exec ./build/ledgerd/ledgerd -d "$@"
