/*
 * upload-scan.c - the scanners' reports: SARIF 2.1.0, OWASP ZAP
 * traditional JSON, Chef InSpec JSON (and json-min), Trivy, Grype,
 * OSV-Scanner, npm audit v2
 *
 * Each tool's scale mapped to critical / high / medium / low / unknown
 * (docs/reports.md "Severities"): a finding a tool calls informational is
 * not counted; one whose severity it does not say, or says in a word no
 * table knows, counts as unknown.  The counts are of findings as the tool
 * reports them (a SARIF result, a ZAP alert, a failed InSpec control, a
 * Trivy or Grype match, an OSV group of aliases, npm's advisories).
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "upload-int.h"

static void
count(struct facts *f, int sev)
{
	if (sev < 0)
		sev = LEDGER_SEV_UNKNOWN;
	if (sev != LEDGER_SEV_NONE)
		f->n[sev]++;
}

static bool
str_is(json_t *v, const char *s)
{
	const char *x = json_string_value(v);

	return x != NULL && strcmp(x, s) == 0;
}

/* ---- SARIF 2.1.0 ---- */

static bool
sarif_is(json_t *doc)
{
	return str_is(json_object_get(doc, "version"), "2.1.0") &&
	    json_is_array(json_object_get(doc, "runs"));
}

/* The rule of rules with this id, or NULL. */
static json_t *
rule_by_id(json_t *rules, const char *id)
{
	json_t *r;
	size_t k;

	json_array_foreach(rules, k, r)
		if (str_is(json_object_get(r, "id"), id))
			return r;
	return NULL;
}

/*
 * The rule a result refers to (SARIF 3.52 reportingDescriptorReference):
 * in the tool component rule.toolComponent.index names among
 * tool.extensions (CodeQL keeps its queries' rules in its query packs),
 * else in the driver; by ruleIndex or rule.index when that is in range,
 * else by ruleId or rule.id -- there, then in the driver and every
 * extension.
 */
static json_t *
sarif_rule(json_t *run, json_t *res)
{
	json_t *tool = json_object_get(run, "tool"), *exts, *comp, *rules;
	int64_t i = up_count(json_object_get(res, "ruleIndex")), c;
	const char *id;
	json_t *r, *e;
	size_t k;

	exts = json_object_get(tool, "extensions");
	c = up_count(up_get(res, "rule.toolComponent.index"));
	comp = c >= 0 ? json_array_get(exts, (size_t)c) : NULL;
	if (comp == NULL)
		comp = json_object_get(tool, "driver");
	rules = json_object_get(comp, "rules");
	if (i < 0)
		i = up_count(up_get(res, "rule.index"));
	if (i >= 0 && (r = json_array_get(rules, (size_t)i)) != NULL)
		return r;
	if ((id = json_string_value(json_object_get(res, "ruleId"))) == NULL &&
	    (id = up_str(res, "rule.id")) == NULL)
		return NULL;
	if ((r = rule_by_id(rules, id)) != NULL ||
	    (r = rule_by_id(up_get(tool, "driver.rules"), id)) != NULL)
		return r;
	json_array_foreach(exts, k, e)
		if ((r = rule_by_id(json_object_get(e, "rules"), id)) != NULL)
			return r;
	return NULL;
}

/* Suppressed (and not merely under review or rejected)? */
static bool
sarif_suppressed(json_t *res)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(res, "suppressions"), i, s) {
		json_t *st = json_object_get(s, "status");

		if (st == NULL || str_is(st, "accepted"))
			return true;
	}
	return false;
}

static void
sarif_result(struct facts *f, json_t *run, json_t *res)
{
	json_t *rule, *k = json_object_get(res, "kind");
	const char *level;
	int sev;

	/* pass, notApplicable, informational, review, open: no finding */
	if ((k != NULL && !str_is(k, "fail")) || sarif_suppressed(res))
		return;
	rule = sarif_rule(run, res);
	/* GitHub's convention: a CVSS score in "security-severity" */
	if ((sev = up_severity_score(up_get(res,
	    "properties.security-severity"))) < 0)
		sev = up_severity_score(up_get(rule,
		    "properties.security-severity"));
	if (sev < 0) {
		/* SARIF's level: error high, warning medium, note low,
		 * none none; absent, the rule's default, else warning */
		level = up_str(res, "level");
		if (level == NULL)
			level = up_str(rule, "defaultConfiguration.level");
		sev = up_severity_word(level != NULL ? level : "warning");
	}
	count(f, sev);
}

static void
sarif_read(json_t *doc, struct facts *f)
{
	json_t *run, *res;
	size_t i, j;

	json_array_foreach(json_object_get(doc, "runs"), i, run) {
		if (f->tool == NULL) {
			f->tool = up_str(run, "tool.driver.name");
			f->version = up_str(run, "tool.driver.version");
			if (f->version == NULL)
				f->version = up_str(run,
				    "tool.driver.semanticVersion");
		}
		/* Trivy's image digests, the repository's revision */
		up_digest(f, up_str(run, "properties.repoDigests.0"));
		up_digest(f, up_str(run, "properties.imageID"));
		if (f->commit == NULL)
			f->commit = up_str(run,
			    "versionControlProvenance.0.revisionId");
		json_array_foreach(json_object_get(run, "results"), j, res)
			sarif_result(f, run, res);
	}
}

/* ---- OWASP ZAP traditional JSON ---- */

static bool
zap_is(json_t *doc)
{
	json_t *site = json_object_get(doc, "site");

	return json_is_string(json_object_get(doc, "@version")) &&
	    (json_is_array(site) || json_is_object(site));
}

static void
zap_site(struct facts *f, json_t *site)
{
	json_t *a;
	size_t i;

	if (f->url == NULL)
		f->url = json_string_value(json_object_get(site, "@name"));
	json_array_foreach(json_object_get(site, "alerts"), i, a) {
		/* riskcode 3 high, 2 medium, 1 low, 0 informational; a
		 * number or, in old reports, a string */
		switch (up_count(json_object_get(a, "riskcode"))) {
		case 3: count(f, LEDGER_SEV_HIGH); break;
		case 2: count(f, LEDGER_SEV_MEDIUM); break;
		case 1: count(f, LEDGER_SEV_LOW); break;
		case 0: break;
		default: count(f, LEDGER_SEV_UNKNOWN); break;
		}
	}
}

static void
zap_read(json_t *doc, struct facts *f)
{
	json_t *site = json_object_get(doc, "site"), *s;
	size_t i;

	/* (a path starting with '@' means the envelope to up_str) */
	f->tool = json_string_value(json_object_get(doc, "@programName"));
	if (f->tool == NULL || *f->tool == '\0')
		f->tool = "ZAP";
	f->version = json_string_value(json_object_get(doc, "@version"));
	if (json_is_object(site))
		zap_site(f, site);
	json_array_foreach(site, i, s)
		zap_site(f, s);
}

/* ---- Chef InSpec ---- */

static bool
inspec_is(json_t *doc)
{
	return json_is_array(json_object_get(doc, "profiles")) &&
	    json_is_object(json_object_get(doc, "statistics"));
}

static bool
inspec_min_is(json_t *doc)
{
	return json_is_array(json_object_get(doc, "controls")) &&
	    json_is_object(json_object_get(doc, "statistics")) &&
	    json_is_string(json_object_get(doc, "version")) &&
	    json_object_get(doc, "profiles") == NULL;
}

static void
inspec_control(struct facts *f, json_t *c)
{
	json_t *r, *impact = json_object_get(c, "impact");
	bool failed = false;
	size_t i;

	json_array_foreach(json_object_get(c, "results"), i, r)
		failed |= str_is(json_object_get(r, "status"), "failed");
	if (!failed)
		return;
	/* impact 0.0 .. 1.0, InSpec's bands are CVSS's divided by ten:
	 * 0.9 critical, 0.7 high, 0.4 medium, 0.01 low, 0 informational */
	if (json_is_number(impact)) {
		double d = json_number_value(impact);

		count(f, d >= 0.9 ? LEDGER_SEV_CRITICAL : d >= 0.7 ?
		    LEDGER_SEV_HIGH : d >= 0.4 ? LEDGER_SEV_MEDIUM : d >= 0.01 ?
		    LEDGER_SEV_LOW : d >= 0 ? LEDGER_SEV_NONE : -1);
	} else
		count(f, LEDGER_SEV_UNKNOWN);
}

static void
inspec_read(json_t *doc, struct facts *f)
{
	json_t *p, *c;
	size_t i, j;

	f->tool = "InSpec";
	f->version = up_str(doc, "version");
	json_array_foreach(json_object_get(doc, "profiles"), i, p)
		json_array_foreach(json_object_get(p, "controls"), j, c)
			inspec_control(f, c);
}

static void
inspec_min_read(json_t *doc, struct facts *f)
{
	json_t *c;
	size_t i;

	f->tool = "InSpec";
	f->version = up_str(doc, "version");
	/* json-min has no impact: a failed control's severity is unknown */
	json_array_foreach(json_object_get(doc, "controls"), i, c)
		if (str_is(json_object_get(c, "status"), "failed"))
			count(f, LEDGER_SEV_UNKNOWN);
}

/* ---- Trivy ---- */

static bool
trivy_is(json_t *doc)
{
	return json_is_number(json_object_get(doc, "SchemaVersion")) &&
	    json_is_string(json_object_get(doc, "ArtifactName"));
}

static void
trivy_read(json_t *doc, struct facts *f)
{
	static const char *const lists[] = { "Vulnerabilities",
	    "Misconfigurations", "Secrets" };
	json_t *res, *x;
	size_t i, j, l;

	f->tool = "Trivy";
	f->version = up_str(doc, "Trivy.Version");
	up_digest(f, up_str(doc, "Metadata.RepoDigests.0"));
	up_digest(f, up_str(doc, "Metadata.ImageID"));
	f->commit = up_str(doc, "Metadata.Commit");
	json_array_foreach(json_object_get(doc, "Results"), i, res)
		for (l = 0; l < sizeof(lists) / sizeof(*lists); l++)
			json_array_foreach(json_object_get(res, lists[l]), j,
			    x) {
				/* a misconfiguration check that passed */
				if (l == 1 && json_object_get(x, "Status") &&
				    !str_is(json_object_get(x, "Status"),
				    "FAIL"))
					continue;
				count(f, up_severity_word(up_str(x,
				    "Severity")));
			}
}

/* ---- Grype ---- */

static bool
grype_is(json_t *doc)
{
	return json_is_array(json_object_get(doc, "matches")) &&
	    json_is_string(up_get(doc, "descriptor.name"));
}

static void
grype_read(json_t *doc, struct facts *f)
{
	json_t *m;
	size_t i;

	f->tool = up_str(doc, "descriptor.name");
	f->version = up_str(doc, "descriptor.version");
	if (f->version != NULL && f->version[0] == '[')	/* "[not provided]" */
		f->version = NULL;
	up_digest(f, up_str(doc, "source.target.manifestDigest"));
	up_digest(f, up_str(doc, "source.target.repoDigests.0"));
	up_digest(f, up_str(doc, "source.target.imageID"));
	json_array_foreach(json_object_get(doc, "matches"), i, m)
		count(f, up_severity_word(up_str(m, "vulnerability.severity")));
}

/* ---- OSV-Scanner ---- */

static bool
osv_is(json_t *doc)
{
	json_t *r = json_object_get(doc, "results"), *x;
	size_t i;

	/* an empty "results" is OSV's only with its experimental_config */
	if (!json_is_array(r) || (json_array_size(r) == 0 &&
	    json_object_get(doc, "experimental_config") == NULL))
		return false;
	json_array_foreach(r, i, x)
		if (!json_is_array(json_object_get(x, "packages")))
			return false;
	return true;
}

/* The severity of one OSV vulnerability: its database's word (GHSA), else
 * a CVSS score given as a bare number; -1 if neither. */
static int
osv_vuln_severity(json_t *v)
{
	json_t *s;
	size_t k;
	int sev;

	if ((sev = up_severity_word(up_str(v, "database_specific.severity")))
	    >= 0)
		return sev;
	json_array_foreach(json_object_get(v, "severity"), k, s)
		if ((sev = up_severity_score(json_object_get(s, "score"))) >= 0)
			return sev;
	return -1;
}

/* A group's severity: its max_severity, else the worst of its ids'
 * vulnerabilities, found through byid (id -> vulnerability). */
static int
osv_group_severity(json_t *g, json_t *byid)
{
	json_t *id;
	size_t i;
	int sev, worst = -1;

	if ((sev = up_severity_score(json_object_get(g, "max_severity"))) >= 0)
		return sev;
	json_array_foreach(json_object_get(g, "ids"), i, id)
		if (json_is_string(id) && (sev = osv_vuln_severity(
		    json_object_get(byid, json_string_value(id)))) >= 0 &&
		    (worst < 0 || sev < worst))
			worst = sev;
	return worst;
}

static void
osv_package(struct facts *f, json_t *p)
{
	json_t *groups = json_object_get(p, "groups"), *g, *v, *byid;
	json_t *vulns = json_object_get(p, "vulnerabilities");
	const char *id;
	size_t k;

	/* without groups, each vulnerability is one */
	if (json_array_size(groups) == 0) {
		json_array_foreach(vulns, k, v)
			count(f, osv_vuln_severity(v));
		return;
	}
	/* a group is one vulnerability under all its aliases; its ids are
	 * looked up in an index, not by a scan per id */
	if ((byid = json_object()) == NULL) {
		f->nomem = true;
		return;
	}
	json_array_foreach(vulns, k, v)
		if ((id = json_string_value(json_object_get(v, "id"))) != NULL &&
		    json_object_set(byid, id, v) != 0) {
			f->nomem = true;
			json_decref(byid);
			return;
		}
	json_array_foreach(groups, k, g)
		count(f, osv_group_severity(g, byid));
	json_decref(byid);
}

static void
osv_read(json_t *doc, struct facts *f)
{
	json_t *r, *p;
	size_t i, j;

	f->tool = "osv-scanner";
	json_array_foreach(json_object_get(doc, "results"), i, r)
		json_array_foreach(json_object_get(r, "packages"), j, p)
			osv_package(f, p);
}

/* ---- npm audit (report version 2, npm 7 and later) ---- */

static bool
npm_is(json_t *doc)
{
	return up_count(json_object_get(doc, "auditReportVersion")) == 2 &&
	    json_is_object(json_object_get(doc, "vulnerabilities"));
}

static void
npm_read(json_t *doc, struct facts *f)
{
	static const struct { const char *w; int sev; } m[] = {
		{ "critical", LEDGER_SEV_CRITICAL }, { "high", LEDGER_SEV_HIGH },
		{ "moderate", LEDGER_SEV_MEDIUM }, { "low", LEDGER_SEV_LOW },
	};
	json_t *counts = up_get(doc, "metadata.vulnerabilities"), *v;
	const char *k;
	int64_t n;
	size_t i;

	f->tool = "npm audit";
	if (json_is_object(counts)) {
		/* npm's own counts, by package; "info" is not a finding */
		for (i = 0; i < sizeof(m) / sizeof(*m); i++)
			if ((n = up_count(json_object_get(counts, m[i].w))) > 0)
				up_add(&f->n[m[i].sev], (uint64_t)n);
		return;
	}
	json_object_foreach(json_object_get(doc, "vulnerabilities"), k, v)
		count(f, up_severity_word(up_str(v, "severity")));
}

const struct upload_format upload_scan_formats[] = {
	{ "sarif", LEDGER_UPLOAD_SCAN, sarif_is, sarif_read },
	{ "zap", LEDGER_UPLOAD_SCAN, zap_is, zap_read },
	{ "inspec", LEDGER_UPLOAD_SCAN, inspec_is, inspec_read },
	{ "inspec-min", LEDGER_UPLOAD_SCAN, inspec_min_is, inspec_min_read },
	{ "trivy", LEDGER_UPLOAD_SCAN, trivy_is, trivy_read },
	{ "grype", LEDGER_UPLOAD_SCAN, grype_is, grype_read },
	{ "osv-scanner", LEDGER_UPLOAD_SCAN, osv_is, osv_read },
	{ "npm-audit", LEDGER_UPLOAD_SCAN, npm_is, npm_read },
	{ NULL, 0, NULL, NULL },
};
