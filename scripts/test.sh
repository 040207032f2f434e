#!/bin/bash
# test.sh - install what is missing, build, and run every test twice:
# a normal build, then under AddressSanitizer + UndefinedBehaviorSanitizer
# (LeakSanitizer included), then the unit suites under valgrind, the
# parsers under libFuzzer, and the README's first command (./scripts/run.sh,
# the release build) as a smoke test.  Warnings are errors here.  Prints
# each suite's check summary ("N%: Checks: N, Failures: N, Errors: N") and
# a final "N passed, N failed".  A skipped test fails the run: every test
# must run in CI (LEDGER_ALLOW_SKIP=1 allows skips on a partial machine).
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh --test || exit 1

passed=0
failed=0
status=0

# run_suite NAME BUILDDIR [meson setup options...] -- [meson test options...]
run_suite() {
	local name=$1 dir=$2
	shift 2
	local setup=() tst=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do setup+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	tst=("$@")
	echo "=== $name ($dir) ==="
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "${setup[@]}" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"; failed=$((failed + 1)); status=1; return; }
	fi
	if ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
		cat "$dir.compile.log"
		failed=$((failed + 1)); status=1; return
	fi
	local log
	log=$(mktemp)
	meson test -C "$dir" --print-errorlogs -v "${tst[@]}" 2>&1 | tee "$log"
	local ok fail skip
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	timeout=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	skip=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ "${skip:-0}" != 0 ] && [ "${LEDGER_ALLOW_SKIP:-0}" != 1 ]; then
		echo "test.sh: $skip test(s) skipped in '$name'; every test must" \
		    "run here (LEDGER_ALLOW_SKIP=1 to allow):"
		grep -E '^ *[0-9]+/[0-9]+ .* SKIP' "$log"
		fail=$((${fail:-0} + skip))
	fi
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0} + ${timeout:-0}))
	[ "${fail:-0}" = 0 ] && [ "${timeout:-0}" = 0 ] && [ -n "$ok" ] || status=1
	rm -f "$log"
}

run_suite "build and test" build-test -Dwerror=true --
run_suite "sanitizers (ASan+UBSan+LSan)" build-asan -Dwerror=true \
    -Db_sanitize=address,undefined -Db_lundef=false --
run_suite "valgrind" build-test -- --setup valgrind --suite unit
# The webhook parsers under libFuzzer (clang), seeded from ../shared/payloads.
CC=clang run_suite "fuzz (libFuzzer, ${LEDGER_FUZZ_SECONDS:-30} s each)" \
    build-fuzz -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
    -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link \
    -Dfuzz_seconds="${LEDGER_FUZZ_SECONDS:-30}" -- --suite fuzz

# The README's first command: the release build run.sh makes, started and
# used as a new user would.
echo "=== README: ./scripts/run.sh (release build) ==="
if tests/smoke-run.sh; then
	passed=$((passed + 1))
else
	failed=$((failed + 1)); status=1
fi

echo
echo "test suites: $passed passed, $failed failed"
exit $status
