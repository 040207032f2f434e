#!/bin/sh
# seed.sh - build the seed corpora of fuzz-hook and fuzz-cloudevents from
# the stored deliveries in ../shared/payloads (or $LEDGER_PAYLOADS).
#
#	fuzz/seed.sh [OUTDIR]      default: build-fuzz/corpus (git-ignored)
#
# Writes OUTDIR/hook/ and OUTDIR/cloudevents/, one file per seed, in the
# input formats described at the top of fuzz-hook.c and fuzz-cloudevents.c.
# Needs python3 (for wrapping CDEvents in CloudEvents envelopes).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
payloads=${LEDGER_PAYLOADS:-$here/../../shared/payloads}
out=${1:-$here/../build-fuzz/corpus}
[ -d "$payloads" ] || { echo "seed.sh: no payloads in $payloads" >&2; exit 1; }
mkdir -p "$out/hook" "$out/cloudevents" "$out/jcs" "$out/config" \
    "$out/report" "$out/tlogproof" "$out/bundle" "$out/upload"

python3 - "$payloads" "$out" <<'EOF'
import hashlib, json, os, sys

payloads, out = sys.argv[1], sys.argv[2]
hook, ce = os.path.join(out, "hook"), os.path.join(out, "cloudevents")

def put(d, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def hook_seed(t, line, body):
    put(hook, bytes([t]) + line.encode() + b"\n" + body)
    put(hook, bytes([t | 0x80]) + line.encode() + b"\n" + body)

def ce_seed(headers, body):
    head = "".join("%s: %s\n" % h for h in headers)
    put(ce, head.encode() + b"\n" + body)

gitlab_events = {"build": "Job Hook", "deployment": "Deployment Hook",
                 "merge_request": "Merge Request Hook",
                 "pipeline": "Pipeline Hook", "push": "Push Hook",
                 "release": "Release Hook", "tag_push": "Tag Push Hook"}
batch = []
for root, dirs, files in os.walk(payloads):
    dirs.sort()
    for f in sorted(files):
        path = os.path.join(root, f)
        rel = os.path.relpath(path, payloads)
        with open(path, "rb") as fh:
            raw = fh.read()
        if rel.endswith(".http"):
            # the binding's own (broken) example: headers, blank, body
            put(ce, raw.replace(b"\r\n", b"\n"))
            continue
        if not (rel.endswith(".json") or rel.endswith(".jsonc")):
            continue
        top = rel.split(os.sep)[0]
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        if top == "registries" and "distribution" in rel:
            if rel.endswith(".http"):
                raw = raw.split(b"\n\n", 1)[1]
            hook_seed(4, "application/vnd.docker.distribution.events.v2+json",
                      raw)
        elif top == "registries" and "harbor" in rel:
            hook_seed(5, "application/cloudevents+json" if "cloudevents"
                      in rel else "application/json", raw)
        elif top == "registries" and "nexus" in rel:
            if rel.endswith(".json"):
                hook_seed(6, "rm:repository:asset", raw)
        elif top == "registries" and "jfrog" in rel:
            hook_seed(7, "application/json", raw)
        elif top == "iac" and "/flux/" in "/" + rel and rel.endswith(".json"):
            hook_seed(8, "application/json", raw)
        elif top == "iac" and "terraform-cloud" in rel:
            hook_seed(9, "application/json", raw)
        elif top == "iac" and "/chef/" in "/" + rel:
            hook_seed(10, "application/json", raw)
        elif top == "iac" and "/puppet/" in "/" + rel:
            hook_seed(11, "application/json", raw)
        elif top == "iac" and "/ansible/" in "/" + rel:
            hook_seed(13, "application/json", raw)
        elif top == "github":
            hook_seed(0, rel.split(os.sep)[1], raw)
        elif top == "gitlab":
            kind = doc.get("object_kind") if isinstance(doc, dict) else None
            hook_seed(1, gitlab_events.get(kind, "System Hook"), raw)
        elif isinstance(doc, dict) and isinstance(doc.get("context"), dict):
            ctx = doc["context"]
            hook_seed(2, "application/json", raw)
            ce_seed([("Content-Type", "application/json"),
                     ("ce-specversion", "1.0"),
                     ("ce-id", str(ctx.get("id", ""))),
                     ("ce-source", str(ctx.get("source", ""))),
                     ("ce-type", str(ctx.get("type", "")))], raw)
            env = {"specversion": "1.0", "id": ctx.get("id"),
                   "source": ctx.get("source"), "type": ctx.get("type"),
                   "datacontenttype": "application/json", "data": doc}
            body = json.dumps(env, separators=(",", ":")).encode()
            ce_seed([("Content-Type", "application/cloudevents+json")], body)
            hook_seed(2, "application/cloudevents+json", body)
            if len(batch) < 5:
                batch.append(env)
        elif top == "others" and "jenkins/cdevents" in rel:
            hook_seed(2, "application/cloudevents+json", raw)
            ce_seed([("Content-Type", "application/cloudevents+json")], raw)
        elif top == "others" and "tekton" in rel:
            hdrs = [("Content-Type", "application/json")]
            with open(os.path.join(root, "taskrun.unknown.docs-example."
                                   "headers.txt")) as fh:
                for line in fh:
                    if line.lower().startswith("ce-"):
                        k, v = line.rstrip("\n").split(": ", 1)
                        hdrs.append((k, v))
            ce_seed(hdrs, raw)
        else:
            hook_seed(3, "repo:push", raw)
# Argo CD: an Application as {{toJson .app}} renders it (no stored
# sample: its bodies are templates), and the docs' syncResult
sha = "731f7eaddfb6af01cb2173e18f0f75b0ba780ef1"
app = {"metadata": {"name": "guestbook", "labels": {"environment": "prod"}},
       "spec": {"project": "default", "destination": {"namespace": "prod"}},
       "status": {"sync": {"revision": sha}, "operationState": {
           "phase": "Succeeded", "startedAt": "2026-12-03T02:47:00Z",
           "operation": {"initiatedBy": {"username": "alice"}},
           "syncResult": {"revision": sha, "resources": []}}}}
hook_seed(12, "application/json", json.dumps(app).encode())
hook_seed(12, "application/json", json.dumps(
    {"revision": sha, "resources": [], "source": {"path": "guestbook"}}).encode())
body = json.dumps(batch, separators=(",", ":")).encode()
ce_seed([("Content-Type", "application/cloudevents-batch+json")], body)
hook_seed(2, "application/cloudevents-batch+json", body)

# fuzz-jcs: the RFC 8785 inputs (byte 0 even: JCS) and a signed entry's
# shape (odd: the entry decoder)
vectors = os.path.join(os.path.dirname(payloads), "vectors", "jcs", "input")
jcs = os.path.join(out, "jcs")
if os.path.isdir(vectors):
    for f in sorted(os.listdir(vectors)):
        with open(os.path.join(vectors, f), "rb") as fh:
            put(jcs, b"\x00" + fh.read())
put(jcs, b"\x01" + b'{"key":"0102abcd","kind":"build","log":"e.x/l",'
    b'"payload":{"sha256":"' + b"ab" * 32 + b'","size":2,'
    b'"type":"application/json"},"prev":"' + b"00" * 32 + b'",'
    b'"seq":0,"source":{"name":"api","type":"generic"},'
    b'"subject":{"environment":"prod"},"time":"2026-11-22T10:00:00.000Z",'
    b'"v":1}')
# fuzz-config: configurations as the docs show them
config = os.path.join(out, "config")
for c in (b'{}', b'{"listen":"127.0.0.1:0","data_dir":"/tmp/x"}',
          b'{"listen":"[::1]:8420","max_connections":10,'
          b'"max_connections_per_client":2,"request_timeout_s":5,'
          b'"checkpoint_export":{"file":"/tmp/cp"},"log_level":"debug",'
          b'"anonymous_read":true}',
          b'{"sources":[{"name":"gh","type":"github",'
          b'"secret_file":"/nonexistent"}]}'):
    put(config, c)
# fuzz-report: questions (byte 0: the answer) and gate policies, as
# docs/auditing.md shows them
report = os.path.join(out, "report")
for c in (b'\x00env=production\nperiod=2026Q3\ngap=600\n--\n{}',
          b'\x01period=2026-W38\nenv=Production\n--\n',
          b'\x02from=2026-09-01T00:00:00Z\nto=2026-10-01T00:00:00Z\n',
          b'\x03env=production\nat=2026-11-22T02:47:00Z\nservice=pay\n',
          b'\x04env=production\nservice=pay\nbefore=2026-11-22T02:47Z\n',
          b'\x05env=production\nartifact=sha256:' + b'ab' * 32 +
          b'\ndeployer=carol\n--\n{"environments":{"production":'
          b'{"require":["build","test","scan","provenance"],'
          b'"min_approvers":2,"approver_not_deployer":true,'
          b'"approver_not_author":true,"no_failing_scan":true,'
          b'"max_approval_age_s":86400}},"default":{"require":["build"]}}'):
    put(report, c)
# fuzz-upload: every report sample (scans, plans, Ansible runs, Puppet's
# non-JSON), byte 0 the options: any class, high, JSON; and with a kind
up = os.path.join(out, "upload")
for sub in ("scans", os.path.join("iac", "terraform-show-json"),
            os.path.join("iac", "ansible"), os.path.join("iac", "puppet")):
    for root, dirs, files in os.walk(os.path.join(payloads, sub)):
        dirs.sort()
        for f in sorted(files):
            if f == "SOURCES.md" or os.path.getsize(os.path.join(root, f)) > 65535:
                continue
            with open(os.path.join(root, f), "rb") as fh:
                raw = fh.read()
            put(up, b"\x10" + raw)
            put(up, b"\x19" + raw)
# fuzz-tlogproof: the specification's example, and it without its extra
tp = os.path.join(out, "tlogproof")
vec = os.path.join(os.path.dirname(payloads), "vectors", "checkpoint",
                   "c2sp_format_examples.json")
with open(vec, encoding="utf-8") as fh:
    ex = json.load(fh)["tlog_proof_example"].encode()
put(tp, ex)
put(tp, b"\n".join(l for l in ex.split(b"\n") if not l.startswith(b"extra ")))
# fuzz-bundle: a bundle's shape (docs/FORMAT.md "Bundles"), with the
# specification's checkpoint example as its note
bd = os.path.join(out, "bundle")
note = ex.split(b"\n\n", 1)[1].decode()
doc = {"checkpoint": note, "entries": [{"entry": "eyJ2IjoxfQ==",
       "inclusion": ["gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ="],
       "key_id": "0102abcd", "payload": "e30=", "seq": 1,
       "signature": "00" * 64}], "format": "ledgerd-bundle/v1",
       "keys": [{"from_seq": 0, "key_id": "0102abcd",
                 "revoked_from_seq": None, "until_seq": None,
                 "vkey": "example.com/fancylog+0102abcd+AQ" + "A" * 42}],
       "older_checkpoints": [], "origin": "example.com/fancylog"}
put(bd, json.dumps(doc, sort_keys=True, separators=(",", ":"),
                   ensure_ascii=False).encode())
EOF
echo "seed.sh: $(ls "$out/hook" | wc -l) hook, $(ls "$out/cloudevents" | wc -l) cloudevents, $(ls "$out/jcs" | wc -l) jcs, $(ls "$out/config" | wc -l) config, $(ls "$out/report" | wc -l) report, $(ls "$out/tlogproof" | wc -l) tlogproof, $(ls "$out/bundle" | wc -l) bundle, $(ls "$out/upload" | wc -l) upload seeds in $out"
