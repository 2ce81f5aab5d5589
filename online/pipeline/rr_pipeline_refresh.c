/* rr_pipeline_refresh.c — lists recomputed on one thread or two. The owner's thread applies
 * events; while rr_pipeline_refresh_batch runs it applies none, so the state is a snapshot that
 * both threads only read, each with its own scratch (rr_refresh_ctx_t), each writing the lists of
 * the users it took (disjoint). The worker is one persistent thread: a batch is posted under a
 * mutex, both threads take chunks of it from an atomic counter, and the owner waits only for a
 * chunk the worker has started (a worker that has not woken yet is withdrawn, not waited for).
 * Nothing is allocated per batch. */
#define _GNU_SOURCE /* pthread_setname_np: the worker shows as rr-refresh in top and perf */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rr_pipeline.h"

#define CHUNK 4 /* users a thread takes at a time: small, so neither waits long for the other */

typedef struct rr_refresh_worker_s {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    rr_pipeline_t *pl;
    /* The batch being refreshed; chunks are taken from next. */
    const uint32_t *uids;
    size_t n;
    atomic_size_t next;
    /* Under mu: a batch is posted and not yet taken by the worker; the worker is in a batch;
     * the owner asks it to exit. */
    int pending, busy, stop;
} rr_refresh_worker_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct batch_ctx_s {
    const rr_store_t *st;
    const uint32_t *uids;
} batch_ctx_t;

static int batch_skip(void *ctx, int user, uint32_t item)
{
    const batch_ctx_t *bc = ctx;
    return !bc->st->item[item].available || !bc->st->item[item].interactions ||
           rr_store_has_seen(bc->st, bc->uids[user], item);
}

/* The MLP re-rank of a whole refresh batch: one forward per score_batch rows across users. */
static void rerank_batch(void *opaque, const uint32_t *uids, size_t nusers, const uint32_t *items,
                         const size_t *first, float *probs)
{
    rr_refresh_ctx_t *cx = opaque;
    rr_pipeline_t *pl = cx->pl;
    rr_learner_score_batch_with(&pl->learner, &cx->learn, &pl->store, &pl->portrait,
                                pl->portrait.now_ms, uids, nusers, items, first, probs);
}

/* The lists of uids[0..n) with context cx's scratch. */
static void refresh_in(rr_refresh_ctx_t *cx, const uint32_t *uids, size_t n)
{
    rr_pipeline_t *pl = cx->pl;
    rr_recommender_t *rec = cx->rec;
    for (size_t at = 0; at < n; at += RR_LEARNER_RETRIEVE_BATCH) {
        size_t m = n - at < RR_LEARNER_RETRIEVE_BATCH ? n - at : RR_LEARNER_RETRIEVE_BATCH;
        if (pl->model_on && rec->p.retrieve_k > 0 && m > 1) {
            batch_ctx_t bc = {&pl->store, uids + at};
            rr_topn_filter_t filter = {NULL, batch_skip, &bc};
            int k = (int)rec->p.retrieve_k < cx->rcache_k ? (int)rec->p.retrieve_k : cx->rcache_k;
            cx->rcache_n = rr_learner_retrieve_batch_with(
                &pl->learner, &cx->learn, &pl->store, uids + at, (int)m, k, &filter, cx->rcache_ids,
                cx->rcache_scores, cx->rcache_count);
            cx->rcache_k = k;
            memcpy(cx->rcache_uid, uids + at, m * sizeof(*uids));
        }
        rr_recommend_batch(rec, &pl->store, &pl->cooc, &pl->trending, &pl->cattop, uids + at, m,
                           rec->rerank ? rerank_batch : NULL, cx);
        cx->rcache_n = 0;
    }
    cx->users += n;
}

/* Takes chunks of the posted batch until none is left. */
static void take_chunks(rr_refresh_worker_t *wk, rr_refresh_ctx_t *cx)
{
    uint64_t t0 = now_ns();
    size_t at;
    while ((at = atomic_fetch_add(&wk->next, CHUNK)) < wk->n)
        refresh_in(cx, wk->uids + at, wk->n - at < CHUNK ? wk->n - at : CHUNK);
    cx->busy_ns += now_ns() - t0;
}

static void *work(void *arg)
{
    rr_refresh_worker_t *wk = arg;
    pthread_mutex_lock(&wk->mu);
    for (;;) {
        while (!wk->pending && !wk->stop) pthread_cond_wait(&wk->go, &wk->mu);
        if (wk->stop) break;
        wk->pending = 0;
        wk->busy = 1;
        pthread_mutex_unlock(&wk->mu);
        take_chunks(wk, &wk->pl->ctx[1]);
        pthread_mutex_lock(&wk->mu);
        wk->busy = 0;
        pthread_cond_signal(&wk->done);
    }
    pthread_mutex_unlock(&wk->mu);
    return NULL;
}

static void refresh_shared(rr_pipeline_t *pl, const uint32_t *uids, size_t n)
{
    rr_refresh_worker_t *wk = pl->worker;
    pthread_mutex_lock(&wk->mu);
    wk->uids = uids;
    wk->n = n;
    atomic_store(&wk->next, 0);
    wk->pending = 1;
    pthread_cond_signal(&wk->go);
    pthread_mutex_unlock(&wk->mu);
    take_chunks(wk, &pl->ctx[0]);
    uint64_t t0 = now_ns();
    pthread_mutex_lock(&wk->mu);
    wk->pending = 0; /* not taken yet: the worker will not touch this batch */
    while (wk->busy) pthread_cond_wait(&wk->done, &wk->mu);
    pthread_mutex_unlock(&wk->mu);
    pl->ctx[0].wait_ns += now_ns() - t0;
}

void rr_pipeline_refresh_batch(rr_pipeline_t *pl, const uint32_t *uids, size_t n)
{
    if (pl->worker && n > CHUNK) {
        refresh_shared(pl, uids, n);
        return;
    }
    uint64_t t0 = now_ns();
    refresh_in(&pl->ctx[0], uids, n);
    pl->ctx[0].busy_ns += now_ns() - t0;
}

/* A context's scratch; context 1 also forks pl->rec. */
static rr_err_t ctx_init(rr_pipeline_t *pl, int i, const rr_config_t *cfg)
{
    rr_refresh_ctx_t *cx = &pl->ctx[i];
    rr_err_t err = RR_OK;
    cx->pl = pl;
    if (i > 0) {
        err = rr_recommender_fork(&pl->rec, &cx->fork, cx);
        cx->rec = &cx->fork;
    }
    if (!err && pl->ranker_on) err = rr_ranker_scratch_init(&pl->ranker, &cx->rank);
    if (err || !pl->model_on) return err;
    err = rr_learner_scratch_init(&pl->learner, &cx->learn);
    cx->rcache_k = cfg->recs_retrieve_k > 0 ? cfg->recs_retrieve_k : 1;
    cx->rcache_ids = calloc((size_t)RR_LEARNER_RETRIEVE_BATCH * cx->rcache_k, sizeof(uint32_t));
    cx->rcache_scores = calloc((size_t)RR_LEARNER_RETRIEVE_BATCH * cx->rcache_k, sizeof(float));
    return err ? err : cx->rcache_ids && cx->rcache_scores ? RR_OK : RR_E(NOMEM);
}

static rr_err_t worker_start(rr_pipeline_t *pl)
{
    rr_refresh_worker_t *wk = calloc(1, sizeof(*wk));
    if (!wk) return RR_E(NOMEM);
    wk->pl = pl;
    atomic_init(&wk->next, 0);
    pthread_mutex_init(&wk->mu, NULL);
    pthread_cond_init(&wk->go, NULL);
    pthread_cond_init(&wk->done, NULL);
    if (pthread_create(&wk->thread, NULL, work, wk) != 0) {
        pthread_cond_destroy(&wk->done);
        pthread_cond_destroy(&wk->go);
        pthread_mutex_destroy(&wk->mu);
        free(wk);
        return RR_E(NOMEM);
    }
    pthread_setname_np(wk->thread, "rr-refresh");
    pl->worker = wk;
    return RR_OK;
}

rr_err_t rr_pipeline_refresh_init(rr_pipeline_t *pl, const rr_config_t *cfg)
{
    pl->refresh_threads = cfg->recs_refresh_threads > 1 ? RR_PIPELINE_THREADS_MAX : 1;
    rr_err_t err = RR_OK;
    for (int i = 0; i < pl->refresh_threads && !err; i++) err = ctx_init(pl, i, cfg);
    if (!err && pl->refresh_threads > 1) err = worker_start(pl);
    return err;
}

static void worker_stop(rr_refresh_worker_t *wk)
{
    pthread_mutex_lock(&wk->mu);
    wk->stop = 1;
    pthread_cond_signal(&wk->go);
    pthread_mutex_unlock(&wk->mu);
    pthread_join(wk->thread, NULL);
    pthread_cond_destroy(&wk->done);
    pthread_cond_destroy(&wk->go);
    pthread_mutex_destroy(&wk->mu);
    free(wk);
}

void rr_pipeline_refresh_free(rr_pipeline_t *pl)
{
    if (pl->worker) worker_stop(pl->worker);
    pl->worker = NULL;
    for (int i = 0; i < RR_PIPELINE_THREADS_MAX; i++) {
        rr_refresh_ctx_t *cx = &pl->ctx[i];
        if (cx->rec == &cx->fork) rr_recommender_free(&cx->fork);
        rr_learner_scratch_free(&cx->learn);
        rr_ranker_scratch_free(&cx->rank);
        free(cx->rcache_ids);
        free(cx->rcache_scores);
        cx->rcache_ids = NULL;
        cx->rcache_scores = NULL;
        cx->rec = i == 0 ? &pl->rec : NULL;
    }
}
