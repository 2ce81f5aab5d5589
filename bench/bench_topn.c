/* bench_topn.c — top-N cost by catalog size: the retrieval kernel alone (rr_topn_batch, 256
 * users per batch; the fused AVX-512 kernel where the CPU has it, and the sgemm kernel every CPU
 * runs at 100k items) and the engine's refresh (rr_pipeline_refresh_batch on batches of
 * RR_LEARNER_RETRIEVE_BATCH dirty users: candidate sources, embedding retrieval over the whole
 * catalog, MLP re-rank), in users/s; the single-user refresh at 100k items for comparison. */
#include <math.h>
#include <string.h>
#include "bench_micro.h"
#include "rr_gen.h"
#include "rr_pipeline.h"
#include "rr_rng.h"

#define TOPN_U 256
#define TOPN_K 20
#define TOPN_D 32 /* model.dim's default */

typedef struct topn_ctx_s {
    float *users, *items, *scratch, *score;
    uint32_t *idx;
    int count[TOPN_U], U;
    uint32_t N;
    size_t scratch_floats;
    rr_topn_kernel_t kernel;
} topn_ctx_t;

static void topn_run(void *p, long reps)
{
    topn_ctx_t *t = p;
    for (long r = 0; r < reps; r++)
        rr_topn_batch_kernel(t->kernel, t->users, t->U, t->items, t->N, TOPN_D, TOPN_K, NULL,
                             t->scratch, t->scratch_floats, t->idx, t->score, t->count);
}

/* Brute force for a few users: the K-th best score and every returned score must match. */
static int topn_valid(topn_ctx_t *t)
{
    topn_run(t, 1);
    float *all = malloc(sizeof(float) * t->N);
    int ok = all != NULL;
    for (int u = 0; ok && u < t->U; u += t->U / 4) {
        for (uint32_t j = 0; j < t->N; j++) {
            double s = 0;
            for (int q = 0; q < TOPN_D; q++)
                s += (double)t->users[u * TOPN_D + q] * t->items[(size_t)j * TOPN_D + q];
            all[j] = (float)s;
        }
        for (int k = 0; ok && k < TOPN_K; k++) { /* selection: the k-th best by brute force */
            uint32_t best = 0;
            for (uint32_t j = 1; j < t->N; j++)
                if (all[j] > all[best]) best = j;
            ok = t->count[u] == TOPN_K &&
                 fabsf(t->score[u * TOPN_K + k] - all[best]) < 1e-4f * (1 + fabsf(all[best]));
            all[best] = -INFINITY;
        }
    }
    free(all);
    return ok;
}

/* kernel AUTO: topn_batch_<N>k, what the engine runs; GEMM: topn_batch_gemm_<N>k. */
static void topn_case(uint32_t N, int U, rr_topn_kernel_t kernel)
{
    char name[64];
    int fused = kernel != RR_TOPN_GEMM && rr_topn_kernel_available(RR_TOPN_FUSED);
    snprintf(name, sizeof(name), "topn_batch_%s%uk", kernel == RR_TOPN_GEMM ? "gemm_" : "",
             N / 1000);
    topn_ctx_t t = {.U = U, .N = N, .kernel = kernel};
    t.scratch_floats = rr_topn_scratch_floats(U, TOPN_D, 4096);
    t.users = malloc(sizeof(float) * U * TOPN_D);
    t.items = malloc(sizeof(float) * N * TOPN_D);
    t.scratch = malloc(sizeof(float) * t.scratch_floats);
    t.score = malloc(sizeof(float) * U * TOPN_K);
    t.idx = malloc(sizeof(uint32_t) * U * TOPN_K);
    rr_rng_t rng;
    rr_rng_seed(&rng, N);
    for (int q = 0; q < U * TOPN_D; q++) t.users[q] = rr_rng_normal(&rng);
    for (size_t q = 0; q < (size_t)N * TOPN_D; q++) t.items[q] = rr_rng_normal(&rng);
    /* Brute force is only affordable on the small catalogs. */
    int ok = N > 100000 || topn_valid(&t);
    if (rr_bench_check(name, ok, "differs from brute force") && !rr_bench_smoke) {
        int runs = N >= 1000000 ? 3 : 5;
        double s = rr_bench_median(topn_run, &t, N >= 1000000 ? 1 : 0, runs, 0.2);
        rr_bench_print(name, U / s, "users/s", runs,
                       "items=%u dim=%d K=%d batch=%d kernel=%s gflops=%.2f", N, TOPN_D, TOPN_K, U,
                       fused ? "fused" : "gemm", 2.0 * U * N * TOPN_D / s * 1e-9);
    }
    free(t.users);
    free(t.items);
    free(t.scratch);
    free(t.score);
    free(t.idx);
}

void bench_topn(void)
{
    if (rr_bench_smoke) {
        topn_case(10000, 16, RR_TOPN_AUTO);
        topn_case(10000, 16, RR_TOPN_GEMM);
        return;
    }
    topn_case(10000, TOPN_U, RR_TOPN_AUTO);
    topn_case(100000, TOPN_U, RR_TOPN_AUTO);
    topn_case(1000000, TOPN_U, RR_TOPN_AUTO);
    topn_case(100000, TOPN_U, RR_TOPN_GEMM);
}

#define REFRESH_USERS 4096
#define REFRESH_BATCH RR_LEARNER_RETRIEVE_BATCH /* what rr_engine's refresh_some hands over */

typedef struct refresh_ctx_s {
    rr_pipeline_t pl;
    int inited;
    uint32_t uid[REFRESH_USERS];
    int n; /* a multiple of REFRESH_BATCH */
} refresh_ctx_t;

/* One rep = one batch of REFRESH_BATCH users, the batches taken in turn. */
static void refresh_batch_run(void *p, long reps)
{
    refresh_ctx_t *rc = p;
    int nbatch = rc->n / REFRESH_BATCH;
    for (long r = 0; r < reps; r++)
        rr_pipeline_refresh_batch(&rc->pl, rc->uid + (size_t)(r % nbatch) * REFRESH_BATCH,
                                  REFRESH_BATCH);
}

static void refresh_one_run(void *p, long reps)
{
    refresh_ctx_t *rc = p;
    for (long r = 0; r < reps; r++) rr_pipeline_refresh(&rc->pl, rc->uid[r % rc->n]);
}

/* A catalog of N items (all interned, so retrieval scans N rows), then a synthetic stream over
 * it; keeps the first users seen. */
static int refresh_prepare(refresh_ctx_t *rc, uint32_t N, uint64_t events)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 20000;
    cfg.items_max = (int)N + 16;
    rc->inited = rr_pipeline_init(&rc->pl, &cfg) == RR_OK;
    if (!rc->inited) return 0;
    static rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.flags = RR_EVF_PRICE;
    for (uint32_t j = 0; j < N; j++) {
        uint32_t iid;
        snprintf(ev.item_id, sizeof(ev.item_id), "i%u", j);
        snprintf(ev.category, sizeof(ev.category), "c%u", j % 50);
        snprintf(ev.brand, sizeof(ev.brand), "b%u", j % 97);
        ev.price = 1.0f + (float)(j % 200);
        if (rr_store_item(&rc->pl.store, &ev, &iid) != RR_OK) return 0;
    }
    rr_gen_opts_t go = {.users = 5000,
                        .items = N,
                        .categories = 50,
                        .events = events,
                        .seed = 9,
                        .start_ts_ms = 1700000000000LL,
                        .zipf_s = 1.1};
    rr_gen_t *g = rr_gen_new(&go);
    rc->n = 0;
    while (g && rr_gen_next(g, &ev)) {
        uint32_t uid;
        if (rr_pipeline_apply(&rc->pl, &ev, &uid) != RR_OK) continue;
        if (rc->n < REFRESH_USERS && rc->pl.store.user[uid].nevents == 1) rc->uid[rc->n++] = uid;
    }
    rr_gen_free(g);
    rc->n -= rc->n % REFRESH_BATCH;
    return rc->n > 0;
}

/* Refreshing a batch gives every user the list a single-user refresh gives (same items in the
 * same order, scores equal up to float rounding: the batch retrieves with one sgemm where one
 * user gets a sgemv); every list is full, within the catalog and free of duplicates. */
static int refresh_valid(refresh_ctx_t *rc, uint32_t N)
{
    static rr_list_entry_t want[REFRESH_BATCH][256];
    uint8_t nwant[REFRESH_BATCH];
    const rr_store_t *st = &rc->pl.store;
    if (st->list_max > 256) return 0;
    for (int k = 0; k < REFRESH_BATCH; k++) {
        nwant[k] = (uint8_t)rr_pipeline_refresh(&rc->pl, rc->uid[k]);
        memcpy(want[k], rr_store_list(st, rc->uid[k]), nwant[k] * sizeof(rr_list_entry_t));
    }
    rr_pipeline_refresh_batch(&rc->pl, rc->uid, REFRESH_BATCH);
    for (int k = 0; k < REFRESH_BATCH; k++) {
        const rr_list_entry_t *list = rr_store_list(st, rc->uid[k]);
        size_t len = st->user[rc->uid[k]].nlist;
        if (len == 0 || len != nwant[k]) return 0;
        for (size_t a = 0; a < len; a++) {
            if (list[a].item >= N || list[a].item != want[k][a].item ||
                list[a].reason != want[k][a].reason ||
                fabsf(list[a].score - want[k][a].score) > 1e-4f * (1 + fabsf(want[k][a].score)))
                return 0;
            for (size_t b = 0; b < a; b++)
                if (list[a].item == list[b].item) return 0;
        }
    }
    return 1;
}

static void refresh_case(uint32_t N, uint64_t events, int single_too)
{
    static refresh_ctx_t rc;
    char name[64];
    snprintf(name, sizeof(name), "refresh_%uk", N / 1000);
    int ok = refresh_prepare(&rc, N, events);
    if (rr_bench_check(name, ok && refresh_valid(&rc, N), "batch list != single-user list") &&
        !rr_bench_smoke) {
        double s = rr_bench_median(refresh_batch_run, &rc, 0, 5, 0.2) / REFRESH_BATCH;
        if (N == 100000)
            rr_bench_print(name, 1.0 / s, "users/s", 5,
                           "items=%u batch=%d us_per_user=%.1f goal=5000 goal_met=%s", N,
                           REFRESH_BATCH, s * 1e6, 1.0 / s >= 5000 ? "yes" : "no");
        else
            rr_bench_print(name, 1.0 / s, "users/s", 5, "items=%u batch=%d us_per_user=%.1f", N,
                           REFRESH_BATCH, s * 1e6);
        if (single_too) {
            snprintf(name, sizeof(name), "refresh_single_%uk", N / 1000);
            double s1 = rr_bench_median(refresh_one_run, &rc, 0, 5, 0.2);
            rr_bench_print(name, 1.0 / s1, "users/s", 5,
                           "items=%u us_per_user=%.1f batch_speedup=%.2f", N, s1 * 1e6, s1 / s);
        }
    }
    if (rc.inited) rr_pipeline_free(&rc.pl);
}

void bench_refresh(void)
{
    if (rr_bench_smoke) {
        refresh_case(2000, 2000, 0);
        return;
    }
    refresh_case(10000, 20000, 0);
    refresh_case(100000, 20000, 1);
    refresh_case(1000000, 20000, 0);
}
