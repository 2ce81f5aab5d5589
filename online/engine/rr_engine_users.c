/* rr_engine_users.c — GET /users/{id}: what the engine holds about one user, as JSON: the
 * current list (the one Redis and the recs topic got) with each item's score and reason, the
 * readable portrait (the fields of rtrec:portrait:{user}, search terms included), demographics, and
 * the recent and bought items. Rendered from memory on the loop; personal data, so the route is
 * guarded. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rr_engine_dash.h"

static const char *name_of(const rr_intern_t *in, uint32_t id)
{
    return id == RR_INTERN_NONE ? NULL : rr_intern_key(in, id);
}

/* {"item", "category", "brand", "price"} of a catalog item. */
static void json_item(rr_metrics_buf_t *b, const rr_store_t *st, uint32_t iid)
{
    const rr_item_t *it = &st->item[iid];
    rr_metrics_printf(b, "{\"item\":");
    rr_metrics_json_str(b, rr_intern_key(&st->items, iid));
    rr_metrics_printf(b, ",\"category\":");
    rr_metrics_json_str(b, name_of(&st->categories, it->category));
    rr_metrics_printf(b, ",\"brand\":");
    rr_metrics_json_str(b, name_of(&st->brands, it->brand));
    rr_metrics_printf(b, ",\"price\":");
    rr_metrics_json_num(b, it->price > 0 ? it->price : NAN);
}

static void json_list(rr_metrics_buf_t *b, const rr_store_t *st, uint32_t uid)
{
    const rr_list_entry_t *list = rr_store_list(st, uid);
    rr_metrics_printf(b, "\"list\":[");
    for (size_t i = 0; i < st->user[uid].nlist; i++) {
        char detail[256];
        rr_recommend_reason_user(st, uid, &list[i], detail, sizeof(detail));
        if (i) rr_metrics_printf(b, ",");
        json_item(b, st, list[i].item);
        rr_metrics_printf(b, ",\"rank\":%zu,\"score\":", i + 1);
        rr_metrics_json_num(b, list[i].score);
        /* Redis holds the score as "%.6g": the same text, so a reader can compare them. */
        char text[32];
        snprintf(text, sizeof(text), "%.6g", (double)list[i].score);
        rr_metrics_printf(b, ",\"score_text\":");
        rr_metrics_json_str(b, text);
        rr_metrics_printf(b, ",\"reason\":");
        rr_metrics_json_str(b, rr_reason_tag((rr_reason_t)list[i].reason));
        rr_metrics_printf(b, ",\"reason_detail\":");
        rr_metrics_json_str(b, detail);
        rr_metrics_printf(b, "}");
    }
    rr_metrics_printf(b, "]");
}

static void json_portrait(rr_metrics_buf_t *b, rr_engine_t *en, uint32_t uid)
{
    enum { CAP = RR_PORTRAIT_NFIELDS + RR_PIPELINE_TEXT_NFIELDS };
    const char *fields[CAP], *values[CAP];
    size_t n = rr_pipeline_portrait(&en->pl, uid, &en->portrait_text, fields, values);
    n += rr_pipeline_portrait_text(&en->pl, uid, fields + n, values + n, CAP - n);
    rr_metrics_printf(b, "\"portrait\":{");
    for (size_t i = 0; i < n; i++) {
        if (i) rr_metrics_printf(b, ",");
        rr_metrics_json_key(b, fields[i]);
        rr_metrics_json_str(b, values[i]);
    }
    static const char *const genders[] = {NULL, "male", "female", "other"};
    const rr_portrait_table_t *pt = &en->pl.portrait;
    const rr_portrait_t *p = &pt->user[uid];
    rr_metrics_printf(b, "},\"demographics\":{\"age\":");
    rr_metrics_json_num(b, p->age ? p->age : NAN);
    rr_metrics_printf(b, ",\"age_band\":");
    rr_metrics_json_str(b, p->age ? rr_portrait_age_band(p->age) : NULL);
    rr_metrics_printf(b, ",\"gender\":");
    rr_metrics_json_str(b, genders[p->gender & 3]);
    const char *occupation = rr_portrait_name(pt, p->occupation);
    const char *region = rr_portrait_name(pt, p->region);
    rr_metrics_printf(b, ",\"occupation\":");
    rr_metrics_json_str(b, occupation[0] ? occupation : NULL);
    rr_metrics_printf(b, ",\"region\":");
    rr_metrics_json_str(b, region[0] ? region : NULL);
    rr_metrics_printf(b, "}");
}

/* Recent items newest first, then the latest purchases. */
static void json_history(rr_metrics_buf_t *b, const rr_store_t *st, uint32_t uid)
{
    uint32_t recent[64];
    size_t n = rr_store_recent(st, uid, recent);
    rr_metrics_printf(b, "\"recent\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) rr_metrics_printf(b, ",");
        json_item(b, st, recent[n - 1 - i]);
        rr_metrics_printf(b, "}");
    }
    const rr_user_t *u = &st->user[uid];
    const uint32_t *bought = &st->bought[(size_t)uid * RR_BOUGHT_MAX];
    rr_metrics_printf(b, "],\"bought\":[");
    for (size_t i = 0; i < u->nbought; i++) {
        /* The ring holds the oldest at bought_head: walk back from the newest. */
        size_t slot = (u->bought_head + u->nbought - 1 - i) % RR_BOUGHT_MAX;
        if (i) rr_metrics_printf(b, ",");
        json_item(b, st, bought[slot]);
        rr_metrics_printf(b, "}");
    }
    rr_metrics_printf(b, "]");
}

void rr_engine_users_get(void *opaque, const rr_http_req_t *req, const char *rest,
                         rr_metrics_resp_t *resp)
{
    rr_engine_t *en = opaque;
    const rr_store_t *st = &en->pl.store;
    rr_metrics_buf_t *b = resp->body;
    (void)req;
    uint32_t uid =
        rest[0] && strlen(rest) <= RR_ID_MAX ? rr_intern_find(&st->users, rest) : RR_INTERN_NONE;
    if (uid == RR_INTERN_NONE) {
        resp->status = 404;
        rr_metrics_printf(b, "{\"error\":\"unknown user\",\"user_id\":");
        rr_metrics_json_str(b, rest);
        rr_metrics_printf(b, "}");
        return;
    }
    const rr_user_t *u = &st->user[uid];
    char version[64];
    rr_engine_model_version(en, version, sizeof(version));
    rr_metrics_printf(b, "{\"user_id\":");
    rr_metrics_json_str(b, rest);
    rr_metrics_printf(b, ",\"model_version\":");
    rr_metrics_json_str(b, version);
    rr_metrics_printf(b, ",\"events\":%u,\"purchases\":%u,\"last_event_ms\":%lld,\"partition\":%d,",
                      u->nevents, u->purchases, (long long)u->last_ts_ms, u->partition);
    json_list(b, st, uid);
    rr_metrics_printf(b, ",");
    json_portrait(b, en, uid);
    rr_metrics_printf(b, ",");
    json_history(b, st, uid);
    rr_metrics_printf(b, "}");
}
