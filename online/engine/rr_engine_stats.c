/* rr_engine_stats.c — freshness window, the model version, skipped input and the rtrec:stats /
 * rtrec:trending snapshot; see rr_engine_stats.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_consumer.h"
#include "rr_engine_internal.h"
#include "rr_engine_stats.h"
#include "rr_redis.h"

void rr_fresh_add(rr_fresh_t *fr, uint64_t us)
{
    fr->us[fr->next] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    fr->next = (fr->next + 1) % RR_FRESH_SAMPLES;
    if (fr->n < RR_FRESH_SAMPLES) fr->n++;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

double rr_fresh_quantile_ms(const rr_fresh_t *fr, double q)
{
    if (fr->n == 0) return 0.0;
    uint32_t sorted[RR_FRESH_SAMPLES];
    memcpy(sorted, fr->us, fr->n * sizeof(sorted[0]));
    qsort(sorted, fr->n, sizeof(sorted[0]), cmp_u32);
    size_t idx = (size_t)(q * (double)(fr->n - 1) + 0.5);
    return sorted[idx] / 1000.0;
}

/* "mlp@<training steps>": a new version with every step the published lists may reflect. */
void rr_engine_model_version(const rr_engine_t *en, char *buf, size_t cap)
{
    if (en->pl.model_on)
        snprintf(buf, cap, "mlp@%llu", (unsigned long long)en->pl.learner.steps);
    else
        snprintf(buf, cap, "sources");
}

uint64_t rr_engine_input_skipped(const rr_engine_t *en)
{
    rr_consumer_stats_t group = {0}, catalog = {0};
    if (en->consumer) rr_consumer_stats(en->consumer, &group);
    if (en->catalog) rr_consumer_stats(en->catalog, &catalog);
    return group.skipped + catalog.skipped;
}

#define NSTATS 24

typedef struct stats_s {
    const char *fields[NSTATS];
    const char *values[NSTATS];
    char text[NSTATS][32];
    size_t n;
} stats_t;

static void stat_u64(stats_t *st, const char *field, uint64_t value)
{
    snprintf(st->text[st->n], 32, "%llu", (unsigned long long)value);
    st->fields[st->n] = field;
    st->values[st->n] = st->text[st->n];
    st->n++;
}

static void stat_f64(stats_t *st, const char *field, const char *fmt, double value)
{
    if (isnan(value))
        snprintf(st->text[st->n], 32, "n/a"); /* model off, or not trained yet */
    else
        snprintf(st->text[st->n], 32, fmt, value);
    st->fields[st->n] = field;
    st->values[st->n] = st->text[st->n];
    st->n++;
}

static void put_stats(rr_engine_t *en)
{
    const rr_pipeline_t *pl = &en->pl;
    uint64_t now = uv_now(en->loop);
    double dt = (double)(now - en->stats_ms) / 1000.0;
    double eps = dt > 0 ? (double)(pl->events_total - en->stats_events) / dt : 0;
    en->stats_events = pl->events_total;
    en->stats_ms = now;
    const rr_preq_t *pq = &pl->preq;
    stats_t st = {.n = 0};
    stat_u64(&st, "events_total", pl->events_total);
    stat_f64(&st, "events_per_s", "%.1f", eps);
    stat_u64(&st, "dlq_total", en->dlq_total);
    stat_f64(&st, "freshness_p50_ms", "%.3f", rr_fresh_quantile_ms(&en->fresh, 0.50));
    stat_f64(&st, "freshness_p99_ms", "%.3f", rr_fresh_quantile_ms(&en->fresh, 0.99));
    rr_engine_model_version(en, st.text[st.n], 32);
    st.fields[st.n] = "model_version";
    st.values[st.n] = st.text[st.n];
    st.n++;
    stat_f64(&st, "hr10", "%.4f", pq->targets ? (double)pq->hits10 / (double)pq->targets : 0);
    stat_f64(&st, "logloss", "%.4f", rr_pipeline_logloss(pl));
    stat_f64(&st, "auc", "%.4f", rr_pipeline_auc(pl));
    stat_u64(&st, "users", pl->store.users.count);
    stat_u64(&st, "items", pl->store.items.count);
    stat_u64(&st, "duplicates_total", pl->duplicates);
    stat_u64(&st, "flooded_total", pl->flooded);
    stat_u64(&st, "users_evicted", pl->evicted);
    stat_u64(&st, "users_expired", pl->expired);
    stat_u64(&st, "input_skipped_total", rr_engine_input_skipped(en));
    rr_engine_sync_view_t sv;
    if (rr_engine_sync_view(en, &sv)) {
        stat_u64(&st, "sync_bytes_sent", sv.bytes_sent);
        stat_u64(&st, "sync_bytes_applied", sv.bytes_applied);
        stat_f64(&st, "sync_merges_per_s", "%.2f",
                 dt > 0 ? (double)(sv.applied - en->stats_merges) / dt : 0);
        en->stats_merges = sv.applied;
        stat_u64(&st, "sync_lag_messages", sv.lag_messages);
        stat_f64(&st, "sync_lag_s", "%.3f", sv.lag_s);
    }
    rr_redis_put_stats(en->redis, st.fields, st.values, st.n);
}

static void put_trending(rr_engine_t *en)
{
    uint32_t ids[50];
    float scores[50];
    const char *names[50];
    size_t n = rr_trending_top(&en->pl.trending, ids, scores, 50);
    for (size_t i = 0; i < n; i++) names[i] = rr_intern_key(&en->pl.store.items, ids[i]);
    if (n) rr_redis_put_trending(en->redis, names, scores, n);
}

void rr_engine_put_stats(rr_engine_t *en)
{
    put_stats(en);
    put_trending(en);
}
