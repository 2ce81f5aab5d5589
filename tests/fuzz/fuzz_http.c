/* fuzz_http.c — libFuzzer target: arbitrary bytes as an HTTP request (head and body), answered
 * by the engine's HTTP server exactly as a connection would be (rr_metrics_answer: parser, body
 * framing, routes, guard, counters) with the engine's real routes behind it (/, /assets/,
 * /api/dashboard, /users/{id}, POST /rank and its JSON decoder) over a small engine holding a
 * few users, one with a hostile id. Whatever comes in: a known status, a body of the stated
 * length, JSON that parses, the id read back, a /rank answer no longer than its request. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "rr_engine_dash.h"
#include "rr_engine_internal.h"
#include "rr_http.h"

static uv_loop_t loop;
static rr_engine_t *en;

static void render(void *opaque, rr_metrics_buf_t *out)
{
    rr_engine_dash_metrics(opaque, out);
}

static void feed(const char *user, const char *item, const char *category, rr_event_type_t t,
                 int64_t ts)
{
    rr_event_t ev;
    uint32_t uid;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.user_id, sizeof(ev.user_id), "%s", user);
    snprintf(ev.item_id, sizeof(ev.item_id), "%s", item);
    snprintf(ev.category, sizeof(ev.category), "%s", category);
    ev.type = t;
    ev.ts_ms = ts;
    ev.flags = RR_EVF_TS;
    if (rr_pipeline_apply(&en->pl, &ev, &uid) == RR_OK) rr_pipeline_refresh(&en->pl, uid);
}

static void setup(void)
{
    char errstr[256];
    rr_config_t cfg;
    rr_config_init(&cfg);
    const char *kv[] = {"users.max=64", "items.max=64", "dedupe.window=0", "model.batch=2"};
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (rr_config_set_kv(&cfg, kv[i], errstr, sizeof(errstr))) abort();
    uv_loop_init(&loop);
    en = rr_engine_new(&loop, &cfg, errstr, sizeof(errstr));
    if (!en) abort();
    en->metrics = rr_metrics_new(&loop, "127.0.0.1", 0, render, en, errstr, sizeof(errstr));
    if (!en->metrics || rr_engine_dash_start(en) != RR_OK) abort();
    const char *users[] = {"u1", "u2", "<b>\"x\\\x01é", "a/b?c"};
    const char *items[] = {"i1", "i2", "i3", "<i>", "i5"};
    int64_t ts = 1700000000000;
    for (int round = 0; round < 3; round++)
        for (int u = 0; u < 4; u++)
            for (int i = 0; i < 5; i++)
                feed(users[u], items[(u + i + round) % 5], i % 2 ? "shoes" : "<hats>",
                     i == 4 ? RR_EV_PURCHASE : RR_EV_VIEW, ts += 1000);
}

static void check_json(const rr_metrics_answer_t *a, const rr_http_req_t *req)
{
    cJSON *doc = cJSON_ParseWithLength(a->body, a->len);
    if (!doc) abort();
    if (a->status == 200 && strncmp(req->path, "/users/", 7) == 0) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "user_id");
        if (!cJSON_IsString(id) || strcmp(id->valuestring, req->path + 7) != 0) abort();
    }
    if (a->status == 200 && strcmp(req->path, "/rank") == 0) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
        const cJSON *took = cJSON_GetObjectItemCaseSensitive(doc, "took_us");
        if (!cJSON_IsArray(items) || cJSON_GetArraySize(items) > 500 || !cJSON_IsNumber(took))
            abort();
    }
    cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!en) setup();
    rr_metrics_answer_t a;
    rr_metrics_answer(en->metrics, (const char *)data, size, &a);
    static const int known[] = {200, 400, 401, 403, 404, 405, 411, 413, 414, 500, 503};
    int ok = 0;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) ok |= a.status == known[i];
    if (!ok || !a.content_type || !a.cache || (a.len && !a.body)) abort();
    rr_http_req_t req;
    if (rr_http_parse((const char *)data, size, &req) == RR_HTTP_OK) {
        if (strlen(req.path) >= sizeof(req.path) || req.path[0] != '/') abort();
        if (strncmp(a.content_type, "application/json", 16) == 0) check_json(&a, &req);
        /* The guard's check on whatever Authorization came in: a wrong token never passes. */
        /* (Auth schemes are case-insensitive: "BAsic" carries the token base64-encoded too.) */
        if (rr_http_auth_ok(req.auth, "t0ken") && !strstr(req.auth, "t0ken") &&
            strncasecmp(req.auth, "Basic", 5) != 0)
            abort();
    }
    rr_metrics_answer_free(&a);
    return 0;
}
