/* rr_topn_fused.c — the fused top-K kernel for x86-64 with AVX-512F (chosen at run time; see
 * rr_topn.h). Elsewhere it is a stub that reports itself unsupported. */
#include <math.h>
#include <string.h>

#include "rr_topn_internal.h"

/* ---- Fused kernel (x86-64 AVX-512F): scores never leave the registers ----
 * Users are transposed once into UT (d × 64: 4 vectors of 16 users per k). For a group of J
 * items, acc[j][b] = Σ_k UT[k][16b ..] · items[j][k] (FMA, k in order) holds item j's scores for
 * 16 users, and one compare against those users' thresholds (the K-th best so far) rejects it.
 * Items are read straight from the row-major table, one broadcast per (item, k): no packing,
 * no score matrix, and the heap is touched only by winners. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define FUSED_ACC    24 /* accumulators per item group: J items × nub user vectors */
#define FUSED_INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* A user's threshold: NaN until its heap is full (so every score is offered, -inf included),
 * then the root's score; a score is offered when it is "not <= threshold" (NaN is offered and
 * rejected by heap_offer_one, which is rare). */
static float user_threshold(const float *out_score, const int *out_count, int K, int u)
{
    return out_count[u] < K ? NAN : out_score[(size_t)u * K];
}

typedef struct fused_s {
    const float *ut; /* d × FUSED_USERS */
    const float *items;
    int d, K, u0, nusers; /* users u0 .. u0 + nusers of the batch */
    const rr_topn_filter_t *filter;
    uint32_t *out_idx;
    float *out_score;
    int *out_count;
    float thr[FUSED_USERS];
} fused_t;

/* The slow path: item's scores s16 of the users in lanes mask (lane i = user u0 + 16b + i). */
static void fused_offer(fused_t *f, const float *s16, uint32_t mask, int b, uint32_t item)
{
    for (; mask; mask &= mask - 1) {
        int u = f->u0 + 16 * b + __builtin_ctz(mask);
        heap_t h = {f->out_idx + (size_t)u * f->K, f->out_score + (size_t)u * f->K, f->out_count[u],
                    f->K};
        heap_offer_one(&h, s16[__builtin_ctz(mask)], item, f->filter, u);
        f->out_count[u] = h.count;
        f->thr[u - f->u0] = user_threshold(f->out_score, f->out_count, f->K, u);
    }
}

/* Items [j0, j1) against the chunk's users, J items at a time (J·nub <= FUSED_ACC). */
FUSED_INLINE void fused_items(fused_t *f, const int nub, const int J, uint32_t j0, uint32_t j1)
{
    const int d = f->d;
    __mmask16 valid[4];
    for (int b = 0; b < nub; b++) {
        int lanes = f->nusers - 16 * b;
        valid[b] = lanes >= 16 ? 0xffff : (__mmask16)((1u << lanes) - 1);
    }
    __m512 thr[4];
    for (int b = 0; b < nub; b++) thr[b] = _mm512_loadu_ps(f->thr + 16 * b);
    for (uint32_t j = j0; j + (uint32_t)J <= j1; j += (uint32_t)J) {
        const float *rows = f->items + (size_t)j * d;
        __m512 acc[FUSED_ACC];
        for (int t = 0; t < J * nub; t++) acc[t] = _mm512_setzero_ps();
        for (int k = 0; k < d; k++) {
            __m512 u[4];
            for (int b = 0; b < nub; b++)
                u[b] = _mm512_loadu_ps(f->ut + (size_t)k * FUSED_USERS + 16 * b);
            for (int i = 0; i < J; i++) {
                __m512 v = _mm512_set1_ps(rows[(size_t)i * d + k]);
                for (int b = 0; b < nub; b++)
                    acc[i * nub + b] = _mm512_fmadd_ps(u[b], v, acc[i * nub + b]);
            }
        }
        __mmask16 any = 0;
        for (int t = 0; t < J * nub; t++)
            any |= _mm512_cmp_ps_mask(acc[t], thr[t % nub], _CMP_NLE_UQ);
        if (!any) continue;
        for (int t = 0; t < J * nub; t++) {
            __mmask16 m = _mm512_cmp_ps_mask(acc[t], thr[t % nub], _CMP_NLE_UQ) & valid[t % nub];
            if (!m) continue;
            float s16[16];
            _mm512_storeu_ps(s16, acc[t]);
            fused_offer(f, s16, m, t % nub, j + (uint32_t)(t / nub));
        }
        for (int b = 0; b < nub; b++) thr[b] = _mm512_loadu_ps(f->thr + 16 * b);
    }
}

/* All items against one chunk of up to FUSED_USERS users: J·nub fills the accumulators, the
 * last items (fewer than J) go one at a time. */
FUSED_INLINE void fused_chunk_nub(fused_t *f, const int nub, uint32_t N)
{
    const int J = FUSED_ACC / nub;
    uint32_t body = N - N % (uint32_t)J;
    fused_items(f, nub, J, 0, body);
    fused_items(f, nub, 1, body, N);
}

__attribute__((target("avx512f"))) static void fused_chunk(fused_t *f, uint32_t N)
{
    switch ((f->nusers + 15) / 16) {
    case 1: fused_chunk_nub(f, 1, N); break;
    case 2: fused_chunk_nub(f, 2, N); break;
    case 3: fused_chunk_nub(f, 3, N); break;
    default: fused_chunk_nub(f, 4, N); break;
    }
}

void rr_topn_fused(const float *users, int U, const float *items, uint32_t N, int d, int K,
                   const rr_topn_filter_t *filter, float *scratch, uint32_t *out_idx,
                   float *out_score, int *out_count)
{
    fused_t f = {.ut = scratch,
                 .items = items,
                 .d = d,
                 .K = K,
                 .filter = filter,
                 .out_idx = out_idx,
                 .out_score = out_score,
                 .out_count = out_count};
    for (f.u0 = 0; f.u0 < U; f.u0 += FUSED_USERS) {
        f.nusers = U - f.u0 < FUSED_USERS ? U - f.u0 : FUSED_USERS;
        for (int k = 0; k < d; k++) /* UT[k][i] = users[u0 + i][k], zero past the last user */
            for (int i = 0; i < FUSED_USERS; i++)
                scratch[(size_t)k * FUSED_USERS + i] =
                    i < f.nusers ? users[(size_t)(f.u0 + i) * d + k] : 0.0f;
        for (int i = 0; i < FUSED_USERS; i++)
            f.thr[i] = i < f.nusers ? user_threshold(out_score, out_count, K, f.u0 + i) : INFINITY;
        fused_chunk(&f, N);
    }
}

int rr_topn_fused_supported(void)
{
    static int supported = -1; /* the CPU does not change under us: ask once */
    if (supported < 0) supported = __builtin_cpu_supports("avx512f") != 0;
    return supported;
}
#else
int rr_topn_fused_supported(void)
{
    return 0;
}

void rr_topn_fused(const float *users, int U, const float *items, uint32_t N, int d, int K,
                   const rr_topn_filter_t *filter, float *scratch, uint32_t *out_idx,
                   float *out_score, int *out_count)
{
    (void)users, (void)U, (void)items, (void)N, (void)d, (void)K, (void)filter, (void)scratch;
    (void)out_idx, (void)out_score, (void)out_count;
}
#endif
