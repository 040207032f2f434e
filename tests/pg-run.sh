#!/bin/bash
# pg-run.sh - run a test program against a throwaway PostgreSQL cluster:
# LEDGER_TEST_DATABASE names it (tests/teststore.c then makes every test's
# log there); the cluster is removed afterwards.
#   pg-run.sh PROGRAM [ARGS...]
set -u
. "$(dirname "$0")/pg-lib.sh"
trap pg_cleanup EXIT
pg_new t || exit 1
export LEDGER_TEST_DATABASE=$PG_URL_t
"$@"
