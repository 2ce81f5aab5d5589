/* rr_topn.h — top-K retrieval by dot product: scores = users · itemsᵀ, each user's best K kept
 * in a min-heap that lives in the caller's output arrays and touched only by scores that beat
 * its K-th best. Results are sorted by score descending, ties to the lower index. */
#ifndef RR_TOPN_H
#define RR_TOPN_H

#include <stddef.h>
#include <stdint.h>

/* Nonzero means: never return this item to this user (e.g. already bought). */
typedef int (*rr_topn_skip_fn)(void *ctx, int user, uint32_t item);

typedef struct rr_topn_filter_s {
    /* Items excluded for every user: bit (item % 64) of word item / 64; NULL for none. */
    const uint64_t *exclude;
    /* Per-user exclusion, NULL for none. Asked only about items that would otherwise enter the
     * user's current top K, so it runs far fewer than U·N times; it must be a pure function. */
    rr_topn_skip_fn skip;
    void *ctx;
} rr_topn_filter_t;

/* How scores are computed. FUSED: x86-64 AVX-512F only; each score is computed in a register
 * and compared there with its user's K-th best so far (no score matrix, no packing); GEMM:
 * sgemm on blocks of items into scratch, then a vectorised threshold scan; AUTO: FUSED where the
 * CPU has it, else GEMM. Results are the same up to float rounding of the dot products. */
typedef enum { RR_TOPN_AUTO, RR_TOPN_GEMM, RR_TOPN_FUSED } rr_topn_kernel_t;

/* 1 if this CPU runs kernel (AUTO and GEMM always). */
int rr_topn_kernel_available(rr_topn_kernel_t kernel);

/* Scratch floats for U users of dimension d with GEMM item blocks of block items (U·block,
 * and at least what the fused kernel needs). 4096 is a good block. */
size_t rr_topn_scratch_floats(int U, int d, uint32_t block);

/* users: U×d, items: N×d, both row-major. For each user u, writes its best K (1 <= K) items to
 * out_idx[u·K ..] / out_score[u·K ..] and how many it found (< K if fewer items pass the
 * filter) to out_count[u]. filter may be NULL. NaN scores are never returned.
 * scratch: scratch_floats >= U floats (the GEMM item block is scratch_floats / U; the fused
 * kernel needs rr_topn_scratch_floats(U, d, 1) and falls back to GEMM with less). */
void rr_topn_batch(const float *users, int U, const float *items, uint32_t N, int d, int K,
                   const rr_topn_filter_t *filter, float *scratch, size_t scratch_floats,
                   uint32_t *out_idx, float *out_score, int *out_count);

/* The same with a chosen kernel (tests, benchmarks); an unavailable one means AUTO. */
void rr_topn_batch_kernel(rr_topn_kernel_t kernel, const float *users, int U, const float *items,
                          uint32_t N, int d, int K, const rr_topn_filter_t *filter, float *scratch,
                          size_t scratch_floats, uint32_t *out_idx, float *out_score,
                          int *out_count);

/* One user (sgemv per block; the skip callback sees user 0). Returns the count found. */
int rr_topn_one(const float *user, const float *items, uint32_t N, int d, int K,
                const rr_topn_filter_t *filter, float *scratch, size_t scratch_floats,
                uint32_t *out_idx, float *out_score);

#endif
