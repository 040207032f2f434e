/*
 * keys.c - the daemon's key rotation: SIGUSR1 asks the sequencer thread
 * (which owns the writer) to rotate (ledger/keyhist.h); the replaced key
 * co-signs checkpoints for key_overlap_s, then a key-retired entry ends
 * the overlap.  Both run between batches, like heartbeats.
 */
#include <inttypes.h>
#include <stdatomic.h>

#include "ledger/keyhist.h"
#include "ledger/tree.h"
#include "ledgerd.h"

static atomic_bool rotate_wanted;
static int64_t last_look_ms;		/* sequencer thread only */

void
keys_request_rotate(void)
{
	atomic_store(&rotate_wanted, true);
}

/* From the sequencer thread; true when it appended (a checkpoint is due
 * and the size moved). */
bool
keys_tick(struct ledger_store *w, unsigned overlap_s)
{
	struct ledger_error err;
	struct ledger_vkey vk;
	uint64_t seq, added;
	int64_t t;
	uint32_t old;

	if (atomic_exchange(&rotate_wanted, false)) {
		if (ledger_store_key_rotate(w, "ledgerd", &vk, &seq, &err) !=
		    LEDGER_OK) {
			log_error("key rotation failed error=\"%s\"", err.msg);
			return false;
		}
		log_info("key rotated key_id=%08" PRIx32 " key_added_seq=%"
		    PRIu64 " overlap_s=%u", vk.id, seq, overlap_s);
		return true;
	}
	/* the overlap's end: looked at once a second at most (this runs
	 * after every batch under load) */
	if (ledger_now_ms() - last_look_ms < 1000)
		return false;
	last_look_ms = ledger_now_ms();
	if (!ledger_store_key_overlap(w, &old, &added) ||
	    ledger_store_time_of(w, added, &t, &err) != LEDGER_OK ||
	    ledger_now_ms() - t < (int64_t)overlap_s * 1000)
		return false;
	if (ledger_store_key_record(w, LEDGER_EV_KEY_RETIRED, old, 0, NULL,
	    "ledgerd", &seq, &err) != LEDGER_OK) {
		log_error("retire key %08" PRIx32 " failed error=\"%s\"", old,
		    err.msg);
		return false;
	}
	log_info("key retired key_id=%08" PRIx32 " seq=%" PRIu64, old, seq);
	return true;
}
