/*
 * ledger/buf.h - a growable byte buffer
 *
 * Caller-allocated: initialize with LEDGER_BUF_INIT or ledger_buf_init,
 * release with ledger_buf_release (NULL-safe, leaves an empty buffer).
 * data is always NUL-terminated after a successful append (the NUL is not
 * counted in len), so text can be used as a C string.
 */
#ifndef LEDGER_BUF_H
#define LEDGER_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ledger_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define LEDGER_BUF_INIT { NULL, 0, 0 }

void ledger_buf_init(struct ledger_buf *b);
void ledger_buf_release(struct ledger_buf *b);
/* Forget the contents but keep the memory. */
void ledger_buf_reset(struct ledger_buf *b);
/* Make room for n more bytes.  Errors: LEDGER_ENOMEM. */
enum ledger_status ledger_buf_reserve(struct ledger_buf *b, size_t n) LEDGER_WUR;
/* Append bytes / a C string / one byte / printf output.
 * Errors: LEDGER_ENOMEM (the buffer is unchanged). */
enum ledger_status ledger_buf_add(struct ledger_buf *b, const void *p,
    size_t n) LEDGER_WUR;
enum ledger_status ledger_buf_adds(struct ledger_buf *b, const char *s) LEDGER_WUR;
enum ledger_status ledger_buf_addc(struct ledger_buf *b, char c) LEDGER_WUR;
enum ledger_status ledger_buf_addf(struct ledger_buf *b, const char *fmt, ...)
    LEDGER_PRINTF(2, 3) LEDGER_WUR;
/* Append v in decimal.  Errors: LEDGER_ENOMEM (the buffer is unchanged). */
enum ledger_status ledger_buf_add_u64(struct ledger_buf *b, uint64_t v)
    LEDGER_WUR;
/* Hand the bytes to the caller (free(3) them) and leave b empty; returns
 * NULL for a buffer that never held anything. */
char *ledger_buf_steal(struct ledger_buf *b, size_t *ret_len);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_BUF_H */
