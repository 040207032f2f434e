#!/bin/bash
# e2e-tls.sh - ledgerd's own HTTPS: ingest and reads over TLS, client
# certificates optional, required and absent, a wrong CA and an expired
# certificate refused, the machine identity in the entry, a token and a
# source bound to another machine refused, TLS 1.1 refused, SIGHUP
# certificate rotation while requests run, ledgerctl --url https with a
# client certificate, and the configurations ledgerd refuses to start
# with.  Certificates are made here with openssl.  Prints one line per
# check and "N passed, N failed".
set -u
. "$(dirname "$0")/e2e-lib.sh"
command -v openssl >/dev/null || { echo "openssl not found"; exit 77; }
C=$T/certs
mkdir -p "$C"

# expired NAME CA CN: a client certificate valid only in 2020
expired() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.csr" -subj "/CN=$3" 2>/dev/null
	: > "$C/index.txt"
	printf '01\n' > "$C/serial"
	cat > "$C/ca.cnf" <<-EOF
	[ca]
	default_ca = d
	[d]
	database = $C/index.txt
	new_certs_dir = $C
	serial = $C/serial
	default_md = sha256
	policy = p
	[p]
	commonName = supplied
	[x]
	extendedKeyUsage = clientAuth
	EOF
	openssl ca -batch -config "$C/ca.cnf" -cert "$C/$2.pem" \
	    -keyfile "$C/$2.key" -in "$C/$1.csr" -out "$C/$1.pem" -notext \
	    -startdate 20200101000000Z -enddate 20200102000000Z \
	    -extensions x 2>/dev/null
	chmod 600 "$C/$1.key"
}
ca ca; ca other
SAN='subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'
leaf server ca localhost "$SAN"
leaf server2 ca localhost "$SAN"
A=spiffe://example.org/ci/runner-a
B=spiffe://example.org/ci/runner-b
leaf ra ca runner-a "extendedKeyUsage=clientAuth\nsubjectAltName=URI:$A"
leaf rb ca runner-b "extendedKeyUsage=clientAuth\nsubjectAltName=URI:$B"
leaf dn ca runner-dn "extendedKeyUsage=clientAuth"
leaf stranger other runner-a "extendedKeyUsage=clientAuth\nsubjectAltName=URI:$A"
leaf srvonly ca runner-s "extendedKeyUsage=serverAuth\nsubjectAltName=URI:$A"
expired old ca runner-old
check "made an expired certificate" grep -q "Jan  2 00:00:00 2020" \
    <(openssl x509 -in "$C/old.pem" -noout -enddate)

# ---- client certificates optional ----
D=$T/opt
mkdir -p "$D"
cp "$C/server.pem" "$D/cert.pem"; cp "$C/server.key" "$D/key.pem"
printf 'hook-secret-token\n' > "$D/hook.token"; chmod 600 "$D/hook.token"
start "$D" '"checkpoint_interval_ms":100,"tls":{"cert_file":"cert.pem",
"key_file":"key.pem","client_ca_file":"'"$C"'/ca.pem","client_auth":
"optional"},"sources":[{"name":"ci-hooks","type":"generic","token_file":
"hook.token","client_identity":"'"$A"'"}]'
check "ledgerd serves https" [ "${URL%%:*}" = https ] && [ -n "$PORT" ]
check "the log says client certificates are optional" \
    grep -q "listening on https://.*(client certificates optional)" "$D/log"
TLS=(--cacert "$C/ca.pem")
post1() { # post1 RUN [curl args]: a build event; the status
	local run=$1; shift
	post '{"kind":"build","subject":{"run":"'"$run"'"}}' "${TLS[@]}" "$@"
}
auth_of() { # the source.auth of the entry with run R
	"$LEDGERCTL" events -d "$D/var" --run "$1" --json |
	    grep -o '"auth":"[^"]*"' | head -1
}
check "no client certificate: 201" [ "$(post1 r-none)" = 201 ]
check "  recorded as the token alone" [ "$(auth_of r-none)" = \
    '"auth":"bearer-token:1"' ]
check "runner-a's certificate: 201" \
    [ "$(post1 r-a --cert "$C/ra.pem" --key "$C/ra.key")" = 201 ]
check "  its SPIFFE ID is in source.auth" [ "$(auth_of r-a)" = \
    "\"auth\":\"bearer-token:1+mtls:$A\"" ]
post1 r-dn --cert "$C/dn.pem" --key "$C/dn.key" >/dev/null
check "  no SAN URI: the subject DN names it" [ "$(auth_of r-dn)" = \
    '"auth":"bearer-token:1+mtls:CN=runner-dn,O=Example"' ]
check "another CA's certificate: 401" \
    [ "$(post1 r-x --cert "$C/stranger.pem" --key "$C/stranger.key")" = 401 ]
check "  saying the issuer is unknown" grep -q "issuer is unknown" "$T/body"
check "an expired certificate: 401" \
    [ "$(post1 r-old --cert "$C/old.pem" --key "$C/old.key")" = 401 ]
check "  saying it expired" grep -qi "expired" "$T/body"
check "a certificate not for clients (serverAuth only): 401" \
    [ "$(post1 r-s --cert "$C/srvonly.pem" --key "$C/srvonly.key")" = 401 ]
check "nothing refused was recorded" [ -z "$("$LEDGERCTL" events -d "$D/var" \
    --json | grep -E '"r-(x|old|s)"')" ]

# a token bound to runner-b
BTOK=$("$LEDGERCTL" token create --scope write --identity "$B" -d "$D/var" \
    2>/dev/null)
"$LEDGERCTL" token list -d "$D/var" --json > "$T/tokens"
check "token list shows the binding" grep -q "\"identity\":\"$B\"" "$T/tokens"
check "a bound token over runner-a's certificate: 403" [ "$(AUTH="Authorization: \
Bearer $BTOK" post1 r-b1 --cert "$C/ra.pem" --key "$C/ra.key")" = 403 ]
check "  saying it is bound" grep -q "bound to a machine identity" "$T/body"
check "a bound token without a certificate: 403" \
    [ "$(AUTH="Authorization: Bearer $BTOK" post1 r-b2)" = 403 ]
check "a bound token over runner-b's certificate: 201" [ "$(AUTH="Authorization: \
Bearer $BTOK" post1 r-b3 --cert "$C/rb.pem" --key "$C/rb.key")" = 201 ]
check "  recorded with runner-b" grep -q "+mtls:$B" <(auth_of r-b3)

# a source bound to runner-a
hook() {
	curl -sS -o "$T/body" -w '%{http_code}' "${TLS[@]}" -X POST \
	    "$URL/v1/hooks/ci-hooks" -H 'Authorization: Bearer hook-secret-token' \
	    -H 'Content-Type: application/json' -H 'Expect:' \
	    --data-binary '{"kind":"deployment","subject":{"environment":"prod","actor":"alice",
"run":"'"$1"'"}}' "${@:2}"
}
check "the bound source from runner-b: 403" \
    [ "$(hook h-b --cert "$C/rb.pem" --key "$C/rb.key")" = 403 ]
check "the bound source without a certificate: 403" [ "$(hook h-none)" = 403 ]
check "the bound source from runner-a: 201" \
    [ "$(hook h-a --cert "$C/ra.pem" --key "$C/ra.key")" = 201 ]
check "  recorded with runner-a" grep -q "+mtls:$A" <(auth_of h-a)

# protocol
curl -sS --tls-max 1.1 "${TLS[@]}" "$URL/healthz" >/dev/null 2>&1
check "TLS 1.1 is refused" [ $? -ne 0 ]
check "TLS 1.2 is served" curl -sSf --tls-max 1.2 "${TLS[@]}" "$URL/healthz" \
    -o /dev/null
check "TLS 1.3 is served" curl -sSf --tlsv1.3 "${TLS[@]}" "$URL/healthz" \
    -o /dev/null
curl -sS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1
check "plain HTTP on the TLS port gets no answer" [ $? -ne 0 ]

# ledgerctl over https with a client certificate; the answers name it
WINDOW="--from $(date -u -d '-1 hour' +%FT%TZ) --to $(date -u -d '+1 hour' +%FT%TZ)"
PUB=$D/var/ledger.pub
"$LEDGERCTL" verify --url "$URL" --cacert "$C/ca.pem" --cert "$C/ra.pem" \
    --client-key "$C/ra.key" --token "$RTOK" --key "$PUB" --no-pin \
    >"$T/out" 2>&1
check "ledgerctl verify --url https with a client certificate" \
    grep -q "^intact:" "$T/out"
"$LEDGERCTL" timeline --url "$URL" --cacert "$C/ca.pem" --token "$RTOK" \
    $WINDOW --json >"$T/out" 2>&1
check "timeline shows which machine sent an entry" \
    grep -q "\"machine\":\"$A\"" "$T/out"
"$LEDGERCTL" actors -d "$D/var" $WINDOW >"$T/out" 2>&1
check "actors show the machines" grep -q "$A" "$T/out"

# SIGHUP rotation while requests run
fp() {
	openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
	    </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256
}
# serves PEM: the certificate new connections get is PEM
serves() { [ "$(fp)" = "$(openssl x509 -in "$1" -noout -fingerprint \
    -sha256)" ]; }
# logged PATTERN: wait (5 s at most) for the daemon's log to say it
logged() {
	for _ in $(seq 1 50); do grep -q "$1" "$D/log" && return 0; sleep 0.1
	done
	return 1
}
check "served certificate is server.pem" serves "$C/server.pem"
: > "$T/loop"
( for i in $(seq 1 60); do post1 "rot-$i" >> "$T/loop"; echo >> "$T/loop"
  done ) &
LOOP=$!
sleep 0.3
cp "$C/server2.pem" "$D/cert.pem.new"; cp "$C/server2.key" "$D/key.pem.new"
chmod 600 "$D/key.pem.new"
mv "$D/key.pem.new" "$D/key.pem"; mv "$D/cert.pem.new" "$D/cert.pem"
kill -HUP "$PID"
wait "$LOOP"
check "SIGHUP reloaded the certificate" logged "certificate reloaded"
check "new connections get server2.pem" serves "$C/server2.pem"
check "all 60 requests during the rotation were answered 201" \
    [ "$(grep -c '^201$' "$T/loop")" = 60 ]
EXP=$(date -u -d "$(openssl x509 -in "$C/server2.pem" -noout -enddate |
    sed 's/notAfter=//')" +%s)
check "/metrics tells when the served certificate expires" grep -q \
    "^ledgerd_tls_certificate_expiry_seconds $EXP$" <(curl -sS "${TLS[@]}" \
    -H "Authorization: Bearer $RTOK" "$URL/metrics")
# an expired renewal is refused and the running certificate kept
cp "$C/old.pem" "$D/cert.pem"; cp "$C/old.key" "$D/key.pem"
kill -HUP "$PID"
check "an expired certificate on SIGHUP is refused" \
    logged "is expired; keeping the running TLS certificate"
check "  the running one still served" serves "$C/server2.pem"
# a key root:group 0640 is taken (a common way to hand it to a service)
cp "$C/server.pem" "$D/cert.pem"; cp "$C/server.key" "$D/key.pem"
chmod 640 "$D/key.pem"
kill -HUP "$PID"
for _ in $(seq 1 50); do serves "$C/server.pem" && break; sleep 0.1; done
check "a 0640 key is taken on SIGHUP" serves "$C/server.pem"
cp "$C/server2.pem" "$D/cert.pem"; cp "$C/server2.key" "$D/key.pem"
chmod 600 "$D/key.pem"
kill -HUP "$PID"
sleep 0.5
# a broken renewal is refused and the running certificate kept
printf 'not a key\n' > "$D/key.pem"
kill -HUP "$PID"
sleep 0.5
check "a bad key on SIGHUP keeps the running certificate" \
    serves "$C/server2.pem"
check "  and is logged" grep -q "keeping the running TLS certificate" "$D/log"
check "still serving" [ "$(post1 after-bad-reload)" = 201 ]
stop "$PID"
check "the log verifies" verify "$D"

# ---- client certificates required ----
R=$T/req
start "$R" '"tls":{"cert_file":"'"$C"'/server.pem","key_file":"'"$C"'/server.key",
"client_ca_file":"'"$C"'/ca.pem","client_auth":"required"}'
check "required: no certificate, 401" [ "$(post1 q1)" = 401 ]
check "  saying one is required" grep -q "client certificate is required" "$T/body"
check "required: /healthz answers without one" \
    curl -sSf "${TLS[@]}" "$URL/healthz" -o /dev/null
check "required: runner-a's certificate, 201" \
    [ "$(post1 q2 --cert "$C/ra.pem" --key "$C/ra.key")" = 201 ]
"$LEDGERCTL" checkpoint --url "$URL" --cacert "$C/ca.pem" --key \
    "$R/var/ledger.pub" --no-pin >/dev/null 2>"$T/err"
check "required: ledgerctl without a certificate is refused" \
    grep -q "client certificate is required" "$T/err"
"$LEDGERCTL" checkpoint --url "$URL" --cacert "$C/ca.pem" --cert \
    "$C/rb.pem" --client-key "$C/rb.key" --key "$R/var/ledger.pub" \
    --no-pin >"$T/out" 2>&1
check "required: ledgerctl with --cert/--client-key" \
    grep -q "signature verified" "$T/out"
stop "$PID"

# ---- a revoked client certificate (client_crl_file) ----
# crl NAME CA [-stale] [CERT...]: a CRL of CA revoking the CERTs (-stale:
# its next update a year ago)
crl() {
	local name=$1 ca=$2 c when=(-crldays 2); shift 2
	if [ "${1:-}" = -stale ]; then
		when=(-crl_lastupdate 20240101000000Z -crl_nextupdate 20250101000000Z)
		shift
	fi
	: > "$C/crl-$name.index"
	sed "s|^database = .*|database = $C/crl-$name.index|" "$C/ca.cnf" \
	    > "$C/crl-$name.cnf"
	for c in "$@"; do
		openssl ca -batch -config "$C/crl-$name.cnf" -cert "$C/$ca.pem" \
		    -keyfile "$C/$ca.key" -revoke "$C/$c.pem" 2>/dev/null
	done
	openssl ca -batch -config "$C/crl-$name.cnf" -cert "$C/$ca.pem" \
	    -keyfile "$C/$ca.key" -gencrl "${when[@]}" -out "$C/$name.crl" \
	    2>/dev/null
}
crl rb ca rb
crl both ca rb ra
crl foreign other stranger
crl stale ca -stale rb
check "made the CRLs" test -s "$C/rb.crl" -a -s "$C/both.crl" -a \
    -s "$C/foreign.crl" -a -s "$C/stale.crl"
V=$T/crl
mkdir -p "$V"
cp "$C/rb.crl" "$V/clients.crl"
cp "$C/server.pem" "$V/cert.pem"; cp "$C/server.key" "$V/key.pem"
start "$V" '"tls":{"cert_file":"cert.pem","key_file":"key.pem",
"client_ca_file":"'"$C"'/ca.pem","client_crl_file":"clients.crl","client_auth":"required"}'
check "crl: runner-a, not revoked: 201" \
    [ "$(post1 v1 --cert "$C/ra.pem" --key "$C/ra.key")" = 201 ]
check "crl: runner-b, revoked: 401" \
    [ "$(post1 v2 --cert "$C/rb.pem" --key "$C/rb.key")" = 401 ]
check "  saying it is revoked" grep -qi "revoked" "$T/body"
# one connection kept open across the reload: its next request is judged
# by the new list (http-conn.c re-judges on a new trust generation)
cat > "$T/keepalive.py" <<'PY'
import http.client, os, ssl, subprocess, sys, time
c, port, pid, crl, src = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=c + "/ca.pem")
ctx.load_cert_chain(c + "/ra.pem", c + "/ra.key")
conn = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx)
def post(run):
    conn.request("POST", "/v1/events", body='{"kind":"build","subject":{"run":"%s"}}' % run,
                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["WTOK"]})
    r = conn.getresponse(); r.read(); return r.status
a = post("k1")
with open(src, "rb") as f, open(crl, "wb") as g: g.write(f.read())
os.kill(int(pid), 1); time.sleep(0.7)
b = post("k2")
print(a, b)
PY
out=$(WTOK=$WTOK python3 "$T/keepalive.py" "$C" "$PORT" "$PID" "$V/clients.crl" "$C/both.crl" 2>&1)
check "crl: an open connection of runner-a: 201, SIGHUP revokes it, 401 ($out)" \
    [ "$out" = "201 401" ]
check "crl: after SIGHUP with runner-a revoked too, a new connection: 401" \
    [ "$(post1 v3 --cert "$C/ra.pem" --key "$C/ra.key")" = 401 ]
check "crl: an unrevoked runner still 201" \
    [ "$(post1 v3b --cert "$C/dn.pem" --key "$C/dn.key")" = 201 ]
cp "$C/foreign.crl" "$V/clients.crl"
kill -HUP "$PID"
sleep 0.5
check "crl: a CRL no trusted CA signed is refused on SIGHUP" \
    grep -q "not signed by a CA of client_ca_file" "$V/log"
st=$(post1 v4 --cert "$C/ra.pem" --key "$C/ra.key")
check "  the running list kept: runner-a still refused as revoked" \
    bash -c "[ $st = 401 ] && grep -qi revoked '$T/body'"
check "  and the unrevoked runner still 201" \
    [ "$(post1 v4b --cert "$C/dn.pem" --key "$C/dn.key")" = 201 ]
# a broken certificate renewal does not keep a new CRL out
cp "$C/rb.crl" "$V/clients.crl"
cp "$C/ra.pem" "$V/cert.pem"
kill -HUP "$PID"
sleep 0.5
st=$(post1 v5 --cert "$C/ra.pem" --key "$C/ra.key")
check "crl: a broken renewal with a new CRL: the certificate kept, the CRL taken" \
    bash -c "grep -q 'keeping the running TLS certificate' '$V/log' && [ $st = 201 ]"
stop "$PID"
check "crl: nothing of the refused was written" \
    [ "$("$LEDGERCTL" events -d "$V/var" --run v2 --json | wc -l)" = 0 ]
# a stale CRL still revokes (and says it is stale)
W=$T/stale
mkdir -p "$W"
start "$W" '"tls":{"cert_file":"'"$C"'/server.pem","key_file":"'"$C"'/server.key",
"client_ca_file":"'"$C"'/ca.pem","client_crl_file":"'"$C"'/stale.crl","client_auth":"required"}'
check "crl: a stale CRL is taken, and logged" grep -q "past its next update" "$W/log"
check "  and still revokes: runner-b 401" \
    [ "$(post1 w1 --cert "$C/rb.pem" --key "$C/rb.key")" = 401 ]
stop "$PID"
mkdir -p "$T/bad"
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","tls":{"cert_file":"%s",
"key_file":"%s","client_ca_file":"%s","client_crl_file":"%s",
"client_auth":"required"}}\n' "$T/bad" "$C/server.pem" "$C/server.key" \
    "$C/ca.pem" "$C/foreign.crl" > "$T/bad.json"
timeout 20 "$LEDGERD" -d -f "$T/bad.json" >"$T/out" 2>&1; rc=$?
check "a foreign CRL at start: ledgerd does not start, saying why" \
    bash -c "[ $rc -ne 0 ] && grep -q 'not signed by a CA' '$T/out'"

# ---- client_auth none: a certificate is neither asked for nor named ----
N=$T/none
start "$N" '"tls":{"cert_file":"'"$C"'/server.pem","key_file":"'"$C"'/server.key"}'
post1 n1 --cert "$C/ra.pem" --key "$C/ra.key" >/dev/null
check "none: a certificate is not recorded" [ "$("$LEDGERCTL" events -d \
    "$N/var" --run n1 --json | grep -o '"auth":"[^"]*"')" = \
    '"auth":"bearer-token:1"' ]
stop "$PID"

# ---- configurations refused ----
cfg() { printf '{"listen":"%s","data_dir":"%s/var"%s}\n' "$1" "$T/bad" \
    "${2:+,$2}" > "$T/bad.json"; "$LEDGERD" -n -f "$T/bad.json" >"$T/out" 2>&1; }
mkdir -p "$T/bad"
cfg 0.0.0.0:0
check "0.0.0.0 without TLS is refused" grep -q "allow_plaintext" "$T/out"
cfg 0.0.0.0:0 '"allow_plaintext":true'
check "  unless allow_plaintext" [ $? -eq 0 ]
cp "$C/server.key" "$T/open.key"; chmod 644 "$T/open.key"
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","tls":{"cert_file":"%s",
"key_file":"%s"}}\n' "$T/bad" "$C/server.pem" "$T/open.key" > "$T/bad.json"
timeout 20 "$LEDGERD" -d -f "$T/bad.json" >"$T/out" 2>&1
check "a key file others can read: ledgerd does not start" [ $? -ne 0 ]
check "  saying so" grep -q "readable by others" "$T/out"
printf '{"listen":"127.0.0.1:0","data_dir":"%s/var","tls":{"cert_file":"%s",
"key_file":"%s"}}\n' "$T/bad" "$C/server.pem" "$C/ra.key" > "$T/bad.json"
timeout 20 "$LEDGERD" -d -f "$T/bad.json" >"$T/out" 2>&1
check "a key that is not the certificate's: ledgerd does not start" \
    grep -q "is not the key of the first certificate" "$T/out"

summary
