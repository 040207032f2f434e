/*
 * merkle-verify.c - checking RFC 9162 inclusion and consistency proofs
 * (2.1.3.2, 2.1.4.2) with nothing but the proof: what a client or an
 * offline verifier runs.  Building proofs from a stored tree is merkle.c.
 */
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "ledger/merkle.h"
#include "merkle-int.h"
#include "sha256.h"

/*
 * An inclusion proof for index in a tree of size leaves has two parts
 * (transparency-dev decompInclProof): "inner" hashes below the level where
 * the paths to index and to the last leaf (size - 1) split, and "border"
 * hashes above it, one per 1 bit of index above that level, all of which are
 * left siblings.
 */
static void
decompose(uint64_t index, uint64_t size, int *inner, int *border)
{
	*inner = bitlen(index ^ (size - 1));
	*border = popcount(shr(index, *inner));
}

int
ledger_merkle_inclusion_proof_len(uint64_t index, uint64_t size)
{
	int inner, border;

	if (index >= size)
		return -1;
	decompose(index, size, &inner, &border);
	return inner + border;
}

int
ledger_merkle_consistency_proof_len(uint64_t old_size, uint64_t new_size)
{
	int inner, border, shift;

	if (old_size > new_size)
		return -1;
	if (old_size == 0 || old_size == new_size)
		return 0;
	decompose(old_size - 1, new_size, &inner, &border);
	shift = ctz(old_size);
	inner -= shift;
	return (old_size == (uint64_t)1 << shift ? 0 : 1) + inner + border;
}

/* RFC 9162 2.1.3.2, in two loops: the inner part, where the bits of index
 * say on which side each sibling is, then the border, all on the left. */
static void
chain_inner(uint8_t h[H], const uint8_t *proof, int n, uint64_t index)
{
	int i;

	for (i = 0; i < n; i++) {
		if ((shr(index, i) & 1) == 0)
			ledger_merkle_node_hash(h, proof + (size_t)i * H, h);
		else
			ledger_merkle_node_hash(proof + (size_t)i * H, h, h);
	}
}

/* Like chain_inner, but only the left siblings: what the old tree saw. */
static void
chain_inner_right(uint8_t h[H], const uint8_t *proof, int n, uint64_t index)
{
	int i;

	for (i = 0; i < n; i++)
		if ((shr(index, i) & 1) == 1)
			ledger_merkle_node_hash(proof + (size_t)i * H, h, h);
}

static void
chain_border_right(uint8_t h[H], const uint8_t *proof, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ledger_merkle_node_hash(proof + (size_t)i * H, h, h);
}

enum ledger_status
ledger_merkle_root_from_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf[H], const uint8_t *proof, size_t count, uint8_t out[H],
    struct ledger_error *err)
{
	int inner, border;

	if (out == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "inclusion proof: NULL argument");
	memset(out, 0, H);
	if (leaf == NULL || (proof == NULL && count > 0))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "inclusion proof: NULL argument");
	if (index >= size)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "inclusion proof: leaf index %" PRIu64
		    " is not below tree size %" PRIu64, index, size);
	decompose(index, size, &inner, &border);
	if (count != (size_t)(inner + border))
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "inclusion proof has %zu hashes, want %d for leaf %" PRIu64
		    " in tree size %" PRIu64, count, inner + border, index,
		    size);
	memcpy(out, leaf, H);
	chain_inner(out, proof, inner, index);
	chain_border_right(out, proof + (size_t)inner * H, border);
	return LEDGER_OK;
}

enum ledger_status
ledger_merkle_verify_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf[H], const uint8_t *proof, size_t count,
    const uint8_t root[H], struct ledger_error *err)
{
	uint8_t got[H];
	enum ledger_status rc;

	if (root == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "inclusion proof: NULL argument");
	rc = ledger_merkle_root_from_inclusion(index, size, leaf, proof, count,
	    got, err);
	if (rc != LEDGER_OK)
		return rc;
	if (memcmp(got, root, H) != 0)
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "inclusion proof for leaf %" PRIu64 " in tree size %"
		    PRIu64 " does not lead to the given root", index, size);
	return LEDGER_OK;
}

enum ledger_status
ledger_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
    const uint8_t old_root[H], const uint8_t new_root[H],
    const uint8_t *proof, size_t count, struct ledger_error *err)
{
	uint8_t seed[H], h1[H], h2[H], empty[H];
	uint64_t mask;
	int inner, border, shift, start, want;

	if (old_root == NULL || new_root == NULL ||
	    (proof == NULL && count > 0))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "consistency proof: NULL argument");
	if (old_size > new_size)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "consistency proof: old size %" PRIu64
		    " is above new size %" PRIu64, old_size, new_size);

	/* The policy for old size 0 and equal sizes: see merkle.h. */
	if (old_size == 0 || old_size == new_size) {
		if (count != 0)
			return ledger_errorf(err, LEDGER_ECRYPTO,
			    "consistency proof from size %" PRIu64
			    " to %" PRIu64 " must be empty, has %zu hashes",
			    old_size, new_size, count);
		ledger_merkle_empty_root(empty);
		if (old_size == 0 && memcmp(old_root, empty, H) != 0)
			return ledger_errorf(err, LEDGER_ECRYPTO,
			    "consistency proof: old root of the empty tree is "
			    "not SHA-256 of the empty string");
		if (old_size == new_size && memcmp(old_root, new_root, H) != 0)
			return ledger_errorf(err, LEDGER_ECRYPTO,
			    "consistency proof: roots of tree size %" PRIu64
			    " differ", old_size);
		return LEDGER_OK;
	}

	/*
	 * 0 < old_size < new_size.  The proof starts with the hash of the
	 * largest complete subtree ending at old_size (2^shift leaves), unless
	 * that subtree is the whole old tree, whose root the verifier has.
	 */
	decompose(old_size - 1, new_size, &inner, &border);
	shift = ctz(old_size);
	inner -= shift;
	if (old_size == (uint64_t)1 << shift) {
		memcpy(seed, old_root, H);
		start = 0;
	} else {
		start = 1;
	}
	want = start + inner + border;
	if (count != (size_t)want)
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "consistency proof has %zu hashes, want %d from size %"
		    PRIu64 " to %" PRIu64, count, want, old_size, new_size);
	if (start == 1)
		memcpy(seed, proof, H);
	proof += (size_t)start * H;
	mask = (old_size - 1) >> shift;

	memcpy(h1, seed, H);
	chain_inner_right(h1, proof, inner, mask);
	chain_border_right(h1, proof + (size_t)inner * H, border);
	if (memcmp(h1, old_root, H) != 0)
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "consistency proof from size %" PRIu64 " to %" PRIu64
		    " does not lead to the old root", old_size, new_size);

	memcpy(h2, seed, H);
	chain_inner(h2, proof, inner, mask);
	chain_border_right(h2, proof + (size_t)inner * H, border);
	if (memcmp(h2, new_root, H) != 0)
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "consistency proof from size %" PRIu64 " to %" PRIu64
		    " does not lead to the new root", old_size, new_size);
	return LEDGER_OK;
}
