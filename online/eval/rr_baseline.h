/* rr_baseline.h — the reference recommenders that `rtrec eval`
 * reports next to rtrec: popularity (global counts so far) and exact item-kNN co-occurrence.
 * Items and users are dense ids given in stream order, so "ties keep stream order" means "lower
 * id first". Each object owns its arrays; _free releases them (a zeroed object is a no-op). */
#ifndef RR_BASELINE_H
#define RR_BASELINE_H

#include <stddef.h>
#include <stdint.h>
#include "rr_cooc.h"

/* Tells a top-k query to pass over an item (the user's own items, ones already listed). */
typedef int (*rr_baseline_skip_fn)(const void *opaque, uint32_t item);

/* Popularity: a max segment tree over item ids keyed (count desc, id asc), so the k best items
 * not skipped come out best-first in O((k + skipped) log n) without scanning the catalog. */
typedef struct rr_pop_s {
    uint64_t *tree; /* [2 * nleaves]; node 1 is the root, leaf of item i at nleaves + i */
    uint32_t *heap; /* scratch for the best-first walk, [2 * nleaves] */
    size_t nleaves; /* power of two >= nitems */
} rr_pop_t;

rr_err_t rr_pop_init(rr_pop_t *pop, size_t nitems);
void rr_pop_free(rr_pop_t *pop);
void rr_pop_add(rr_pop_t *pop, uint32_t item); /* one more interaction with item */
uint32_t rr_pop_count(const rr_pop_t *pop, uint32_t item);
/* The best k items seen so far (count > 0) that skip() does not pass over, best first, into
 * out. skip may be NULL. Returns the count written. */
size_t rr_pop_top(rr_pop_t *pop, uint32_t *out, size_t k, rr_baseline_skip_fn skip,
                  const void *opaque);

/* A growable set of 64-bit keys (open addressing; 0 is never a key). */
typedef struct rr_keyset_s {
    uint64_t *slots;
    size_t cap, used;
} rr_keyset_t;

/* Item-kNN: exact symmetric co-occurrence counts — the number of users who touched both
 * (distinct) items within `window` consecutive interactions; a user is scored from the distinct
 * items of their last `window` interactions, and the list is filled up from popularity. */
typedef struct rr_knn_s {
    rr_keyset_t pairs; /* (user, item, item) already counted: a pair counts once per user */
    rr_cooc_t co;      /* exact: max_neighbors is never reached */
    uint32_t *ring;    /* [nusers][window] last interactions per user */
    uint32_t *nring;   /* [nusers] interactions ever (ring head = nring % window) */
    uint32_t *acc;     /* [nitems] summed counts, zero between queries */
    uint32_t *touched; /* ids with acc != 0 */
    size_t nusers, nitems;
    uint32_t window;
} rr_knn_t;

rr_err_t rr_knn_init(rr_knn_t *knn, size_t nusers, size_t nitems, uint32_t window);
void rr_knn_free(rr_knn_t *knn);
/* Counts item against the user's previous window interactions, then appends it. */
rr_err_t rr_knn_add(rr_knn_t *knn, uint32_t user, uint32_t item);
/* The user's top k (k <= 64): kNN candidates by summed counts, then popularity fill; items
 * skip() accepts are left out. Returns the count written. */
size_t rr_knn_top(rr_knn_t *knn, rr_pop_t *pop, uint32_t user, uint32_t *out, size_t k,
                  rr_baseline_skip_fn skip, const void *opaque);

#endif
