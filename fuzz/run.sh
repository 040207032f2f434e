#!/bin/sh
# run.sh - seed a corpus from ../shared/payloads and run one harness for a
# bounded time; what `meson test --suite fuzz` runs.
#
#	fuzz/run.sh FUZZER SECONDS [WORKDIR]
#
# FUZZER is a built fuzz-hook or fuzz-cloudevents.  The seeds go to
# WORKDIR/seeds (rebuilt each run), new inputs to WORKDIR/corpus (kept, so
# runs build on each other), crashes to WORKDIR/ as crash-<sha1>.
# Exit status: the fuzzer's (0 when nothing was found).
set -eu
fuzzer=$1
seconds=$2
name=$(basename "$fuzzer")
here=$(cd "$(dirname "$0")" && pwd)
work=${3:-$(dirname "$fuzzer")/$name.work}
mkdir -p "$work/corpus"
rm -rf "$work/seeds"
"$here/seed.sh" "$work/seeds" >/dev/null
exec "$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work/corpus" "$work/seeds/${name#fuzz-}"
