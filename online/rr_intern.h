/* rr_intern.h — string id -> dense uint32 index, for users, items, categories and brands.
 * Capacity is fixed at init and memory is calloc'd for all of it, so pages are only touched as
 * ids arrive; nothing allocates afterwards. Removed indices are reused (FIFO). Caller-allocated. */
#ifndef RR_INTERN_H
#define RR_INTERN_H

#include <stddef.h>
#include <stdint.h>
#include "rr_event.h"

#define RR_INTERN_NONE UINT32_MAX

typedef struct rr_intern_s {
    char (*keys)[RR_ID_MAX]; /* cap keys, indexed by id; "" = unused */
    uint32_t *slots;         /* open addressing: id + 1; 0 empty; UINT32_MAX tombstone */
    uint32_t *free_ring;     /* removed ids awaiting reuse */
    size_t free_head, free_count;
    size_t cap, mask, count, next_id, tombstones;
} rr_intern_t;

rr_err_t rr_intern_init(rr_intern_t *in, size_t cap);
void rr_intern_free(rr_intern_t *in);
/* The id of key, or RR_INTERN_NONE. */
uint32_t rr_intern_find(const rr_intern_t *in, const char *key);
/* Finds or adds key. *is_new tells which. RR_ERR_FULL when cap ids are live. */
rr_err_t rr_intern_add(rr_intern_t *in, const char *key, uint32_t *id, int *is_new);
void rr_intern_remove(rr_intern_t *in, uint32_t id);
/* The key of a live id, or NULL. */
const char *rr_intern_key(const rr_intern_t *in, uint32_t id);
/* One past the highest id ever handed out: ids are < this bound. */
static inline size_t rr_intern_bound(const rr_intern_t *in)
{
    return in->next_id;
}
uint64_t rr_intern_hash(const char *key);

#endif
