#!/bin/bash
# e2e-reports.sh - reports a pipeline step uploads, through the real
# daemon: every sample of ../shared/payloads/scans and the report-shaped
# ones of iac/ recorded with `ledgerctl record --url` and posted again to
# POST /v1/reports (the same bytes: the first receipt), each entry's
# subject checked; every way of getting an upload wrong refused with the
# log unchanged; the gate reading the counts; a summary edited behind the
# daemon's back found by verify at its seq.
set -u
. "$(dirname "$0")/e2e-lib.sh"
P=${LEDGER_PAYLOADS:-$(dirname "$0")/../../shared/payloads}
[ -d "$P/scans" ] || { echo "payloads not found"; exit 77; }

D=$T/reports
start "$D" '"max_body_bytes":262144'

# field SEQ NAME: the subject member (or source.event as "event") of SEQ
field() {
	"$LEDGERCTL" show -d "$D/var" --json "$1" | python3 -c '
import json, sys
e = json.load(sys.stdin)["entry"]
n = sys.argv[1]
print(e["source"].get("event") if n == "event" else e["kind"] if n == "kind"
      else e["payload"]["type"] if n == "type" else e["subject"].get(n, "-"))' "$2"
}
count() { "$LEDGERCTL" events -d "$D/var" --json | wc -l; }
# upload FILE [QUERY] [curl args]: POST /v1/reports; status, body in $T/body
upload() {
	local f=$1 q=${2:-}; shift 2 2>/dev/null || shift 1
	curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/reports$q" \
	    -H "${AUTH:-Authorization: Bearer $WTOK}" \
	    -H "${CT:-Content-Type: application/json}" -H 'Expect:' \
	    --data-binary @"$f" "$@"
}
seq_of() { grep -o '"seq":[0-9]*' "$1" | head -1 | cut -d: -f2; }

# file | class | format | kind | tool | summary | status
while IFS='|' read -r f class fmt kind tool sum status; do
	[ -n "$f" ] || continue
	"$LEDGERCTL" record "$class" --url "$URL" --token "$WTOK" --json \
	    --file "$P/$f" --env staging --pipeline ci --run 77 \
	    > "$T/rec" 2> "$T/err"
	s=$(seq_of "$T/rec")
	if [ -z "$s" ]; then
		bad "record $class $f: $(cat "$T/err")"
		continue
	fi
	got="$(field "$s" event)|$(field "$s" kind)|$(field "$s" tool)|$(field "$s" summary)|$(field "$s" status)|$(field "$s" environment)"
	check "record $class $(basename "$f"): $got" \
	    test "$got" = "$fmt|$kind|$tool|$sum|$status|staging"
	# the same bytes and subject posted again: the first receipt
	st=$(upload "$P/$f" "?environment=staging&pipeline=ci&run=77")
	check "... posted again to /v1/reports: 200, seq $s" \
	    bash -c "[ $st = 200 ] && [ \"\$(grep -o '\"seq\":[0-9]*' '$T/body')\" = '\"seq\":$s' ] && grep -q '\"duplicate\":true' '$T/body'"
done <<'LIST'
scans/sarif/trivy.alpine-310.sarif|scan|sarif|scan|Trivy|critical=0,high=0,medium=4,low=0,unknown=0,fail_on=high|pass
scans/sarif/semgrep.results.sarif|scan|sarif|scan|Semgrep OSS|critical=0,high=1,medium=0,low=0,unknown=0,fail_on=high|fail
scans/sarif/codeql-cli-and-lgtm.valid-sarif.sarif|scan|sarif|scan|LGTM.com|critical=0,high=0,medium=0,low=3,unknown=0,fail_on=high|pass
scans/sarif/eslint.simple-example.sarif|scan|sarif|scan|ESLint|critical=0,high=1,medium=0,low=0,unknown=0,fail_on=high|fail
scans/sarif/dockle-0.3.15.sarif|scan|sarif|scan|Dockle|critical=0,high=1,medium=0,low=3,unknown=0,fail_on=high|fail
scans/zap/traditional-json.zap-2.7.0.zero.webappsecurity.json|scan|zap|scan|ZAP|critical=0,high=5,medium=3,low=3,unknown=0,fail_on=high|fail
scans/zap/traditional-json.reports-addon-test-expected.json|scan|zap|scan|ZAP|critical=0,high=1,medium=0,low=0,unknown=0,fail_on=high|fail
scans/inspec/reporter-json.json|scan|inspec|scan|InSpec|critical=0,high=0,medium=1,low=0,unknown=0,fail_on=high|pass
scans/inspec/reporter-json-min.json|scan|inspec-min|scan|InSpec|critical=0,high=0,medium=0,low=0,unknown=1,fail_on=high|pass
scans/trivy/image.alpine-310.json|scan|trivy|scan|Trivy|critical=0,high=0,medium=4,low=0,unknown=0,fail_on=high|pass
scans/trivy/image.alpine-latest.docs-example.json|scan|trivy|scan|Trivy|critical=0,high=0,medium=0,low=2,unknown=0,fail_on=high|pass
scans/grype/image.TestJsonImgsPresenter.json|scan|grype|scan|grype|critical=1,high=0,medium=0,low=1,unknown=0,fail_on=high|fail
scans/osv-scanner/some_findings.json|scan|osv-scanner|scan|osv-scanner|critical=0,high=0,medium=0,low=0,unknown=1,fail_on=high|pass
scans/npm-audit/audit-report-v2.many_vulns.json|scan|npm-audit|scan|npm audit|critical=0,high=0,medium=4,low=2,unknown=0,fail_on=high|pass
scans/npm-audit/audit-report-v2.one_vuln.json|scan|npm-audit|scan|npm audit|critical=0,high=1,medium=0,low=0,unknown=0,fail_on=high|fail
scans/sbom/cyclonedx-1.5.trivy.centos-7.json|sbom|cyclonedx|artifact|trivy|critical=0,high=0,medium=0,low=0,unknown=0,components=3,fail_on=high|pass
scans/sbom/spdx-2.x.trivy.centos-7.json|sbom|spdx|artifact|trivy|critical=0,high=0,medium=0,low=0,unknown=0,components=4,fail_on=high|pass
scans/sbom/cyclonedx-in-dsse.cosign-attestation.centos-7.intoto.jsonl|sbom|in-toto|artifact|trivy|critical=0,high=0,medium=0,low=0,unknown=0,components=3,fail_on=high|pass
iac/terraform-show-json/opentofu-provider.tf-1.8.1.arbitrary_name.plan.json|plan|terraform-plan|change|Terraform|add=1,change=0,destroy=0|planned
iac/terraform-show-json/terraform-1.14.2.module_call.plan.json|plan|terraform-plan|change|Terraform|add=1,change=0,destroy=0|planned
iac/terraform-show-json/terraform-test-expected.basic-update.plan.json|plan|terraform-plan|change|Terraform|add=0,change=0,destroy=0|planned
iac/ansible/ansible.posix.json.cowsay-check.installed.json|run|ansible|change|Ansible|changed=0,failed=0,ok=2,unreachable=0|success
iac/ansible/ansible.posix.json.cowsay-check.not-installed.json|run|ansible|change|Ansible|changed=1,failed=0,ok=2,unreachable=0|success
LIST
# every sample file of scans/ is in the list above (but the schema, below)
for f in "$P"/scans/*/*; do
	case $f in *SOURCES.md|*sarif-schema-2.1.0.json) continue ;; esac
	grep -q "^${f#$P/}|" "$0" || bad "sample $f is not tested"
done

# the reports of one tool, through the API
"$LEDGERCTL" events --url "$URL" --token "$RTOK" --tool Trivy --json > "$T/tool"
check "events --tool Trivy through ledgerd: the three Trivy reports" \
    test "$(wc -l < "$T/tool")/$(grep -c '"tool":"Trivy"' "$T/tool")" = "3/3"

# the report is the payload, byte for byte
s=$(seq_of "$T/body")
"$LEDGERCTL" show -d "$D/var" --payload "$s" > "$T/payload" 2>/dev/null
check "the payload is the report byte for byte" \
    cmp -s "$T/payload" "$P/iac/ansible/ansible.posix.json.cowsay-check.not-installed.json"

# the answer says what was recorded; --exit-code fails the step on a
# failing verdict, recorded all the same
st=$(upload "$P/scans/npm-audit/audit-report-v2.one_vuln.json" "?environment=qa")
check "POST /v1/reports answers the receipt with format, tool, summary, status" \
    bash -c "[ $st = 201 ] && grep -q '\"format\":\"npm-audit\"' '$T/body' && grep -q '\"status\":\"fail\"' '$T/body' && grep -q '\"summary\":\"critical=0,high=1,' '$T/body' && grep -q '\"leaf_hash\"' '$T/body'"
n0=$(count)
"$LEDGERCTL" record scan --url "$URL" --token "$WTOK" --exit-code \
    --file "$P/scans/sarif/eslint.simple-example.sarif" --env qa > "$T/out"; rc=$?
check "record --exit-code of a failing scan: exit 1, recorded, verdict shown" \
    bash -c "[ $rc = 1 ] && [ $(count) = $((n0 + 1)) ] && grep -q '^verdict: *fail' '$T/out'"
"$LEDGERCTL" record scan --url "$URL" --token "$WTOK" --exit-code \
    --file "$P/scans/sarif/eslint.simple-example.sarif" --env qa --fail-on critical > /dev/null; rc=$?
check "... and exit 0 when the threshold lets it pass" test "$rc" = 0
"$LEDGERCTL" record scan --url "$URL" --token "$WTOK" \
    --file "$P/scans/sarif/eslint.simple-example.sarif" --env qa2 > /dev/null; rc=$?
check "... without --exit-code a failing scan recorded is exit 0" test "$rc" = 0
# a retry is answered with what the log holds, not what the retry says
G=$P/scans/grype/image.TestJsonImgsPresenter.json
"$LEDGERCTL" record scan --url "$URL" --token "$WTOK" --exit-code \
    --delivery grype-7 --fail-on critical --file "$G" > "$T/r1"; rc1=$?
"$LEDGERCTL" record scan --url "$URL" --token "$WTOK" --exit-code \
    --delivery grype-7 --fail-on none --file "$G" > "$T/r2"; rc2=$?
check "a retry with another threshold: the first seq and verdict, exit 1" \
    bash -c "[ $rc1/$rc2 = 1/1 ] && [ \"\$(grep ^seq '$T/r1' | awk '{print \$2}')\" = \"\$(grep ^seq '$T/r2' | awk '{print \$2}')\" ] && grep -q '^verdict: *fail' '$T/r2'"
"$LEDGERCTL" record scan -d "$D/var" --exit-code --delivery grype-8 \
    --fail-on critical --file "$G" > /dev/null; rc1=$?
"$LEDGERCTL" record scan -d "$D/var" --exit-code --delivery grype-8 \
    --fail-on none --file "$G" > "$T/r3"; rc2=$?
check "... and the same with -d: exit 1, verdict fail, already in the log" \
    bash -c "[ $rc1/$rc2 = 1/1 ] && grep -q 'already in the log' '$T/r3' && grep -q '^verdict: *fail' '$T/r3'"

# ---- refusals: each a clear error, the log unchanged ----
n0=$(count)
S=$P/scans/sarif/sarif-schema-2.1.0.json
st=$(upload "$S" "?class=scan")
check "the SARIF schema is no SARIF log: 400 asking for kind" \
    bash -c "[ $st = 400 ] && grep -q 'say its kind' '$T/body'"
st=$(upload "$P/iac/puppet/http_report.docs-example.ruby-hash-not-json.txt" "?kind=change")
check "Puppet's Ruby-hash 'JSON': 400 with the parser's position" \
    bash -c "[ $st = 400 ] && grep -q 'line [0-9]*, column' '$T/body'"
printf '{"bomFormat":"CycloneDX","bomFormat":"x"}' > "$T/dup.json"
st=$(upload "$T/dup.json" "")
check "duplicate keys: 400" bash -c "[ $st = 400 ] && grep -q duplicate '$T/body'"
: > "$T/empty.json"
st=$(upload "$T/empty.json" "?class=scan")
check "an empty body: 400 saying so" bash -c "[ $st = 400 ] && grep -q 'empty input' '$T/body'"
st=$(upload "$P/scans/trivy/image.alpine-310.json" "?class=sbom")
check "a scan sent as an SBOM: 400 naming its class" \
    bash -c "[ $st = 400 ] && grep -q 'record it as scan' '$T/body'"
st=$(upload "$P/scans/trivy/image.alpine-310.json" "?artefact=sha256:00")
check "a misspelt parameter: 400" \
    bash -c "[ $st = 400 ] && grep -q \"unknown parameter 'artefact'\" '$T/body'"
st=$(upload "$P/scans/trivy/image.alpine-310.json" "?fail_on=severe")
check "a bad threshold: 400" test "$st" = 400
st=$(upload "$P/scans/trivy/image.alpine-310.json" "?artifact=sha256:aa%0Abb")
check "a caller's artifact with a line break: 400 naming it" \
    bash -c "[ $st = 400 ] && grep -q artifact '$T/body'"
st=$(CT='Content-Type: application/x-www-form-urlencoded' upload "$P/scans/trivy/image.alpine-310.json" "")
check "a form-encoded upload (curl -d): 415" test "$st" = 415
st=$(CT='Content-Type: text/html' upload "$P/scans/trivy/image.alpine-310.json" "")
check "text/html without a kind: 415" test "$st" = 415
st=$(AUTH='X-None: 1' upload "$P/scans/trivy/image.alpine-310.json" "")
check "no token: 401" test "$st" = 401
st=$(AUTH="Authorization: Bearer $RTOK" upload "$P/scans/trivy/image.alpine-310.json" "")
check "a read token: 403" test "$st" = 403
head -c 300000 /dev/zero | tr '\0' ' ' > "$T/big.json"
st=$(upload "$T/big.json" "")
check "over max_body_bytes: 413" test "$st" = 413
check "the log is unchanged by every refusal" test "$(count)" = "$n0"
"$LEDGERCTL" record sbom --url "$URL" --token "$WTOK" \
    --file "$P/scans/trivy/image.alpine-310.json" > /dev/null 2> "$T/err"
check "ledgerctl record sbom of a scan says so" \
    grep -q "record it as scan" "$T/err"

"$LEDGERCTL" record scan -d "$D/var" --url "$URL" --token "$WTOK" \
    --file "$P/scans/trivy/image.alpine-310.json" > /dev/null 2> "$T/err"; rc=$?
check "record with both -d and --url: refused, which log?" \
    bash -c "[ $rc = 2 ] && grep -q 'not both' '$T/err'"
"$LEDGERCTL" record scan --url "$URL" --token "$WTOK" \
    --file "$P/scans/trivy/image.alpine-310.json" \
    --pipeline "$(head -c 5000 /dev/zero | tr '\0' p)" \
    --run "$(head -c 5000 /dev/zero | tr '\0' r)" > /dev/null 2> "$T/err"; rc=$?
check "record with options too long for a URL: a clear error, no crash" \
    bash -c "[ $rc = 2 ] && grep -q 'too long' '$T/err'"
check "the log is unchanged by those" test "$(count)" = "$n0"

# ---- recorded as it is when the caller says what it is ----
st=$(upload "$S" "?kind=scan&artifact=sha256:$(printf a%.0s $(seq 64))")
s=$(seq_of "$T/body")
check "the schema with kind=scan: 201, status unknown, format unknown" \
    test "$st|$(field "$s" status)|$(field "$s" event)" = "201|unknown|unknown"
st=$(CT='Content-Type: text/html' upload "$P/scans/zap/traditional-json.reports-addon-test-expected.json" "?kind=scan")
s=$(seq_of "$T/body")
check "text/html with kind=scan: 201, kept as text/html" \
    test "$st|$(field "$s" type)" = "201|text/html"
"$LEDGERCTL" record scan --url "$URL" --token "$WTOK" --json \
    --file "$P/scans/trivy/image.alpine-310.json" --env dast \
    --target-url https://pay.staging.example/ --deployment d-77 > "$T/rec"
s=$(seq_of "$T/rec")
check "--target-url and --deployment set the subject's url and deployment" \
    test "$(field "$s" url)|$(field "$s" deployment)" = "https://pay.staging.example/|d-77"
# an Idempotency-Key records once
for i in 1 2; do
	st=$(upload "$P/scans/trivy/image.alpine-latest.docs-example.json" "?environment=prod" -H 'Idempotency-Key: scan-run-5')
	echo "$st $(seq_of "$T/body")" >> "$T/idem"
done
check "an Idempotency-Key redelivered: 201 then 200, one seq" \
    bash -c "[ \"\$(cut -d' ' -f1 '$T/idem' | tr '\n' ' ')\" = '201 200 ' ] && [ \"\$(cut -d' ' -f2 '$T/idem' | sort -u | wc -l)\" = 1 ]"

# ---- the gate reads the counts ----
IMG=sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a
printf '{"max_findings":{"critical":0,"high":0}}' > "$T/policy.json"
"$LEDGERCTL" gate -d "$D/var" --artifact "$IMG" --env prod \
    --policy "$T/policy.json" --json > "$T/gate"; rc=$?
check "gate max_findings: the Trivy scan of the digest has no high: allowed" \
    bash -c "[ $rc = 0 ] && grep -q '\"allow\":true' '$T/gate'"
# a generic event carrying a summary is no report: it counts for nothing
st=$(post '{"kind":"scan","subject":{"artifact":"'"$IMG"'","tool":"grype","summary":"critical=9,high=9,medium=0,low=0,unknown=0","status":"fail"}}')
check "a generic scan event carrying a summary is recorded (201)" test "$st" = 201
"$LEDGERCTL" gate -d "$D/var" --artifact "$IMG" --env prod \
    --policy "$T/policy.json" --json > "$T/gate"; rc=$?
check "... a generic event with a summary does not count as a scan" \
    bash -c "[ $rc = 0 ] && grep -q '\"allow\":true' '$T/gate'"
"$LEDGERCTL" record scan -d "$D/var" --json --artifact "$IMG" \
    --file "$P/scans/grype/image.TestJsonImgsPresenter.json" > "$T/grype"
GRYPE=$(seq_of "$T/grype")
"$LEDGERCTL" gate -d "$D/var" --artifact "$IMG" --env prod \
    --policy "$T/policy.json" --json > "$T/gate"; rc=$?
check "... a Grype scan with a critical finding: denied, naming it" \
    bash -c "[ $rc = 1 ] && grep -q 'the grype scan at seq [0-9]* found 1 critical' '$T/gate'"
# evidence for the digest leaves the building: a bundle by --artifact
"$LEDGERCTL" bundle -d "$D/var" --key "$D/var/ledger.pub" --artifact "$IMG" \
    -o "$T/img.bundle" > /dev/null 2> "$T/err"
check "bundle --artifact takes the digest's entries (was read as --no-pin)" \
    "$LEDGERCTL" verify --bundle "$T/img.bundle" --key "$D/var/ledger.pub"
check "verify passes after all of it" "$LEDGERCTL" verify -d "$D/var" --no-pin
stop "$PID"

# ---- a summary edited behind the library's back: verify names its seq ----
# (the Grype scan's critical finding made to disappear)
sqlite3 "$D/var/ledger.db" "DROP TRIGGER IF EXISTS entries_no_update;
    UPDATE entries SET summary =
    'critical=0,high=0,medium=0,low=0,unknown=0,fail_on=high' WHERE seq = $GRYPE"
"$LEDGERCTL" verify -d "$D/var" --no-pin --json > "$T/v" 2>&1
check "an edited summary column: verify reports the Grype scan's seq ($GRYPE)" \
    grep -q "\"first_bad_seq\":$GRYPE," "$T/v"
summary
