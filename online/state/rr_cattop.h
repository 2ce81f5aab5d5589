/* rr_cattop.h — the most popular items of each category, by the trending score: a small top-K
 * per category kept exactly the same way as rr_trending's global one (scores only grow in
 * scaled form). Feeds the "category affinity" candidate source. Caller-allocated. */
#ifndef RR_CATTOP_H
#define RR_CATTOP_H

#include "rr_trending.h"

#define RR_CATTOP_K 24

typedef struct rr_cattop_s {
    uint32_t *top; /* [cats_max][RR_CATTOP_K], unordered */
    uint32_t *n;   /* [cats_max] */
    size_t cats_max;
} rr_cattop_t;

rr_err_t rr_cattop_init(rr_cattop_t *ct, size_t cats_max);
void rr_cattop_free(rr_cattop_t *ct);
/* item (of category cat) just gained trending score: keep it if among the category's best. */
void rr_cattop_offer(rr_cattop_t *ct, const rr_trending_t *tr, uint32_t cat, uint32_t item);
/* The category's best k items, best first (ties: lower id), with real trending scores. */
size_t rr_cattop_get(const rr_cattop_t *ct, const rr_trending_t *tr, uint32_t cat, uint32_t *ids,
                     float *scores, size_t k);

#endif
