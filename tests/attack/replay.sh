#!/bin/bash
# replay.sh - one captured webhook, replayed and relabelled (issue 10 item
# 3).  A signed GitLab delivery replayed in its timestamp window under a
# new Idempotency-Key or X-Gitlab-Event-UUID gets the original receipt; an
# unsigned event-type header that does not match the body is refused; a
# delivery id reused with another body is a 409 conflict, for webhooks and
# the API alike; nothing of a refused request is written.
set -u
. "$(dirname "$0")/../e2e-lib.sh"
P=${LEDGER_PAYLOADS:-$(dirname "$0")/../../../shared/payloads}
[ -d "$P/github" ] || { echo "payloads not found"; exit 77; }
command -v openssl >/dev/null || { echo "openssl not found"; exit 77; }

D=$T/replay
mkdir -p "$D"
printf 'gh-secret' >"$D/gh.secret"
printf 'gl-token' >"$D/gl.token"
KEYB64=$(head -c 32 /dev/urandom | base64)
printf 'whsec_%s\n' "$KEYB64" >"$D/gl.signing"
chmod 600 "$D"/gh.secret "$D"/gl.token "$D"/gl.signing
start "$D" '"sources":[
 {"name":"gh","type":"github","secret_file":"gh.secret"},
 {"name":"ghrec","type":"github","secret_file":"gh.secret",
  "duplicate_bodies":"record"},
 {"name":"gl","type":"gitlab","secret_file":"gl.token",
  "signing_secret_file":"gl.signing"}]'
count() { "$LEDGERCTL" events -d "$D/var" --json | wc -l; }
seq_of() { sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$T/body" | head -1; }

# gl FILE ID [extra curl args]: a GitLab delivery signed (Standard Webhooks)
gl() {
	local f=$1 id=$2 ts sig hexkey; shift 2
	ts=$(date +%s)
	hexkey=$(echo "$KEYB64" | base64 -d | od -An -tx1 | tr -d ' \n')
	sig=$( { printf '%s.%s.' "$id" "$ts"; cat "$f"; } |
	    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary |
	    base64)
	curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/gl" \
	    -H 'X-Gitlab-Token: gl-token' -H "webhook-id: $id" \
	    -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" \
	    -H 'Content-Type: application/json' --data-binary @"$f" "$@"
}
gh() {
	local f=$1 ev=$2 id=$3; shift 3
	curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/${SRC:-gh}" \
	    -H "X-GitHub-Event: $ev" -H "X-GitHub-Delivery: $id" \
	    -H "X-Hub-Signature-256: sha256=$(openssl dgst -sha256 -hmac gh-secret <"$f" | awk '{print $NF}')" \
	    -H 'Content-Type: application/json' --data-binary @"$f" "$@"
}

PUSH=$P/gitlab/go-gitlab-testdata/push.json
st=$(gl "$PUSH" msg_1 -H 'X-Gitlab-Event: Push Hook' -H 'Idempotency-Key: k1')
s1=$(seq_of)
check "a signed GitLab push is recorded ($st)" test "$st" = 201
n0=$(count)
st=$(gl "$PUSH" msg_1 -H 'X-Gitlab-Event: Push Hook' -H 'Idempotency-Key: k2' \
    -H 'X-Gitlab-Event-UUID: u2')
check "replayed under a new Idempotency-Key/UUID: 200, the original receipt" \
    test "$st/$(seq_of)" = "200/$s1"
check "...and nothing appended" test "$(count)" = "$n0"
st=$(gl "$PUSH" msg_1 -H 'X-Gitlab-Event: Deployment Hook')
check "relabelled X-Gitlab-Event (a push as a deployment): 400 ($st)" test "$st" = 400
check "...the message says the header does not match the body" \
    grep -q 'does not match the body' "$T/body"
check "...nothing appended" test "$(count)" = "$n0"

GP=$P/github/push/payload.json
GD=$P/github/deployment_status/payload.json
st=$(gh "$GP" push gh-1)
check "a GitHub push is recorded ($st)" test "$st" = 201
sp=$(seq_of)
n0=$(count)
st=$(gh "$GP" deployment_status gh-2)
check "relabelled X-GitHub-Event (a push as deployment_status): 400 ($st)" test "$st" = 400
st=$(gh "$GD" workflow_run gh-3)
check "relabelled X-GitHub-Event (deployment_status as workflow_run): 400 ($st)" test "$st" = 400
st=$(gh "$GD" deployment_status gh-1)
check "a GitHub delivery id reused with another body: 409 ($st)" test "$st" = 409
check "...an error named conflict" grep -q '"error":"conflict"' "$T/body"
check "...nothing appended" test "$(count)" = "$n0"
st=$(gh "$GP" push gh-1)
check "the true redelivery still gets 200 and the original receipt ($st)" test "$st" = 200
# X-GitHub-Delivery is not signed: the captured body under ids of the
# replayer's choosing is still the one delivery (deduplicated on the body).
for id in gh-fresh-1 gh-fresh-2; do
	st=$(gh "$GP" push "$id")
	check "the body replayed under a fresh delivery id $id: 200, the original receipt" \
	    test "$st/$(seq_of)" = "200/$sp"
done
check "...the receipt says duplicate" grep -q '"duplicate":true' "$T/body"
check "...nothing appended" test "$(count)" = "$n0"
st=$(SRC=ghrec gh "$GP" push rec-1)/$(SRC=ghrec gh "$GP" push rec-2)
check "a source with duplicate_bodies=record records the same body twice ($st)" \
    test "$st" = 201/201
n0=$(count)

st=$(post '{"kind":"deployment","subject":{"service":"pay"}}' -H 'Idempotency-Key: api-1')
check "API: an event with an Idempotency-Key ($st)" test "$st" = 201
n0=$(count)
st=$(post '{"kind":"rollback","subject":{"service":"pay"}}' -H 'Idempotency-Key: api-1')
check "API: the same Idempotency-Key with another body: 409 ($st)" test "$st" = 409
check "...nothing appended" test "$(count)" = "$n0"
check "conflicts are counted" bash -c \
    "curl -s -H 'Authorization: Bearer $RTOK' '$URL/metrics' | grep -q 'reason=\"conflict\"} [1-9]'"
check "the log verifies" verify "$D"
summary
