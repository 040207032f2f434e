#!/bin/bash
# e2e-sources.sh - every stored sample of ../shared/payloads/registries and
# ../shared/payloads/iac posted through the real daemon to a source of its
# type, authenticated the way its sender authenticates (signatures
# computed here with openssl), with the status and the kind each must
# give; each redelivered (the first receipt) and forged (401); the samples
# that are invalid upstream refused with 400 and nothing written; the log
# verified.
# (The report-shaped samples -- terraform show -json, Ansible -- go
# through POST /v1/reports in e2e-reports.sh too.)
set -u
. "$(dirname "$0")/e2e-lib.sh"
P=${LEDGER_PAYLOADS:-$(dirname "$0")/../../shared/payloads}
[ -d "$P/registries" ] || { echo "payloads not found"; exit 77; }

D=$T/sources
mkdir -p "$D"
printf 'samples-secret' > "$D/s.secret"
printf 'samples-token' > "$D/s.token"
chmod 600 "$D/s.secret" "$D/s.token"
start "$D" '"sources":[
 {"name":"dist","type":"distribution","token_file":"s.token"},
 {"name":"gh","type":"github","secret_file":"s.secret"},
 {"name":"harbor","type":"harbor","token_file":"s.token"},
 {"name":"jfrog","type":"artifactory","token_file":"s.token"},
 {"name":"nexus","type":"nexus","secret_file":"s.secret"},
 {"name":"flux","type":"flux","secret_file":"s.secret"},
 {"name":"tfc","type":"terraform-cloud","secret_file":"s.secret"},
 {"name":"chef","type":"chef","token_file":"s.token"},
 {"name":"puppet","type":"puppet","token_file":"s.token"},
 {"name":"ansible","type":"ansible","token_file":"s.token"}]'

count() { "$LEDGERCTL" events -d "$D/var" --json | wc -l; }
hex() { openssl dgst "-$1" -hmac samples-secret < "$2" | awk '{print $NF}'; }

# deliver SOURCE FILE CONTENT-TYPE [FORGE]: the sender's own
# authentication for the source's type; FORGE=1 signs another body
deliver() {
	local src=$1 f=$2 ct=$3 forge=${4:-} body=$T/body.in
	cp "$f" "$body"
	case $f in *.http) sed '1,/^\r*$/d' "$f" > "$body" ;; esac
	cp "$body" "$T/signed.in"
	[ -n "$forge" ] && printf ' ' >> "$T/signed.in"
	local h=()
	case $src in
	gh) h=(-H "X-GitHub-Event: registry_package" -H "X-GitHub-Delivery: $RANDOM$RANDOM"
	       -H "X-Hub-Signature-256: sha256=$(hex sha256 "$T/signed.in")") ;;
	nexus) h=(-H "X-Nexus-Webhook-Id: rm:repository:asset"
	       -H "X-Nexus-Webhook-Signature: $(hex sha1 "$T/signed.in")") ;;
	flux) h=(-H "X-Signature: sha256=$(hex sha256 "$T/signed.in")") ;;
	tfc) h=(-H "X-TFE-Notification-Signature: $(hex sha512 "$T/signed.in")") ;;
	jfrog) h=(-H "X-JFrog-Event-Auth: samples-token${forge:+x}") ;;
	chef) h=(-H "x-data-collector-token: samples-token${forge:+x}") ;;
	*) h=(-H "Authorization: Bearer samples-token${forge:+x}") ;;
	esac
	curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL/v1/hooks/$src" \
	    -H "Content-Type: $ct" -H 'Expect:' "${h[@]}" --data-binary @"$body"
}

J=application/json
DT=application/vnd.docker.distribution.events.v2+json
CE=application/cloudevents+json
# file | source | content type | status | kind of the last entry (- none)
while IFS='|' read -r f src ct want kind; do
	[ -n "$f" ] || continue
	n0=$(count)
	st=$(deliver "$src" "$P/$f" "$(eval echo "$ct")")
	last=$("$LEDGERCTL" events -d "$D/var" --json | tail -1 |
	    grep -o '"kind":"[a-z]*"' | head -1 | cut -d'"' -f4)
	n1=$(count)
	if [ "$want" = 400 ]; then
		check "$f -> 400, nothing written" test "$st/$n1" = "400/$n0"
	else
		check "$f -> $want, kind $kind ($st/$last/$((n1 - n0)))" \
		    test "$st/$last/$((n1 > n0))" = "$want/$kind/1"
		# the same delivery again (a retry): the first receipt
		first=$(grep -o '"seq":[0-9]*' "$T/body" | tail -1)
		st=$(deliver "$src" "$P/$f" "$(eval echo "$ct")")
		check "... redelivered -> 200, the first receipt ($first), nothing new" \
		    bash -c "[ $st = 200 ] && grep -q '\"duplicate\":true' '$T/body' && grep -q '$first' '$T/body' && [ $(count) = $n1 ]"
		# the same delivery forged: refused, nothing written
		st=$(deliver "$src" "$P/$f" "$(eval echo "$ct")" 1)
		check "... forged for $src -> 401" test "$st/$(count)" = "401/$n1"
	fi
done <<'LIST'
registries/distribution/envelope.push-3-events.docs-example.http|dist|$DT|201|artifact
registries/distribution/envelope.pull.docs-example.json|dist|$DT|201|other
registries/github-packages/registry_package.published.docker.payload.json|gh|$J|201|artifact
registries/harbor/PUSH_ARTIFACT.default.docs-example.json|harbor|$J|201|artifact
registries/harbor/SCANNING_COMPLETED.default.docs-example.json|harbor|$J|201|scan
registries/harbor/SCANNING_FAILED.default.docs-example.json|harbor|$J|201|scan
registries/harbor/SCANNING_COMPLETED.cloudevents.docs-example.json|harbor|$CE|201|scan
registries/harbor/PUSH_ARTIFACT.cloudevents.docs-example.with-comments.jsonc|harbor|$CE|400|-
registries/harbor/PULL_ARTIFACT.cloudevents.docs-example.missing-comma.invalid.json|harbor|$CE|400|-
registries/jfrog/artifact.deployed.docs-example.json|jfrog|$J|201|artifact
registries/jfrog/artifact.deleted.docs-example.json|jfrog|$J|201|other
registries/jfrog/build.uploaded.docs-example.indent-lost.json|jfrog|$J|201|build
registries/jfrog/docker.pushed.docs-example.whitespace-collapsed.json|jfrog|$J|201|artifact
registries/nexus/rm-repository-asset.CREATED.docs-example.json|nexus|$J|201|artifact
iac/flux/generic-webhook.event.providers-doc.json|flux|$J|201|deployment
iac/terraform-cloud/run.errored.docs-sample.json|tfc|$J|201|change
iac/terraform-cloud/workspace.auto_destroy_results.docs-sample.json|tfc|$J|201|change
iac/terraform-cloud/verification.send-a-test.docs-sample.trailing-comma.invalid.json|tfc|$J|400|-
iac/chef/data-collector.run_converge.success.json|chef|$J|201|change
iac/chef/data-collector.run_start.json|chef|$J|201|change
iac/chef/chef-server-action.node.delete.json|chef|$J|201|change
iac/chef/chef-server-action.user.create.json|chef|$J|201|change
iac/puppet/puppetdb-store-report.puppetdb1.vm.json|puppet|$J|201|change
iac/puppet/http_report.docs-example.ruby-hash-not-json.txt|puppet|$J|400|-
iac/ansible/ansible.posix.json.cowsay-check.installed.json|ansible|$J|201|change
iac/ansible/ansible.posix.json.cowsay-check.not-installed.json|ansible|$J|201|change
LIST
# every sample is in the list, but headers, a plan and what is not a body
for f in "$P"/registries/*/* "$P"/iac/*/*; do
	case $f in */SOURCES.md|*headers*.txt|*/terraform-show-json/*) continue ;; esac
	grep -q "^${f#$P/}|" "$0" || bad "sample ${f#$P/} is not posted"
done
check "verify passes after every sample" "$LEDGERCTL" verify -d "$D/var" --no-pin
summary
