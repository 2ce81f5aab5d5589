/* rr_engine_sync_metrics.c — what model sync shows: /metrics' rtrec_sync_* families, rtrec:stats'
 * sync_* fields and GET /sync with the shared state's fingerprint; see rr_engine_internal.h. */
#include <stdio.h>
#include <string.h>
#include "rr_engine_internal.h"

/* Sync-topic messages not merged yet: read and waiting for the next instant, plus not read
 * (the reader's lag, from the high watermarks its fetches brought back). */
static uint64_t lag_messages(const rr_engine_sync_t *es)
{
    rr_consumer_lag_t lag[RR_ENGINE_SYNC_PARTS];
    uint64_t n = es->npending;
    size_t k = es->reader ? rr_consumer_lag(es->reader, lag, RR_ENGINE_SYNC_PARTS) : 0;
    for (size_t i = 0; i < k; i++) n += lag[i].lag > 0 ? (uint64_t)lag[i].lag : 0;
    return n;
}

/* How far the newest merged peer delta's clock trails this instance's (event time). */
static double lag_event_s(const rr_engine_t *en)
{
    const rr_engine_sync_t *es = &en->sync;
    if (!es->peer_event_ms) return 0;
    int64_t d = en->pl.portrait.now_ms - es->peer_event_ms;
    return d > 0 ? (double)d / 1e3 : 0;
}

void rr_engine_sync_metrics(const rr_engine_t *en, rr_metrics_buf_t *out)
{
    const rr_engine_sync_t *es = &en->sync;
    if (!es->sy) return;
    const rr_sync_stats_t *ss = rr_sync_stats(es->sy);
    rr_metrics_counter(
        out, "rtrec_sync_deltas_published_total",
        "Own deltas sent to the sync topic (an instant with nothing new sends none).", NULL,
        (double)ss->published);
    rr_metrics_counter(out, "rtrec_sync_bytes_sent_total", "Bytes of the own deltas.", NULL,
                       (double)ss->published_bytes);
    rr_metrics_counter(out, "rtrec_sync_deltas_applied_total",
                       "Peers' deltas merged (rate() gives merges per second).", NULL,
                       (double)ss->applied);
    rr_metrics_counter(out, "rtrec_sync_bytes_applied_total", "Bytes of the peers' deltas merged.",
                       NULL, (double)ss->applied_bytes);
    rr_metrics_counter(out, "rtrec_sync_deltas_rejected_total",
                       "Peers' deltas refused: malformed, or another model's shape.", NULL,
                       (double)es->rejected);
    rr_metrics_counter(out, "rtrec_sync_send_failures_total",
                       "Own deltas the producer refused or the broker never acknowledged: lost "
                       "to the peers.",
                       NULL, (double)(es->send_failed + es->delivery_failed));
    rr_metrics_gauge(out, "rtrec_sync_lag_messages",
                     "Sync-topic messages not merged yet: read and waiting for the next instant, "
                     "or not read.",
                     NULL, (double)lag_messages(es));
    rr_metrics_gauge(out, "rtrec_sync_lag_seconds",
                     "Event time between this instance's clock and the newest merged peer "
                     "delta's clock at its publication.",
                     NULL, lag_event_s(en));
}

int rr_engine_sync_view(const rr_engine_t *en, rr_engine_sync_view_t *v)
{
    const rr_engine_sync_t *es = &en->sync;
    if (!es->sy) return 0;
    const rr_sync_stats_t *ss = rr_sync_stats(es->sy);
    v->bytes_sent = ss->published_bytes;
    v->bytes_applied = ss->applied_bytes;
    v->applied = ss->applied;
    v->lag_messages = lag_messages(es);
    v->lag_s = lag_event_s(en);
    return 1;
}

static void json_offsets(rr_metrics_buf_t *b, const int64_t *off, int nparts)
{
    int first = 1;
    rr_metrics_printf(b, "{");
    for (int p = 0; p < nparts; p++) {
        if (off[p] < 0) continue;
        rr_metrics_printf(b, "%s\"%d\":%lld", first ? "" : ",", p, (long long)off[p]);
        first = 0;
    }
    rr_metrics_printf(b, "}");
}

/* The sync state and the shared state's fingerprint (rr_sync_digest), for an operator or a
 * test comparing instances. Sorts the catalog: a diagnostic, not something to poll fast. */
static void on_sync_get(void *opaque, const rr_http_req_t *req, const char *rest,
                        rr_metrics_resp_t *resp)
{
    rr_engine_t *en = opaque;
    rr_engine_sync_t *es = &en->sync;
    const rr_sync_stats_t *ss = rr_sync_stats(es->sy);
    rr_sync_digest_t d;
    (void)req, (void)rest;
    if (rr_sync_digest(es->sy, &d) != RR_OK) {
        resp->status = 503;
        return;
    }
    rr_metrics_buf_t *b = resp->body;
    rr_metrics_printf(b, "{\"instance\":");
    rr_metrics_json_str(b, es->instance);
    rr_metrics_printf(b,
                      ",\"published\":%llu,\"applied\":%llu,\"own_read\":%llu,\"twins\":%llu,"
                      "\"replayed\":%llu,\"handed_over\":%llu,\"in_state\":%llu,"
                      "\"earlier_merged\":%llu,\"pending\":%zu,"
                      "\"events_total\":%llu,\"targets\":%llu,\"hits10\":%llu,"
                      "\"applied_offsets\":",
                      (unsigned long long)ss->published, (unsigned long long)ss->applied,
                      (unsigned long long)es->own_read, (unsigned long long)es->twins,
                      (unsigned long long)es->replayed, (unsigned long long)es->handed,
                      (unsigned long long)es->in_state, (unsigned long long)es->earlier,
                      es->npending, (unsigned long long)en->pl.events_total,
                      (unsigned long long)en->pl.preq.targets,
                      (unsigned long long)en->pl.preq.hits10);
    json_offsets(b, es->applied_off, RR_ENGINE_SYNC_PARTS);
    rr_metrics_printf(b, ",\"start_offsets\":");
    json_offsets(b, es->start_off, RR_ENGINE_SYNC_PARTS);
    rr_metrics_printf(b, ",\"peer_covered\":");
    json_offsets(b, es->peer_covered, RR_ENGINE_MAXPARTS);
    rr_metrics_printf(b, ",\"joined_from\":");
    if (es->adopted)
        rr_metrics_json_str(b, es->writer);
    else
        rr_metrics_printf(b, "null");
    rr_metrics_printf(b,
                      ",\"items_digest\":\"%016llx\",\"cooc_digest\":\"%016llx\","
                      "\"model_digest\":\"%016llx\",\"items\":%zu,"
                      "\"interactions\":%llu,\"cooc_total\":%llu,\"weights\":[",
                      (unsigned long long)d.items, (unsigned long long)d.cooc,
                      (unsigned long long)d.model, d.nitems, (unsigned long long)d.interactions,
                      (unsigned long long)d.cooc_total);
    for (size_t r = 0; r < sizeof(d.weights) / sizeof(d.weights[0]); r++)
        rr_metrics_printf(b, "%s[%.17g,%.17g]", r ? "," : "", d.weights[r][0], d.weights[r][1]);
    rr_metrics_printf(b, "]}");
}

rr_err_t rr_engine_sync_route(rr_engine_t *en)
{
    if (!en->sync.sy || !en->metrics) return RR_OK;
    /* Guarded like every route but /metrics and /healthz: it sorts the catalog per request. */
    return rr_metrics_route(en->metrics, "/sync", RR_METRICS_GUARDED, on_sync_get, en);
}
