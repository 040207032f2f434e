#!/bin/sh
# run.sh - install what is missing, build (release), and start ledgerd in
# the foreground on 127.0.0.1:8420 with its data in ./var.  On the first
# start it creates the data directory, the signing key and the first write
# and read tokens, and prints them with a curl example.  Extra arguments go
# to ledgerd (e.g. -f ledgerd.json).  A failed build prints the compiler's
# output and stops.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
if [ ! -d build ]; then
	meson setup build --buildtype=release >build.setup.log 2>&1 ||
	    { cat build.setup.log; exit 1; }
	rm -f build.setup.log
elif [ "$(meson introspect build --buildoptions 2>/dev/null |
    python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"][0])' 2>/dev/null)" != release ]; then
	meson configure build -Dbuildtype=release >/dev/null
fi
if ! meson compile -C build >build/compile.log 2>&1; then
	cat build/compile.log
	echo "run.sh: the build failed (full log: build/compile.log)" >&2
	exit 1
fi
exec ./build/ledgerd/ledgerd -d "$@"
