/* buf.c - growable byte buffer */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/buf.h"
#include "ledger-int.h"

void
ledger_buf_init(struct ledger_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
ledger_buf_release(struct ledger_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	ledger_buf_init(b);
}

void
ledger_buf_reset(struct ledger_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

enum ledger_status
ledger_buf_reserve(struct ledger_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX - b->len - 1)
		return LEDGER_ENOMEM;
	need = b->len + n + 1;
	if (need <= b->cap)
		return LEDGER_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return LEDGER_ENOMEM;
	b->data = p;
	b->cap = cap;
	return LEDGER_OK;
}

enum ledger_status
ledger_buf_add(struct ledger_buf *b, const void *p, size_t n)
{
	if (ledger_buf_reserve(b, n) != LEDGER_OK)
		return LEDGER_ENOMEM;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return LEDGER_OK;
}

enum ledger_status
ledger_buf_adds(struct ledger_buf *b, const char *s)
{
	return ledger_buf_add(b, s, strlen(s));
}

enum ledger_status
ledger_buf_addc(struct ledger_buf *b, char c)
{
	return ledger_buf_add(b, &c, 1);
}

enum ledger_status
ledger_buf_addf(struct ledger_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* one pass when it fits (it nearly always does once the buffer has
	 * grown), a second into the room the first said it needs */
	if (ledger_buf_reserve(b, 64) != LEDGER_OK)
		return LEDGER_ENOMEM;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->data[b->len] = '\0';
		return LEDGER_ENOMEM;
	}
	if ((size_t)n >= b->cap - b->len) {
		b->data[b->len] = '\0';
		if (ledger_buf_reserve(b, (size_t)n) != LEDGER_OK)
			return LEDGER_ENOMEM;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return LEDGER_OK;
}

enum ledger_status
ledger_buf_add_u64(struct ledger_buf *b, uint64_t v)
{
	char t[20];
	size_t n = sizeof(t);

	do
		t[--n] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return ledger_buf_add(b, t + n, sizeof(t) - n);
}

char *
ledger_buf_steal(struct ledger_buf *b, size_t *ret_len)
{
	char *p = b->data;

	if (ret_len != NULL)
		*ret_len = b->len;
	ledger_buf_init(b);
	return p;
}

int
ledger_buf_seq_member(struct ledger_buf *b, const char *sep, const char *name,
    uint64_t v)
{
	if (v == UINT64_MAX)
		return ledger_buf_addf(b, "%s\"%s\":null", sep, name) != 0;
	return ledger_buf_addf(b, "%s\"%s\":%" PRIu64, sep, name, v) != 0;
}
