/* rr_portrait.c — decayed per-user affinities, price level and activity, and their text and
 * feature forms; see rr_portrait.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_embed.h"
#include "rr_portrait.h"

#define BAND_Z 0.43 /* ±z of the 33rd/67th percentiles of a normal: three equal-sized bands */

static void slot_clear(rr_portrait_t *p)
{
    memset(p, 0, sizeof(*p));
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) p->cat[k] = p->brand[k] = RR_INTERN_NONE;
}

rr_err_t rr_portrait_init(rr_portrait_table_t *pt, size_t users_max, double half_life_s)
{
    memset(pt, 0, sizeof(*pt));
    if (!(half_life_s > 0)) return RR_E(INVAL);
    pt->user = calloc(users_max, sizeof(*pt->user));
    if (!pt->user) return RR_E(NOMEM);
    pt->users_max = users_max;
    pt->half_life_ms = half_life_s * 1000.0;
    rr_welford_reset(&pt->log_price, 1);
    return RR_OK;
}

void rr_portrait_free(rr_portrait_table_t *pt)
{
    free(pt->user);
    memset(pt, 0, sizeof(*pt));
}

void rr_portrait_forget(rr_portrait_table_t *pt, uint32_t uid)
{
    if (uid < pt->users_max) slot_clear(&pt->user[uid]);
}

/* A calloc'd slot has ts 0 and id 0 in its top-K; it becomes a real empty slot on first use. */
static rr_portrait_t *slot_get(rr_portrait_table_t *pt, uint32_t uid)
{
    rr_portrait_t *p = &pt->user[uid];
    if (p->ts_ms == 0 && p->wsum == 0 && p->cat[0] == 0 && p->brand[0] == 0) {
        uint8_t age = p->age, gender = p->gender;
        uint16_t region = p->region;
        float prop = p->propensity;
        slot_clear(p);
        p->age = age, p->gender = gender, p->region = region, p->propensity = prop;
    }
    return p;
}

/* Space-saving top-K: add w to id's slot, else take a free slot, else replace the weakest and
 * start from its weight (so a heavy newcomer is never lost; the error is at most that weight). */
static void topk_add(uint32_t *ids, float *ws, uint32_t id, float w)
{
    int weakest = 0;
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        if (ids[k] == id) {
            ws[k] += w;
            return;
        }
        if (ids[k] == RR_INTERN_NONE) {
            ids[k] = id;
            ws[k] = w;
            return;
        }
        if (ws[k] < ws[weakest]) weakest = k;
    }
    ids[weakest] = id;
    ws[weakest] += w;
}

/* Brings the decayed values to time ts (never backwards); returns the factor for a
 * contribution made at ts (< 1 when the event is older than the reference time). */
static float decay_to(const rr_portrait_table_t *pt, rr_portrait_t *p, int64_t ts)
{
    if (p->ts_ms == 0) p->ts_ms = ts;
    if (ts < p->ts_ms) return (float)exp2(-(double)(p->ts_ms - ts) / pt->half_life_ms);
    double dt = (double)(ts - p->ts_ms);
    float f = (float)exp2(-dt / pt->half_life_ms);
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) p->cat_w[k] *= f, p->brand_w[k] *= f;
    p->wsum *= f;
    p->price_lsum *= f;
    p->price_w *= f;
    p->rate *= (float)exp(-dt / (double)RR_PORTRAIT_DAY_MS);
    p->ts_ms = ts;
    return 1.0f;
}

void rr_portrait_update(rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid, uint32_t iid,
                        float w, int64_t ts_ms)
{
    if (uid >= pt->users_max) return;
    if (ts_ms > pt->now_ms) pt->now_ms = ts_ms;
    rr_portrait_t *p = slot_get(pt, uid);
    float f = decay_to(pt, p, ts_ms);
    p->rate += (float)exp(-(double)(p->ts_ms - ts_ms) / (double)RR_PORTRAIT_DAY_MS);
    if (iid == RR_INTERN_NONE || iid >= st->items_max || !(w > 0)) return;
    float fw = f * w;
    const rr_item_t *it = &st->item[iid];
    p->wsum += fw;
    if (it->category != RR_INTERN_NONE) topk_add(p->cat, p->cat_w, it->category, fw);
    if (it->brand != RR_INTERN_NONE) topk_add(p->brand, p->brand_w, it->brand, fw);
    if (it->price > 0) {
        float lp = logf(it->price);
        rr_welford_update(&pt->log_price, &lp, 1);
        p->price_lsum += fw * lp;
        p->price_w += fw;
    }
}

void rr_portrait_set_user(rr_portrait_table_t *pt, uint32_t uid, const rr_user_msg_t *msg)
{
    if (uid >= pt->users_max) return;
    rr_portrait_t *p = slot_get(pt, uid);
    p->age = (uint8_t)(msg->age <= 0 ? 0 : msg->age > 255 ? 255 : msg->age);
    char g = msg->gender[0];
    p->gender = g == 0 ? 0 : (g == 'm' || g == 'M') ? 1 : (g == 'f' || g == 'F') ? 2 : 3;
    p->region = 0;
    if (msg->region[0])
        p->region = (uint16_t)(1 + rr_embed_bucket(rr_hash64(msg->region, strlen(msg->region)),
                                                   UINT16_MAX));
}

void rr_portrait_set_propensity(rr_portrait_table_t *pt, uint32_t uid, float prop)
{
    if (uid < pt->users_max) slot_get(pt, uid)->propensity = prop;
}

static float share_of(const uint32_t *ids, const float *ws, float wsum, uint32_t id)
{
    if (id == RR_INTERN_NONE || !(wsum > 0)) return 0.0f;
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++)
        if (ids[k] == id) return fminf(ws[k] / wsum, 1.0f);
    return 0.0f;
}

float rr_portrait_category_affinity(const rr_portrait_table_t *pt, uint32_t uid, uint32_t cat)
{
    const rr_portrait_t *p = &pt->user[uid];
    return p->ts_ms ? share_of(p->cat, p->cat_w, p->wsum, cat) : 0.0f;
}

float rr_portrait_brand_affinity(const rr_portrait_table_t *pt, uint32_t uid, uint32_t brand)
{
    const rr_portrait_t *p = &pt->user[uid];
    return p->ts_ms ? share_of(p->brand, p->brand_w, p->wsum, brand) : 0.0f;
}

/* z-score of a log price against the global distribution; 0 while it has no spread. */
static float price_z(const rr_portrait_table_t *pt, float log_price)
{
    double var = rr_welford_var(&pt->log_price);
    if (!(var > 1e-12)) return 0.0f;
    return (float)((log_price - pt->log_price.mean) / sqrt(var));
}

/* The user's price z, or NAN when unknown. */
static float user_price_z(const rr_portrait_table_t *pt, uint32_t uid)
{
    const rr_portrait_t *p = &pt->user[uid];
    if (!(p->price_w > 0) || pt->log_price.count < 2) return NAN;
    return price_z(pt, p->price_lsum / p->price_w);
}

const char *rr_portrait_price_band(const rr_portrait_table_t *pt, uint32_t uid)
{
    float z = user_price_z(pt, uid);
    if (isnan(z)) return "unknown";
    return z < -BAND_Z ? "budget" : z > BAND_Z ? "premium" : "mid";
}

float rr_portrait_activity_rate(const rr_portrait_table_t *pt, uint32_t uid, int64_t now_ms)
{
    const rr_portrait_t *p = &pt->user[uid];
    if (p->ts_ms == 0) return 0.0f;
    double dt = now_ms > p->ts_ms ? (double)(now_ms - p->ts_ms) : 0.0;
    return p->rate * (float)exp(-dt / (double)RR_PORTRAIT_DAY_MS);
}

const char *rr_portrait_activity(const rr_portrait_table_t *pt, uint32_t uid, int64_t now_ms)
{
    float r = rr_portrait_activity_rate(pt, uid, now_ms);
    return r < 3.0f ? "low" : r < 20.0f ? "medium" : "high";
}

const char *rr_portrait_lifecycle(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid)
{
    const rr_user_t *u = &st->user[uid];
    if (u->nevents < 3 || pt->now_ms - u->first_ts_ms < RR_PORTRAIT_DAY_MS) return "new";
    if (pt->now_ms - u->last_ts_ms > 7 * RR_PORTRAIT_DAY_MS) return "dormant";
    return "active";
}

/* "name:0.61,name:0.20", strongest first; ids without a live name are skipped. */
static void topk_text(const uint32_t *ids, const float *ws, float wsum, const rr_intern_t *names,
                      char *buf, size_t cap)
{
    int order[RR_PORTRAIT_TOPK], n = 0;
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        if (ids[k] == RR_INTERN_NONE || !(ws[k] > 0) || !rr_intern_key(names, ids[k])) continue;
        int j = n++;
        for (; j > 0 && ws[order[j - 1]] < ws[k]; j--) order[j] = order[j - 1];
        order[j] = k;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (int j = 0; j < n && len < cap; j++) {
        int k = order[j];
        int w = snprintf(buf + len, cap - len, "%s%s:%.2f", j ? "," : "",
                         rr_intern_key(names, ids[k]), (double)fminf(ws[k] / wsum, 1.0f));
        if (w < 0 || (size_t)w >= cap - len) {
            buf[len] = '\0'; /* drop a name that does not fit rather than cut it */
            break;
        }
        len += (size_t)w;
    }
}

size_t rr_portrait_fields(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                          int64_t now_ms, rr_portrait_text_t *text,
                          const char *fields[RR_PORTRAIT_NFIELDS],
                          const char *values[RR_PORTRAIT_NFIELDS])
{
    const rr_portrait_t *p = &pt->user[uid];
    const rr_user_t *u = &st->user[uid];
    int has = p->ts_ms != 0;
    topk_text(p->cat, p->cat_w, p->wsum, &st->categories, text->top_categories,
              sizeof(text->top_categories));
    topk_text(p->brand, p->brand_w, p->wsum, &st->brands, text->top_brands,
              sizeof(text->top_brands));
    if (!has) text->top_categories[0] = text->top_brands[0] = '\0';
    snprintf(text->num[0], sizeof(text->num[0]), "%.4f", (double)p->propensity);
    snprintf(text->num[1], sizeof(text->num[1]), "%u", u->nevents);
    snprintf(text->num[2], sizeof(text->num[2]), "%u", u->counts[RR_EV_PURCHASE]);
    snprintf(text->num[3], sizeof(text->num[3]), "%lld", (long long)now_ms);
    static const char *const names[RR_PORTRAIT_NFIELDS] = {
        "top_categories",      "top_brands", "price_band", "activity",  "lifecycle",
        "purchase_propensity", "events",     "purchases",  "updated_at"};
    const char *vals[RR_PORTRAIT_NFIELDS] = {text->top_categories,
                                             text->top_brands,
                                             rr_portrait_price_band(pt, uid),
                                             rr_portrait_activity(pt, uid, now_ms),
                                             rr_portrait_lifecycle(pt, st, uid),
                                             text->num[0],
                                             text->num[1],
                                             text->num[2],
                                             text->num[3]};
    for (int k = 0; k < RR_PORTRAIT_NFIELDS; k++) fields[k] = names[k], values[k] = vals[k];
    return RR_PORTRAIT_NFIELDS;
}

static float clampf(float x, float lo, float hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void rr_portrait_user_features(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                               int64_t now_ms, float out[RR_PORTRAIT_NUSER])
{
    memset(out, 0, RR_PORTRAIT_NUSER * sizeof(float));
    if (!pt || uid >= pt->users_max) return;
    const rr_user_t *u = &st->user[uid];
    /* Scales put a typical user's log1p values near 1 (e.g. 20 events/day, a week idle). */
    out[0] = log1pf(rr_portrait_activity_rate(pt, uid, now_ms)) / 3.0f;
    if (u->nevents && now_ms > u->last_ts_ms)
        out[1] = log1pf((float)(now_ms - u->last_ts_ms) / 3.6e6f) / 5.0f;
    out[2] = log1pf((float)u->nevents) / 5.0f;
    out[3] = log1pf((float)u->counts[RR_EV_PURCHASE]) / 3.0f;
    float z = user_price_z(pt, uid);
    out[4] = isnan(z) ? 0.0f : clampf(z, -3.0f, 3.0f) / 3.0f;
    out[5] = u->nevents < 3 ? 1.0f : 0.0f;
}

void rr_portrait_pair_features(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                               uint32_t iid, float out[RR_PORTRAIT_NPAIR])
{
    memset(out, 0, RR_PORTRAIT_NPAIR * sizeof(float));
    if (!pt || uid >= pt->users_max || iid >= st->items_max) return;
    const rr_item_t *it = &st->item[iid];
    out[0] = rr_portrait_category_affinity(pt, uid, it->category);
    out[1] = rr_portrait_brand_affinity(pt, uid, it->brand);
    if (it->price > 0 && pt->log_price.count >= 2) {
        float iz = clampf(price_z(pt, logf(it->price)), -3.0f, 3.0f);
        float uz = user_price_z(pt, uid);
        out[3] = iz / 3.0f;
        if (!isnan(uz)) out[2] = fabsf(clampf(uz, -3.0f, 3.0f) - iz) / 6.0f;
    }
    out[4] = log1pf((float)it->interactions) / 5.0f;
}
