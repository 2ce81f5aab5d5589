/* rr_recommend.h — the co-occurrence recommender: candidates scored by summed co-occurrence
 * counts with the user's recent items (item-kNN), filled up from trending; already-bought and
 * recently seen items excluded; an optional cap per category; each entry keeps its reason.
 * Owns a scratch accumulator sized for the catalog; one per thread. */
#ifndef RR_RECOMMEND_H
#define RR_RECOMMEND_H

#include "rr_cooc.h"
#include "rr_store.h"
#include "rr_trending.h"

typedef struct rr_recommender_s {
    float *acc;        /* [items_max] summed counts, zero between calls */
    uint32_t *touched; /* ids with acc != 0 */
    size_t ntouched;
    size_t items_max;
    uint32_t n;            /* list length */
    uint32_t category_cap; /* 0 = none */
} rr_recommender_t;

rr_err_t rr_recommender_init(rr_recommender_t *rec, size_t items_max, uint32_t n,
                             uint32_t category_cap);
void rr_recommender_free(rr_recommender_t *rec);
/* Recomputes user uid's list in the store. Returns its length. */
size_t rr_recommend_user(rr_recommender_t *rec, rr_store_t *st, const rr_cooc_t *co,
                         const rr_trending_t *tr, uint32_t uid);
/* Readable reason of a list entry ("similar to item 123", "trending"). */
void rr_recommend_reason(const rr_store_t *st, const rr_list_entry_t *e, char *buf, size_t cap);
const char *rr_reason_tag(rr_reason_t reason);

#endif
