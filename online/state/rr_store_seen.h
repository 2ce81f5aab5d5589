/* rr_store_seen.h — what rr_store.c asks of the seen filters (rr_store_seen.c) besides the
 * public calls in rr_store.h. */
#ifndef RR_STORE_SEEN_H
#define RR_STORE_SEEN_H

#include <stdint.h>
#include "rr_store.h"

/* Marks iid seen by uid: into the newest block, or the 512 bits while there is none. */
void rr_seen_add(rr_store_t *st, uint32_t uid, uint32_t iid);
/* Forgets every item uid has seen: its 512 bits zeroed, its blocks (if any) back to the pool. */
void rr_seen_clear(rr_store_t *st, uint32_t uid);

#endif
