/*
 * sha256.c - SHA-256 (FIPS 180-4) with the x86 SHA extensions when present
 *
 * The buffering and padding are shared; the compression function is the
 * portable one below or, on x86-64 with SHA-NI, SSSE3 and SSE4.1, the
 * intrinsics version (the well-known schedule of Intel's "SHA extensions"
 * paper: sha256rnds2 does two rounds, sha256msg1/msg2 extend the message).
 * The choice is made once, from CPUID.
 */
#include <string.h>

#include "sha256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void
compress_portable(uint32_t st[8], const uint8_t *p, size_t blocks)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	while (blocks--) {
		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)p[4 * i] << 24 |
			    (uint32_t)p[4 * i + 1] << 16 |
			    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
		for (i = 16; i < 64; i++)
			w[i] = (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			    w[i - 2] >> 10) + w[i - 7] + (ror(w[i - 15], 7) ^
			    ror(w[i - 15], 18) ^ w[i - 15] >> 3) + w[i - 16];
		a = st[0], b = st[1], c = st[2], d = st[3];
		e = st[4], f = st[5], g = st[6], h = st[7];
		for (i = 0; i < 64; i++) {
			t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			    ((e & f) ^ (~e & g)) + K256[i] + w[i];
			t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			    ((a & b) ^ (a & c) ^ (b & c));
			h = g, g = f, f = e, e = d + t1;
			d = c, c = b, b = a, a = t1 + t2;
		}
		st[0] += a, st[1] += b, st[2] += c, st[3] += d;
		st[4] += e, st[5] += f, st[6] += g, st[7] += h;
		p += 64;
	}
}

#ifdef HAVE_X86
/*
 * Four rounds: i is the group (rounds 4i .. 4i+3).  M[i & 3] holds the
 * message words of the group; msg2 completes the next group's words (from
 * group 3 to 14), msg1 starts the words of the group after next (from
 * group 1 to 12).
 */
#define QROUND(i) do {							\
	msg = _mm_add_epi32(m[(i) & 3],					\
	    _mm_loadu_si128((const __m128i *)&K256[4 * (i)]));		\
	s1 = _mm_sha256rnds2_epu32(s1, s0, msg);			\
	if ((i) >= 3 && (i) <= 14) {					\
		tmp = _mm_alignr_epi8(m[(i) & 3], m[((i) + 3) & 3], 4);	\
		m[((i) + 1) & 3] = _mm_add_epi32(m[((i) + 1) & 3], tmp); \
		m[((i) + 1) & 3] = _mm_sha256msg2_epu32(		\
		    m[((i) + 1) & 3], m[(i) & 3]);			\
	}								\
	msg = _mm_shuffle_epi32(msg, 0x0e);				\
	s0 = _mm_sha256rnds2_epu32(s0, s1, msg);			\
	if ((i) >= 1 && (i) <= 12)					\
		m[((i) + 3) & 3] = _mm_sha256msg1_epu32(		\
		    m[((i) + 3) & 3], m[(i) & 3]);			\
} while (0)

__attribute__((target("sha,sse4.1,ssse3")))
static void
compress_shani(uint32_t st[8], const uint8_t *p, size_t blocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	__m128i s0, s1, msg, tmp, abef, cdgh, m[4];
	int j;

	/* state words a..h into the ABEF / CDGH lanes the rounds want */
	tmp = _mm_loadu_si128((const __m128i *)&st[0]);
	s1 = _mm_loadu_si128((const __m128i *)&st[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xb1);		/* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1b);		/* EFGH */
	s0 = _mm_alignr_epi8(tmp, s1, 8);		/* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xf0);		/* CDGH */
	while (blocks--) {
		abef = s0;
		cdgh = s1;
		for (j = 0; j < 4; j++)
			m[j] = _mm_shuffle_epi8(_mm_loadu_si128(
			    (const __m128i *)(p + 16 * j)), mask);
		QROUND(0); QROUND(1); QROUND(2); QROUND(3);
		QROUND(4); QROUND(5); QROUND(6); QROUND(7);
		QROUND(8); QROUND(9); QROUND(10); QROUND(11);
		QROUND(12); QROUND(13); QROUND(14); QROUND(15);
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
		p += 64;
	}
	tmp = _mm_shuffle_epi32(s0, 0x1b);		/* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);		/* DCHG */
	s0 = _mm_blend_epi16(tmp, s1, 0xf0);		/* DCBA */
	s1 = _mm_alignr_epi8(s1, tmp, 8);		/* HGFE */
	_mm_storeu_si128((__m128i *)&st[0], s0);
	_mm_storeu_si128((__m128i *)&st[4], s1);
}

static bool
cpu_has_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) ||
	    !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return false;
	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & (1u << 29)) != 0;	/* CPUID.(7,0):EBX.SHA */
}
#endif

typedef void (*compress_fn)(uint32_t st[8], const uint8_t *p,
    size_t blocks);

/* Resolved on first use; a benign race (every thread stores the same). */
static compress_fn compress_impl;

static compress_fn
detect(void)
{
#ifdef HAVE_X86
	if (cpu_has_shani())
		return compress_shani;
#endif
	return compress_portable;
}

static compress_fn
compressor(void)
{
	compress_fn f = __atomic_load_n(&compress_impl, __ATOMIC_RELAXED);

	if (f == NULL) {
		f = detect();
		__atomic_store_n(&compress_impl, f, __ATOMIC_RELAXED);
	}
	return f;
}

const char *
ledger_sha256_impl(void)
{
	return compressor() == compress_portable ? "portable" : "sha-ni";
}

void
ledger_sha256_use_hw(bool on)
{
	__atomic_store_n(&compress_impl, on ? detect() : compress_portable,
	    __ATOMIC_RELAXED);
}

void
ledger_sha256_init(struct ledger_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->nbuf = 0;
}

void
ledger_sha256_update(struct ledger_sha256 *c, const void *data, size_t n)
{
	const uint8_t *p = data;
	compress_fn f = compressor();
	size_t k;

	c->len += n;
	if (c->nbuf > 0) {
		k = 64 - c->nbuf < n ? 64 - c->nbuf : n;
		memcpy(c->buf + c->nbuf, p, k);
		c->nbuf += k;
		p += k;
		n -= k;
		if (c->nbuf < 64)
			return;
		f(c->h, c->buf, 1);
		c->nbuf = 0;
	}
	if (n >= 64) {
		f(c->h, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	if (n > 0) {
		memcpy(c->buf, p, n);
		c->nbuf = n;
	}
}

void
ledger_sha256_final(struct ledger_sha256 *c, uint8_t out[LEDGER_SHA256_BYTES])
{
	uint64_t bits = c->len * 8;
	compress_fn f = compressor();
	int i;

	c->buf[c->nbuf++] = 0x80;
	if (c->nbuf > 56) {
		memset(c->buf + c->nbuf, 0, 64 - c->nbuf);
		f(c->h, c->buf, 1);
		c->nbuf = 0;
	}
	memset(c->buf + c->nbuf, 0, 56 - c->nbuf);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	f(c->h, c->buf, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
	memset(c, 0, sizeof(*c));
}

void
ledger_sha256(const void *p, size_t n, uint8_t out[LEDGER_SHA256_BYTES])
{
	struct ledger_sha256 c;

	ledger_sha256_init(&c);
	ledger_sha256_update(&c, p, n);
	ledger_sha256_final(&c, out);
}

void
ledger_hmac_sha256_init(struct ledger_hmac_sha256 *c, const void *key,
    size_t keylen)
{
	uint8_t k[64], pad[64];
	int i;

	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k))
		ledger_sha256(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	ledger_sha256_init(&c->inner);
	ledger_sha256_update(&c->inner, pad, sizeof(pad));
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	ledger_sha256_init(&c->outer);
	ledger_sha256_update(&c->outer, pad, sizeof(pad));
	/* the key is a secret: leave no copy on the stack */
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
	__asm__ __volatile__("" : : "r"(k), "r"(pad) : "memory");
}

void
ledger_hmac_sha256_update(struct ledger_hmac_sha256 *c, const void *p,
    size_t n)
{
	ledger_sha256_update(&c->inner, p, n);
}

void
ledger_hmac_sha256_final(struct ledger_hmac_sha256 *c,
    uint8_t out[LEDGER_SHA256_BYTES])
{
	uint8_t ih[LEDGER_SHA256_BYTES];

	ledger_sha256_final(&c->inner, ih);
	ledger_sha256_update(&c->outer, ih, sizeof(ih));
	ledger_sha256_final(&c->outer, out);
	memset(ih, 0, sizeof(ih));
	__asm__ __volatile__("" : : "r"(ih) : "memory");
}
