/* rr_topn.c — top-K by dot product (see rr_topn.h): per-user bounded min-heaps fed only by
 * scores that beat the K-th best, from one of two kernels: a fused AVX-512 one that keeps the
 * scores in registers, or blocked sgemm followed by a vectorised threshold scan. */
#include <math.h>
#include <string.h>

#include "rr_blas.h"
#include "rr_topn_internal.h"

#define CHUNK 32 /* scores tested at once against the K-th best */

/* GCC/Clang vector extensions: 4 lanes is SSE2 on x86-64 and NEON on arm64, no flags needed. */
typedef float v4f_t __attribute__((vector_size(16)));
typedef int32_t v4i_t __attribute__((vector_size(16)));

/* Nonzero if any of s[0..CHUNK) beats t (NaN beats nothing), branch-free. */
static inline int chunk_beats(const float *s, float t)
{
    v4f_t tv = {t, t, t, t};
    v4i_t any = {0, 0, 0, 0};
    for (int j = 0; j < CHUNK; j += 4) {
        v4f_t v;
        memcpy(&v, s + j, sizeof(v));
        any |= v > tv;
    }
    uint64_t w[2];
    memcpy(w, &any, sizeof(w));
    return (w[0] | w[1]) != 0;
}

/* Offers the scores of items [first, first + n) to one user's heap. Items come in increasing
 * index order, so once the heap is full a score can only enter by beating the root's strictly
 * (a tie loses to the root's lower index, and NaN beats nothing): whole chunks are rejected by
 * one vector comparison, and only the rare winners touch the heap. */
static void heap_offer(heap_t *h, const float *scores, uint32_t first, uint32_t n,
                       const rr_topn_filter_t *filter, int user)
{
    uint32_t j = 0;
    for (; j < n && h->count < h->cap; j++) heap_offer_one(h, scores[j], first + j, filter, user);
    for (; j + CHUNK <= n; j += CHUNK) {
        if (!chunk_beats(scores + j, h->score[0])) continue;
        for (uint32_t c = j; c < j + CHUNK; c++)
            if (scores[c] > h->score[0]) heap_offer_one(h, scores[c], first + c, filter, user);
    }
    for (; j < n; j++) heap_offer_one(h, scores[j], first + j, filter, user);
}

/* Heapsort in place: popping the worst to the back leaves the best at index 0. */
static void heap_sort_desc(heap_t *h)
{
    for (int end = h->count - 1; end > 0; end--) {
        heap_swap(h, 0, end);
        sift_down(h, 0, end);
    }
}

/* ---- GEMM kernel: blocks of items scored by sgemm into scratch, then selected ---- */

static uint32_t block_items(size_t scratch_floats, int U, uint32_t N)
{
    size_t nb = scratch_floats / (size_t)U;
    if (nb < 1) nb = 1;
    return nb < N ? (uint32_t)nb : N;
}

static void topn_gemm(const float *users, int U, const float *items, uint32_t N, int d, int K,
                      const rr_topn_filter_t *filter, float *scratch, size_t scratch_floats,
                      uint32_t *out_idx, float *out_score, int *out_count)
{
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
}

/* ---- API ---- */

size_t rr_topn_scratch_floats(int U, int d, uint32_t block)
{
    size_t gemm = (size_t)U * block;
    size_t fused = (size_t)FUSED_USERS * (size_t)d;
    return gemm > fused ? gemm : fused;
}

int rr_topn_kernel_available(rr_topn_kernel_t kernel)
{
    return kernel != RR_TOPN_FUSED || rr_topn_fused_supported();
}

void rr_topn_batch_kernel(rr_topn_kernel_t kernel, const float *users, int U, const float *items,
                          uint32_t N, int d, int K, const rr_topn_filter_t *filter, float *scratch,
                          size_t scratch_floats, uint32_t *out_idx, float *out_score,
                          int *out_count)
{
    for (int u = 0; u < U; u++) out_count[u] = 0;
    if (U <= 0 || N == 0 || K <= 0) return;
    int fused = kernel != RR_TOPN_GEMM && rr_topn_fused_supported() &&
                scratch_floats >= (size_t)FUSED_USERS * (size_t)d;
    if (fused)
        rr_topn_fused(users, U, items, N, d, K, filter, scratch, out_idx, out_score, out_count);
    if (!fused)
        topn_gemm(users, U, items, N, d, K, filter, scratch, scratch_floats, out_idx, out_score,
                  out_count);
    for (int u = 0; u < U; u++) {
        heap_t h = {out_idx + (size_t)u * K, out_score + (size_t)u * K, out_count[u], K};
        heap_sort_desc(&h);
    }
}

void rr_topn_batch(const float *users, int U, const float *items, uint32_t N, int d, int K,
                   const rr_topn_filter_t *filter, float *scratch, size_t scratch_floats,
                   uint32_t *out_idx, float *out_score, int *out_count)
{
    rr_topn_batch_kernel(RR_TOPN_AUTO, users, U, items, N, d, K, filter, scratch, scratch_floats,
                         out_idx, out_score, out_count);
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
