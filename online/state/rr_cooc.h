/* rr_cooc.h — item-to-item co-occurrence counts: two distinct items touched by the same user
 * within `window` consecutive interactions count once per pair, symmetrically (the item-kNN
 * baseline's definition); or, weighted (rr_cooc_weigh), by how close the two were in the
 * user's sequence. A row holds up to half its capacity and grows only while it holds
 * fewer than max_neighbors counts (so it keeps max_neighbors when that is a power of two); when
 * full, every count of that item is decremented and zeros dropped (Misra–Gries), so memory is
 * bounded and the strong pairs survive. A row starts at 8 slots and doubles (a new table, the old
 * one freed) up to the first power of two >= 2·max_neighbors; the decrement rebuilds it in place
 * through a spare row allocated at init. Owns its per-item tables; rr_cooc_free releases them. */
#ifndef RR_COOC_H
#define RR_COOC_H

#include <stddef.h>
#include <stdint.h>
#include "rr_err.h"

typedef struct rr_cooc_nb_s {
    uint32_t item; /* neighbour id + 1; 0 = empty slot */
    uint32_t count;
} rr_cooc_nb_t;

typedef struct rr_cooc_row_s {
    rr_cooc_nb_t *slots; /* open addressing, power-of-two capacity */
    uint32_t cap, used;
} rr_cooc_row_t;

typedef struct rr_cooc_s {
    rr_cooc_row_t *rows; /* one per item id, calloc'd for max_items */
    size_t max_items;
    uint32_t max_neighbors;
    int weighted;        /* rr_cooc_weigh: counts in RR_COOC_UNIT parts of an adjacent pair */
    rr_cooc_nb_t *spare; /* [spare_cap] a full row's copy during the decrement; NULL if unbounded */
    uint32_t spare_cap;  /* the largest cap a row grows to */
    uint64_t pairs;      /* increments applied */
    uint64_t evicted;    /* counts dropped by Misra–Gries */
} rr_cooc_t;

/* A weighted pair of neighbours in the sequence counts this much. */
#define RR_COOC_UNIT 8u

/* Counts unweighted (each pair 1) until rr_cooc_weigh. */
rr_err_t rr_cooc_init(rr_cooc_t *co, size_t max_items, uint32_t max_neighbors);
void rr_cooc_free(rr_cooc_t *co);
/* Weighted counting, for every pair added after: the pair of item and prev[i] (of nprev, the
 * newest last) counts RR_COOC_UNIT·((i+1)/nprev)², rounded, at least 1. The earlier item's
 * position weight (newest 1) squared: in a full window of 28, next to each other they count 8,
 * 14 back 2, 28 back 1. Measured on dense streams, where a long window mixes what a user did in
 * unrelated visits (BENCHMARKS.md). Set it before the first add: counts of the two kinds do not
 * mix. */
void rr_cooc_weigh(rr_cooc_t *co, int on);
/* Counts item against each of the previous items (most recent last); repeats of item and
 * duplicates among prev are counted once, at the newest of their positions. */
rr_err_t rr_cooc_add(rr_cooc_t *co, uint32_t item, const uint32_t *prev, size_t nprev);
uint32_t rr_cooc_get(const rr_cooc_t *co, uint32_t a, uint32_t b);
/* An item's row, to walk its neighbours (slots[0..cap), item 0 = empty); NULL if out of range. */
static inline const rr_cooc_row_t *rr_cooc_row(const rr_cooc_t *co, uint32_t item)
{
    return item < co->max_items ? &co->rows[item] : NULL;
}

#endif
