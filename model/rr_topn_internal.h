/* rr_topn_internal.h — what the two top-K kernels share (rr_topn.c, rr_topn_fused.c): the
 * per-user bounded heap and the fused kernel's entry points. Not API. */
#ifndef RR_TOPN_INTERNAL_H
#define RR_TOPN_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "rr_topn.h"

/* A user's heap: the root is the worst kept entry, so a candidate is compared once. */
typedef struct {
    uint32_t *idx;
    float *score;
    int count;
    int cap;
} heap_t;

/* Total order: higher score first, then lower index. */
static inline int worse(float sa, uint32_t ia, float sb, uint32_t ib)
{
    return sa < sb || (sa == sb && ia > ib);
}

static inline void heap_swap(heap_t *h, int a, int b)
{
    uint32_t ti = h->idx[a];
    float ts = h->score[a];
    h->idx[a] = h->idx[b];
    h->score[a] = h->score[b];
    h->idx[b] = ti;
    h->score[b] = ts;
}

static inline void sift_down(heap_t *h, int pos, int n)
{
    for (;;) {
        int c = 2 * pos + 1, w = pos;
        if (c < n && worse(h->score[c], h->idx[c], h->score[w], h->idx[w])) w = c;
        if (c + 1 < n && worse(h->score[c + 1], h->idx[c + 1], h->score[w], h->idx[w])) w = c + 1;
        if (w == pos) return;
        heap_swap(h, pos, w);
        pos = w;
    }
}

static inline void sift_up(heap_t *h, int pos)
{
    while (pos > 0) {
        int parent = (pos - 1) / 2;
        if (!worse(h->score[pos], h->idx[pos], h->score[parent], h->idx[parent])) return;
        heap_swap(h, pos, parent);
        pos = parent;
    }
}

static inline int excluded(const rr_topn_filter_t *filter, int user, uint32_t item)
{
    if (!filter) return 0;
    if (filter->exclude && ((filter->exclude[item / 64] >> (item % 64)) & 1)) return 1;
    return filter->skip && filter->skip(filter->ctx, user, item);
}

/* Offers one score to a user's heap: the filter is consulted only for would-be entries. */
static inline void heap_offer_one(heap_t *h, float s, uint32_t item, const rr_topn_filter_t *filter,
                                  int user)
{
    if (isnan(s)) return;
    int full = h->count == h->cap;
    if (full && !worse(h->score[0], h->idx[0], s, item)) return;
    if (excluded(filter, user, item)) return;
    if (full) {
        h->idx[0] = item;
        h->score[0] = s;
        sift_down(h, 0, h->count);
    } else {
        h->idx[h->count] = item;
        h->score[h->count] = s;
        sift_up(h, h->count++);
    }
}

/* The fused AVX-512F kernel (rr_topn_fused.c): users go FUSED_USERS at a time through a
 * transposed copy in scratch (d × FUSED_USERS floats). */
#define FUSED_USERS 64
/* 1 if this CPU runs it (and the compiler built it). */
int rr_topn_fused_supported(void);
/* Offers every item's scores to the users' heaps (out_count[u] entries each, unsorted). */
void rr_topn_fused(const float *users, int U, const float *items, uint32_t N, int d, int K,
                   const rr_topn_filter_t *filter, float *scratch, uint32_t *out_idx,
                   float *out_score, int *out_count);

#endif
