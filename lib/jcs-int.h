/*
 * jcs-int.h - what the JSON parser (json.c) and the JCS encoder (jcs.c)
 * share
 */
#ifndef LEDGER_JCS_INT_H
#define LEDGER_JCS_INT_H

#include <stddef.h>
#include <stdint.h>

/* Integers up to 2^53 are exact in a double. */
#define EXACT_INT_MAX		9007199254740992.0
#define EXACT_INT_MAX_I		((json_int_t)1 << 53)

/* How much of a bad token or key an error message quotes. */
#define QUOTE_MAX		40

/* The code point of the well-formed UTF-8 sequence at p (checked
 * before). */
uint32_t jcs_utf8_decode(const unsigned char *p);

/* Per byte: 1 when it stands for itself in a JSON string (printable
 * ASCII other than '"' and '\\'). */
extern const unsigned char jcs_plain[256];

#endif
