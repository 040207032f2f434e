/*
 * fuzz-report.c - libFuzzer harness: the answers' questions and the gate's
 * policy (ledger/report.h), the two things a client sends them
 *
 * Input: one byte choosing the answer (deployments, exceptions, actors,
 * state, last-good, gate), then "name=value" lines read with
 * ledger_report_param as the API reads query parameters, up to a line
 * "--"; the rest is a gate policy for ledger_gate_policy_check.
 * Invariants: every refusal says why; a question that checks encodes to
 * a query string that reads back to the same question (same encoding,
 * and it checks again); a policy is accepted or refused with a message;
 * nothing leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const exceptions[] = { "unapproved", "late-approval",
    "rejected", "self-approved" };

static void
must_say_why(const struct ledger_error *err)
{
	if (err->msg[0] == '\0')
		abort();
}

/* Read "?a=b&c=d" (percent-encoded) back into r. */
static void
read_back(struct ledger_report_req *r, const char *q)
{
	struct ledger_error err;
	char name[64], *value;
	const char *p = q + 1, *amp, *eq;
	size_t i, n, k;

	while (*p != '\0') {
		amp = strchr(p, '&');
		n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', n);
		if (eq == NULL || (size_t)(eq - p) >= sizeof(name))
			abort();
		memcpy(name, p, (size_t)(eq - p));
		name[eq - p] = '\0';
		if ((value = malloc(n)) == NULL)
			abort();
		for (i = (size_t)(eq - p) + 1, k = 0; i < n; i++) {
			if (p[i] == '%' && i + 2 < n + 1) {
				char hex[3] = { p[i + 1], p[i + 2], 0 };

				value[k++] = (char)strtol(hex, NULL, 16);
				i += 2;
			} else
				value[k++] = p[i];
		}
		value[k] = '\0';
		if (ledger_report_param(r, name, value, &err) != LEDGER_OK)
			abort();
		free(value);
		p += n + (amp != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger_report_req r, again;
	struct ledger_buf q1 = LEDGER_BUF_INIT, q2 = LEDGER_BUF_INIT;
	struct ledger_error err;
	enum ledger_answer what;
	const char *exc;
	char *text, *line, *next, *eq;
	size_t i;

	if (size < 1)
		return 0;
	what = (enum ledger_answer)(data[0] % 6);
	exc = exceptions[(data[0] / 6) % 4];
	if ((text = malloc(size)) == NULL)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (ledger_report_req_init(&r, what, exc, &err) != LEDGER_OK)
		abort();
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strcmp(line, "--") == 0)
			break;
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		if (ledger_report_param(&r, line, eq + 1, &err) != LEDGER_OK)
			must_say_why(&err);
	}
	if (ledger_report_check(&r, &err) != LEDGER_OK)
		must_say_why(&err);
	else {
		if (ledger_report_encode(&r, &q1) != LEDGER_OK ||
		    ledger_buf_addc(&q1, '\0') != LEDGER_OK)
			abort();
		if (ledger_report_req_init(&again, what, exc, &err))
			abort();
		if (q1.len > 1)
			read_back(&again, q1.data);
		if (ledger_report_check(&again, &err) != LEDGER_OK ||
		    ledger_report_encode(&again, &q2) != LEDGER_OK ||
		    ledger_buf_addc(&q2, '\0') != LEDGER_OK ||
		    strcmp(q1.data, q2.data) != 0)
			abort();
		ledger_report_req_release(&again);
	}
	ledger_report_req_release(&r);
	ledger_buf_release(&q1);
	ledger_buf_release(&q2);
	/* the rest: a gate policy */
	if (next != NULL) {
		i = strlen(next);
		if (ledger_gate_policy_check(next, i, "production", &err) !=
		    LEDGER_OK)
			must_say_why(&err);
	}
	free(text);
	return 0;
}
