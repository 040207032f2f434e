/*
 * lookup.c - lookup keys (see lookup.h)
 *
 * key = the first 8 bytes (big-endian) of BLAKE2b-64 over
 *	"ledgerd/lookup/v1\n" || letter || value [|| 0x00 || value2]
 * The letter separates the fields, the 0x00 the source name from the
 * delivery id (neither holds a NUL).  The keys are not secret and need
 * not resist crafted collisions: a collision costs one extra candidate
 * row, which the column comparison then drops.
 */
#include <string.h>

#include <sodium.h>

#include "lookup.h"

static const char letters[LEDGER_LOOKUP_COUNT] = {
	'c', 'a', 'r', 'd', 'k', 'n', 'u', 'e', 'p', 's', 't', 'i', 'b',
	'q', 'h', 'j', 'x',
};

char
ledger_lookup_letter(enum ledger_lookup_field f)
{
	return letters[f];
}

const char *
ledger_lookup_name(enum ledger_lookup_field f)
{
	static const char *const names[LEDGER_LOOKUP_COUNT] = {
		"commit", "artifact", "run", "delivery id", "kind", "source",
		"actor", "environment", "pipeline", "service", "status",
		"ticket", "body", "kind and commit", "kind and artifact",
		"kind and run", "place",
	};

	return names[f];
}

int
ledger_lookup_subject(enum ledger_subject f)
{
	switch (f) {
	case LEDGER_SUBJ_ACTOR:		return LEDGER_LOOKUP_ACTOR;
	case LEDGER_SUBJ_ARTIFACT:	return LEDGER_LOOKUP_ARTIFACT;
	case LEDGER_SUBJ_COMMIT:	return LEDGER_LOOKUP_COMMIT;
	case LEDGER_SUBJ_ENVIRONMENT:	return LEDGER_LOOKUP_ENVIRONMENT;
	case LEDGER_SUBJ_PIPELINE:	return LEDGER_LOOKUP_PIPELINE;
	case LEDGER_SUBJ_RUN:		return LEDGER_LOOKUP_RUN;
	case LEDGER_SUBJ_SERVICE:	return LEDGER_LOOKUP_SERVICE;
	case LEDGER_SUBJ_STATUS:	return LEDGER_LOOKUP_STATUS;
	case LEDGER_SUBJ_TICKET:	return LEDGER_LOOKUP_TICKET;
	default:			return -1;
	}
}

uint64_t
ledger_lookup_key(enum ledger_lookup_field f, const char *v, const char *v2)
{
	static const char domain[] = "ledgerd/lookup/v1\n";
	crypto_generichash_state st;
	uint8_t h[8];
	uint64_t k = 0;
	size_t i;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)domain,
	    sizeof(domain) - 1);
	crypto_generichash_update(&st, (const uint8_t *)&letters[f], 1);
	crypto_generichash_update(&st, (const uint8_t *)v, strlen(v));
	if (v2 != NULL) {
		crypto_generichash_update(&st, (const uint8_t *)"", 1);
		crypto_generichash_update(&st, (const uint8_t *)v2,
		    strlen(v2));
	}
	crypto_generichash_final(&st, h, sizeof(h));
	for (i = 0; i < sizeof(h); i++)
		k = k << 8 | h[i];
	return k;
}

uint64_t
ledger_lookup_place_key(const char *environment, const char *service)
{
	uint64_t env = ledger_lookup_key(LEDGER_LOOKUP_PLACE, environment,
	    NULL);
	/* "" then the name: never the environment's own input */
	uint64_t svc = ledger_lookup_key(LEDGER_LOOKUP_PLACE, "",
	    service != NULL ? service : "");

	return (env & ~(UINT64_MAX >> LEDGER_PLACE_ENV_BITS)) |
	    svc >> LEDGER_PLACE_ENV_BITS;
}

int
ledger_lookup_since_v8(enum ledger_lookup_field f)
{
	return f >= LEDGER_LOOKUP_KIND_COMMIT && f < LEDGER_LOOKUP_COUNT;
}

static void
body_part(crypto_generichash_state *st, const char *v)
{
	if (v != NULL)
		crypto_generichash_update(st, (const uint8_t *)v, strlen(v));
	crypto_generichash_update(st, (const uint8_t *)"", 1);
}

uint64_t
ledger_lookup_body_key(const struct ledger_entry *e)
{
	static const char domain[] = "ledgerd/lookup/v1\n";
	crypto_generichash_state st;
	const char *kind = ledger_kind_name(e->kind);
	uint8_t h[8];
	uint64_t k = 0;
	size_t i;
	int f;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)domain,
	    sizeof(domain) - 1);
	crypto_generichash_update(&st, (const uint8_t *)&letters[
	    LEDGER_LOOKUP_BODY], 1);
	crypto_generichash_update(&st, e->payload_sha256,
	    sizeof(e->payload_sha256));
	/* Each value ends in a NUL (none holds one); an absent value is
	 * empty, which no present one is. */
	body_part(&st, e->source[LEDGER_SRC_NAME]);
	body_part(&st, kind);
	body_part(&st, e->source[LEDGER_SRC_EVENT]);
	for (f = 0; f < LEDGER_SUBJ_COUNT; f++) {
		/* deployment (schema 7), summary, tool and tool_version
		 * (schema 11): absent, they add nothing, so
		 * every body key computed before it still holds */
		if ((f == LEDGER_SUBJ_DEPLOYMENT || f == LEDGER_SUBJ_SUMMARY ||
		    f == LEDGER_SUBJ_TOOL || f == LEDGER_SUBJ_TOOL_VERSION) &&
		    e->subject[f] == NULL)
			continue;
		body_part(&st, e->subject[f]);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	for (i = 0; i < sizeof(h); i++)
		k = k << 8 | h[i];
	return k;
}

void
ledger_lookup_term(enum ledger_lookup_field f, uint64_t key,
    char out[LEDGER_LOOKUP_TERM])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	out[0] = letters[f];
	for (i = 0; i < 16; i++)
		out[1 + i] = hex[(key >> (60 - 4 * i)) & 0xf];
	out[17] = '\0';
}

int
ledger_lookup_parse_term(const char *term, size_t len,
    enum ledger_lookup_field *f, uint64_t *key)
{
	uint64_t k = 0;
	size_t i;
	int fi;

	if (len != LEDGER_LOOKUP_TERM - 1)
		return 0;
	for (fi = 0; fi < LEDGER_LOOKUP_COUNT; fi++)
		if (term[0] == letters[fi])
			break;
	if (fi == LEDGER_LOOKUP_COUNT)
		return 0;
	for (i = 1; i < len; i++) {
		char c = term[i];

		if (c >= '0' && c <= '9')
			k = k << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			k = k << 4 | (uint64_t)(c - 'a' + 10);
		else
			return 0;
	}
	*f = (enum ledger_lookup_field)fi;
	*key = k;
	return 1;
}

int
ledger_lookup_terms(const struct ledger_entry *e,
    char out[LEDGER_LOOKUP_TERMS], uint64_t keys[LEDGER_LOOKUP_COUNT],
    int present[LEDGER_LOOKUP_COUNT])
{
	const char *v[LEDGER_LOOKUP_COUNT] = { 0 };
	const char *v2[LEDGER_LOOKUP_COUNT] = { 0 };
	const char *kind = ledger_kind_name(e->kind);
	const char *env = e->subject[LEDGER_SUBJ_ENVIRONMENT];
	size_t len = 0;
	int f, n = 0;

	for (f = 0; f < LEDGER_SUBJ_COUNT; f++) {
		int lf = ledger_lookup_subject((enum ledger_subject)f);

		if (lf >= 0)
			v[lf] = e->subject[f];
	}
	v[LEDGER_LOOKUP_DELIVERY] = e->source[LEDGER_SRC_NAME];
	v2[LEDGER_LOOKUP_DELIVERY] = e->source[LEDGER_SRC_DELIVERY];
	v[LEDGER_LOOKUP_KIND] = kind;
	v[LEDGER_LOOKUP_SOURCE] = e->source[LEDGER_SRC_NAME];
	v[LEDGER_LOOKUP_KIND_COMMIT] = kind;
	v2[LEDGER_LOOKUP_KIND_COMMIT] = e->subject[LEDGER_SUBJ_COMMIT];
	v[LEDGER_LOOKUP_KIND_ARTIFACT] = kind;
	v2[LEDGER_LOOKUP_KIND_ARTIFACT] = e->subject[LEDGER_SUBJ_ARTIFACT];
	v[LEDGER_LOOKUP_KIND_RUN] = kind;
	v2[LEDGER_LOOKUP_KIND_RUN] = e->subject[LEDGER_SUBJ_RUN];
	if (out != NULL)
		out[0] = '\0';
	for (f = 0; f < LEDGER_LOOKUP_COUNT; f++) {
		int has = v[f] != NULL && (v2[f] != NULL ||
		    (f != LEDGER_LOOKUP_DELIVERY && !ledger_lookup_since_v8(
		    (enum ledger_lookup_field)f)));
		uint64_t k = 0;

		if (f == LEDGER_LOOKUP_BODY)
			has = e->source[LEDGER_SRC_NAME] != NULL;
		if (f == LEDGER_LOOKUP_PLACE)
			has = env != NULL && (e->kind ==
			    LEDGER_KIND_DEPLOYMENT || e->kind ==
			    LEDGER_KIND_ROLLBACK);
		if (has) {
			k = f == LEDGER_LOOKUP_BODY ? ledger_lookup_body_key(e) :
			    f == LEDGER_LOOKUP_PLACE ? ledger_lookup_place_key(
			    env, e->subject[LEDGER_SUBJ_SERVICE]) :
			    ledger_lookup_key((enum ledger_lookup_field)f,
			    v[f], v2[f]);
			if (out != NULL) {
				if (n > 0)
					out[len++] = ' ';
				ledger_lookup_term((enum ledger_lookup_field)f,
				    k, out + len);
				len += LEDGER_LOOKUP_TERM - 1;
			}
			n++;
		}
		if (keys != NULL)
			keys[f] = k;
		if (present != NULL)
			present[f] = has;
	}
	return n;
}
