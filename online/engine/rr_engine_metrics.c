/* rr_engine_metrics.c — the engine's /metrics page (Prometheus text) and /healthz, rendered on
 * demand from the counters the engine keeps anyway: scraping costs the loop one render. The
 * same server carries the dashboard (rr_engine_dash.c). */
#include <stdio.h>
#include <stdlib.h>
#include "rr_engine_dash.h"
#include "rr_engine_internal.h"
#include "rr_log.h"

static void render_events(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    char labels[64];
    rr_metrics_family(out, "rtrec_events_total", RR_METRICS_COUNTER,
                      "Events applied, by type (duplicates and floods excluded).");
    for (int t = RR_EV_VIEW; t < RR_EV__COUNT; t++) {
        snprintf(labels, sizeof(labels), "type=\"%s\"", rr_event_type_name((rr_event_type_t)t));
        rr_metrics_sample(out, "rtrec_events_total", labels, (double)en->pl.by_type[t]);
    }
    rr_metrics_family(out, "rtrec_dead_letters_total", RR_METRICS_COUNTER,
                      "Input sent to the dead-letter topic, by reason.");
    for (int e = 1; e < RR_ENGINE_NREASONS; e++) {
        if (!en->dlq_by_reason[e]) continue;
        snprintf(labels, sizeof(labels), "reason=\"%s\"", rr_err_name(-e));
        rr_metrics_sample(out, "rtrec_dead_letters_total", labels, (double)en->dlq_by_reason[e]);
    }
    const rr_pipeline_t *pl = &en->pl;
    rr_metrics_counter(out, "rtrec_duplicates_total", "Events skipped: event_id seen lately.", NULL,
                       (double)pl->duplicates);
    rr_metrics_counter(out, "rtrec_flooded_total", "Events over a user's rate cap.", NULL,
                       (double)pl->flooded);
    rr_metrics_counter(out, "rtrec_users_evicted_total", "Users dropped to stay under users.max.",
                       NULL, (double)pl->evicted);
    rr_metrics_counter(out, "rtrec_users_expired_total", "Users dropped after users.ttl_s idle.",
                       NULL, (double)pl->expired);
    rr_metrics_counter(out, "rtrec_model_flops_total",
                       "Floating-point operations of the MLPs: training, scoring, explaining.",
                       NULL, rr_pipeline_model_flops(pl));
}

/* Lag = high watermark (cached from fetches, no broker round trip) - consumed position. The
 * scrape is the slow path, so it allocates. */
static void render_lag(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    rr_metrics_family(out, "rtrec_consumer_lag", RR_METRICS_GAUGE,
                      "Messages between the consumed position and the high watermark.");
    rr_consumer_stats_t cs = {0};
    if (en->consumer) rr_consumer_stats(en->consumer, &cs);
    rr_consumer_lag_t *lag = cs.assigned > 0 ? malloc((size_t)cs.assigned * sizeof(*lag)) : NULL;
    if (!lag) return;
    size_t n = rr_consumer_lag(en->consumer, lag, (size_t)cs.assigned);
    for (size_t i = 0; i < n; i++) {
        char labels[320];
        snprintf(labels, sizeof(labels), "topic=\"%s\",partition=\"%d\"", lag[i].topic,
                 lag[i].partition);
        rr_metrics_sample(out, "rtrec_consumer_lag", labels, (double)lag[i].lag);
    }
    free(lag);
}

/* Input the broker removed before this instance consumed it: what each reader skipped when a
 * position it stood at was gone (rr_consumer_stats_t.skipped). */
static void render_skipped(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    rr_consumer_stats_t group = {0}, catalog = {0};
    if (en->consumer) rr_consumer_stats(en->consumer, &group);
    if (en->catalog) rr_consumer_stats(en->catalog, &catalog);
    rr_metrics_family(out, "rtrec_input_skipped_total", RR_METRICS_COUNTER,
                      "Input messages lost before they were consumed: the broker had removed them "
                      "(retention, or the embedded broker's size cap) when the reader got there.");
    rr_metrics_sample(out, "rtrec_input_skipped_total", "reader=\"group\"", (double)group.skipped);
    rr_metrics_sample(out, "rtrec_input_skipped_total", "reader=\"catalog\"",
                      (double)catalog.skipped);
    rr_metrics_family(out, "rtrec_input_offset_resets_total", RR_METRICS_COUNTER,
                      "Times a reader's position was no longer on the broker and it resumed "
                      "elsewhere.");
    rr_metrics_sample(out, "rtrec_input_offset_resets_total", "reader=\"group\"",
                      (double)group.resets);
    rr_metrics_sample(out, "rtrec_input_offset_resets_total", "reader=\"catalog\"",
                      (double)catalog.resets);
}

/* Where each refreshing thread's time goes (recs.refresh_threads): read between refreshes, when
 * the worker is idle. Thread 0 is the loop thread. */
static void render_refresh_threads(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    const char *labels[RR_PIPELINE_THREADS_MAX] = {"thread=\"0\"", "thread=\"1\""};
    rr_metrics_family(out, "rtrec_refresh_thread_lists_total", RR_METRICS_COUNTER,
                      "Lists computed by each refreshing thread (0 = the loop thread).");
    for (int t = 0; t < en->pl.refresh_threads; t++)
        rr_metrics_sample(out, "rtrec_refresh_thread_lists_total", labels[t],
                          (double)en->pl.ctx[t].users);
    rr_metrics_family(out, "rtrec_refresh_thread_busy_seconds_total", RR_METRICS_COUNTER,
                      "Time each refreshing thread spent computing lists.");
    for (int t = 0; t < en->pl.refresh_threads; t++)
        rr_metrics_sample(out, "rtrec_refresh_thread_busy_seconds_total", labels[t],
                          (double)en->pl.ctx[t].busy_ns / 1e9);
    rr_metrics_counter(out, "rtrec_refresh_wait_seconds_total",
                       "Time the loop thread waited for the worker to finish its last chunk.", NULL,
                       (double)en->pl.ctx[0].wait_ns / 1e9);
}

static void render_outputs(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    rr_metrics_family(out, "rtrec_freshness_seconds", RR_METRICS_HISTOGRAM,
                      "From an event to Redis acknowledging the user's new list.");
    rr_metrics_histogram_series(out, "rtrec_freshness_seconds", "span=\"engine\"",
                                &en->fresh_engine);
    rr_metrics_histogram_series(out, "rtrec_freshness_seconds", "span=\"end_to_end\"",
                                &en->fresh_e2e);
    rr_metrics_counter(out, "rtrec_refreshes_total", "Lists recomputed.", NULL,
                       (double)en->refreshes);
    rr_metrics_gauge(out, "rtrec_refresh_pending_users",
                     "Users whose list waits to be recomputed (one mark per user).", NULL,
                     (double)rr_dirty_count(&en->refresh));
    rr_metrics_gauge(out, "rtrec_refresh_oldest_wait_seconds",
                     "How long the oldest waiting user has waited for its list.", NULL,
                     (double)rr_engine_refresh_oldest_ms(en) / 1e3);
    rr_metrics_counter(out, "rtrec_refresh_deferred_turns_total",
                       "Loop turns that consumed input first, lists younger than "
                       "recs.max_staleness_ms.",
                       NULL, (double)en->refresh_deferred_turns);
    render_refresh_threads(en, out);
    rr_redis_stats_t rs = {0};
    rr_kpub_stats_t ks = {0};
    if (en->redis) rr_redis_stats(en->redis, &rs);
    if (en->kpub) rr_kpub_stats(en->kpub, &ks);
    rr_metrics_counter(out, "rtrec_redis_lists_written_total", "Lists Redis acknowledged.", NULL,
                       (double)rs.lists_written);
    rr_metrics_counter(out, "rtrec_redis_errors_total", "Failed Redis writes and connections.",
                       NULL, (double)rs.errors);
    rr_metrics_counter(out, "rtrec_redis_lists_fenced_total",
                       "List writes Redis refused because it held a list of newer input.", NULL,
                       (double)rs.fenced);
    rr_metrics_gauge(out, "rtrec_redis_connected", "1 while Redis is connected.", NULL,
                     rs.connected);
    rr_metrics_counter(out, "rtrec_kafka_lists_delivered_total", "Lists the broker acknowledged.",
                       NULL, (double)ks.delivered);
    rr_metrics_counter(out, "rtrec_kafka_errors_total", "Failed or retried Kafka deliveries.", NULL,
                       (double)ks.errors);
}

static void render_model(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    const rr_pipeline_t *pl = &en->pl;
    rr_metrics_gauge(out, "rtrec_train_logloss", "The MLP's prequential log loss so far.", NULL,
                     rr_pipeline_logloss(pl));
    rr_metrics_gauge(out, "rtrec_train_auc", "The MLP's prequential AUC so far.", NULL,
                     rr_pipeline_auc(pl));
    rr_metrics_counter(out, "rtrec_train_steps_total", "SGD steps taken.", NULL,
                       pl->model_on ? (double)pl->learner.steps : 0);
    rr_metrics_counter(out, "rtrec_checkpoints_total", "Checkpoints written.", NULL,
                       (double)en->ckpts_written);
    rr_metrics_gauge(out, "rtrec_checkpoint_pause_max_seconds",
                     "Longest loop pause a checkpoint caused (the fork of its writer).", NULL,
                     en->ckpt_pause_max_ms / 1e3);
    rr_metrics_gauge(out, "rtrec_users", "Users held.", NULL, (double)pl->store.users.count);
    rr_metrics_gauge(out, "rtrec_users_seen_grown",
                     "Blocks of grown seen filters in use (of users.seen_pool; when all are "
                     "taken, long histories skip more unseen items).",
                     NULL, (double)(pl->store.seen_pool_max - pl->store.seen_nfree));
    rr_metrics_gauge(out, "rtrec_items", "Items held.", NULL, (double)pl->store.items.count);
}

/* Partitions this instance owns (running) and the restores that brought their users here. A
 * restore runs inside the assignment, before any of the partition's input: no partition is
 * ever seen consuming while restoring. */
static void render_partitions(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    rr_metrics_family(out, "rtrec_partition_owned", RR_METRICS_GAUGE,
                      "1 for each events partition this instance owns and consumes.");
    for (int p = 0; p < RR_ENGINE_MAXPARTS; p++) {
        if (en->part_state[p] != RR_PART_OWNED) continue;
        char labels[32];
        snprintf(labels, sizeof(labels), "partition=\"%d\"", p);
        rr_metrics_sample(out, "rtrec_partition_owned", labels, 1);
    }
    rr_metrics_counter(out, "rtrec_partition_restores_total",
                       "Partitions whose users were restored from the state store.", NULL,
                       (double)en->restores);
    rr_metrics_counter(out, "rtrec_partition_restore_failures_total",
                       "Partition snapshots that could not be restored.", NULL,
                       (double)en->restore_failures);
    rr_metrics_counter(out, "rtrec_partition_users_restored_total",
                       "Users restored with their partitions.", NULL, (double)en->restored_users);
    rr_metrics_counter(out, "rtrec_partition_restore_seconds_total",
                       "Time spent restoring partitions (the loop waits for it).", NULL,
                       en->restore_ms_total / 1e3);
    rr_metrics_gauge(out, "rtrec_partition_restore_last_seconds",
                     "Duration of the latest partition restore.", NULL, en->restore_ms_last / 1e3);
}

static void render(void *opaque, rr_metrics_buf_t *out)
{
    const rr_engine_t *en = opaque;
    render_events(en, out);
    render_partitions(en, out);
    render_lag(en, out);
    render_skipped(en, out);
    render_outputs(en, out);
    render_model(en, out);
    rr_engine_sync_metrics(en, out);
    rr_engine_dash_metrics(en, out);
}

static int healthy(void *opaque)
{
    const rr_engine_t *en = opaque;
    return en->consumer_started && !en->stopping;
}

/* Lost input is reported, not judged: the loss is past and a restart cannot bring it back (a
 * restarted engine would fall further behind and lose more), so /healthz stays 200 and says
 * how much; alert on rtrec_input_skipped_total. */
static void health_detail(void *opaque, rr_metrics_buf_t *out)
{
    rr_metrics_printf(out, "input_skipped_total %llu\n",
                      (unsigned long long)rr_engine_input_skipped(opaque));
}

rr_err_t rr_engine_metrics_start(rr_engine_t *en, char *errstr, size_t errlen)
{
    if (en->cfg.metrics_port == 0) return RR_OK;
    const char *host = en->cfg.http_bind;
    en->metrics = rr_metrics_new(en->loop, host, en->cfg.metrics_port, render, en, errstr, errlen);
    if (!en->metrics) return RR_E(IO);
    rr_metrics_set_health(en->metrics, healthy);
    rr_metrics_set_health_detail(en->metrics, health_detail);
    rr_metrics_set_token(en->metrics, getenv("RTREC_HTTP_TOKEN"));
    en->open_parts++;
    rr_err_t err = rr_engine_dash_start(en);
    if (err) {
        snprintf(errstr, errlen, "dashboard: %s", rr_strerror(err));
        return err;
    }
    int port = rr_metrics_port(en->metrics);
    RR_INFO("metrics on http://%s:%d/metrics, dashboard on http://%s:%d/", host, port, host, port);
    if (rr_metrics_guarded(en->metrics))
        RR_INFO("http: bound beyond loopback: the dashboard and /users/{id} %s",
                getenv("RTREC_HTTP_TOKEN") && *getenv("RTREC_HTTP_TOKEN")
                    ? "need the token of RTREC_HTTP_TOKEN"
                    : "answer 403 (RTREC_HTTP_TOKEN is not set)");
    return RR_OK;
}

void rr_engine_metrics_stop(rr_engine_t *en, void (*on_server_closed)(void *),
                            uv_close_cb on_timer_closed)
{
    if (!en->metrics) return;
    rr_metrics_close(en->metrics, on_server_closed);
    rr_engine_dash_stop(en, on_timer_closed);
}
