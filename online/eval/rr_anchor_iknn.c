/* rr_anchor_iknn.c — iknn_cos: item-kNN co-occurrence with cosine normalisation and recency
 * weights; see rr_anchor.h. The counts are the item-kNN baseline's own (one table for both). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_anchor.h"

#define IKNN_K_MAX 64

struct rr_iknn_s {
    size_t nitems;
    const rr_knn_t *knn;
    const rr_anchor_hist_t *hist;
    rr_pop_t *pop;
    double *item_w;    /* [nitems] window weight of an item, zero between queries */
    double *acc;       /* [nitems] item scores, zero between queries */
    uint32_t *touched; /* [nitems] items with acc != 0 */
};

rr_iknn_t *rr_iknn_new(size_t nitems, const rr_knn_t *knn, const rr_anchor_hist_t *hist,
                       rr_pop_t *pop)
{
    rr_iknn_t *iknn = calloc(1, sizeof(*iknn));
    if (!iknn) return NULL;
    iknn->nitems = nitems;
    iknn->knn = knn;
    iknn->hist = hist;
    iknn->pop = pop;
    iknn->item_w = calloc(nitems + 1, sizeof(*iknn->item_w));
    iknn->acc = calloc(nitems + 1, sizeof(*iknn->acc));
    iknn->touched = calloc(nitems + 1, sizeof(*iknn->touched));
    if (!iknn->item_w || !iknn->acc || !iknn->touched) {
        rr_iknn_free(iknn);
        return NULL;
    }
    return iknn;
}

void rr_iknn_free(rr_iknn_t *iknn)
{
    if (!iknn) return;
    free(iknn->item_w);
    free(iknn->acc);
    free(iknn->touched);
    free(iknn);
}

static double item_users(const rr_iknn_t *iknn, uint32_t item)
{
    size_t n;
    rr_anchor_hist_item_users(iknn->hist, item, &n);
    return (double)n;
}

/* Window weights p/len (an item seen twice keeps its latest position); then, over the distinct
 * window items i and the items j they co-occur with, acc[j] = sum_i (w_i / sqrt(n_i)) c(i,j),
 * divided by sqrt(n_j) once at the end: the inner loop is one multiply-add per count. */
static size_t iknn_accumulate(rr_iknn_t *iknn, uint32_t user)
{
    uint32_t recent[RR_ANCHOR_WINDOW], items[RR_ANCHOR_WINDOW];
    size_t len = rr_anchor_hist_recent(iknn->hist, user, recent, NULL), n = 0, ntouched = 0;
    for (size_t p = 1; p <= len; p++) {
        if (iknn->item_w[recent[p - 1]] == 0.0) items[n++] = recent[p - 1];
        iknn->item_w[recent[p - 1]] = (double)p / (double)len;
    }
    for (size_t s = 0; s < n; s++) {
        const rr_cooc_row_t *row = rr_cooc_row(&iknn->knn->co, items[s]);
        double wi = iknn->item_w[items[s]] / sqrt(item_users(iknn, items[s]));
        iknn->item_w[items[s]] = 0.0;
        for (uint32_t slot = 0; row && slot < row->cap; slot++) {
            const rr_cooc_nb_t *nb = &row->slots[slot];
            if (!nb->item) continue;
            if (iknn->acc[nb->item - 1] == 0.0) iknn->touched[ntouched++] = nb->item - 1;
            iknn->acc[nb->item - 1] += wi * (double)nb->count;
        }
    }
    for (size_t t = 0; t < ntouched; t++)
        iknn->acc[iknn->touched[t]] /= sqrt(item_users(iknn, iknn->touched[t]));
    return ntouched;
}

size_t rr_iknn_top(rr_iknn_t *iknn, uint32_t user, uint32_t *out, size_t k,
                   rr_baseline_skip_fn skip, const void *opaque)
{
    if (k > IKNN_K_MAX) k = IKNN_K_MAX;
    size_t ntouched = user < iknn->knn->nusers ? iknn_accumulate(iknn, user) : 0;
    size_t n = rr_anchor_select(iknn->acc, iknn->touched, ntouched, out, k, skip, opaque);
    for (size_t t = 0; t < ntouched; t++) iknn->acc[iknn->touched[t]] = 0.0;
    rr_anchor_fill_t fill = {skip, opaque, out, n};
    return n + rr_pop_top(iknn->pop, out + n, k - n, rr_anchor_fill_skip, &fill);
}
