/* rr_engine_dash.h — the dashboard's data: a sample of the engine's numbers every second kept
 * for the last RR_DASH_SAMPLES seconds (fixed memory, taken on the loop, a few µs), served with
 * live totals as JSON at /api/dashboard, the page and its assets, and /users/{id}.
 * Engine-private. */
#ifndef RR_ENGINE_DASH_H
#define RR_ENGINE_DASH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "rr_engine_internal.h"

#define RR_DASH_SAMPLES   600 /* 10 minutes at one per second */
#define RR_DASH_PERIOD_MS 1000
#define RR_DASH_ROLLING   60 /* samples behind the rolling logloss, AUC and HR@10 */
#define RR_DASH_LAGS      16 /* partitions charted; the first seen keep their slot */

/* One input partition's lag (rr_engine_lag). topic is the consumer's copy of the name. */
typedef struct rr_engine_lag_s {
    const char *topic;
    int32_t partition;
    int64_t lag;
} rr_engine_lag_t;

/* Lag of every assigned input partition: cached high watermark - consumed position, no broker
 * round trip. Returns the count written (at most cap). */
size_t rr_engine_lag(const rr_engine_t *en, rr_engine_lag_t *out, size_t cap);

/* Registers the dashboard routes on en->metrics and starts the sampling timer (counted in
 * en->open_parts). */
rr_err_t rr_engine_dash_start(rr_engine_t *en);
/* Closes the timer; on_closed(handle) runs with handle->data == en. */
void rr_engine_dash_stop(rr_engine_t *en, uv_close_cb on_closed);
void rr_engine_dash_free(rr_engine_t *en);
/* /metrics families only the dashboard's bookkeeping knows: checkpoint age, HTTP counters,
 * lost events, HR@10. */
void rr_engine_dash_metrics(const rr_engine_t *en, rr_metrics_buf_t *out);

/* GET /users/{id} (rr_engine_users.c): the user's list with reasons and scores, portrait and
 * recent items as JSON; 404 for an unknown user. */
void rr_engine_users_get(void *opaque, const rr_http_req_t *req, const char *rest,
                         rr_metrics_resp_t *resp);

/* ---- POST /rank (rr_engine_rank.c) ------------------------------------------------------- */

#define RR_RANK_REQ_ITEMS_MAX 500
#define RR_RANK_REQ_QUERY_MAX 256

/* A decoded /rank body: {"user_id", "query"?, "items": [ids], "n"?, "explain"?}. */
typedef struct rr_rank_req_s {
    char user_id[RR_ID_MAX];
    char query[RR_RANK_REQ_QUERY_MAX];
    int has_query; /* a non-empty query */
    int explain;
    size_t n;      /* items to answer: "n", at most nitems (default nitems) */
    size_t nitems; /* ids as sent, repeats kept */
    char items[RR_RANK_REQ_ITEMS_MAX][RR_ID_MAX];
} rr_rank_req_t;

/* Decodes body[0..len) into rq. Returns NULL, or why the body is refused (a short text for the
 * client): malformed JSON, not an object, user_id missing or not a string of 1–63 bytes, query
 * not a string under 256 bytes, items not an array of 1–63-byte strings or over 500, n not a
 * whole number in 1..500, explain not a boolean. Unknown members are ignored. */
const char *rr_engine_rank_decode(const char *body, size_t len, rr_rank_req_t *rq);

/* POST /rank: rq's items ordered for the user by rr_recommend_score as
 * {"user_id", "user_known", "items": [{"id", "score", "reason", "reason_detail"?}],
 * "model_version", "took_us"}; ids not in the catalog last with score null and reason
 * "unknown_item"; a refused body gets 400 {"error"}. */
void rr_engine_rank_post(void *opaque, const rr_http_req_t *req, const char *rest,
                         rr_metrics_resp_t *resp);

#endif
