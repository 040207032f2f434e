#!/bin/bash
# deleted.sh - the database deleted (or replaced) under a running ledgerd
# (issue 10 item 5).  SQLite would go on writing to the unlinked file and
# every event acknowledged afterwards would be lost: ledgerd must stop
# acknowledging (503), turn /healthz red, and say why.
set -u
. "$(dirname "$0")/../e2e-lib.sh"

D=$T/del
start "$D"
st=$(post '{"kind":"build"}')
check "a write before ($st)" test "$st" = 201
rm "$D/var/ledger.db"
st=$(post '{"kind":"deployment"}')
check "after rm ledger.db: the write is refused ($st)" test "$st" = 503
check "...saying the database file was removed" grep -q 'was removed while open' "$T/body"
sleep 1.2
check "...and /healthz is 503 and stays so" bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$URL/healthz')\" = 503 ]"
st=$(post '{"kind":"deployment"}')
check "...later writes are refused too ($st)" test "$st" = 503
stop "$PID"

R=$T/rep
start "$R"
post '{"kind":"build"}' >/dev/null
cp "$R/var/ledger.db" "$T/other.db"
mv "$T/other.db" "$R/var/ledger.db"
st=$(post '{"kind":"deployment"}')
check "a database file moved over the open one: refused ($st)" test "$st" = 503
check "...saying it was replaced" grep -q 'was replaced while open' "$T/body"
stop "$PID"
summary
