/* rr_engine_dash.c — the dashboard's data on the loop: one sample per second of rates,
 * lag, freshness quantiles and model health into a fixed ring, the JSON the page polls
 * (/api/dashboard?since=SEQ: live totals plus the samples after SEQ), and the embedded page.
 * A poll renders from memory in one go, so a viewer costs the loop one render and never
 * holds it; memory is the ring (fixed) plus the HTTP server's bounded connections. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rr_dash.h"
#include "rr_engine_dash.h"
#include "rr_log.h"

/* Cumulative counters as of the previous sample: a sample holds their rates since. */
typedef struct dash_raw_s {
    uint64_t by_type[RR_EV__COUNT];
    uint64_t dlq[RR_ENGINE_NREASONS];
    uint64_t lost, dup, flood, rerr, kerr, steps;
    rr_hist_t fresh_engine, fresh_e2e;
} dash_raw_t;

typedef struct dash_sample_s {
    uint64_t seq;
    int64_t t_ms;                  /* wall clock */
    float ev[RR_EV__COUNT];        /* events/s by type */
    int64_t lag[RR_DASH_LAGS];     /* by lag slot; -1 = not assigned */
    float fresh[4];                /* ms: engine p50, p99, end to end p50, p99; NaN = none */
    float dlq[RR_ENGINE_NREASONS]; /* dead letters/s by -rr_err_t */
    float lost, dup, flood, rerr, kerr, steps; /* per second */
    float ckpt_age_s;                          /* NaN = checkpoints off */
    uint32_t users, items;
    float logloss, auc, hr10; /* over the last RR_DASH_ROLLING samples; NaN = no data */
    rr_preq_t preq;           /* cumulative sums at this sample: later windows start here */
} dash_sample_t;

typedef struct dash_lag_key_s {
    int topic; /* rr_engine_topic_index */
    int32_t partition;
} dash_lag_key_t;

struct rr_engine_dash_s {
    uv_timer_t timer;
    uint64_t seq; /* samples taken: the newest is ring[(seq - 1) % RR_DASH_SAMPLES] */
    uint64_t prev_ms, last_ckpt_ms, ckpts_seen;
    int64_t started_wall_ms;
    dash_raw_t prev;
    dash_lag_key_t lag_key[RR_DASH_LAGS];
    int nlag_keys;
    dash_sample_t ring[RR_DASH_SAMPLES];
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- lag ---- */

/* Partitions whose lag one call reads (the dashboard charts fewer). */
#define RR_DASH_LAG_MAX 256

size_t rr_engine_lag(const rr_engine_t *en, rr_engine_lag_t *out, size_t cap)
{
    rr_consumer_lag_t lag[RR_DASH_LAG_MAX];
    if (!en->consumer) return 0;
    size_t n = rr_consumer_lag(en->consumer, lag, cap < RR_DASH_LAG_MAX ? cap : RR_DASH_LAG_MAX);
    for (size_t i = 0; i < n; i++)
        out[i] = (rr_engine_lag_t){lag[i].topic, lag[i].partition, lag[i].lag};
    return n;
}

/* The chart slot of a partition: the first RR_DASH_LAGS seen keep theirs; -1 past that. */
static int lag_slot(rr_engine_dash_t *d, int topic, int32_t partition)
{
    for (int i = 0; i < d->nlag_keys; i++)
        if (d->lag_key[i].topic == topic && d->lag_key[i].partition == partition) return i;
    if (d->nlag_keys == RR_DASH_LAGS) return -1;
    d->lag_key[d->nlag_keys] = (dash_lag_key_t){topic, partition};
    return d->nlag_keys++;
}

/* ---- sampling ---- */

static void raw_now(const rr_engine_t *en, dash_raw_t *raw)
{
    const rr_pipeline_t *pl = &en->pl;
    rr_redis_stats_t rs = {0};
    rr_kpub_stats_t ks = {0};
    if (en->redis) rr_redis_stats(en->redis, &rs);
    if (en->kpub) rr_kpub_stats(en->kpub, &ks);
    memcpy(raw->by_type, pl->by_type, sizeof(raw->by_type));
    memcpy(raw->dlq, en->dlq_by_reason, sizeof(raw->dlq));
    raw->lost = pl->dropped_full;
    raw->dup = pl->duplicates;
    raw->flood = pl->flooded;
    raw->rerr = rs.errors;
    raw->kerr = ks.errors;
    raw->steps = pl->model_on ? pl->learner.steps : 0;
    raw->fresh_engine = en->fresh_engine;
    raw->fresh_e2e = en->fresh_e2e;
}

/* q-quantile in ms of the samples a histogram gained since before; NaN if none. */
static float fresh_since(const rr_hist_t *now, const rr_hist_t *before, double q)
{
    rr_hist_t d = {0};
    for (size_t i = 0; i <= RR_HIST_NBOUNDS; i++) d.counts[i] = now->counts[i] - before->counts[i];
    d.count = now->count - before->count;
    if (d.count == 0) return NAN;
    d.sum = now->sum - before->sum;
    d.min = 0;
    d.max = now->max;
    return (float)(rr_hist_quantile(&d, q) * 1e3);
}

static float ratio(double num, double den)
{
    return den > 0 ? (float)(num / den) : NAN;
}

/* Logloss, AUC and HR@10 over the window from `from` (cumulative sums) to now. */
static void rolling(dash_sample_t *s, const rr_preq_t *from, const rr_preq_t *now)
{
    s->logloss =
        ratio(now->logloss_sum - from->logloss_sum, (double)(now->logloss_n - from->logloss_n));
    s->auc = ratio(now->auc_wins - from->auc_wins, (double)(now->auc_pairs - from->auc_pairs));
    s->hr10 = ratio((double)(now->hits10 - from->hits10), (double)(now->targets - from->targets));
}

static void sample_lag(rr_engine_t *en, dash_sample_t *s)
{
    rr_engine_lag_t lags[64];
    size_t n = rr_engine_lag(en, lags, 64);
    for (int i = 0; i < RR_DASH_LAGS; i++) s->lag[i] = -1;
    for (size_t i = 0; i < n; i++) {
        int slot = lag_slot(en->dash, rr_engine_topic_index(en, lags[i].topic), lags[i].partition);
        if (slot >= 0) s->lag[slot] = lags[i].lag;
    }
}

static void sample_rates(dash_sample_t *s, const dash_raw_t *now, const dash_raw_t *prev, double dt)
{
    for (int t = 0; t < RR_EV__COUNT; t++)
        s->ev[t] = (float)((now->by_type[t] - prev->by_type[t]) / dt);
    for (int e = 0; e < RR_ENGINE_NREASONS; e++)
        s->dlq[e] = (float)((now->dlq[e] - prev->dlq[e]) / dt);
    s->lost = (float)((now->lost - prev->lost) / dt);
    s->dup = (float)((now->dup - prev->dup) / dt);
    s->flood = (float)((now->flood - prev->flood) / dt);
    s->rerr = (float)((now->rerr - prev->rerr) / dt);
    s->kerr = (float)((now->kerr - prev->kerr) / dt);
    s->steps = (float)((now->steps - prev->steps) / dt);
    s->fresh[0] = fresh_since(&now->fresh_engine, &prev->fresh_engine, 0.50);
    s->fresh[1] = fresh_since(&now->fresh_engine, &prev->fresh_engine, 0.99);
    s->fresh[2] = fresh_since(&now->fresh_e2e, &prev->fresh_e2e, 0.50);
    s->fresh[3] = fresh_since(&now->fresh_e2e, &prev->fresh_e2e, 0.99);
}

static float ckpt_age(rr_engine_t *en, uint64_t now)
{
    rr_engine_dash_t *d = en->dash;
    if (!en->cfg.checkpoint_dir[0]) return NAN;
    if (en->ckpts_written != d->ckpts_seen) {
        d->ckpts_seen = en->ckpts_written;
        d->last_ckpt_ms = now;
    }
    return (float)((double)(now - d->last_ckpt_ms) / 1e3);
}

static void on_sample(uv_timer_t *timer)
{
    rr_engine_t *en = timer->data;
    rr_engine_dash_t *d = en->dash;
    uint64_t now = uv_now(en->loop);
    double dt = now > d->prev_ms ? (double)(now - d->prev_ms) / 1e3 : 1e-3;
    dash_raw_t raw;
    raw_now(en, &raw);
    dash_sample_t *s = &d->ring[d->seq % RR_DASH_SAMPLES];
    memset(s, 0, sizeof(*s));
    s->seq = ++d->seq;
    s->t_ms = wall_ms();
    sample_rates(s, &raw, &d->prev, dt);
    sample_lag(en, s);
    s->ckpt_age_s = ckpt_age(en, now);
    s->users = (uint32_t)en->pl.store.users.count;
    s->items = (uint32_t)en->pl.store.items.count;
    s->preq = en->pl.preq;
    uint64_t back = d->seq > RR_DASH_ROLLING ? RR_DASH_ROLLING : d->seq - 1;
    const dash_sample_t *from = &d->ring[(d->seq - 1 - back) % RR_DASH_SAMPLES];
    rolling(s, back ? &from->preq : &(rr_preq_t){0}, &s->preq);
    d->prev = raw;
    d->prev_ms = now;
}

/* ---- JSON ---- */

/* A number with 4 significant digits (what a chart needs), null when not finite. */
static void jnum(rr_metrics_buf_t *b, double v)
{
    if (isfinite(v))
        rr_metrics_printf(b, "%.4g", v);
    else
        rr_metrics_printf(b, "null");
}

static void jfloats(rr_metrics_buf_t *b, const char *key, const float *v, size_t n)
{
    rr_metrics_printf(b, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i) rr_metrics_printf(b, ",");
        jnum(b, v[i]);
    }
    rr_metrics_printf(b, "]");
}

static void json_sample(rr_metrics_buf_t *b, const rr_engine_dash_t *d, const dash_sample_t *s)
{
    rr_metrics_printf(b, "{\"seq\":%llu,\"t\":%lld", (unsigned long long)s->seq,
                      (long long)s->t_ms);
    jfloats(b, "ev", s->ev, RR_EV__COUNT);
    rr_metrics_printf(b, ",\"lag\":[");
    for (int i = 0; i < d->nlag_keys; i++) {
        if (s->lag[i] >= 0)
            rr_metrics_printf(b, "%s%lld", i ? "," : "", (long long)s->lag[i]);
        else
            rr_metrics_printf(b, "%snull", i ? "," : "");
    }
    rr_metrics_printf(b, "]");
    jfloats(b, "fresh", s->fresh, 4);
    rr_metrics_printf(b, ",\"dlq\":{");
    for (int e = 1, first = 1; e < RR_ENGINE_NREASONS; e++) {
        if (s->dlq[e] == 0) continue;
        rr_metrics_printf(b, "%s\"%s\":", first ? "" : ",", rr_err_name(-e));
        jnum(b, s->dlq[e]);
        first = 0;
    }
    rr_metrics_printf(b, "}");
    const struct {
        const char *key;
        float v;
    } named[] = {{"lost", s->lost},
                 {"dup", s->dup},
                 {"flood", s->flood},
                 {"rerr", s->rerr},
                 {"kerr", s->kerr},
                 {"steps", s->steps},
                 {"ckpt_age", s->ckpt_age_s},
                 {"logloss", s->logloss},
                 {"auc", s->auc},
                 {"hr10", s->hr10}};
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        rr_metrics_printf(b, ",\"%s\":", named[i].key);
        jnum(b, named[i].v);
    }
    rr_metrics_printf(b, ",\"users\":%u,\"items\":%u}", s->users, s->items);
}

static void json_u64(rr_metrics_buf_t *b, const char *key, uint64_t v)
{
    rr_metrics_printf(b, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void json_f64(rr_metrics_buf_t *b, const char *key, double v)
{
    rr_metrics_printf(b, ",\"%s\":", key);
    rr_metrics_json_num(b, v);
}

/* The numbers the page prints as they are now: the same counters /metrics and rtrec:stats
 * read, so the three agree. */
static void json_totals(rr_metrics_buf_t *b, const rr_engine_t *en)
{
    const rr_pipeline_t *pl = &en->pl;
    rr_redis_stats_t rs = {0};
    rr_kpub_stats_t ks = {0};
    if (en->redis) rr_redis_stats(en->redis, &rs);
    if (en->kpub) rr_kpub_stats(en->kpub, &ks);
    rr_metrics_printf(b, "\"totals\":{\"events_total\":%llu", (unsigned long long)pl->events_total);
    rr_metrics_printf(b, ",\"events_by_type\":{");
    for (int t = RR_EV_VIEW; t < RR_EV__COUNT; t++)
        rr_metrics_printf(b, "%s\"%s\":%llu", t == RR_EV_VIEW ? "" : ",",
                          rr_event_type_name((rr_event_type_t)t),
                          (unsigned long long)pl->by_type[t]);
    rr_metrics_printf(b, "},\"dlq_by_reason\":{");
    for (int e = 1, first = 1; e < RR_ENGINE_NREASONS; e++) {
        if (!en->dlq_by_reason[e]) continue;
        rr_metrics_printf(b, "%s\"%s\":%llu", first ? "" : ",", rr_err_name(-e),
                          (unsigned long long)en->dlq_by_reason[e]);
        first = 0;
    }
    rr_metrics_printf(b, "}");
    json_u64(b, "dlq_total", en->dlq_total);
    json_u64(b, "lost_total", pl->dropped_full);
    json_u64(b, "duplicates_total", pl->duplicates);
    json_u64(b, "flooded_total", pl->flooded);
    json_u64(b, "redis_errors_total", rs.errors);
    json_u64(b, "kafka_errors_total", ks.errors);
    json_u64(b, "users", pl->store.users.count);
    json_u64(b, "items", pl->store.items.count);
    json_u64(b, "train_steps_total", pl->model_on ? pl->learner.steps : 0);
    json_u64(b, "checkpoints_total", en->ckpts_written);
    json_f64(b, "logloss", rr_pipeline_logloss(pl));
    json_f64(b, "auc", rr_pipeline_auc(pl));
    json_f64(b, "hr10",
             pl->preq.targets ? (double)pl->preq.hits10 / (double)pl->preq.targets : NAN);
    json_f64(b, "freshness_p50_ms", rr_fresh_quantile_ms(&en->fresh, 0.50));
    json_f64(b, "freshness_p99_ms", rr_fresh_quantile_ms(&en->fresh, 0.99));
    rr_metrics_printf(b, ",\"redis_connected\":%s}", rs.connected ? "true" : "false");
}

static void json_engine(rr_metrics_buf_t *b, const rr_engine_t *en)
{
    char version[64];
    rr_engine_model_version(en, version, sizeof(version));
    rr_metrics_printf(b, "\"engine\":{\"model_version\":");
    rr_metrics_json_str(b, version);
    rr_metrics_printf(b, ",\"now_ms\":%lld,\"started_ms\":%lld,\"healthy\":%s",
                      (long long)wall_ms(), (long long)en->dash->started_wall_ms,
                      en->consumer_started && !en->stopping ? "true" : "false");
    rr_metrics_printf(b, ",\"checkpoints\":%s,\"period_ms\":%d,\"rolling\":%d,\"types\":[",
                      en->cfg.checkpoint_dir[0] ? "true" : "false", RR_DASH_PERIOD_MS,
                      RR_DASH_ROLLING);
    for (int t = 0; t < RR_EV__COUNT; t++) {
        if (t) rr_metrics_printf(b, ",");
        rr_metrics_json_str(b, t ? rr_event_type_name((rr_event_type_t)t) : "none");
    }
    rr_metrics_printf(b, "],\"lag_series\":[");
    const char *topics[] = {en->cfg.topic_events, en->cfg.topic_items, en->cfg.topic_users};
    for (int i = 0; i < en->dash->nlag_keys; i++) {
        char label[RR_CONFIG_STR_MAX + 16];
        const dash_lag_key_t *k = &en->dash->lag_key[i];
        snprintf(label, sizeof(label), "%s/%d", topics[k->topic], k->partition);
        if (i) rr_metrics_printf(b, ",");
        rr_metrics_json_str(b, label);
    }
    rr_metrics_printf(b, "]}");
}

static void json_lag(rr_metrics_buf_t *b, const rr_engine_t *en)
{
    rr_engine_lag_t lags[64];
    size_t n = rr_engine_lag(en, lags, 64);
    rr_metrics_printf(b, "\"lag\":[");
    for (size_t i = 0; i < n; i++) {
        rr_metrics_printf(b, "%s{\"topic\":", i ? "," : "");
        rr_metrics_json_str(b, lags[i].topic);
        rr_metrics_printf(b, ",\"partition\":%d,\"lag\":%lld}", lags[i].partition,
                          (long long)lags[i].lag);
    }
    rr_metrics_printf(b, "]");
}

static void json_trending(rr_metrics_buf_t *b, const rr_engine_t *en)
{
    uint32_t ids[20];
    float scores[20];
    const rr_store_t *st = &en->pl.store;
    size_t n = rr_trending_top(&en->pl.trending, ids, scores, 20);
    rr_metrics_printf(b, "\"trending\":[");
    for (size_t i = 0; i < n; i++) {
        uint32_t cat = st->item[ids[i]].category;
        rr_metrics_printf(b, "%s{\"item\":", i ? "," : "");
        rr_metrics_json_str(b, rr_intern_key(&st->items, ids[i]));
        rr_metrics_printf(b, ",\"category\":");
        rr_metrics_json_str(b, cat == RR_INTERN_NONE ? NULL : rr_intern_key(&st->categories, cat));
        rr_metrics_printf(b, ",\"score\":");
        jnum(b, scores[i]);
        rr_metrics_printf(b, "}");
    }
    rr_metrics_printf(b, "]");
}

static void on_dashboard(void *opaque, const rr_http_req_t *req, const char *rest,
                         rr_metrics_resp_t *resp)
{
    rr_engine_t *en = opaque;
    const rr_engine_dash_t *d = en->dash;
    char since_text[24];
    (void)rest;
    uint64_t since = 0;
    if (rr_http_query_get(req->query, "since", since_text, sizeof(since_text)))
        since = strtoull(since_text, NULL, 10);
    uint64_t oldest = d->seq > RR_DASH_SAMPLES ? d->seq - RR_DASH_SAMPLES + 1 : 1;
    if (since + 1 > oldest) oldest = since + 1;
    rr_metrics_buf_t *b = resp->body;
    rr_metrics_printf(b, "{");
    json_engine(b, en);
    rr_metrics_printf(b, ",");
    json_totals(b, en);
    rr_metrics_printf(b, ",");
    json_lag(b, en);
    rr_metrics_printf(b, ",");
    json_trending(b, en);
    rr_metrics_printf(b, ",\"seq\":%llu,\"samples\":[", (unsigned long long)d->seq);
    for (uint64_t q = oldest; q <= d->seq; q++) {
        if (q > oldest) rr_metrics_printf(b, ",");
        json_sample(b, d, &d->ring[(q - 1) % RR_DASH_SAMPLES]);
    }
    rr_metrics_printf(b, "]}");
}

/* ---- the page ---- */

static void on_file(void *opaque, const rr_http_req_t *req, const char *rest,
                    rr_metrics_resp_t *resp)
{
    (void)opaque;
    (void)rest;
    const rr_dash_file_t *f = rr_dash_find(req->path);
    if (!f) {
        resp->status = 404;
        resp->content_type = "text/plain; charset=utf-8";
        rr_metrics_printf(resp->body, "not found\n");
        return;
    }
    resp->content_type = rr_dash_type(f);
    resp->cache = "no-cache"; /* revalidate: a new binary may serve a new page */
    resp->static_body = f->data;
    resp->static_len = f->len;
}

/* ---- lifecycle and /metrics ---- */

rr_err_t rr_engine_dash_start(rr_engine_t *en)
{
    rr_engine_dash_t *d = calloc(1, sizeof(*d));
    if (!d) return RR_E(NOMEM);
    en->dash = d;
    d->started_wall_ms = wall_ms();
    d->prev_ms = d->last_ckpt_ms = uv_now(en->loop);
    raw_now(en, &d->prev);
    uv_timer_init(en->loop, &d->timer);
    d->timer.data = en;
    uv_timer_start(&d->timer, on_sample, RR_DASH_PERIOD_MS, RR_DASH_PERIOD_MS);
    en->open_parts++;
    /* Everything but /metrics and /healthz is guarded: the page leads to personal data, and a
     * browser asked for the token once at the page sends it with every later request. */
    const int g = RR_METRICS_GUARDED;
    rr_err_t err = rr_metrics_route(en->metrics, "/", g, on_file, en);
    if (!err) err = rr_metrics_route(en->metrics, "/assets/", g | RR_METRICS_PREFIX, on_file, en);
    if (!err) err = rr_metrics_route(en->metrics, "/api/dashboard", g, on_dashboard, en);
    if (!err)
        err = rr_metrics_route(en->metrics, "/users/", g | RR_METRICS_PREFIX, rr_engine_users_get,
                               en);
    if (!err)
        err = rr_metrics_route(en->metrics, "/rank", g | RR_METRICS_POST, rr_engine_rank_post, en);
    return err;
}

void rr_engine_dash_stop(rr_engine_t *en, uv_close_cb on_closed)
{
    if (en->dash) uv_close((uv_handle_t *)&en->dash->timer, on_closed);
}

void rr_engine_dash_free(rr_engine_t *en)
{
    free(en->dash);
    en->dash = NULL;
}

void rr_engine_dash_metrics(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    const rr_pipeline_t *pl = &en->pl;
    rr_metrics_counter(out, "rtrec_events_lost_total",
                       "Valid events not applied: the item catalog was full (items.max).", NULL,
                       (double)pl->dropped_full);
    rr_metrics_gauge(out, "rtrec_hr10",
                     "Prequential HR@10 so far: share of events on an item new to the user "
                     "that the user's list held in its top 10.",
                     NULL,
                     pl->preq.targets ? (double)pl->preq.hits10 / (double)pl->preq.targets : NAN);
    rr_metrics_family(out, "rtrec_checkpoint_age_seconds", RR_METRICS_GAUGE,
                      "Seconds since the last checkpoint was written (since start before the "
                      "first); absent when checkpoints are off.");
    if (en->dash && en->cfg.checkpoint_dir[0])
        rr_metrics_sample(out, "rtrec_checkpoint_age_seconds", NULL,
                          (double)(uv_now(en->loop) - en->dash->last_ckpt_ms) / 1e3);
    if (!en->metrics) return;
    rr_metrics_http_stats_t hs;
    rr_metrics_http_stats(en->metrics, &hs);
    rr_metrics_counter(out, "rtrec_http_requests_total", "HTTP requests answered.", NULL,
                       (double)hs.requests);
    rr_metrics_family(out, "rtrec_http_rejected_total", RR_METRICS_COUNTER,
                      "HTTP requests cut off or refused, by reason.");
    const struct {
        const char *reason;
        uint64_t n;
    } rej[] = {{"malformed", hs.malformed},
               {"too_large", hs.too_large},
               {"body_too_large", hs.body_too_large},
               {"no_length", hs.no_length},
               {"bad_body", hs.bad_body},
               {"slow", hs.slow},
               {"over_limit", hs.over_limit},
               {"unauthorized", hs.unauthorized}};
    for (size_t i = 0; i < sizeof(rej) / sizeof(rej[0]); i++) {
        char labels[48];
        snprintf(labels, sizeof(labels), "reason=\"%s\"", rej[i].reason);
        rr_metrics_sample(out, "rtrec_http_rejected_total", labels, (double)rej[i].n);
    }
}
