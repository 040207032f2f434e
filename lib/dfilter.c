/*
 * dfilter.c - the writer's delivery filter (see dfilter.h)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "dfilter.h"

/* 16 bits and 4 probes per key: 0.24% false "maybe"s at a part's
 * capacity, below 3% with every part full. */
#define DFILTER_BITS_PER_KEY	16
#define DFILTER_MIN_BITS	((uint64_t)1 << 16)	/* 8 KiB */
#define DFILTER_PART_MAX_BITS	((uint64_t)1 << 28)	/* 32 MiB */
#define DFILTER_MAX_BITS	((uint64_t)1 << 29)	/* 64 MiB in all */
#define DFILTER_PARTS		12

struct ledger_dfilter {
	uint64_t *bits[DFILTER_PARTS];
	uint64_t nbits[DFILTER_PARTS];	/* each a power of two */
	int n;				/* parts in use, >= 1 */
	uint64_t keys;			/* keys in the newest part */
	uint64_t total;			/* bits in all parts */
};

void
ledger_dfilter_free(struct ledger_dfilter *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		free(f->bits[i]);
	free(f);
}

struct ledger_dfilter *
ledger_dfilter_new(uint64_t expected_keys)
{
	uint64_t nbits = DFILTER_MIN_BITS;

	struct ledger_dfilter *f;

	while (nbits < DFILTER_PART_MAX_BITS &&
	    nbits / DFILTER_BITS_PER_KEY < expected_keys)
		nbits <<= 1;
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->bits[0] = calloc(nbits / 64,
	    sizeof(uint64_t))) == NULL) {
		free(f);
		return NULL;
	}
	f->nbits[0] = f->total = nbits;
	f->n = 1;
	return f;
}

void
ledger_dfilter_add(struct ledger_dfilter *f, uint64_t k)
{
	uint64_t h2 = (k >> 32 | k << 32) | 1, m;
	int i, p = f->n - 1;

	/* The newest part is full: start one twice its size, if allowed
	 * (otherwise keep filling it: more false "maybe"s, never wrong). */
	if (f->keys >= f->nbits[p] / DFILTER_BITS_PER_KEY &&
	    f->n < DFILTER_PARTS) {
		uint64_t nb = f->nbits[p] < DFILTER_PART_MAX_BITS ?
		    f->nbits[p] * 2 : f->nbits[p];

		if (f->total + nb <= DFILTER_MAX_BITS &&
		    (f->bits[f->n] = calloc(nb / 64, sizeof(uint64_t)))) {
			f->nbits[f->n] = nb;
			f->total += nb;
			p = f->n++;
			f->keys = 0;
		}
	}
	m = f->nbits[p] - 1;
	for (i = 0; i < 4; i++, k += h2)
		f->bits[p][(k & m) >> 6] |= (uint64_t)1 << (k & 63);
	f->keys++;
}

bool
ledger_dfilter_maybe(const struct ledger_dfilter *f, uint64_t k)
{
	uint64_t h2 = (k >> 32 | k << 32) | 1, m, x;
	int i, p;

	for (p = 0; p < f->n; p++) {
		m = f->nbits[p] - 1;
		for (i = 0, x = k; i < 4; i++, x += h2)
			if (!(f->bits[p][(x & m) >> 6] &
			    (uint64_t)1 << (x & 63)))
				break;
		if (i == 4)
			return true;
	}
	return false;
}
