/*
 * sha256.h - SHA-256 and HMAC-SHA256 for the hot paths
 *
 * libsodium's SHA-256 is portable C (~400 MB/s here).  A webhook delivery
 * is hashed twice (its HMAC and its payload hash), 22 KB each for a GitHub
 * workflow_run, which made hashing 28% of a delivery's CPU.  x86-64 CPUs
 * with the SHA extensions (SHA-NI: Intel since Goldmont/Ice Lake, AMD
 * since Zen) do a block in a few dozen cycles: this uses them when CPUID
 * says they are there and a portable compression function otherwise.  The
 * output is SHA-256 (FIPS 180-4) either way; tests/test-sha256.c checks
 * both paths against the NIST vectors, RFC 4231 and libsodium.
 */
#ifndef LEDGER_SHA256_H
#define LEDGER_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEDGER_SHA256_BYTES 32

struct ledger_sha256 {
	uint32_t h[8];
	uint64_t len;			/* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};

void ledger_sha256_init(struct ledger_sha256 *c);
void ledger_sha256_update(struct ledger_sha256 *c, const void *p, size_t n);
void ledger_sha256_final(struct ledger_sha256 *c,
    uint8_t out[LEDGER_SHA256_BYTES]);
void ledger_sha256(const void *p, size_t n, uint8_t out[LEDGER_SHA256_BYTES]);

struct ledger_hmac_sha256 {
	struct ledger_sha256 inner, outer;
};

/* Any key length (a key longer than a block is hashed first, RFC 2104). */
void ledger_hmac_sha256_init(struct ledger_hmac_sha256 *c, const void *key,
    size_t keylen);
void ledger_hmac_sha256_update(struct ledger_hmac_sha256 *c, const void *p,
    size_t n);
void ledger_hmac_sha256_final(struct ledger_hmac_sha256 *c,
    uint8_t out[LEDGER_SHA256_BYTES]);

/* Which compression function runs ("sha-ni" or "portable"). */
const char *ledger_sha256_impl(void);
/* Tests: force the portable path (false) or the detected one (true). */
void ledger_sha256_use_hw(bool on);

#endif
