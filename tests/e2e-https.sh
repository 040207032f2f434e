#!/bin/bash
# e2e-https.sh - ledgerctl --url over HTTPS (libcurl): the real ledgerd
# behind a TLS front (tests/tls/proxy.py), checkpoint, verify and a bundle
# through it; an unknown CA, a missing or world-readable client key, and
# a front that requires a client certificate; proxies taken from the
# environment.  Prints one line per check and "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
command -v openssl >/dev/null || { echo "openssl not found"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not found"; exit 77; }
PROXY=$(dirname "$0")/tls/proxy.py
C=$T/certs
mkdir -p "$C"

ca ca; ca other
leaf server ca localhost
leaf client ca ci-runner "extendedKeyUsage=clientAuth"

D=$T/h
start "$D" '"checkpoint_interval_ms":100'
check "ledgerd started" [ -n "$PORT" ]
for i in 1 2 3; do post '{"kind":"build","subject":{"run":"r"}}' >/dev/null; done
sleep 0.3
PUB=$D/var/ledger.pub

# front FILE [CLIENT_CA]: a TLS front to the daemon; sets FPORT
front() {
	python3 "$PROXY" "$URL" "$C/server.pem" "$C/server.key" ${2:+"$2"} \
	    > "$T/$1" 2>"$T/$1.err" &
	PIDS+=("$!")
	for _ in $(seq 1 100); do [ -s "$T/$1" ] && break; sleep 0.05; done
	FPORT=$(head -1 "$T/$1")
}
front tls
HTTPS=https://127.0.0.1:$FPORT

"$LEDGERCTL" checkpoint --url "$HTTPS" --cacert "$C/ca.pem" --key "$PUB" \
    --no-pin >"$T/out" 2>&1
check "checkpoint over HTTPS with --cacert" grep -q "signature verified" "$T/out"
LEDGER_CACERT=$C/ca.pem "$LEDGERCTL" verify --url "$HTTPS" --token "$RTOK" \
    --key "$PUB" --no-pin >"$T/out" 2>&1
check "verify over HTTPS (\$LEDGER_CACERT)" grep -q "^intact:" "$T/out"
"$LEDGERCTL" bundle --url "$HTTPS" --cacert "$C/ca.pem" --token "$RTOK" \
    --key "$PUB" --seq 0-2 -o "$T/b.gz" >/dev/null 2>&1
check "a bundle over HTTPS verifies" "$LEDGERCTL" verify --bundle "$T/b.gz" --key "$PUB"
"$LEDGERCTL" checkpoint --url "$HTTPS" --key "$PUB" --no-pin >/dev/null 2>"$T/err"
check "an unknown CA is refused (exit $?)" grep -qi "certificate" "$T/err"
"$LEDGERCTL" checkpoint --url "$HTTPS" --cacert "$C/other.pem" --key "$PUB" \
    --no-pin >/dev/null 2>"$T/err"
check "another CA is refused" grep -qi "certificate" "$T/err"
"$LEDGERCTL" checkpoint --url "ftp://127.0.0.1:$FPORT" --key "$PUB" \
    >/dev/null 2>"$T/err"
check "ftp:// is refused" grep -q "want http:// or https://" "$T/err"

# a front that requires a client certificate (mTLS)
front mtls "$C/ca.pem"
MTLS=https://127.0.0.1:$FPORT
"$LEDGERCTL" checkpoint --url "$MTLS" --cacert "$C/ca.pem" --key "$PUB" \
    --no-pin >/dev/null 2>"$T/err"
check "mTLS: no client certificate, no answer" [ -s "$T/err" ]
"$LEDGERCTL" checkpoint --url "$MTLS" --cacert "$C/ca.pem" --cert \
    "$C/client.pem" --client-key "$C/client.key" --key "$PUB" --no-pin \
    >"$T/out" 2>&1
check "mTLS: with --cert/--client-key" grep -q "signature verified" "$T/out"
chmod 644 "$C/client.key"
"$LEDGERCTL" checkpoint --url "$MTLS" --cacert "$C/ca.pem" --cert \
    "$C/client.pem" --client-key "$C/client.key" --key "$PUB" --no-pin \
    >/dev/null 2>"$T/err"
check "a client key others may read is refused" grep -q "chmod 600" "$T/err"
chmod 600 "$C/client.key"
"$LEDGERCTL" checkpoint --url "$MTLS" --cert "$C/client.pem" --key "$PUB" \
    >/dev/null 2>"$T/err"
check "--cert without --client-key is misuse" grep -q "go together" "$T/err"

# proxies come from the environment; no_proxy exempts
https_proxy=http://127.0.0.1:9 "$LEDGERCTL" checkpoint --url "$HTTPS" \
    --cacert "$C/ca.pem" --key "$PUB" --no-pin >/dev/null 2>"$T/err"
check "https_proxy is used" grep -qi "proxy\|connect" "$T/err"
https_proxy=http://127.0.0.1:9 no_proxy=127.0.0.1 "$LEDGERCTL" checkpoint \
    --url "$HTTPS" --cacert "$C/ca.pem" --key "$PUB" --no-pin >"$T/out" 2>&1
check "no_proxy exempts the daemon" grep -q "signature verified" "$T/out"
stop "$PID"
summary
