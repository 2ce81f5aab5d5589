/* rr_topn.c — blocked GEMM scoring + per-user bounded min-heap (see rr_topn.h). */
#include "rr_topn.h"

#include <math.h>

#include "rr_blas.h"

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

static void sift_down(heap_t *h, int pos, int n)
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

static void sift_up(heap_t *h, int pos)
{
    while (pos > 0) {
        int parent = (pos - 1) / 2;
        if (!worse(h->score[pos], h->idx[pos], h->score[parent], h->idx[parent])) return;
        heap_swap(h, pos, parent);
        pos = parent;
    }
}

static int excluded(const rr_topn_filter_t *filter, int user, uint32_t item)
{
    if (!filter) return 0;
    if (filter->exclude && ((filter->exclude[item / 64] >> (item % 64)) & 1)) return 1;
    return filter->skip && filter->skip(filter->ctx, user, item);
}

/* Offers the scores of items [first, first + n) to one user's heap. */
static void heap_offer(heap_t *h, const float *scores, uint32_t first, uint32_t n,
                       const rr_topn_filter_t *filter, int user)
{
    for (uint32_t j = 0; j < n; j++) {
        float s = scores[j];
        uint32_t item = first + j;
        if (isnan(s)) continue;
        int full = h->count == h->cap;
        /* Cheap rejection first: the filter is consulted only for would-be entries. */
        if (full && !worse(h->score[0], h->idx[0], s, item)) continue;
        if (excluded(filter, user, item)) continue;
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
}

/* Heapsort in place: popping the worst to the back leaves the best at index 0. */
static void heap_sort_desc(heap_t *h)
{
    for (int end = h->count - 1; end > 0; end--) {
        heap_swap(h, 0, end);
        sift_down(h, 0, end);
    }
}

size_t rr_topn_scratch_floats(int U, uint32_t block)
{
    return (size_t)U * block;
}

static uint32_t block_items(size_t scratch_floats, int U, uint32_t N)
{
    size_t nb = scratch_floats / (size_t)U;
    if (nb < 1) nb = 1;
    return nb < N ? (uint32_t)nb : N;
}

void rr_topn_batch(const float *users, int U, const float *items, uint32_t N, int d, int K,
                   const rr_topn_filter_t *filter, float *scratch, size_t scratch_floats,
                   uint32_t *out_idx, float *out_score, int *out_count)
{
    for (int u = 0; u < U; u++) out_count[u] = 0;
    if (U <= 0 || N == 0 || K <= 0) return;
    uint32_t nb = block_items(scratch_floats, U, N);
    for (uint32_t j0 = 0; j0 < N; j0 += nb) {
        uint32_t n = N - j0 < nb ? N - j0 : nb;
        /* S (U×n) = users (U×d) · items[j0 .. j0+n)ᵀ (d×n) */
        rr_sgemm(0, 1, U, (int)n, d, 1.0f, users, d, items + (size_t)j0 * d, d, 0.0f, scratch,
                 (int)n);
        for (int u = 0; u < U; u++) {
            heap_t h = {out_idx + (size_t)u * K, out_score + (size_t)u * K, out_count[u], K};
            heap_offer(&h, scratch + (size_t)u * n, j0, n, filter, u);
            out_count[u] = h.count;
        }
    }
    for (int u = 0; u < U; u++) {
        heap_t h = {out_idx + (size_t)u * K, out_score + (size_t)u * K, out_count[u], K};
        heap_sort_desc(&h);
    }
}

int rr_topn_one(const float *user, const float *items, uint32_t N, int d, int K,
                const rr_topn_filter_t *filter, float *scratch, size_t scratch_floats,
                uint32_t *out_idx, float *out_score)
{
    heap_t h = {out_idx, out_score, 0, K};
    if (N == 0 || K <= 0) return 0;
    uint32_t nb = block_items(scratch_floats, 1, N);
    for (uint32_t j0 = 0; j0 < N; j0 += nb) {
        uint32_t n = N - j0 < nb ? N - j0 : nb;
        /* s (n) = items[j0 .. j0+n) (n×d) · user (d) */
        rr_sgemv(0, (int)n, d, 1.0f, items + (size_t)j0 * d, d, user, 0.0f, scratch);
        heap_offer(&h, scratch, j0, n, filter, 0);
    }
    heap_sort_desc(&h);
    return h.count;
}
