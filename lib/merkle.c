/*
 * merkle.c - RFC 6962 / RFC 9162 Merkle tree: storage layout, append,
 * roots, proofs and verification
 *
 * The storage layout, append, root and proof construction are a port to C
 * of golang.org/x/mod/sumdb/tlog (tlog.go: StoredHashIndex,
 * SplitStoredHashIndex, StoredHashCount, StoredHashesForRecordHash,
 * TreeHash, ProveRecord, ProveTree and their helpers),
 * Copyright 2019 The Go Authors, used under its BSD-style license; sizes
 * are uint64_t here and the empty tree hashes to SHA-256("").  The
 * verifiers follow RFC 9162 sections 2.1.3.2 and 2.1.4.2 in the iterative
 * form of transparency-dev/merkle (proof/verify.go), which checks the proof
 * length before hashing and never recurses.
 */
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "ledger/merkle.h"
#include "merkle-int.h"
#include "sha256.h"


/* SHA-256("") */
static const uint8_t empty_root[H] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
	0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
	0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55
};

/* The largest power of two strictly below n (n >= 2): RFC 9162's k. */
static uint64_t
split(uint64_t n)
{
	return (uint64_t)1 << (bitlen(n - 1) - 1);
}

void
ledger_merkle_leaf_hash(const void *data, size_t len, uint8_t out[H])
{
	struct ledger_sha256 st;
	static const unsigned char prefix = 0x00;

	ledger_sha256_init(&st);
	ledger_sha256_update(&st, &prefix, 1);
	if (len > 0)
		ledger_sha256_update(&st, data, len);
	ledger_sha256_final(&st, out);
}

void
ledger_merkle_node_hash(const uint8_t left[H], const uint8_t right[H],
    uint8_t out[H])
{
	unsigned char buf[1 + 2 * H];

	/* Copy first, so that out may alias left or right. */
	buf[0] = 0x01;
	memcpy(buf + 1, left, H);
	memcpy(buf + 1 + H, right, H);
	ledger_sha256(buf, sizeof(buf), out);
}

void
ledger_merkle_empty_root(uint8_t out[H])
{
	memcpy(out, empty_root, H);
}

uint64_t
ledger_merkle_stored_index(int level, uint64_t n)
{
	uint64_t i;
	int l;

	if (level < 0 || level > 62 || n >= (LEDGER_MERKLE_MAX_SIZE >> level))
		return UINT64_MAX;
	/* Level L's n'th hash is written right after level L+1's 2n+1'th
	 * hash: work down to the level 0 ordering, then add the level back. */
	for (l = level; l > 0; l--)
		n = 2 * n + 1;
	/* Level 0's n'th hash is written at n + n/2 + n/4 + ... */
	for (i = 0; n > 0; n >>= 1)
		i += n;
	return i + (uint64_t)level;
}

uint64_t
ledger_merkle_stored_count(uint64_t size)
{
	uint64_t count, i;

	if (size == 0)
		return 0;
	if (size > LEDGER_MERKLE_MAX_SIZE)
		return UINT64_MAX;
	/* Up to the last leaf hash, plus the subtrees that leaf completed. */
	count = ledger_merkle_stored_index(0, size - 1) + 1;
	for (i = size - 1; (i & 1) != 0; i >>= 1)
		count++;
	return count;
}

enum ledger_status
ledger_merkle_split_stored_index(uint64_t index, int *ret_level,
    uint64_t *ret_n, struct ledger_error *err)
{
	uint64_t n, at, x;
	int level;

	if (ret_level == NULL || ret_n == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "split stored index: NULL argument");
	if (index >= ledger_merkle_stored_count(LEDGER_MERKLE_MAX_SIZE))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "stored index %" PRIu64 " is beyond the largest tree",
		    index);
	/* stored_index(0, n) < 2n, so the leaf n that stored index is in
	 * [index/2, index/2 + log2(index)]; each leaf n adds
	 * 1 + ctz(n + 1) hashes. */
	n = index / 2;
	at = ledger_merkle_stored_index(0, n);
	for (;;) {
		x = at + 1 + (uint64_t)ctz(n + 1);
		if (x > index)
			break;
		n++;
		at = x;
	}
	level = (int)(index - at);
	*ret_level = level;
	*ret_n = n >> level;
	return LEDGER_OK;
}

/*
 * Index lists for one reader call.  Bounds: a root needs popcount(size) <= 62
 * indexes; a proof is at most 62 subtrees of which at most one is not
 * complete (it is the right part of the first split where the proof goes
 * left), so at most 61 + 62 indexes.  The overflow flag is a guard against a
 * mistake in that reasoning, not a case we expect.
 */
struct need {
	uint64_t idx[LEDGER_MERKLE_MAX_READ];
	size_t n;
	int overflow;
};

static void
need_add(struct need *nd, uint64_t index)
{
	if (nd->n == LEDGER_MERKLE_MAX_READ) {
		nd->overflow = 1;
		return;
	}
	nd->idx[nd->n++] = index;
}

/* The stored hashes that make up the subtree of leaves [lo, hi): the
 * complete subtrees of its binary decomposition, largest (leftmost) first. */
static void
subtree_index(uint64_t lo, uint64_t hi, struct need *nd)
{
	int level;

	while (lo < hi) {
		level = bitlen(hi - lo) - 1;
		need_add(nd, ledger_merkle_stored_index(level, lo >> level));
		lo += (uint64_t)1 << level;
	}
}

/* Hash of the subtree [lo, hi) from the hashes subtree_index() asked for,
 * taken from hashes[*pos]; advances *pos past them. */
static void
subtree_hash(uint64_t lo, uint64_t hi, uint8_t (*hashes)[H], size_t *pos,
    uint8_t out[H])
{
	size_t ntree, i;

	ntree = (size_t)popcount(hi - lo);
	memcpy(out, hashes[*pos + ntree - 1], H);
	for (i = ntree - 1; i > 0; i--)
		ledger_merkle_node_hash(hashes[*pos + i - 1], out, out);
	*pos += ntree;
}

struct proof {
	uint8_t (*hash)[H];
	size_t n;
	int overflow;
};

static void
proof_add(struct proof *p, const uint8_t h[H])
{
	if (p->n == LEDGER_MERKLE_MAX_PROOF) {
		p->overflow = 1;
		return;
	}
	memcpy(p->hash[p->n++], h, H);
}

/* Indexes for the proof that leaf n is in the subtree [lo, hi)
 * (tlog leafProofIndex; RFC 9162 2.1.3.1 PATH). */
static void
leaf_proof_index(uint64_t lo, uint64_t hi, uint64_t n, struct need *nd)
{
	uint64_t k;

	if (lo + 1 == hi)
		return;
	k = split(hi - lo);
	if (n < lo + k) {
		leaf_proof_index(lo, lo + k, n, nd);
		subtree_index(lo + k, hi, nd);
	} else {
		subtree_index(lo, lo + k, nd);
		leaf_proof_index(lo + k, hi, n, nd);
	}
}

/* The proof itself, consuming hashes in the order leaf_proof_index()
 * listed them and emitting the leaf's sibling first (tlog leafProof). */
static void
leaf_proof(uint64_t lo, uint64_t hi, uint64_t n, uint8_t (*hashes)[H],
    size_t *pos, struct proof *p)
{
	uint8_t th[H];
	uint64_t k;

	if (lo + 1 == hi)
		return;
	k = split(hi - lo);
	if (n < lo + k) {
		leaf_proof(lo, lo + k, n, hashes, pos, p);
		subtree_hash(lo + k, hi, hashes, pos, th);
	} else {
		subtree_hash(lo, lo + k, hashes, pos, th);
		leaf_proof(lo + k, hi, n, hashes, pos, p);
	}
	proof_add(p, th);
}

/* Indexes for the part of the consistency proof for old size n that
 * concerns the subtree [lo, hi) (tlog treeProofIndex; RFC 9162 2.1.4.1
 * SUBPROOF). */
static void
tree_proof_index(uint64_t lo, uint64_t hi, uint64_t n, struct need *nd)
{
	uint64_t k;

	if (n == hi) {
		if (lo != 0)
			subtree_index(lo, hi, nd);
		return;
	}
	k = split(hi - lo);
	if (n <= lo + k) {
		tree_proof_index(lo, lo + k, n, nd);
		subtree_index(lo + k, hi, nd);
	} else {
		subtree_index(lo, lo + k, nd);
		tree_proof_index(lo + k, hi, n, nd);
	}
}

/* tlog treeProof */
static void
tree_proof(uint64_t lo, uint64_t hi, uint64_t n, uint8_t (*hashes)[H],
    size_t *pos, struct proof *p)
{
	uint8_t th[H];
	uint64_t k;

	if (n == hi) {
		/* The old tree itself (lo == 0) is known to the verifier. */
		if (lo != 0) {
			subtree_hash(lo, hi, hashes, pos, th);
			proof_add(p, th);
		}
		return;
	}
	k = split(hi - lo);
	if (n <= lo + k) {
		tree_proof(lo, lo + k, n, hashes, pos, p);
		subtree_hash(lo + k, hi, hashes, pos, th);
	} else {
		subtree_hash(lo, lo + k, hashes, pos, th);
		tree_proof(lo + k, hi, n, hashes, pos, p);
	}
	proof_add(p, th);
}

/* Make the single reader call for nd; a reader must fail if it cannot
 * answer, so there is nothing to check in the hashes it returns. */
static enum ledger_status
read_need(const struct need *nd, ledger_merkle_reader reader, void *ctx,
    uint8_t (*out)[H], struct ledger_error *err)
{
	if (nd->overflow)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle: more than %d hashes needed (internal error)",
		    LEDGER_MERKLE_MAX_READ);
	if (nd->n == 0)
		return LEDGER_OK;
	return reader(ctx, nd->idx, nd->n, out, err);
}

enum ledger_status
ledger_merkle_append(uint64_t size, const uint8_t leaf[H],
    ledger_merkle_reader reader, void *ctx,
    uint8_t out_hashes[LEDGER_MERKLE_MAX_STORED][H],
    uint64_t out_indexes[LEDGER_MERKLE_MAX_STORED], size_t *ret_count,
    struct ledger_error *err)
{
	struct need nd;
	uint8_t old[LEDGER_MERKLE_MAX_READ][H];
	uint8_t h[H];
	uint64_t base;
	enum ledger_status rc;
	int m, i;

	if (ret_count != NULL)
		*ret_count = 0;
	if (leaf == NULL || reader == NULL || out_hashes == NULL ||
	    out_indexes == NULL || ret_count == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle append: NULL argument");
	if (size >= LEDGER_MERKLE_MAX_SIZE)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle append: tree is full at %" PRIu64 " leaves", size);

	/* Each trailing 1 bit of size completes a subtree, combining the new
	 * hash with the stored left sibling at that level. */
	m = ctz(~size);
	nd.n = 0;
	nd.overflow = 0;
	for (i = m - 1; i >= 0; i--)
		need_add(&nd, ledger_merkle_stored_index(i,
		    (size >> i) - 1));
	if ((rc = read_need(&nd, reader, ctx, old, err)) != LEDGER_OK)
		goto fail;

	base = ledger_merkle_stored_index(0, size);
	memcpy(h, leaf, H);
	memcpy(out_hashes[0], h, H);
	out_indexes[0] = base;
	for (i = 0; i < m; i++) {
		ledger_merkle_node_hash(old[m - 1 - i], h, h);
		memcpy(out_hashes[i + 1], h, H);
		out_indexes[i + 1] = base + (uint64_t)i + 1;
	}
	*ret_count = (size_t)m + 1;
	return LEDGER_OK;

fail:
	memset(out_hashes, 0, LEDGER_MERKLE_MAX_STORED * H);
	memset(out_indexes, 0, LEDGER_MERKLE_MAX_STORED * sizeof(uint64_t));
	return rc;
}

void
ledger_merkle_frontier_init(struct ledger_merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

enum ledger_status
ledger_merkle_frontier_load(struct ledger_merkle_frontier *f, uint64_t size,
    ledger_merkle_reader reader, void *ctx, struct ledger_error *err)
{
	struct need nd;
	uint8_t got[LEDGER_MERKLE_MAX_READ][H];
	enum ledger_status rc;
	size_t j;
	int l;

	if (f == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle frontier load: NULL argument");
	ledger_merkle_frontier_init(f);
	if (size > LEDGER_MERKLE_MAX_SIZE)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle frontier load: tree size %" PRIu64 " too large",
		    size);
	if (size == 0)
		return LEDGER_OK;
	if (reader == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle frontier load: NULL reader");

	/* The right-edge subtrees, largest (stored earliest) first. */
	nd.n = 0;
	nd.overflow = 0;
	for (l = 62; l >= 0; l--)
		if ((size >> l) & 1)
			need_add(&nd, ledger_merkle_stored_index(l,
			    (size >> l) - 1));
	if ((rc = read_need(&nd, reader, ctx, got, err)) != LEDGER_OK)
		return rc;
	for (l = 62, j = 0; l >= 0; l--)
		if ((size >> l) & 1)
			memcpy(f->hash[l], got[j++], H);
	f->size = size;
	return LEDGER_OK;
}

enum ledger_status
ledger_merkle_frontier_append(struct ledger_merkle_frontier *f,
    const uint8_t leaf[H], uint8_t out_hashes[LEDGER_MERKLE_MAX_STORED][H],
    uint64_t out_indexes[LEDGER_MERKLE_MAX_STORED], size_t *ret_count,
    struct ledger_error *err)
{
	uint8_t h[H];
	uint64_t size, base;
	int m, i;

	if (ret_count != NULL)
		*ret_count = 0;
	if (f == NULL || leaf == NULL ||
	    (out_hashes == NULL) != (out_indexes == NULL))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle frontier append: bad arguments");
	size = f->size;
	if (size >= LEDGER_MERKLE_MAX_SIZE)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle frontier append: tree is full at %" PRIu64
		    " leaves", size);

	m = ctz(~size);
	base = ledger_merkle_stored_index(0, size);
	memcpy(h, leaf, H);
	if (out_hashes != NULL) {
		memcpy(out_hashes[0], h, H);
		out_indexes[0] = base;
	}
	for (i = 0; i < m; i++) {
		ledger_merkle_node_hash(f->hash[i], h, h);
		memset(f->hash[i], 0, H);
		if (out_hashes != NULL) {
			memcpy(out_hashes[i + 1], h, H);
			out_indexes[i + 1] = base + (uint64_t)i + 1;
		}
	}
	memcpy(f->hash[m], h, H);
	f->size = size + 1;
	if (ret_count != NULL)
		*ret_count = (size_t)m + 1;
	return LEDGER_OK;
}

void
ledger_merkle_frontier_root(const struct ledger_merkle_frontier *f,
    uint8_t out[H])
{
	uint8_t h[H];
	int l, have = 0;

	for (l = 0; l < 64; l++) {
		if (((f->size >> l) & 1) == 0)
			continue;
		if (!have)
			memcpy(h, f->hash[l], H);
		else
			ledger_merkle_node_hash(f->hash[l], h, h);
		have = 1;
	}
	memcpy(out, have ? h : empty_root, H);
}

uint64_t
ledger_merkle_frontier_size(const struct ledger_merkle_frontier *f)
{
	return f->size;
}

enum ledger_status
ledger_merkle_root(uint64_t size, ledger_merkle_reader reader, void *ctx,
    uint8_t out[H], struct ledger_error *err)
{
	struct need nd;
	uint8_t got[LEDGER_MERKLE_MAX_READ][H];
	enum ledger_status rc;
	size_t pos = 0;

	if (out == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle root: NULL argument");
	memset(out, 0, H);
	if (size > LEDGER_MERKLE_MAX_SIZE)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle root: tree size %" PRIu64 " too large", size);
	if (size == 0) {
		memcpy(out, empty_root, H);
		return LEDGER_OK;
	}
	if (reader == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "merkle root: NULL reader");
	nd.n = 0;
	nd.overflow = 0;
	subtree_index(0, size, &nd);
	if ((rc = read_need(&nd, reader, ctx, got, err)) != LEDGER_OK)
		return rc;
	subtree_hash(0, size, got, &pos, out);
	return LEDGER_OK;
}

enum ledger_status
ledger_merkle_prove_inclusion(uint64_t index, uint64_t size,
    ledger_merkle_reader reader, void *ctx,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][H], size_t *ret_count,
    struct ledger_error *err)
{
	struct need nd;
	struct proof p;
	uint8_t got[LEDGER_MERKLE_MAX_READ][H];
	enum ledger_status rc;
	size_t pos = 0;

	if (ret_count != NULL)
		*ret_count = 0;
	if (proof == NULL || ret_count == NULL || reader == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "inclusion proof: NULL argument");
	memset(proof, 0, LEDGER_MERKLE_MAX_PROOF * H);
	if (size > LEDGER_MERKLE_MAX_SIZE)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "inclusion proof: tree size %" PRIu64 " too large", size);
	if (index >= size)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "inclusion proof: leaf index %" PRIu64
		    " is not below tree size %" PRIu64, index, size);

	nd.n = 0;
	nd.overflow = 0;
	leaf_proof_index(0, size, index, &nd);
	if ((rc = read_need(&nd, reader, ctx, got, err)) != LEDGER_OK)
		return rc;
	p.hash = proof;
	p.n = 0;
	p.overflow = 0;
	leaf_proof(0, size, index, got, &pos, &p);
	if (p.overflow || pos != nd.n) {
		memset(proof, 0, LEDGER_MERKLE_MAX_PROOF * H);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "inclusion proof: bad index math (internal error)");
	}
	*ret_count = p.n;
	return LEDGER_OK;
}

enum ledger_status
ledger_merkle_prove_consistency(uint64_t old_size, uint64_t new_size,
    ledger_merkle_reader reader, void *ctx,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][H], size_t *ret_count,
    struct ledger_error *err)
{
	struct need nd;
	struct proof p;
	uint8_t got[LEDGER_MERKLE_MAX_READ][H];
	enum ledger_status rc;
	size_t pos = 0;

	if (ret_count != NULL)
		*ret_count = 0;
	if (proof == NULL || ret_count == NULL || reader == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "consistency proof: NULL argument");
	memset(proof, 0, LEDGER_MERKLE_MAX_PROOF * H);
	if (new_size > LEDGER_MERKLE_MAX_SIZE)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "consistency proof: tree size %" PRIu64 " too large",
		    new_size);
	if (old_size > new_size)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "consistency proof: old size %" PRIu64
		    " is above new size %" PRIu64, old_size, new_size);
	/* Policy (merkle.h): nothing to prove from the empty tree or to the
	 * same tree. */
	if (old_size == 0 || old_size == new_size)
		return LEDGER_OK;

	nd.n = 0;
	nd.overflow = 0;
	tree_proof_index(0, new_size, old_size, &nd);
	if ((rc = read_need(&nd, reader, ctx, got, err)) != LEDGER_OK)
		return rc;
	p.hash = proof;
	p.n = 0;
	p.overflow = 0;
	tree_proof(0, new_size, old_size, got, &pos, &p);
	if (p.overflow || pos != nd.n) {
		memset(proof, 0, LEDGER_MERKLE_MAX_PROOF * H);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "consistency proof: bad index math (internal error)");
	}
	*ret_count = p.n;
	return LEDGER_OK;
}
