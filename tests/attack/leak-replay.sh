#!/bin/bash
# leak-replay.sh - one captured signed delivery, replayed, must not grow
# the daemon (issue 10 item 1).  A generic-source document whose payload
# is an in-toto Statement with 100 subjects (~0.9 MB, incompressible);
# 6 such documents (each its own predicate) are delivered under new ids,
# then the last 4 times verbatim (answered 200 duplicate), then under 4
# more new ids (a body replayed under a fresh id: 200, the original
# receipt).  Before
# the fix each delivery leaked the body once per extra subject: 19 MB to
# 835 MB.  RSS is measured before and after.
set -u
. "$(dirname "$0")/../e2e-lib.sh"
command -v python3 >/dev/null || { echo "python3 not found"; exit 77; }
command -v openssl >/dev/null || { echo "openssl not found"; exit 77; }

# Under AddressSanitizer freed memory sits in a quarantine (256 MB by
# default) before reuse: keep it small so RSS measures what is kept.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
D=$T/leak
mkdir -p "$D"
printf 'gen-secret' >"$D/gen.secret"
chmod 600 "$D/gen.secret"
start "$D" '"max_body_bytes":2097152,"sources":[
 {"name":"gen","type":"generic","secret_file":"gen.secret","max_events":100}]'
python3 - "$T" <<'PY'
import base64, hashlib, json, os, sys
subjects = [{"name": "img-%d" % i + "x" * 200,
             "digest": {"sha256": hashlib.sha256(str(i).encode()).hexdigest()}}
            for i in range(100)]
for d in ["warm"] + ["d-%d" % i for i in range(1, 7)]:
    stmt = {"_type": "https://in-toto.io/Statement/v1", "subject": subjects,
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"pad": base64.b64encode(os.urandom(600000)).decode()}}
    json.dump({"kind": "artifact", "payload": stmt},
              open("%s/%s.json" % (sys.argv[1], d), "w"))
PY
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
send() { # ID [DOCUMENT]
	local doc=$T/${2:-$1}.json
	curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/gen" \
	    -H "X-Ledger-Delivery: $1" -H 'Content-Type: application/json' \
	    -H "X-Ledger-Signature: sha256=$(openssl dgst -sha256 -hmac gen-secret <"$doc" | awk '{print $NF}')" \
	    --data-binary @"$doc"
}
st=$(send warm)
check "a 100-subject document is recorded as 100 entries ($st)" test "$st" = 201
rss0=$(rss)
codes=""
for i in 1 2 3 4 5 6; do codes="$codes $(send "d-$i")"; done
for i in 1 2 3 4; do codes="$codes $(send d-6)"; done
for i in 1 2 3 4; do codes="$codes $(send "fresh-$i" d-6)"; done
check "6 new deliveries 201, 4 verbatim retries and 4 replays under fresh ids 200 (${codes# })" \
    test "${codes# }" = "201 201 201 201 201 201 200 200 200 200 200 200 200 200"
rss1=$(rss)
check "RSS bounded after 14 deliveries: $rss0 -> $rss1 KiB (was +800 MB)" \
    test "$rss1" -lt $((rss0 + 60000))
check "700 entries of kind artifact (7 deliveries x 100 subjects)" test \
    "$("$LEDGERCTL" events -d "$D/var" --kind artifact --json | wc -l)" = 700
check "the log verifies" verify "$D"
summary
