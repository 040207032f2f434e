#!/bin/bash
# e2e-answers.sh - the auditor's and the incident responder's answers on a
# scripted history posted through the real daemon and the real adapters:
# GitHub and GitLab deliveries from ../shared/payloads rewritten to one
# company's repositories, CDEvents, an in-toto SLSA provenance, and
# approvals through the generic API.  Two services (shop from GitHub,
# billing from GitLab) and a third from CDEvents (search), staging and
# production; an approved deployment, an unapproved one, a self-approval,
# a late approval, a rejection followed by a deployment, an approval for
# another digest, a failed deployment, a rollback and a hotfix.  Every
# --json answer is asserted against the seqs the daemon's receipts gave;
# the API's answer equals the CLI's; bad input exits 2 / answers 400.
set -u
. "$(dirname "$0")/e2e-lib.sh"
P=${LEDGER_PAYLOADS:?LEDGER_PAYLOADS is not set}
[ -d "$P/github" ] || { echo "payloads not found"; exit 77; }

D=$T/ans
mkdir -p "$D"
printf 'gh-secret-e2e' > "$D/gh.secret"
printf 'gl-token-e2e' > "$D/gl.token"
printf 'cd-secret-e2e' > "$D/cd.secret"
printf 'gen-secret-e2e' > "$D/gen.secret"
chmod 600 "$D"/*.secret "$D"/*.token
start "$D" '"checkpoint_interval_ms":200,"sources":[
 {"name":"gh","type":"github","secret_file":"gh.secret"},
 {"name":"gl","type":"gitlab","secret_file":"gl.token"},
 {"name":"cd","type":"cdevents","secret_file":"cd.secret"},
 {"name":"attest","type":"generic","secret_file":"gen.secret"}]'

C1=1111111111111111111111111111111111111111
C2=2222222222222222222222222222222222222222
C3=3333333333333333333333333333333333333333
D1=sha256:d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1
D2=sha256:d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2
D3=sha256:d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3
D9=sha256:d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9

hmac() { openssl dgst -sha256 -hmac "$1" < "$2" | awk '{print $NF}'; }
# rw SRC OUT PYTHON: rewrite a real payload (d) to this company's
rw() {
	python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
EOF
}
seq_of() { python3 -c "import json; print(json.load(open('$T/body'))['seq'])"; }
# gh FILE EVENT: a signed GitHub delivery (its id from the file's name:
# each delivery here has a file of its own); prints the receipt's seq
gh() {
	st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/gh" \
	    -H "X-GitHub-Event: $2" -H "X-GitHub-Delivery: gh-$(basename "$1")" \
	    -H "X-Hub-Signature-256: sha256=$(hmac gh-secret-e2e "$1")" \
	    -H 'Content-Type: application/json' --data-binary @"$1")
	[ "$st" = 201 ] || echo "gh $2: $st $(cat "$T/body")" >&2
	seq_of
}
gl() {
	st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/gl" \
	    -H "X-Gitlab-Event: $2" -H "X-Gitlab-Token: gl-token-e2e" \
	    -H "Idempotency-Key: gl-$(basename "$1")" \
	    -H 'Content-Type: application/json' --data-binary @"$1")
	[ "$st" = 201 ] || echo "gl $2: $st $(cat "$T/body")" >&2
	seq_of
}
signed() { # SOURCE SECRET FILE [content type]
	st=$(curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/$1" \
	    -H "X-Ledger-Signature: sha256=$(hmac "$2" "$3")" \
	    -H "Content-Type: ${4:-application/json}" --data-binary @"$3")
	[ "$st" = 201 ] || echo "$1: $st $(cat "$T/body")" >&2
	seq_of
}
api() { # KIND SUBJECT_JSON: the generic API
	st=$(post "{\"kind\":\"$1\",\"subject\":$2}")
	[ "$st" = 201 ] || echo "api $1: $st $(cat "$T/body")" >&2
	seq_of
}
GH=$P/github
SHOP='d["repository"]["full_name"]="acme/shop"; d["repository"]["name"]="shop"'

# ---- shop (GitHub): push, build, provenance, approval, deployment ----
rw "$GH/push/payload.json" "$T/push" "$SHOP
d['after']='$C1'; d['deleted']=False; d['pusher']['name']='alice'"
S_PUSH=$(gh "$T/push" push)
rw "$GH/workflow_run/completed.payload.json" "$T/run" "$SHOP
d['workflow_run'].update(id=1001, head_sha='$C1', conclusion='success')
d['workflow_run']['triggering_actor']['login']='alice'"
S_BUILD=$(gh "$T/run" workflow_run)
rw "$P/intoto-slsa/github-actions-workflow-v1.provenance.json" "$T/prov" "
b=d['predicate']['buildDefinition']
b['externalParameters']['workflow']['repository']='https://github.com/acme/shop'
b['resolvedDependencies'][0]['digest']['gitCommit']='$C1'
d['predicate']['runDetails']['metadata']['invocationId']='https://github.com/acme/shop/actions/runs/1001/attempts/1'
d['subject']=[{'name':'shop','digest':{'sha256':'${D1#sha256:}'}}]"
S_PROV=$(signed attest gen-secret-e2e "$T/prov")
S_SCAN=$(api scan "{\"artifact\":\"$D1\",\"status\":\"passed\",\"actor\":\"scanner\"}")
rw "$GH/deployment_review/requested.payload.json" "$T/review" "$SHOP
d['action']='approved'; d['environment']='production'; d['approver']={'login':'bob'}
d['workflow_run'].update(id=1001, head_sha='$C1')"
S_APPROVE=$(gh "$T/review" deployment_review)
dep() { # ID STATE ACTOR SHA OUT
	rw "$GH/deployment_status/created.github-docs-example.json" "$5" "$SHOP
d['deployment'].update(id=$1, sha='$4', environment='production')
d['deployment']['payload']={}
d['deployment_status'].update(state='$2', environment='production')
d['deployment_status']['creator']['login']='$3'
d.setdefault('workflow_run', {}).update(id=1001, head_sha='$4')"
}
dep 501 in_progress carol "$C1" "$T/d1"
S_D501a=$(gh "$T/d1" deployment_status)
dep 501 success carol "$C1" "$T/d2"
S_D501=$(gh "$T/d2" deployment_status)
# a failed deployment of the same run: one more deployment, failure
dep 502 failure carol "$C1" "$T/d3"
S_D502=$(gh "$T/d3" deployment_status)

# ---- billing (GitLab): staging, self-approved; production unapproved ----
GLD=$P/gitlab/go-gitlab-testdata/deployment.json
gldep() { # ID ENV STATUS USER SHA OUT
	rw "$GLD" "$6" "d['project']['name']='billing'; d['project']['path_with_namespace']='acme/billing'
d.update(deployment_id=$1, environment='$2', status='$3', sha='$5')
d['user']['username']='$4'"
}
S_SELF_APPR=$(api approval "{\"environment\":\"staging\",\"commit\":\"$C2\",\"actor\":\"dave\",\"status\":\"approved\"}")
gldep 71 staging success dave "$C2" "$T/g1"
S_G71=$(gl "$T/g1" "Deployment Hook")
gldep 72 production success dave "$C2" "$T/g2"
S_G72=$(gl "$T/g2" "Deployment Hook")
# an approval for another digest in production: counts for nothing here
S_OTHER=$(api approval "{\"environment\":\"production\",\"artifact\":\"$D9\",\"actor\":\"erin\",\"status\":\"approved\"}")

# ---- search (CDEvents): late approval; rejection then deployment;
#      rollback; hotfix ----
cdev() { # FILE SERVICE ENV DIGEST OUT
	rw "$P/cdevents/v0.4.1/conformance/$1" "$5" "
d['subject']['id']='$2'
d['subject']['content']={'environment':{'id':'$3'},'artifactId':'pkg:oci/search@sha256%3A${4#sha256:}'}"
}
cdev service_deployed.json search production "$D2" "$T/c1"
S_LATE=$(signed cd cd-secret-e2e "$T/c1")
S_LATE_APPR=$(api approval "{\"environment\":\"production\",\"artifact\":\"$D2\",\"actor\":\"frank\",\"status\":\"approved\"}")
S_R_APPR=$(api approval "{\"environment\":\"production\",\"artifact\":\"$D3\",\"actor\":\"frank\",\"status\":\"approved\"}")
S_REJECT=$(api approval "{\"environment\":\"production\",\"artifact\":\"$D3\",\"actor\":\"grace\",\"status\":\"rejected\"}")
cdev service_upgraded.json search production "$D3" "$T/c2"
S_REJ_DEP=$(signed cd cd-secret-e2e "$T/c2")
rw "$P/cdevents/v0.4.1/conformance/service_rolledback.json" "$T/c3" "
d['subject']['id']='search'
d['subject']['content']={'environment':{'id':'production'}}"
S_ROLLBACK=$(signed cd cd-secret-e2e "$T/c3")
# the hotfix: approved by someone else, then deployed by the generic API
S_HF_APPR=$(api approval "{\"environment\":\"production\",\"commit\":\"$C3\",\"actor\":\"heidi\",\"status\":\"approve\"}")
S_HOTFIX=$(api deployment "{\"environment\":\"production\",\"service\":\"search\",\"commit\":\"$C3\",\"actor\":\"ivan\",\"status\":\"succeeded\",\"ticket\":\"INC-7\"}")
sleep 0.5	# a checkpoint covers everything

DAY=$(date -u +%Y-%m-%d)
j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$T/$1"; }
ans() { # NAME ARGS...: the answer from the data directory, as JSON
	local name=$1; shift
	"$LEDGERCTL" "$@" -d "$D/var" --json >"$T/$name" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
}
same_as_api() { # NAME PATH: the API's answer equals the CLI's
	curl -sS -o "$T/$1.api" -H "Authorization: Bearer $RTOK" "$URL$2"
	python3 -c "import json,sys; sys.exit(json.load(open('$T/$1'))!=json.load(open('$T/$1.api')))"
}

# ---- deployments: the auditor's population ----
ans deps deployments --env production --period "$DAY"
check "deployments: exit 0" test "$(cat "$T/deps.rc")" = 0
check "deployments: one row per deployment, its seq the status that decided it" \
    j deps "sys.exit([r['seq'] for r in d['deployments']] != [$S_D501, $S_D502, $S_G72, $S_LATE, $S_REJ_DEP, $S_HOTFIX])"
check "deployments: GitHub's two statuses of deployment 501 are one deployment, success" \
    j deps "r=d['deployments'][0]; sys.exit(r['entries']!=[$S_D501a, $S_D501] or r['status']!='success' or r['service']!='shop' or r['deployment']!='501')"
check "deployments: 501 approved by bob's deployment review, matched by run" \
    j deps "r=d['deployments'][0]; a=r['approvals']; sys.exit(not r['approved'] or [x['seq'] for x in a]!=[$S_APPROVE] or a[0]['rule']!='run' or a[0]['actor']!='bob' or r['exceptions']!=[])"
check "deployments: 502 failed (GitHub 'failure'), still approved" \
    j deps "r=d['deployments'][1]; sys.exit(r['status']!='failure' or not r['approved'])"
check "deployments: GitLab's billing in production: unapproved (the staging approval and another digest's count for nothing)" \
    j deps "r=d['deployments'][2]; sys.exit(r['service']!='billing' or r['approvals']!=[] or r['exceptions']!=['unapproved'])"
check "deployments: CDEvents search: a late approval, then a deployment after a rejection" \
    j deps "a,b=d['deployments'][3:5]; sys.exit(a['exceptions']!=['late-approval'] or b['exceptions']!=['rejected'] or [x['seq'] for x in b['approvals']]!=[$S_R_APPR, $S_REJECT])"
check "deployments: the rejected deployment was rolled back; the hotfix approved by heidi" \
    j deps "b,h=d['deployments'][4:6]; sys.exit(not b['rolled_back'] or not h['approved'] or h['status']!='success' or h['ticket']!='INC-7' or h['exceptions']!=[])"
check "deployments: completeness: count, the period's seqs, two checkpoints bracketing it, consistency" \
    j deps "c=d['completeness']; sys.exit(c['count']!=6 or c['first_seq']!=0 or c['last_seq']<$S_HOTFIX or c['checkpoint_before'] is not None or c['checkpoint_after']['size']<=c['last_seq'] or c['gaps']!=[])"
check "deployments: GET /v1/deployments is the same answer" \
    same_as_api deps "/v1/deployments?env=production&period=$DAY"
"$LEDGERCTL" deployments -d "$D/var" --env production --period "$DAY" --csv >"$T/deps.csv"
check "deployments --csv: RFC 4180, a header and six rows, fields as --json" \
    python3 -c "
import csv, json, sys
rows = list(csv.reader(open('$T/deps.csv', newline='')))
d = json.load(open('$T/deps'))['deployments']
ok = len(rows) == 7 and rows[0][:4] == ['seq', 'time', 'service', 'status'] and open('$T/deps.csv','rb').read().count(b'\r\n') == 7
ok = ok and all(r[0] == str(x['seq']) and r[2] == x.get('service', '') and r[3] == x['status'] and r[4] == x.get('deployer', '') for r, x in zip(rows[1:], d))
sys.exit(not ok)"
ans deps_st deployments --env staging --period "$DAY"
check "deployments in staging: billing's, self-approved by its deployer" \
    j deps_st "r=d['deployments']; sys.exit(len(r)!=1 or r[0]['seq']!=$S_G71 or r[0]['exceptions']!=['self-approved'])"

"$LEDGERCTL" deployments --url "$URL" --token "$RTOK" --env production \
    --period "$DAY" --json >"$T/deps-url"
check "deployments --url: the daemon's answer is the data directory's" \
    python3 -c "import json,sys; sys.exit(json.load(open('$T/deps'))!=json.load(open('$T/deps-url')))"

curl -sS -o "$T/page1" -H "Authorization: Bearer $RTOK" \
    "$URL/v1/deployments?env=production&period=$DAY&limit=4"
N1=$(python3 -c "import json; print(json.load(open('$T/page1')).get('next_after', -1))")
curl -sS -o "$T/page2" -H "Authorization: Bearer $RTOK" \
    "$URL/v1/deployments?env=production&period=$DAY&limit=4&after=$N1"
check "deployments in pages (limit=4, after=next_after): the same six rows" \
    python3 -c "
import json, sys
a, b, full = (json.load(open('$T/' + f)) for f in ('page1', 'page2', 'deps'))
rows = a['deployments'] + b['deployments']
sys.exit(not (len(a['deployments']) == 4 and a['truncated'] and not b['truncated'] and 'next_after' not in b and rows == full['deployments']))"
"$LEDGERCTL" timeline -d "$D/var" --period "$DAY" --env production --limit 3 --after "$S_D501" --json >"$T/tlpage"
check "timeline --limit 3 --after SEQ: three entries after it, the next named" \
    j tlpage "e=[x['seq'] for x in d['entries']]; sys.exit(len(e)!=3 or e[0]<=$S_D501 or d['next_after']!=e[-1] or not d['truncated'])"
check "GET /v1/deployments with limit=0: 400" \
    test "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $RTOK" "$URL/v1/deployments?env=production&period=$DAY&limit=0")" = 400

# ---- GET /v1/bundle: the population as evidence to take away ----
bget() { # NAME QUERY: the bundle (or the error) and its status
	curl -sS -D "$T/$1.h" -o "$T/$1" -w '%{http_code}' \
	    -H "Authorization: Bearer $RTOK" "$URL/v1/bundle?$2" >"$T/$1.code"
}
bseqs() { zcat "$T/$1" | python3 -c "import json,sys; print(' '.join(str(e['seq']) for e in json.load(sys.stdin)['entries']))"; }
bget pop "env=production&period=$DAY"
check "GET /v1/bundle?env&period: 200, gzip, its entry count said" \
    bash -c "[ \$(cat '$T/pop.code') = 200 ] && grep -qi '^content-type: application/gzip' '$T/pop.h' && grep -qi '^ledger-bundle-entries: [1-9]' '$T/pop.h'"
check "  ledgerctl verify --bundle: intact with the log's key alone" \
    "$LEDGERCTL" verify --bundle "$T/pop" --key "$D/var/ledger.pub"
check "  every deployment's entries and approvals, nothing else" \
    python3 -c "
import json, sys
d = json.load(open('$T/deps'))['deployments']
want = sorted({s for r in d for s in r['entries']} | {a['seq'] for r in d for a in r['approvals']})
sys.exit(' '.join(map(str, want)) != '$(bseqs pop)')"
"$LEDGERCTL" deployments -d "$D/var" --env production --period "$DAY" \
    --bundle "$T/pop-cli.gz" >/dev/null 2>&1
check "  the same bundle ledgerctl deployments --bundle writes" \
    bash -c "cmp <(zcat '$T/pop') <(zcat '$T/pop-cli.gz')"
bget rej "exception=rejected&period=$DAY"
check "GET /v1/bundle?exception=rejected: the deployment and its rejection" \
    bash -c "[ \$(cat '$T/rej.code') = 200 ] && echo ' $(bseqs rej) ' | grep -q ' $S_REJ_DEP ' && echo ' $(bseqs rej) ' | grep -q ' $S_REJECT '"
"$LEDGERCTL" exceptions rejected -d "$D/var" --period "$DAY" \
    --bundle "$T/rej-cli.gz" >/dev/null 2>&1
check "  as ledgerctl exceptions rejected --bundle writes it" \
    bash -c "cmp <(zcat '$T/rej') <(zcat '$T/rej-cli.gz')"
bget one "seq=$S_D501a,$S_D501&payloads=true"
check "GET /v1/bundle?seq=A,B&payloads=true: those two, with payloads, intact" \
    bash -c "[ '$(bseqs one)' = '$S_D501a $S_D501' ] && zcat '$T/one' | grep -q '\"payload\":\"' && '$LEDGERCTL' verify --bundle '$T/one' --key '$D/var/ledger.pub' >/dev/null"
check "  an exception report carries no bracketing checkpoints, and says so" \
    grep -qi '^ledger-bundle-older-checkpoints: 0' "$T/rej.h"
check "  a population's carries them: the header says how many" \
    grep -qi '^ledger-bundle-older-checkpoints: [12]' "$T/pop.h"
for x in "seq=1-x 400 not.a.seq" "seq=0-20000 400 more.than.10000" \
    "seq=1&env=production 400 population" "payloads=maybe&env=production&period=$DAY 400 true.or.false" \
    "payloads=true&payloads=false&env=production&period=$DAY 400 once" \
    "exception=nonsense&period=$DAY 400 ." "env=nowhere&period=$DAY 404 empty" \
    "env=production&period=2026Q9 400 ." "seq=999999 404 checkpoint" \
    "env=production&period=$DAY&limit=2 400 whole.population" \
    "env=production&period=$DAY&after=$S_D501 400 whole.population" \
    "env=production&period=$DAY&bogus=1 400 bogus"; do
	set -- $x
	bget bad "$1"
	check "GET /v1/bundle?$1: $2 with the reason" \
	    bash -c "[ \$(cat '$T/bad.code') = $2 ] && grep -q '\"message\":\"[^\"]*$3' '$T/bad'"
done
check "GET /v1/bundle without a token: 401" \
    test "$(curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/bundle?env=production&period=$DAY")" = 401
check "  and no bundle file is held open once the answers are sent" \
    bash -c "! ls -l /proc/$PID/fd | grep -q '\.bundle-.*(deleted)'"
"$LEDGERCTL" deployments -d "$D/var" --env production --period "$DAY" \
    --limit 2 --bundle "$T/page.gz" >/dev/null 2>"$T/page.err"
check "deployments --limit --bundle: refused (a page is not a population)" \
    bash -c "grep -q 'not a page' '$T/page.err' && [ ! -e '$T/page.gz' ]"

# ---- exceptions ----
for x in "unapproved $S_G72 $S_G72" "late-approval $S_LATE $S_LATE_APPR" \
    "rejected $S_REJ_DEP $S_REJECT" "self-approved $S_G71 $S_SELF_APPR"; do
	set -- $x
	ans "exc-$1" exceptions "$1" --period "$DAY"
	check "exceptions $1: the deployment $2 with evidence $3" \
	    j "exc-$1" "r=d['exceptions']; sys.exit(len(r)!=1 or r[0]['seq']!=$2 or $3 not in r[0]['evidence'])"
	check "exceptions $1: GET /v1/exceptions/$1 is the same" \
	    same_as_api "exc-$1" "/v1/exceptions/$1?period=$DAY"
done
ans exc-none exceptions unapproved --env staging --period "$DAY"
check "exceptions with none: exit 1" test "$(cat "$T/exc-none.rc")" = 1
"$LEDGERCTL" exceptions unapproved --env staging --period "$DAY" -d "$D/var" >"$T/exc-none.txt" 2>&1
check "... and the table says over how many" grep -q "^0 of 1 deployments judged are exceptions" "$T/exc-none.txt"
check "... over every deployment of the period: judged is the population's count" \
    python3 -c "import json; a=json.load(open('$T/exc-none')); b=json.load(open('$T/deps_st')); import sys; sys.exit(a['exceptions']!=[] or a['judged']!=b['completeness']['count'] or a['judged']!=1)"

# ---- actors ----
ans actors actors --env production --period "$DAY"
check "actors: deployers and approvers with counts" \
    j actors "a={x['actor']:x for x in d['actors']}; sys.exit(a['carol']['deployments']!=2 or a['bob']['approvals']!=1 or a['frank']['approvals']!=2 or a['dave']['deployments']!=1)"

check "actors: GET /v1/actors is the same" \
    same_as_api actors "/v1/actors?env=production&period=$DAY"

# ---- state and last good ----
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.999Z)
ans st state --env production --at "$NOW"
check "state now: shop 501, billing 72, search back to nothing known after the rollback... or the hotfix" \
    j st "s={x['service']:x['seq'] for x in d['state']}; sys.exit(s!={'shop':$S_D501,'billing':$S_G72,'search':$S_HOTFIX})"
check "state: GET /v1/state is the same" same_as_api st "/v1/state?env=production&at=$NOW"
T_REJ=$("$LEDGERCTL" show -d "$D/var" "$S_REJ_DEP" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['entry']['time'])")
ans state_then state --env production --service search --at "$T_REJ"
check "state at the rejected deployment: it ran (D3)" \
    j state_then "s=d['state']; sys.exit(len(s)!=1 or s[0]['seq']!=$S_REJ_DEP or s[0]['artifact']!='$D3')"
ans lg last-good --env production --service search
check "last-good search: the hotfix" j lg "sys.exit(d['seq']!=$S_HOTFIX or d['commit']!='$C3')"
ans lg_before last-good --env production --service search --before "$T_REJ"
check "last-good before it: none (the late-approved one was never approved before)" \
    test "$(cat "$T/lg_before.rc")" = 1
ans lg_shop last-good --env production --service shop
check "last-good shop: 501 (502 failed)" j lg_shop "sys.exit(d['seq']!=$S_D501)"
check "last-good: GET /v1/last-good is the same" \
    same_as_api lg_shop "/v1/last-good?env=production&service=shop"

# ---- the gate ----
cat >"$T/policy.json" <<EOF
{"environments":{"production":{"require":["build","scan","provenance"],
 "min_approvers":1,"approver_not_deployer":true,"no_failing_scan":true}},
 "default":{"require":["build"],"min_approvers":0}}
EOF
"$LEDGERCTL" gate -d "$D/var" --artifact "$D1" --env production --policy "$T/policy.json" --deployer carol --json >"$T/gate1"
check "gate D1 production: exit 0, allowed, the evidence cited" \
    bash -c "[ $? = 0 ] && python3 -c \"import json,sys; d=json.load(open('$T/gate1')); sys.exit(not d['allow'] or not set([$S_PROV, $S_SCAN]) <= set(d['evidence']))\""
"$LEDGERCTL" gate -d "$D/var" --artifact "$D1" --env production --policy "$T/policy.json" --deployer bob --json >"$T/gate2"
check "gate D1 deployed by its only approver: exit 1, the approval missing" \
    bash -c "[ $? = 1 ] && grep -q 'approvals: 0 of 1' '$T/gate2'"
"$LEDGERCTL" gate -d "$D/var" --artifact "$D2" --env production --policy "$T/policy.json" >"$T/gate3"
check "gate D2: exit 1 listing build, scan, provenance" \
    bash -c "[ $? = 1 ] && grep -q 'build: no successful build' '$T/gate3' && grep -q 'provenance' '$T/gate3'"
curl -sS -o "$T/gate-api" -H "Authorization: Bearer $RTOK" \
    "$URL/v1/gate?artifact=$D1&env=production&deployer=carol"
"$LEDGERCTL" gate -d "$D/var" --artifact "$D1" --env production --deployer carol --json >"$T/gate-cli"
check "gate: GET /v1/gate (read token) is the CLI's answer" \
    python3 -c "import json,sys; sys.exit(json.load(open('$T/gate-api'))!=json.load(open('$T/gate-cli')))"
"$LEDGERCTL" gate --url "$URL" --token "$RTOK" --artifact "$D1" --env production \
    --policy "$T/policy.json" --deployer bob --json >"$T/gate-url"
check "gate --url --policy: the policy travels, the same answer as -d (exit 1)" \
    bash -c "[ $? = 1 ] && python3 -c \"import json,sys; sys.exit(json.load(open('$T/gate-url'))!=json.load(open('$T/gate2')))\""
n1=$("$LEDGERCTL" events -d "$D/var" --json | wc -l)
curl -sS -o "$T/gate-w" -w '%{http_code}' -H "Authorization: Bearer $WTOK" \
    "$URL/v1/gate?artifact=$D1&env=production&deployer=carol" >"$T/code"
check "gate with a write token: 200, the decision recorded with its receipt" \
    python3 -c "import json,sys; d=json.load(open('$T/gate-w')); sys.exit(open('$T/code').read()!='200' or not d['allow'] or 'seq' not in d['recorded'])"
check "...as a ledger entry of event gate naming the digest, allowed" \
    bash -c "'$LEDGERCTL' events -d '$D/var' --kind ledger --artifact '$D1' --json | grep -q '\"event\":\"gate\".*\"status\":\"allowed\"' && [ \$('$LEDGERCTL' events -d '$D/var' --json | wc -l) = $((n1 + 1)) ]"

# ---- CSV: an entry's text never runs as a spreadsheet formula ----
st=$(post '{"kind":"deployment","subject":{"environment":"qa","service":"x","actor":"=HYPERLINK(\"http://evil.example\",\"ok\")","status":"success"}}')
"$LEDGERCTL" deployments -d "$D/var" --env qa --period "$DAY" --csv >"$T/qa.csv"
check "CSV: a deployer beginning with '=' is written after an apostrophe" \
    python3 -c "
import csv, sys
rows = list(csv.reader(open('$T/qa.csv', newline='')))
sys.exit(not (len(rows) == 2 and rows[1][4].startswith(\"'=HYPERLINK\")))"

# ---- bad input ----
ans bad1 deployments --env nowhere --period "$DAY"
check "an unknown environment: an empty answer, exit 1" \
    bash -c "[ $(cat "$T/bad1.rc") = 1 ] && grep -q '\"deployments\":\[\]' '$T/bad1'"
ans bad2 deployments --env production --period 2026-13
check "a malformed period: exit 2 with the reason" \
    bash -c "[ $(cat "$T/bad2.rc") = 2 ] && grep -q 'bad period' '$T/bad2.err'"
ans bad3 state --env production --at yesterday
check "a malformed time: exit 2" test "$(cat "$T/bad3.rc")" = 2
ans bad4 deployments --env production --period "$DAY" --from "$DAY"
check "a period and --from: exit 2" test "$(cat "$T/bad4.rc")" = 2
ans bad5 exceptions sloppy --period "$DAY"
check "an unknown exception: exit 2" test "$(cat "$T/bad5.rc")" = 2
ans bad6 last-good --env production
check "last-good without a service: exit 2" test "$(cat "$T/bad6.rc")" = 2
echo '{"min_aprovers":1}' >"$T/badpolicy"
"$LEDGERCTL" gate -d "$D/var" --artifact "$D1" --env production --policy "$T/badpolicy" >/dev/null 2>"$T/err"
check "a policy with a misspelt rule: exit 2 naming it" \
    bash -c "[ $? = 2 ] && grep -q min_aprovers '$T/err'"
code() { curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $RTOK" "$URL$1"; }
check "GET /v1/deployments without an environment: 400" \
    test "$(code "/v1/deployments?period=$DAY")" = 400
check "GET /v1/deployments with a malformed period: 400" \
    test "$(code "/v1/deployments?env=production&period=2026Q9")" = 400
check "GET /v1/state with an unknown parameter: 400" \
    test "$(code "/v1/state?env=production&color=red")" = 400
BIG=$(python3 -c "print('%7B%22pad%22%3A%22' + 'a' * 17000 + '%22%7D')")
check "GET /v1/gate with a policy over 16 KiB: 400" \
    test "$(code "/v1/gate?artifact=$D1&env=production&policy=$BIG")" = 400
check "GET /v1/gate with a malformed policy: 400 naming it" \
    bash -c "[ \"\$(curl -sS -o '$T/body' -w '%{http_code}' -H 'Authorization: Bearer $RTOK' '$URL/v1/gate?artifact=$D1&env=production&policy=%7B%22min_aprovers%22%3A1%7D')\" = 400 ] && grep -q min_aprovers '$T/body'"
check "GET /v1/exceptions/sloppy: 404" \
    test "$(code "/v1/exceptions/sloppy?period=$DAY")" = 404
check "GET /v1/deployments without a token: 401" \
    test "$(curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/deployments?env=production&period=$DAY")" = 401
check "the log verifies" verify "$D"

summary
