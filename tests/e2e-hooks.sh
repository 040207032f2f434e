#!/bin/bash
# e2e-hooks.sh - webhooks through the real daemon: GitHub, GitLab,
# CDEvents and registry deliveries signed as their senders sign them, every way of
# getting it wrong, and the log unchanged by each refusal.
set -u
. "$(dirname "$0")/e2e-lib.sh"
P=${LEDGER_PAYLOADS:-$(dirname "$0")/../../shared/payloads}
[ -d "$P/github" ] || { echo "payloads not found"; exit 77; }

D=$T/hooks
mkdir -p "$D"
printf 'gh-secret-for-tests' > "$D/gh.secret"
printf 'gl-token-for-tests' > "$D/gl.token"
printf 'cd-secret-for-tests' > "$D/cd.secret"
printf 'registry-token-for-tests\n' > "$D/reg.token"
chmod 600 "$D"/*.secret "$D"/*.token
start "$D" '"max_body_bytes":65536,"access_log":true,"metrics_public":true,"sources":[
 {"name":"gh-main","type":"github","secret_file":"gh.secret"},
 {"name":"gl","type":"gitlab","secret_file":"gl.token"},
 {"name":"cd","type":"cdevents","secret_file":"cd.secret"},
 {"name":"cd-drop","type":"cdevents","secret_file":"cd.secret",
  "unknown_events":"drop"},
 {"name":"registry","type":"distribution","token_file":"reg.token",
  "unknown_events":"drop"},
 {"name":"harbor","type":"harbor","token_file":"reg.token"},
 {"name":"flux","type":"flux","secret_file":"cd.secret"},
 {"name":"argo","type":"argocd","secret_file":"cd.secret"},
 {"name":"ansible","type":"ansible","token_file":"reg.token"}]'

hmac() { openssl dgst -sha256 -hmac "$1" < "$2" | awk '{print $NF}'; }
count() { "$LEDGERCTL" events -d "$D/var" --json | wc -l; }

# gh FILE EVENT DELIVERY [curl args...]: a GitHub delivery, signed
gh() {
	local f=$1 ev=$2 id=$3; shift 3
	curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/gh-main" \
	    -H "X-GitHub-Event: $ev" -H "X-GitHub-Delivery: $id" \
	    -H "X-Hub-Signature-256: sha256=$(hmac gh-secret-for-tests "$f")" \
	    -H "${CT:-Content-Type: application/json}" --data-binary @"$f" "$@"
}

WR=$P/github/workflow_run/$(ls "$P/github/workflow_run" | head -1)
st=$(gh "$WR" workflow_run d-001)
check "GitHub workflow_run with a valid signature -> 201" test "$st" = 201
seq=$(sed 's/.*"seq":\([0-9]*\).*/\1/' "$T/body")
check "recorded as a build from gh-main with github-hmac-sha256" bash -c \
    "'$LEDGERCTL' show -d '$D/var' $seq | grep -q '\"auth\":\"github-hmac-sha256\",\"delivery\":\"d-001\",\"event\":\"workflow_run' && '$LEDGERCTL' show -d '$D/var' $seq | grep -q '\"kind\":\"build\"'"
curl -sS -H "Authorization: Bearer $RTOK" "$URL/v1/events/$seq/payload" > "$T/stored"
check "the stored payload is byte for byte the delivery" cmp -s "$T/stored" "$WR"
check "the stored payload re-verifies against X-Hub-Signature-256" \
    test "$(hmac gh-secret-for-tests "$T/stored")" = "$(hmac gh-secret-for-tests "$WR")"
"$LEDGERCTL" show -d "$D/var" --json "$seq" >"$T/show.json"
check "show --json keeps the delivery's signature, id and event headers" \
    python3 -c "
import json,sys
h=json.load(open(sys.argv[1]))['payload']['headers']
assert h['X-GitHub-Delivery']=='d-001' and h['X-GitHub-Event']=='workflow_run'
assert h['X-Hub-Signature-256'].startswith('sha256=')" "$T/show.json"
sig=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['payload']['headers']['X-Hub-Signature-256'])" "$T/show.json")
"$LEDGERCTL" show -d "$D/var" --payload "$seq" >"$T/stored2"
check "years later: the stored signature re-checks against the stored payload" \
    test "$sig" = "sha256=$(hmac gh-secret-for-tests "$T/stored2")"
check "show (text) prints the headers line" bash -c \
    "'$LEDGERCTL' show -d '$D/var' $seq | grep -q '^headers: .*X-Hub-Signature-256'"
check "GET /v1/events/{seq} carries the headers too" bash -c \
    "curl -sS -H 'Authorization: Bearer $RTOK' '$URL/v1/events/$seq' | grep -q '\"headers\":{.*\"X-GitHub-Delivery\":\"d-001\"'"
st=$(gh "$WR" workflow_run d-001)
r2=$(sed 's/.*"seq":\([0-9]*\).*/\1/' "$T/body")
check "a redelivery answers 200 with the original receipt" test "$st/$r2" = "200/$seq"

DS=$P/github/deployment_status/$(ls "$P/github/deployment_status" | head -1)
st=$(gh "$DS" deployment_status d-002)
check "GitHub deployment_status -> deployment" bash -c "[ $st = 201 ] && '$LEDGERCTL' events -d '$D/var' --kind deployment --source gh-main --json | grep -q d-002"
PING=$P/github/ping/payload.json
st=$(gh "$PING" ping d-003)
check "GitHub ping -> a ledger entry noting the connection" bash -c "[ $st = 201 ] && '$LEDGERCTL' events -d '$D/var' --kind ledger --source gh-main --json | grep -q d-003"

# ---- every way of getting a GitHub delivery wrong: log unchanged ----
n0=$(count)
refused() { # NAME WANT_STATUS STATUS
	if [ "$3" = "$2" ] && [ "$(count)" = "$n0" ]; then
		ok "$1 -> $2, log unchanged"
	else
		bad "$1 -> want $2, got $3: $(head -c 200 "$T/body")"
	fi
}
refused "bad signature" 401 "$(curl -sS -o "$T/body" -w '%{http_code}' \
    -X POST "$URL/v1/hooks/gh-main" -H 'X-GitHub-Event: workflow_run' \
    -H 'X-GitHub-Delivery: x1' -H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" \
    -H 'Content-Type: application/json' --data-binary @"$WR")"
refused "missing signature" 401 "$(curl -sS -o "$T/body" -w '%{http_code}' \
    -X POST "$URL/v1/hooks/gh-main" -H 'X-GitHub-Event: workflow_run' \
    -H 'X-GitHub-Delivery: x2' -H 'Content-Type: application/json' \
    --data-binary @"$WR")"
refused "legacy X-Hub-Signature only" 401 "$(curl -sS -o "$T/body" -w '%{http_code}' \
    -X POST "$URL/v1/hooks/gh-main" -H 'X-GitHub-Event: workflow_run' \
    -H 'X-GitHub-Delivery: x3' -H "X-Hub-Signature: sha1=$(openssl dgst -sha1 -hmac gh-secret-for-tests < "$WR" | awk '{print $NF}')" \
    -H 'Content-Type: application/json' --data-binary @"$WR")"
refused "wrong secret" 401 "$(curl -sS -o "$T/body" -w '%{http_code}' \
    -X POST "$URL/v1/hooks/gh-main" -H 'X-GitHub-Event: workflow_run' \
    -H 'X-GitHub-Delivery: x4' -H "X-Hub-Signature-256: sha256=$(hmac not-the-secret "$WR")" \
    -H 'Content-Type: application/json' --data-binary @"$WR")"
sed '0,/"/s//"X/' "$WR" > "$T/altered"
check "(the altered body differs by one byte)" test "$(cmp -l "$T/altered" "$WR" 2>/dev/null | wc -l)" -ge 1
refused "body altered after signing" 401 "$(curl -sS -o "$T/body" -w '%{http_code}' \
    -X POST "$URL/v1/hooks/gh-main" -H 'X-GitHub-Event: workflow_run' \
    -H 'X-GitHub-Delivery: x5' -H "X-Hub-Signature-256: sha256=$(hmac gh-secret-for-tests "$WR")" \
    -H 'Content-Type: application/json' --data-binary @"$T/altered")"
refused "wrong content type" 415 "$(CT='Content-Type: application/x-www-form-urlencoded' gh "$WR" workflow_run x6)"
refused "unknown source" 404 "$(curl -sS -o "$T/body" -w '%{http_code}' \
    -X POST "$URL/v1/hooks/nobody" -H 'Content-Type: application/json' -d '{}')"
head -c 70000 /dev/zero | tr '\0' ' ' > "$T/big"
refused "oversized body" 413 "$(gh "$T/big" workflow_run x7)"
printf '{"action":"completed","workflow_run":' > "$T/broken"
refused "malformed JSON, correctly signed" 400 "$(gh "$T/broken" workflow_run x8)"
printf '{"a":1,"a":2}' > "$T/dup"
refused "duplicate keys, correctly signed" 400 "$(gh "$T/dup" workflow_run x9)"
curl -s "$URL/metrics" > "$T/m"	# metrics_public: no token needed
check "metrics: refused signatures by source (5 for gh-main)" \
    grep -q '^ledgerd_hook_refused_total{source="gh-main",reason="auth"} 5$' "$T/m"
check "metrics: malformed JSON by source" \
    grep -q '^ledgerd_hook_refused_total{source="gh-main",reason="bad_json"} [1-9]' "$T/m"
check "access log: one line per request, the source named, no secret" \
    bash -c "grep -q 'access peer=127.0.0.1 route=hooks status=401 .*source=gh-main' '$D/log' && ! grep -q 'gh-secret-for-tests' '$D/log'"
check "access log: a token by its id only" \
    bash -c "grep -q 'access peer=127.0.0.1 route=metrics status=200' '$D/log' && ! grep 'access peer=' '$D/log' | grep -qe \"$WTOK\" -e \"$RTOK\""
check "metrics: deliveries recorded and the last one's time, by source" \
    bash -c "grep -q '^ledgerd_hook_deliveries_total{source=\"gh-main\"} [1-9]' '$T/m' && grep -q '^ledgerd_hook_last_delivery_seconds{source=\"gh-main\"} 1[0-9]*' '$T/m'"
check "refusals are counted in metrics" bash -c "curl -s -H 'Authorization: Bearer $RTOK' '$URL/metrics' | grep -q 'ledgerd_rejected_requests_total{reason=\"auth\"} [4-9]'"
check "refusals are logged with source and reason" grep -q 'hook refused source=gh-main reason=' "$D/log"
check "secrets never reach the log" bash -c "! grep -q 'gh-secret-for-tests\|gl-token-for-tests' '$D/log'"

# ---- GitLab: X-Gitlab-Token ----
GLP=$P/gitlab/go-gitlab-testdata/pipeline.json
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/gl" \
    -H 'X-Gitlab-Event: Pipeline Hook' -H 'X-Gitlab-Token: gl-token-for-tests' \
    -H 'X-Gitlab-Event-UUID: gl-1' -H 'Content-Type: application/json' \
    --data-binary @"$GLP")
check "GitLab Pipeline Hook with its token -> 201 build" bash -c "[ $st = 201 ] && '$LEDGERCTL' events -d '$D/var' --source gl --kind build --json | grep -q '\"auth\":\"gitlab-token\"'"
glseq=$(sed 's/.*"seq":\([0-9]*\).*/\1/' "$T/body")
check "the GitLab token (a bearer secret) is never stored with the headers" \
    bash -c "'$LEDGERCTL' show -d '$D/var' $glseq | grep -q '^headers: .*X-Gitlab-Event-UUID' &&
        ! sqlite3 '$D/var/ledger.db' 'SELECT headers FROM payloads' | grep -qi 'gitlab-token\|gl-token-for-tests'"
n0=$(count)
refused "GitLab wrong token" 401 "$(curl -sS -o "$T/body" -w '%{http_code}' \
    -X POST "$URL/v1/hooks/gl" -H 'X-Gitlab-Event: Pipeline Hook' \
    -H 'X-Gitlab-Token: nope' -H 'Content-Type: application/json' \
    --data-binary @"$GLP")"

# ---- CDEvents: structured, binary, batch (all or nothing), drop ----
CDE=$P/cdevents/v0.4.1/conformance/service_deployed.json
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/cd" \
    -H "X-Ledger-Signature: sha256=$(hmac cd-secret-for-tests "$CDE")" \
    -H 'Content-Type: application/json' --data-binary @"$CDE")
check "CDEvent service.deployed -> 201 deployment" bash -c "[ $st = 201 ] && grep -q '\"seq\"' '$T/body'"
a=$P/cdevents/v0.4.1/conformance/pipelinerun_finished.json
b=$P/cdevents/v0.4.1/conformance/service_rolledback.json
# mkbatch SPECVERSION_OF_THE_SECOND: a batch of two CloudEvents
mkbatch() {
	local f spec=1.0
	printf '['
	for f in "$a" "$b"; do
		printf '{"specversion":"%s","id":"%s","source":"/e2e","type":"%s","datacontenttype":"application/json","data":' \
		    "$spec" "$(basename "$f")" \
		    "$(sed -n 's/.*"type": *"\(dev\.cdevents[^"]*\)".*/\1/p' "$f" | head -1)"
		cat "$f"
		[ "$f" = "$a" ] && printf '},' || printf '}'
		spec=$1
	done
	printf ']'
}
mkbatch 1.0 > "$T/batch"
mkbatch 0.1 > "$T/badbatch"
n1=$(count)
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/cd" \
    -H "X-Ledger-Signature: sha256=$(hmac cd-secret-for-tests "$T/batch")" \
    -H 'Content-Type: application/cloudevents-batch+json' --data-binary @"$T/batch")
check "a CloudEvents batch -> one entry each, one receipt each" bash -c \
    "[ $st = 201 ] && [ \$(grep -o '\"seq\"' '$T/body' | wc -l) = 2 ] && [ \$('$LEDGERCTL' events -d '$D/var' --json | wc -l) = $((n1 + 2)) ]"
check "the batch's entries are a build and a rollback" bash -c \
    "'$LEDGERCTL' events -d '$D/var' --source cd --kind rollback --json | grep -q rollback"
n1=$(count)
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/cd" \
    -H "X-Ledger-Signature: sha256=$(hmac cd-secret-for-tests "$T/badbatch")" \
    -H 'Content-Type: application/cloudevents-batch+json' --data-binary @"$T/badbatch")
c=$(count)
check "a batch with one bad event is refused whole (400, nothing written)" \
    test "$st/$c" = "400/$n1"
printf '{"specversion":"1.0","id":"u1","source":"/e2e","type":"com.example.unknown","data":{}}' > "$T/unknown"
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/cd-drop" \
    -H "X-Ledger-Signature: sha256=$(hmac cd-secret-for-tests "$T/unknown")" \
    -H 'Content-Type: application/cloudevents+json' --data-binary @"$T/unknown")
c=$(count)
check "an unknown event on a dropping source -> 202, nothing written" \
    test "$st/$c" = "202/$n1"
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/cd" \
    -H "X-Ledger-Signature: sha256=$(hmac cd-secret-for-tests "$T/unknown")" \
    -H 'Content-Type: application/cloudevents+json' --data-binary @"$T/unknown")
check "an unknown event on a recording source -> kind other" bash -c \
    "[ $st = 201 ] && '$LEDGERCTL' events -d '$D/var' --kind other --json | grep -q com.example.unknown"
# a registry's notification envelope (the Distribution docs' push of a
# manifest and two layers): one artifact entry, traceable by its digest;
# redelivered, nothing new; a pull dropped
sed '1,/^\r\{0,1\}$/d' "$P/registries/distribution/envelope.push-3-events.docs-example.http" > "$T/push"
reg() {
	curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/registry" \
	    -H 'Authorization: Bearer registry-token-for-tests' \
	    -H 'Content-Type: application/vnd.docker.distribution.events.v2+json' \
	    --data-binary @"$1"
}
n0=$(count)
st=$(reg "$T/push")
check "a Distribution push envelope -> 201, one entry for the manifest" \
    test "$st/$(count)" = "201/$((n0 + 1))"
FEA=sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf
check "trace --artifact finds the pushed image" bash -c \
    "'$LEDGERCTL' trace -d '$D/var' --artifact $FEA --json | grep -q '\"service\":\"library/test\"'"
st=$(reg "$T/push")
check "the same envelope again -> nothing new" test "$st/$(count)" = "200/$((n0 + 1))"
st=$(reg "$P/registries/distribution/envelope.pull.docs-example.json")
check "a pull on a dropping registry source -> 202" test "$st/$(count)" = "202/$((n0 + 1))"
st=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/v1/hooks/registry" \
    -H 'Authorization: Bearer wrong' -H 'Content-Type: application/json' \
    --data-binary @"$T/push")
check "a registry delivery with a wrong token -> 401" test "$st" = 401
H=$P/registries/harbor
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/harbor" \
    -H 'Authorization: Bearer registry-token-for-tests' \
    -H 'Content-Type: application/json' \
    --data-binary @"$H/SCANNING_FAILED.default.docs-example.json")
check "a Harbor scan failure -> 201, kind scan, status failure" bash -c \
    "[ $st = 201 ] && '$LEDGERCTL' events -d '$D/var' --kind scan --json | grep -q '\"status\":\"failure\"'"
n1=$(count)
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/harbor" \
    -H 'Authorization: Bearer registry-token-for-tests' \
    -H 'Content-Type: application/json' \
    --data-binary @"$H/SCANNING_FAILED.default.docs-example.json")
check "Harbor redelivers it (no id): the original receipt, nothing new" \
    test "$st/$(count)" = "200/$n1"
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/harbor" \
    -H 'Authorization: Bearer registry-token-for-tests' \
    -H 'Content-Type: application/cloudevents+json' \
    --data-binary @"$H/PUSH_ARTIFACT.cloudevents.docs-example.with-comments.jsonc")
check "Harbor's docs example with a // comment -> 400 naming the place" \
    bash -c "[ $st = 400 ] && grep -q line '$T/body'"
# Argo CD (the Application, as {{toJson .app}} renders it) and Ansible
# (the JSON callback's output): a bearer, a redelivery, a forgery
printf '{"metadata":{"name":"guestbook"},"spec":{"destination":{"namespace":"prod"}},"status":{"operationState":{"phase":"Succeeded","startedAt":"2026-12-03T02:47:00Z","operation":{"initiatedBy":{"username":"alice"}},"syncResult":{"revision":"731f7eaddfb6af01cb2173e18f0f75b0ba780ef1"}}}}' > "$T/argo"
for name in argo ansible; do
	f=$T/argo tok=cd-secret-for-tests
	[ $name = ansible ] && f=$P/iac/ansible/ansible.posix.json.cowsay-check.installed.json tok=registry-token-for-tests
	n1=$(count)
	st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/$name" \
	    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    --data-binary @"$f")
	check "$name: 201, one entry" test "$st/$(count)" = "201/$((n1 + 1))"
	st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/$name" \
	    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    --data-binary @"$f")
	check "$name redelivered: 200 with the original receipt, nothing new" \
	    bash -c "[ $st = 200 ] && grep -q '\"duplicate\":true' '$T/body' && [ $(count) = $((n1 + 1)) ]"
	st=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/v1/hooks/$name" \
	    -H "Authorization: Bearer ${tok}x" -H 'Content-Type: application/json' \
	    --data-binary @"$f")
	check "$name with a wrong bearer: 401, nothing new" \
	    test "$st/$(count)" = "401/$((n1 + 1))"
done
"$LEDGERCTL" events -d "$D/var" --source argo --json > "$T/ev"
check "the Argo CD sync is a deployment of guestbook to prod by alice" \
    bash -c "grep -q '\"kind\":\"deployment\"' '$T/ev' && grep -q '\"service\":\"guestbook\"' '$T/ev' && grep -q '\"actor\":\"alice\"' '$T/ev'"
# one image across sources: a CI build (the API), Harbor's push and scan
# (webhooks), an approval (the API) and Flux's deployment (a webhook) --
# trace --artifact links them all by the digest
IMG=sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4
post '{"kind":"build","subject":{"artifact":"'"$IMG"'","commit":"3f2c9a1","run":"ci-9","status":"success"}}' >/dev/null
for f in PUSH_ARTIFACT.default SCANNING_COMPLETED.default; do
	curl -sS -o /dev/null -X POST "$URL/v1/hooks/harbor" \
	    -H 'Authorization: Bearer registry-token-for-tests' \
	    -H 'Content-Type: application/json' \
	    --data-binary @"$H/$f.docs-example.json"
done
# the pipeline's own Trivy scan of the image, uploaded as a report
"$LEDGERCTL" record scan --url "$URL" --token "$WTOK" --artifact "$IMG" \
    --file "$P/scans/trivy/image.alpine-310.json" > /dev/null
post '{"kind":"approval","subject":{"artifact":"'"$IMG"'","environment":"prod","actor":"carol","status":"approved"}}' >/dev/null
# Flux reconciles the image (an OCI source: the revision is the digest)
printf '{"involvedObject":{"kind":"Kustomization","name":"alpine","namespace":"prod"},"metadata":{"kustomize.toolkit.fluxcd.io/revision":"latest@%s"},"severity":"info","reason":"ReconciliationSucceeded"}' "$IMG" > "$T/flux"
st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/flux" \
    -H "X-Signature: sha256=$(hmac cd-secret-for-tests "$T/flux")" \
    -H 'Content-Type: application/json' --data-binary @"$T/flux")
check "a Flux event signed with generic-hmac -> 201" test "$st" = 201
"$LEDGERCTL" trace -d "$D/var" --artifact "$IMG" --json > "$T/trace"
kinds=$(grep -o '"kind":"[a-z]*"' "$T/trace" | sort -u | tr '\n' ' ')
has_kinds() { for k in "$@"; do grep -q "\"kind\":\"$k\"" "$T/trace" || return 1; done; }
check "trace --artifact links build, Harbor push and scan, approval, Flux deployment ($kinds)" \
    has_kinds build artifact scan approval deployment
check "... and the Trivy report uploaded for the digest" \
    grep -q '"event":"trivy"' "$T/trace"
check "verify passes after all of it" "$LEDGERCTL" verify -d "$D/var"
stop "$PID"

# ---- config: a secret file readable by others is refused ----
chmod 644 "$D/gh.secret"
"$LEDGERD" -n -f "$D/config.json" 2> "$T/nerr"; rc=$?
check "ledgerd -n refuses a group/other-readable secret file" \
    bash -c "[ $rc = 1 ] && grep -q 'gh.secret' '$T/nerr' && ! grep -q gh-secret-for-tests '$T/nerr'"
summary
