/*
 * merkle-int.h - bit arithmetic shared by the tree (merkle.c) and the
 * proof checks (merkle-verify.c)
 */
#ifndef LEDGER_MERKLE_INT_H
#define LEDGER_MERKLE_INT_H

#include <stdint.h>

#define H LEDGER_HASH_BYTES

/* Number of bits needed to write x: 0 for 0, 64 for 2^63 and above. */
static inline int
bitlen(uint64_t x)
{
	int n = 0;

	while (x != 0) {
		x >>= 1;
		n++;
	}
	return n;
}

static inline int
popcount(uint64_t x)
{
	int n = 0;

	while (x != 0) {
		x &= x - 1;
		n++;
	}
	return n;
}

/* Trailing zero bits of x, 64 for 0. */
static inline int
ctz(uint64_t x)
{
	int n = 0;

	if (x == 0)
		return 64;
	while ((x & 1) == 0) {
		x >>= 1;
		n++;
	}
	return n;
}

/* x >> s, defined for every s (C leaves s >= 64 undefined). */
static inline uint64_t
shr(uint64_t x, int s)
{
	return s >= 64 ? 0 : x >> s;
}

#endif
