/*
 * test-iac.c - infrastructure and GitOps sources: Flux's generic-hmac
 * events, HCP Terraform's signed notifications, Chef's data collector
 * and Puppet's run reports, with the stored samples
 * of ../shared/payloads/iac and variants built from them
 *
 * Needs $LEDGER_PAYLOADS; exits 77 without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/source.h"
#include "ledger/status.h"
#include "source-int.h"
#include "testsource.h"
#include "testutil.h"

#define FLUX_CONFIG \
	"{\"name\":\"flux\",\"type\":\"flux\",\"secret_file\":\"cd.secret\"}"
#define TFC_CONFIG \
	"{\"name\":\"tfc\",\"type\":\"terraform-cloud\",\"secret_file\":" \
	"\"cd.secret\"}"
#define SHA731 "731f7eaddfb6af01cb2173e18f0f75b0ba780ef1"

/* "<alg>=<hex>" (alg NULL: the bare hex) of HMAC-SHA256 or -SHA512. */
static void
sign2(const char *alg, bool wide, const void *body, size_t len,
    char *out)
{
	uint8_t mac[SHA512_DIGEST_SIZE];
	size_t n = wide ? SHA512_DIGEST_SIZE : SHA256_DIGEST_SIZE;

	if (wide) {
		struct hmac_sha512_ctx c;

		hmac_sha512_set_key(&c, strlen(CD_SECRET),
		    (const uint8_t *)CD_SECRET);
		hmac_sha512_update(&c, len, body);
		hmac_sha512_digest(&c, n, mac);
	} else {
		struct hmac_sha256_ctx c;

		hmac_sha256_set_key(&c, strlen(CD_SECRET),
		    (const uint8_t *)CD_SECRET);
		hmac_sha256_update(&c, len, body);
		hmac_sha256_digest(&c, n, mac);
	}
	out[0] = '\0';
	if (alg != NULL)
		sprintf(out, "%s=", alg);
	ledger_hex(mac, n, out + strlen(out));
}

static void
flux_send(const struct ledger_source *src, const char *body, size_t len,
    const char *alg, bool wide, struct rq *q, struct res *res)
{
	char sig[200];

	sign2(alg, wide, body, len, sig);
	rq_init(q, "application/json", body, len);
	rq_set(q, "X-Signature", sig);
	rq_set(q, "Gotk-Component", "kustomize-controller");
	deliver(src, q, res);
}

/* The docs' event: a failed Kustomization is a failed deployment of the
 * object to its namespace, at the revision's commit. */
START_TEST(test_iac_flux_sample)
{
	struct ledger_source *src = mksrc(FLUX_CONFIG);
	const struct ledger_event *ev;
	struct rq q;
	struct res res;
	size_t len, i;
	char *body = slurp_payload("iac/flux/generic-webhook.event."
	    "providers-doc.json", &len);

	flux_send(src, body, len, "sha256", false, &q, &res);
	ck_class(&res, K_OK);
	ev = res.evs[0];
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_DEPLOYMENT);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "failure");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE], "webapp");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ENVIRONMENT], "apps");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_COMMIT], SHA731);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT],
	    "Kustomization.ValidationFailed");
	ck_assert_str_eq(res.auth, "flux-hmac");
	check_payload(ev, &q);
	res_release(&res);
	/* forgery loop: any byte changed, the signature fails */
	for (i = 0; i < len; i += 11) {
		q.body[i] ^= 0x01;
		deliver(src, &q, &res);
		ck_class(&res, K_AUTH);
		q.body[i] ^= 0x01;
	}
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

/* A success at a "main@sha1:" revision, signed with sha512; a GitRepository
 * fetch is no deployment; sha1 or no signature is refused. */
START_TEST(test_iac_flux_variants)
{
	static const char ok[] = "{\"involvedObject\":{\"kind\":\"HelmRelease\","
	    "\"name\":\"api\",\"namespace\":\"prod\"},\"metadata\":{"
	    "\"helm.toolkit.fluxcd.io/revision\":\"main@sha1:" SHA731 "\"},"
	    "\"severity\":\"info\",\"reason\":\"UpgradeSucceeded\"}";
	static const char fetch[] = "{\"involvedObject\":{\"kind\":"
	    "\"GitRepository\",\"name\":\"r\"},\"severity\":\"info\","
	    "\"reason\":\"NewArtifact\"}";
	struct ledger_source *src = mksrc(FLUX_CONFIG);
	struct rq q;
	struct res res;

	flux_send(src, ok, strlen(ok), "sha512", true, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_STATUS], "success");
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_COMMIT], SHA731);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_SERVICE], "api");
	res_release(&res);
	rq_release(&q);
	flux_send(src, fetch, strlen(fetch), "sha256", false, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_OTHER);
	res_release(&res);
	rq_set(&q, "X-Signature", "sha1=0123456789abcdef0123456789abcdef01234567");
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_set(&q, "X-Signature", NULL);
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* An OCI source's revision is a digest: the artifact, never a commit. */
START_TEST(test_iac_flux_oci)
{
	static const char body[] = "{\"involvedObject\":{\"kind\":"
	    "\"Kustomization\",\"name\":\"web\",\"namespace\":\"prod\"},"
	    "\"metadata\":{\"kustomize.toolkit.fluxcd.io/revision\":"
	    "\"latest@sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a0"
	    "24a81536dafbbf4\"},\"severity\":\"info\",\"reason\":"
	    "\"ReconciliationSucceeded\"}";
	struct ledger_source *src = mksrc(FLUX_CONFIG);
	struct rq q;
	struct res res;

	flux_send(src, body, strlen(body), "sha256", false, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_ptr_null(res.evs[0]->e.subject[LEDGER_SUBJ_COMMIT]);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_ARTIFACT],
	    "sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536"
	    "dafbbf4");
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_STATUS], "success");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* HCP Terraform: every stored sample, signed with HMAC-SHA512. */
START_TEST(test_iac_tfc_samples)
{
	static const struct {
		const char *file;
		enum klass k;
		const char *status, *service, *run, *actor;
	} cases[] = {
		{ "run.errored.docs-sample.json", K_OK, "cancelled",
		  "my-workspace", "run-FwnENkvDnrpyFC7M", "sample-user" },
		{ "workspace.auto_destroy_results.docs-sample.json", K_OK,
		  "success", "learned-english-dog", "run-vRVQxpqq64EA9V5a",
		  NULL },
		{ "verification.send-a-test.docs-sample.trailing-comma."
		  "invalid.json", K_INPUT, NULL, NULL, NULL, NULL },
	};
	struct ledger_source *src = mksrc(TFC_CONFIG);
	const struct ledger_event *ev;
	struct rq q;
	struct res res;
	char rel[200], sig[200], *body;
	size_t len;

	snprintf(rel, sizeof(rel), "iac/terraform-cloud/%s", cases[_i].file);
	body = slurp_payload(rel, &len);
	sign2(NULL, true, body, len, sig);
	rq_init(&q, "application/json", body, len);
	rq_set(&q, "X-TFE-Notification-Signature", sig);
	deliver(src, &q, &res);
	ck_class(&res, cases[_i].k);
	if (cases[_i].k == K_OK) {
		ev = res.evs[0];
		ck_assert_int_eq(ev->e.kind, LEDGER_KIND_CHANGE);
		ck_assert_str_eq(ledger_status_word(ev->e.kind,
		    ev->e.subject[LEDGER_SUBJ_STATUS]), cases[_i].status);
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE],
		    cases[_i].service);
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_RUN], cases[_i].run);
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_PIPELINE],
		    "acme-org");
		if (cases[_i].actor != NULL)
			ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ACTOR],
			    cases[_i].actor);
		ck_assert_str_eq(res.auth, "tfe-hmac-sha512");
		check_payload(ev, &q);
		res_release(&res);
		/* a forged signature */
		sig[5] = sig[5] == 'a' ? 'b' : 'a';
		rq_set(&q, "X-TFE-Notification-Signature", sig);
		deliver(src, &q, &res);
		ck_class(&res, K_AUTH);
	} else
		ck_assert_ptr_nonnull(strstr(res.err.msg, "line"));
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

/* A drift assessment is a change with status drifted. */
START_TEST(test_iac_tfc_drift)
{
	static const char body[] = "{\"payload_version\":1,\"run_id\":null,"
	    "\"workspace_name\":\"net\",\"organization_name\":\"acme-org\","
	    "\"notifications\":[{\"trigger\":\"assessment:drifted\","
	    "\"message\":\"Drift detected\"}]}";
	struct ledger_source *src = mksrc(TFC_CONFIG);
	struct rq q;
	struct res res;
	char sig[200];

	sign2(NULL, true, body, strlen(body), sig);
	rq_init(&q, "application/json", body, strlen(body));
	rq_set(&q, "X-TFE-Notification-Signature", sig);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_CHANGE);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_STATUS], "drifted");
	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_CHANGE, "drifted"),
	    "drifted");
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_SERVICE], "net");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* ---- Chef ---- */

#define CHEF_CONFIG \
	"{\"name\":\"chef\",\"type\":\"chef\",\"secret_file\":" \
	"\"cd.secret\"}"

/* Every stored Chef message, with the data collector's token. */
START_TEST(test_iac_chef_samples)
{
	static const struct {
		const char *file, *event, *service, *status, *actor;
	} cases[] = {
		{ "data-collector.run_converge.success.json", "run_converge",
		  "insights.B", "success", NULL },
		{ "data-collector.run_start.json", "run_start", "test_node",
		  "started", NULL },
		{ "chef-server-action.node.delete.json", "action.node.delete",
		  "a2-local-fresh-install-unstable.cd.chef.co", "success",
		  "cd-infrastructure" },
		{ "chef-server-action.user.create.json", "action.user.create",
		  NULL, "success", NULL },
	};
	struct ledger_source *src = mksrc(CHEF_CONFIG);
	const struct ledger_event *ev;
	struct rq q;
	struct res res;
	char rel[200], *body;
	size_t len;

	snprintf(rel, sizeof(rel), "iac/chef/%s", cases[_i].file);
	body = slurp_payload(rel, &len);
	rq_init(&q, "application/json", body, len);
	rq_set(&q, "x-data-collector-token", CD_SECRET);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ev = res.evs[0];
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_CHANGE);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], cases[_i].event);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], cases[_i].status);
	if (cases[_i].service != NULL)
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE],
		    cases[_i].service);
	if (cases[_i].actor != NULL)
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ACTOR],
		    cases[_i].actor);
	if (_i == 0) {
		/* 10 resources: 4 updated, 5 skipped, 1 up to date */
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SUMMARY],
		    "changed=4,failed=0,ok=5,unreachable=0");
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_TOOL], "Chef Infra");
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_PIPELINE],
		    "chef_delivery");
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_RUN],
		    "e2d05569-dfeb-4ff0-a5a2-863ce12cc134");
		ck_assert_str_eq(ev->e.source[LEDGER_SRC_DELIVERY],
		    "run_converge:e2d05569-dfeb-4ff0-a5a2-863ce12cc13f");
	}
	ck_assert_str_eq(res.auth, "chef-token");
	check_payload(ev, &q);
	res_release(&res);
	rq_set(&q, "x-data-collector-token", CD_SECRET "x");
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_set(&q, "x-data-collector-token", NULL);
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

/* ---- Puppet ---- */

/* PuppetDB's stored report: a changed run on the node; a failed and an
 * unchanged run; the docs' Ruby-hash "JSON" refused; over a client
 * certificate, with the source taken unauthenticated but bound. */
START_TEST(test_iac_puppet)
{
	static const char failed[] = "{\"certname\":\"web1\",\"status\":"
	    "\"failed\",\"environment\":\"prod\",\"transaction_uuid\":"
	    "\"t-2\"}";
	static const char quiet[] = "{\"host\":\"web1\",\"status\":"
	    "\"unchanged\"}";
	struct ledger_source *src = mksrc("{\"name\":\"puppet\",\"type\":"
	    "\"puppet\",\"token_file\":\"cd.token\"}");
	const struct ledger_event *ev;
	struct rq q;
	struct res res;
	size_t len;
	char *body = slurp_payload("iac/puppet/"
	    "puppetdb-store-report.puppetdb1.vm.json", &len);

	deliver_json(src, &q, body, len, CD_TOKEN, &res);
	ck_class(&res, K_OK);
	ev = res.evs[0];
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_CHANGE);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE], "puppetdb1.vm");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ENVIRONMENT], "production");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "success");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_RUN],
	    "d6c4f3f3-afc5-41e6-8b1b-73e84400ca70");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], "report.changed");
	/* the "resources" metrics: 1 changed of 47, none failed or skipped */
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SUMMARY],
	    "changed=1,failed=0,ok=47,unreachable=0");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_TOOL], "Puppet");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_TOOL_VERSION], "3.7.2");
	check_payload(ev, &q);
	res_release(&res);
	rq_release(&q);
	free(body);
	deliver_json(src, &q, failed, strlen(failed), CD_TOKEN, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_STATUS], "failure");
	/* no metrics, no counts: not zeros */
	ck_assert_ptr_null(res.evs[0]->e.subject[LEDGER_SUBJ_SUMMARY]);
	res_release(&res);
	rq_release(&q);
	deliver_json(src, &q, quiet, strlen(quiet), CD_TOKEN, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_OTHER);
	res_release(&res);
	rq_release(&q);
	body = slurp_payload("iac/puppet/http_report.docs-example."
	    "ruby-hash-not-json.txt", &len);
	deliver_json(src, &q, body, len, CD_TOKEN, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	free(body);
	ledger_source_free(src);
	src = mksrc("{\"name\":\"puppet\",\"type\":\"puppet\","
	    "\"unauthenticated\":true,\"client_identity\":"
	    "\"CN=puppetdb1.vm\"}");
	ck_assert_str_eq(ledger_source_client_identity(src), "CN=puppetdb1.vm");
	ledger_source_free(src);
}
END_TEST

/* ---- Argo CD ---- */

/* An Application as `{{toJson .app}}` renders it (the Application CRD's
 * fields, written here: Argo CD has no fixed payload, see
 * ../shared/payloads/others/argocd), over two notifications of one sync,
 * automated and by a user; the docs example's syncResult; a body that is
 * neither; the secret as a bearer. */
#define ARGO_APP(phase, initiator, label) "{\"apiVersion\":\"argoproj.io/" \
	"v1alpha1\",\"kind\":\"Application\",\"metadata\":{\"name\":" \
	"\"guestbook\",\"namespace\":\"argocd\"" label "},\"spec\":{" \
	"\"project\":\"default\",\"source\":{\"repoURL\":\"https://" \
	"github.com/argoproj/argocd-example-apps.git\",\"path\":" \
	"\"guestbook\",\"targetRevision\":\"HEAD\"},\"destination\":{" \
	"\"server\":\"https://kubernetes.default.svc\",\"namespace\":" \
	"\"prod\"}},\"status\":{\"sync\":{\"status\":\"Synced\"," \
	"\"revision\":\"" SHA731 "\"},\"health\":{\"status\":\"Healthy\"}," \
	"\"operationState\":{\"phase\":\"" phase "\",\"startedAt\":" \
	"\"2026-12-03T02:47:00Z\",\"operation\":{\"initiatedBy\":" \
	initiator ",\"sync\":{\"revision\":\"" SHA731 "\"}}," \
	"\"syncResult\":{\"revision\":\"" SHA731 "\",\"resources\":[]}}}}"

/* A failed converge: resources never reached are not ok. */
START_TEST(test_iac_chef_failed)
{
	static const char body[] = "{\"message_type\":\"run_converge\","
	    "\"id\":\"r-9\",\"node_name\":\"web1\",\"status\":\"failure\","
	    "\"total_resource_count\":10,\"updated_resource_count\":2,"
	    "\"resources\":[{\"status\":\"updated\"},{\"status\":"
	    "\"updated\"},{\"status\":\"failed\"},{\"status\":\"unprocessed\"},"
	    "{\"status\":\"unprocessed\"},{\"status\":\"skipped\"}]}";
	struct ledger_source *src = mksrc(CHEF_CONFIG);
	struct rq q;
	struct res res;

	rq_init(&q, "application/json", body, strlen(body));
	rq_set(&q, "x-data-collector-token", CD_SECRET);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_SUMMARY],
	    "changed=2,failed=1,ok=6,unreachable=0");
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_DELIVERY],
	    "run_converge:r-9");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_iac_argocd)
{
	static const char running[] = ARGO_APP("Running",
	    "{\"automated\":true}", "");
	static const char done[] = ARGO_APP("Succeeded",
	    "{\"username\":\"alice@example.com\"}",
	    ",\"labels\":{\"environment\":\"production\"}");
	static const char result[] = "{\"revision\":\"" SHA731 "\","
	    "\"resources\":[{\"kind\":\"Deployment\",\"name\":"
	    "\"guestbook-ui\",\"status\":\"Synced\"}],\"source\":{"
	    "\"repoURL\":\"https://github.com/argoproj/argocd-example-apps."
	    "git\",\"path\":\"guestbook\"}}";
	static const char neither[] = "{\"hello\":\"argo\"}";
	static const char uid_app[] = "{\"metadata\":{\"name\":\"payments\","
	    "\"uid\":\"6b1d-77\"},\"spec\":{\"destination\":{\"namespace\":"
	    "\"prod\"}},\"status\":{\"operationState\":{\"phase\":"
	    "\"Running\",\"startedAt\":\"2026-12-03T02:47:00Z\"}}}";
	struct ledger_source *src = mksrc("{\"name\":\"argo\",\"type\":"
	    "\"argocd\",\"secret_file\":\"cd.secret\"}");
	const struct ledger_event *ev;
	struct rq q;
	struct res res;

	deliver_json(src, &q, running, strlen(running), CD_SECRET, &res);
	ck_class(&res, K_OK);
	ev = res.evs[0];
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_DEPLOYMENT);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_TYPE], "argocd");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], "app.sync.Running");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE], "guestbook");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ENVIRONMENT], "prod");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_COMMIT], SHA731);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ACTOR], "argocd:automated");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "running");
	ck_assert_str_eq(ledger_status_word(ev->e.kind,
	    ev->e.subject[LEDGER_SUBJ_STATUS]), "started");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_DEPLOYMENT],
	    "guestbook:2026-12-03T02:47:00Z");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_PIPELINE], "default");
	check_payload(ev, &q);
	res_release(&res);
	rq_release(&q);
	/* the same sync, finished: one deployment with its latest status;
	 * the Application's label names the environment */
	deliver_json(src, &q, done, strlen(done), CD_SECRET, &res);
	ck_class(&res, K_OK);
	ev = res.evs[0];
	ck_assert_str_eq(ledger_status_word(ev->e.kind,
	    ev->e.subject[LEDGER_SUBJ_STATUS]), "success");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ACTOR], "alice@example.com");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ENVIRONMENT], "production");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_DEPLOYMENT],
	    "guestbook:2026-12-03T02:47:00Z");
	res_release(&res);
	/* a wrong bearer, an HMAC of another body */
	rq_set(&q, "Authorization", "Bearer " CD_SECRET "x");
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	/* another Application syncing in the same second is another
	 * deployment: keyed by its uid */
	deliver_json(src, &q, uid_app, strlen(uid_app), CD_SECRET, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_DEPLOYMENT],
	    "6b1d-77:2026-12-03T02:47:00Z");
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_SERVICE], "payments");
	res_release(&res);
	rq_release(&q);
	deliver_json(src, &q, result, strlen(result), CD_SECRET, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_EVENT], "syncResult");
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_COMMIT], SHA731);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_DEPLOYMENT);
	res_release(&res);
	rq_release(&q);
	deliver_json(src, &q, neither, strlen(neither), CD_SECRET, &res);
	ck_class(&res, K_INPUT);
	ck_assert_ptr_nonnull(strstr(res.err.msg, "toJson .app"));
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* ---- Ansible ---- */

/* The JSON callback's output POSTed: the run with its counts, as
 * `ledgerctl record run` records it, of this source; other JSON refused. */
START_TEST(test_iac_ansible)
{
	struct ledger_source *src = mksrc("{\"name\":\"ansible\",\"type\":"
	    "\"ansible\",\"token_file\":\"cd.token\"}");
	static const char other[] = "{\"plays\":[]}";
	const struct ledger_event *ev;
	struct rq q;
	struct res res;
	size_t len;
	char *body = slurp_payload("iac/ansible/ansible.posix.json."
	    "cowsay-check.not-installed.json", &len);

	deliver_json(src, &q, body, len, CD_TOKEN, &res);
	ck_class(&res, K_OK);
	ev = res.evs[0];
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_CHANGE);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_TYPE], "ansible");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_NAME], "ansible");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], "playbook");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE], "localhost");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "success");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SUMMARY],
	    "changed=1,failed=0,ok=2,unreachable=0");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_TOOL], "Ansible");
	ck_assert_str_eq(res.auth, "bearer");
	check_payload(ev, &q);
	res_release(&res);
	rq_set(&q, "Authorization", NULL);
	rq_sign(&q, LEDGER_SOURCE_ANSIBLE);
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);	/* no secret_file: a signature is no use */
	rq_release(&q);
	deliver_json(src, &q, other, strlen(other), CD_TOKEN, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	int r;

	if ((r = src_suite_init("test-iac")) != 0)
		return r;
	s = suite_create("iac");
	tc = tcase_create("iac");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_test(tc, test_iac_flux_sample);
	tcase_add_test(tc, test_iac_flux_variants);
	tcase_add_test(tc, test_iac_flux_oci);
	tcase_add_loop_test(tc, test_iac_tfc_samples, 0, 3);
	tcase_add_test(tc, test_iac_tfc_drift);
	tcase_add_loop_test(tc, test_iac_chef_samples, 0, 4);
	tcase_add_test(tc, test_iac_puppet);
	tcase_add_test(tc, test_iac_chef_failed);
	tcase_add_test(tc, test_iac_argocd);
	tcase_add_test(tc, test_iac_ansible);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
