/* rr_engine_rank.c — POST /rank: a search service's candidates ordered for one user by the
 * model that orders the engine's own lists, from the live state. The body is decoded here
 * (rr_engine_rank_decode, fuzzed through fuzz_http); the scoring is rr_recommend_score. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_engine_dash.h"

/* Answers 400 with {"error": why}. */
static void bad_request(rr_metrics_resp_t *resp, const char *why)
{
    resp->status = 400;
    rr_metrics_printf(resp->body, "{\"error\":");
    rr_metrics_json_str(resp->body, why);
    rr_metrics_printf(resp->body, "}");
}

/* A string member of at most cap - 1 bytes without NUL into out; absent leaves out "".
 * Returns NULL or what is wrong with it. */
static const char *get_str(const cJSON *doc, const char *key, char *out, size_t cap, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    out[0] = '\0';
    if (!v || cJSON_IsNull(v)) return required ? "missing" : NULL;
    if (!cJSON_IsString(v)) return "not a string";
    size_t len = strlen(v->valuestring);
    if (len >= cap) return "too long";
    memcpy(out, v->valuestring, len + 1);
    return NULL;
}

static const char *decode_items(const cJSON *doc, rr_rank_req_t *rq)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    if (!cJSON_IsArray(items)) return items ? "items: not an array" : "items: missing";
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (rq->nitems == RR_RANK_REQ_ITEMS_MAX) return "items: more than 500";
        if (!cJSON_IsString(it)) return "items: an id is not a string";
        size_t len = strlen(it->valuestring);
        if (len == 0 || len >= RR_ID_MAX) return "items: an id is empty or longer than 63 bytes";
        memcpy(rq->items[rq->nitems++], it->valuestring, len + 1);
    }
    return NULL;
}

/* n (default: all) and explain (default false). */
static const char *decode_options(const cJSON *doc, rr_rank_req_t *rq)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "n");
    rq->n = rq->nitems;
    if (n && !cJSON_IsNull(n)) {
        if (!cJSON_IsNumber(n) || n->valuedouble < 1 || n->valuedouble > RR_RANK_REQ_ITEMS_MAX ||
            n->valuedouble != floor(n->valuedouble))
            return "n: not a whole number from 1 to 500";
        if ((size_t)n->valuedouble < rq->n) rq->n = (size_t)n->valuedouble;
    }
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(doc, "explain");
    if (ex && !cJSON_IsNull(ex) && !cJSON_IsBool(ex)) return "explain: not a boolean";
    rq->explain = cJSON_IsTrue(ex);
    return NULL;
}

const char *rr_engine_rank_decode(const char *body, size_t len, rr_rank_req_t *rq)
{
    memset(rq, 0, offsetof(rr_rank_req_t, items));
    cJSON *doc = cJSON_ParseWithLength(body, len);
    if (!doc) return "malformed JSON";
    const char *why = NULL;
    if (!cJSON_IsObject(doc)) {
        why = "not a JSON object";
    } else if (get_str(doc, "user_id", rq->user_id, sizeof(rq->user_id), 1) || !rq->user_id[0]) {
        why = "user_id: a string of 1 to 63 bytes is required";
    } else if (get_str(doc, "query", rq->query, sizeof(rq->query), 0)) {
        why = "query: a string of at most 255 bytes";
    } else {
        rq->has_query = cJSON_GetObjectItemCaseSensitive(doc, "query") != NULL && rq->query[0];
        why = decode_items(doc, rq);
        if (!why) why = decode_options(doc, rq);
    }
    cJSON_Delete(doc);
    return why;
}

typedef struct ranked_s {
    rr_list_entry_t e;
    uint32_t at; /* position in the request: ties keep the caller's order */
    int known;   /* in the catalog */
} ranked_t;

/* Known items by score, best first; unknown ones after them; ties in the caller's order. */
static int by_score(const void *pa, const void *pb)
{
    const ranked_t *a = pa, *b = pb;
    if (a->known != b->known) return b->known - a->known;
    if (a->known && a->e.score != b->e.score) return a->e.score > b->e.score ? -1 : 1;
    return a->at < b->at ? -1 : 1;
}

/* Scores the request's items into r[0..nitems), sorted. */
static void rank_items(rr_engine_t *en, const rr_rank_req_t *rq, uint32_t uid, ranked_t *r)
{
    rr_pipeline_t *pl = &en->pl;
    uint32_t ids[RR_RANK_REQ_ITEMS_MAX];
    rr_list_entry_t scored[RR_RANK_REQ_ITEMS_MAX];
    size_t nknown = 0;
    for (size_t i = 0; i < rq->nitems; i++) {
        uint32_t iid = rr_intern_find(&pl->store.items, rq->items[i]);
        r[i].at = (uint32_t)i;
        r[i].known = iid != RR_INTERN_NONE;
        r[i].e = rr_list_entry(iid, 0, RR_REASON_NONE);
        if (r[i].known) ids[nknown++] = iid;
    }
    /* The query goes to the scorer as the user's intent: the one place it enters scoring. */
    rr_recommend_score(&pl->rec, &pl->store, &pl->cooc, &pl->trending, &pl->cattop, uid, ids,
                       nknown, rq->has_query ? rq->query : NULL, scored);
    for (size_t i = 0, k = 0; i < rq->nitems; i++) {
        if (!r[i].known) continue;
        r[i].e = scored[k++];
        if (isnan(r[i].e.score)) r[i].e.score = -INFINITY; /* sorts last of the known; null */
    }
    qsort(r, rq->nitems, sizeof(*r), by_score);
}

static void json_ranked(rr_metrics_buf_t *b, const rr_engine_t *en, const rr_rank_req_t *rq,
                        const ranked_t *r)
{
    rr_metrics_printf(b, "\"items\":[");
    for (size_t i = 0; i < rq->n; i++) {
        if (i) rr_metrics_printf(b, ",");
        rr_metrics_printf(b, "{\"id\":");
        rr_metrics_json_str(b, rq->items[r[i].at]);
        rr_metrics_printf(b, ",\"score\":");
        rr_metrics_json_num(b, r[i].known ? r[i].e.score : NAN);
        rr_metrics_printf(b, ",\"reason\":");
        rr_metrics_json_str(b, r[i].known ? rr_reason_tag((rr_reason_t)r[i].e.reason)
                                          : "unknown_item");
        if (rq->explain && r[i].known) {
            char detail[256];
            rr_recommend_reason(&en->pl.store, &r[i].e, detail, sizeof(detail));
            rr_metrics_printf(b, ",\"reason_detail\":");
            rr_metrics_json_str(b, detail);
        }
        rr_metrics_printf(b, "}");
    }
    rr_metrics_printf(b, "]");
}

void rr_engine_rank_post(void *opaque, const rr_http_req_t *req, const char *rest,
                         rr_metrics_resp_t *resp)
{
    rr_engine_t *en = opaque;
    uint64_t t0 = uv_hrtime();
    (void)rest;
    rr_rank_req_t *rq = malloc(sizeof(*rq));
    ranked_t *r = malloc(RR_RANK_REQ_ITEMS_MAX * sizeof(*r));
    const char *why = rq && r ? rr_engine_rank_decode(req->body, req->content_length, rq) : NULL;
    if (!rq || !r) {
        resp->status = 503;
        rr_metrics_printf(resp->body, "{\"error\":\"out of memory\"}");
    } else if (why) {
        bad_request(resp, why);
    } else {
        uint32_t uid = rr_intern_find(&en->pl.store.users, rq->user_id);
        rank_items(en, rq, uid, r);
        char version[64];
        rr_engine_model_version(en, version, sizeof(version));
        rr_metrics_buf_t *b = resp->body;
        rr_metrics_printf(b, "{\"user_id\":");
        rr_metrics_json_str(b, rq->user_id);
        rr_metrics_printf(b, ",\"user_known\":%s,", uid != RR_INTERN_NONE ? "true" : "false");
        json_ranked(b, en, rq, r);
        rr_metrics_printf(b, ",\"model_version\":");
        rr_metrics_json_str(b, version);
        rr_metrics_printf(b, ",\"took_us\":%llu}",
                          (unsigned long long)((uv_hrtime() - t0 + 500) / 1000));
    }
    free(rq);
    free(r);
}
