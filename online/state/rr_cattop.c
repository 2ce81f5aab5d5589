/* rr_cattop.c — per-category popular items; see rr_cattop.h. */
#include <stdlib.h>
#include <string.h>
#include "rr_cattop.h"

rr_err_t rr_cattop_init(rr_cattop_t *ct, size_t cats_max)
{
    ct->top = calloc(cats_max * RR_CATTOP_K, sizeof(*ct->top));
    ct->n = calloc(cats_max, sizeof(*ct->n));
    ct->cats_max = cats_max;
    if (!ct->top || !ct->n) {
        rr_cattop_free(ct);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

void rr_cattop_free(rr_cattop_t *ct)
{
    free(ct->top);
    free(ct->n);
    memset(ct, 0, sizeof(*ct));
}

void rr_cattop_offer(rr_cattop_t *ct, const rr_trending_t *tr, uint32_t cat, uint32_t item)
{
    if (cat >= ct->cats_max) return;
    rr_trending_set_offer(tr, &ct->top[(size_t)cat * RR_CATTOP_K], &ct->n[cat], RR_CATTOP_K, item);
}

size_t rr_cattop_get(const rr_cattop_t *ct, const rr_trending_t *tr, uint32_t cat, uint32_t *ids,
                     float *scores, size_t k)
{
    if (cat >= ct->cats_max) return 0;
    return rr_trending_set_sorted(tr, &ct->top[(size_t)cat * RR_CATTOP_K], ct->n[cat], ids, scores,
                                  k);
}
