/*
 * upload-bom.c - SBOMs (CycloneDX, SPDX, either as an in-toto
 * attestation), plans (`terraform show -json`) and configuration runs
 * (Ansible's JSON callback)
 *
 * An SBOM is kind artifact: its components counted, and the findings of
 * a CycloneDX document's vulnerabilities by their worst rating.  A plan
 * is kind change with status "planned" (or "failed" when Terraform says
 * it errored) and Terraform's own arithmetic: a replacement is one to
 * add and one to destroy.  A run is kind change, "failed" when a host
 * failed or was unreachable, else "success".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "source-int.h"
#include "upload-int.h"

#define CDX_PREDICATE	"https://cyclonedx.org/bom"
#define SPDX_PREDICATE	"https://spdx.dev/Document"

static bool
starts(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- CycloneDX ---- */

static bool
cdx_is(json_t *doc)
{
	const char *f = json_string_value(json_object_get(doc, "bomFormat"));

	return f != NULL && strcmp(f, "CycloneDX") == 0;
}

static uint64_t
cdx_components(json_t *list)
{
	uint64_t n = 0;
	json_t *c;
	size_t i;

	json_array_foreach(list, i, c)
		n += 1 + cdx_components(json_object_get(c, "components"));
	return n;
}

/* The digest a Trivy-made BOM keeps as a property of its component. */
static void
cdx_property_digest(struct facts *f, json_t *props, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(props, i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")) ?
		    json_string_value(json_object_get(p, "name")) : "",
		    name) == 0)
			up_digest(f, up_str(p, "value"));
}

static void
cdx_read(json_t *doc, struct facts *f)
{
	json_t *comp = up_get(doc, "metadata.component"), *h, *v, *r;
	char dg[160];
	size_t i, j;
	int worst, s;

	/* tools: a list (1.4), or {"components": [...]} (1.5 and later) */
	f->tool = up_str(doc, "metadata.tools.0.name");
	f->version = up_str(doc, "metadata.tools.0.version");
	if (f->tool == NULL) {
		f->tool = up_str(doc, "metadata.tools.components.0.name");
		f->version = up_str(doc, "metadata.tools.components.0.version");
	}
	up_digest(f, up_str(comp, "purl"));
	json_array_foreach(json_object_get(comp, "hashes"), i, h)
		if (json_string_value(json_object_get(h, "alg")) != NULL &&
		    strcmp(json_string_value(json_object_get(h, "alg")),
		    "SHA-256") == 0 && up_str(h, "content") != NULL) {
			snprintf(dg, sizeof(dg), "sha256:%.128s",
			    up_str(h, "content"));
			up_digest(f, dg);
		}
	cdx_property_digest(f, json_object_get(comp, "properties"),
	    "aquasecurity:trivy:RepoDigest");
	cdx_property_digest(f, json_object_get(comp, "properties"),
	    "aquasecurity:trivy:ImageID");
	f->n[N_COMPONENTS] = cdx_components(json_object_get(doc,
	    "components"));
	json_array_foreach(json_object_get(doc, "vulnerabilities"), i, v) {
		worst = -1;
		json_array_foreach(json_object_get(v, "ratings"), j, r) {
			s = up_severity_word(up_str(r, "severity"));
			if (s >= 0 && (worst < 0 || s < worst))
				worst = s;
		}
		if (worst < 0)
			worst = LEDGER_SEV_UNKNOWN;
		if (worst != LEDGER_SEV_NONE)
			f->n[worst]++;
	}
}

/* ---- SPDX 2.x JSON ---- */

static bool
spdx_is(json_t *doc)
{
	return starts(json_string_value(json_object_get(doc, "spdxVersion")),
	    "SPDX-");
}

/* "Tool: trivy-0.31.0" -> tool "trivy", version "0.31.0". */
static void
spdx_tool(struct facts *f, const char *creator)
{
	const char *t = creator + strlen("Tool:"), *dash;

	while (*t == ' ')
		t++;
	dash = strrchr(t, '-');
	if (dash == NULL || dash == t || dash[1] == '\0' ||
	    (size_t)(dash - t) >= sizeof(f->tool_buf)) {
		snprintf(f->tool_buf, sizeof(f->tool_buf), "%s", t);
		f->tool = f->tool_buf[0] != '\0' ? f->tool_buf : NULL;
		return;
	}
	snprintf(f->tool_buf, sizeof(f->tool_buf), "%.*s", (int)(dash - t), t);
	snprintf(f->version_buf, sizeof(f->version_buf), "%s", dash + 1);
	f->tool = f->tool_buf;
	f->version = f->version_buf;
}

static void
spdx_attribution(struct facts *f, json_t *pkgs, const char *label)
{
	json_t *p, *a;
	size_t i, j, n = strlen(label);
	const char *s;

	json_array_foreach(pkgs, i, p)
		json_array_foreach(json_object_get(p, "attributionTexts"), j,
		    a)
			if ((s = json_string_value(a)) != NULL &&
			    strncmp(s, label, n) == 0)
				up_digest(f, s + n);
}

static void
spdx_read(json_t *doc, struct facts *f)
{
	json_t *pkgs = json_object_get(doc, "packages"), *c, *p, *r;
	size_t i, j;

	json_array_foreach(up_get(doc, "creationInfo.creators"), i, c)
		if (f->tool == NULL && starts(json_string_value(c), "Tool:"))
			spdx_tool(f, json_string_value(c));
	f->n[N_COMPONENTS] = json_array_size(pkgs);
	spdx_attribution(f, pkgs, "RepoDigest: ");
	spdx_attribution(f, pkgs, "ImageID: ");
	/* an image's package names itself by a purl with its digest */
	json_array_foreach(pkgs, i, p)
		json_array_foreach(json_object_get(p, "externalRefs"), j, r)
			up_digest(f, up_str(r, "referenceLocator"));
}

/* ---- an SBOM as an in-toto attestation (cosign attest) ---- */

static json_t *
statement_of(json_t *doc)
{
	json_t *stmt = NULL;

	if (src_find_statement(doc, &stmt, NULL) != LEDGER_OK)
		return NULL;
	return stmt;
}

static bool
intoto_is(json_t *doc)
{
	json_t *stmt = statement_of(doc);
	const char *t = json_string_value(json_object_get(stmt,
	    "predicateType"));
	bool yes = starts(t, CDX_PREDICATE) || starts(t, SPDX_PREDICATE);

	json_decref(stmt);
	return yes;
}

static void
intoto_read(json_t *doc, struct facts *f)
{
	json_t *pred;

	if ((f->hold = statement_of(doc)) == NULL)
		return;
	/* the Statement's subject is the artifact the SBOM describes */
	f->artifact = src_statement_digest(up_get(f->hold, "subject.0"),
	    &f->nomem);
	pred = json_object_get(f->hold, "predicate");
	if (starts(up_str(f->hold, "predicateType"), CDX_PREDICATE))
		cdx_read(pred, f);
	else
		spdx_read(pred, f);
}

/* ---- terraform show -json PLANFILE ---- */

static bool
plan_is(json_t *doc)
{
	return json_is_string(json_object_get(doc, "format_version")) &&
	    (json_is_array(json_object_get(doc, "resource_changes")) ||
	    json_is_object(json_object_get(doc, "planned_values")));
}

static void
plan_read(json_t *doc, struct facts *f)
{
	json_t *rc, *a;
	size_t i, j;
	bool create, del, update;

	f->tool = "Terraform";
	f->version = up_str(doc, "terraform_version");
	f->status = json_is_true(json_object_get(doc, "errored")) ? "failed" :
	    "planned";
	json_array_foreach(json_object_get(doc, "resource_changes"), i, rc) {
		create = del = update = false;
		json_array_foreach(up_get(rc, "change.actions"), j, a) {
			const char *s = json_string_value(a);

			create |= s != NULL && strcmp(s, "create") == 0;
			del |= s != NULL && strcmp(s, "delete") == 0;
			update |= s != NULL && strcmp(s, "update") == 0;
		}
		f->n[N_ADD] += create;
		f->n[N_DESTROY] += del;
		f->n[N_CHANGE] += update;
	}
}

/* ---- Ansible: ANSIBLE_STDOUT_CALLBACK=ansible.posix.json ---- */

static bool
ansible_is(json_t *doc)
{
	return json_is_array(json_object_get(doc, "plays")) &&
	    json_is_object(json_object_get(doc, "stats"));
}

static void
ansible_read(json_t *doc, struct facts *f)
{
	static const struct { const char *name; int i; } m[] = {
		{ "changed", N_CHANGED }, { "failures", N_FAILED },
		{ "ok", N_OK }, { "unreachable", N_UNREACHABLE },
	};
	json_t *stats = json_object_get(doc, "stats"), *h;
	const char *host, *only = NULL;
	int64_t n;
	size_t i;

	f->tool = "Ansible";
	json_object_foreach(stats, host, h) {
		for (i = 0; i < sizeof(m) / sizeof(*m); i++)
			if ((n = up_count(json_object_get(h, m[i].name))) > 0)
				up_add(&f->n[m[i].i], (uint64_t)n);
		only = host;
	}
	/* one host: it is what changed */
	if (json_object_size(stats) == 1 && *only != '\0')
		f->service = only;
	f->status = f->n[N_FAILED] + f->n[N_UNREACHABLE] > 0 ? "failed" :
	    "success";
}

const struct upload_format upload_bom_formats[] = {
	{ "cyclonedx", LEDGER_UPLOAD_SBOM, cdx_is, cdx_read },
	{ "spdx", LEDGER_UPLOAD_SBOM, spdx_is, spdx_read },
	{ "in-toto", LEDGER_UPLOAD_SBOM, intoto_is, intoto_read },
	{ "terraform-plan", LEDGER_UPLOAD_PLAN, plan_is, plan_read },
	{ "ansible", LEDGER_UPLOAD_RUN, ansible_is, ansible_read },
	{ NULL, 0, NULL, NULL },
};
