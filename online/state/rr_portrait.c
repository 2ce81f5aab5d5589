/* rr_portrait.c — decayed per-user affinities, price level and activity, and their text and
 * feature forms; see rr_portrait.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_portrait.h"

#define BAND_Z 0.43 /* ±z of the 33rd/67th percentiles of a normal: three equal-sized bands */

rr_err_t rr_portrait_init(rr_portrait_table_t *pt, size_t users_max, double half_life_s)
{
    memset(pt, 0, sizeof(*pt));
    if (!(half_life_s > 0)) return RR_E(INVAL);
    pt->user = calloc(users_max, sizeof(*pt->user));
    if (!pt->user) return RR_E(NOMEM);
    pt->users_max = users_max;
    pt->half_life_ms = half_life_s * 1000.0;
    rr_welford_reset(&pt->log_price, 1);
    rr_err_t err = rr_intern_init(&pt->names, RR_PORTRAIT_NAMES_MAX);
    if (err) rr_portrait_free(pt);
    return err;
}

void rr_portrait_free(rr_portrait_table_t *pt)
{
    free(pt->user);
    rr_intern_free(&pt->names);
    memset(pt, 0, sizeof(*pt));
}

void rr_portrait_forget(rr_portrait_table_t *pt, uint32_t uid)
{
    if (uid < pt->users_max) memset(&pt->user[uid], 0, sizeof(pt->user[uid]));
}

/* q + add units, saturated, rounded up with probability its fraction (stochastic rounding, so
 * adds worth less than a unit still count on average: a heavy user's events each weigh a small
 * fraction of wsum); the coin is a hash of the sum and salt, so replays round alike. A positive
 * add never leaves 0: a weight that exists keeps a share, as the id it belongs to does. */
static uint16_t q_add(uint16_t q, float add, uint32_t salt)
{
    float x = (float)q + add, lo = floorf(x);
    uint32_t bits;
    memcpy(&bits, &x, sizeof(bits));
    uint64_t h = ((uint64_t)bits << 32 | salt) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    float coin = (float)(h >> 40) * 0x1p-24f; /* uniform in [0, 1) */
    float r = lo + (coin < x - lo ? 1.0f : 0.0f);
    if (r < 1.0f) return add > 0 ? 1 : q;
    return r >= (float)RR_PORTRAIT_Q_MAX ? RR_PORTRAIT_Q_MAX : (uint16_t)r;
}

/* Halves every weight (rounding half up, so none reaches 0) and doubles the unit. */
static void halve(rr_portrait_t *p)
{
    p->unit *= 2.0f;
    p->wsum = (uint16_t)((p->wsum + 1u) >> 1);
    p->price_w = (uint16_t)((p->price_w + 1u) >> 1);
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        p->cat.w[k] = (uint16_t)((p->cat.w[k] + 1u) >> 1);
        p->brand.w[k] = (uint16_t)((p->brand.w[k] + 1u) >> 1);
    }
}

/* The weight fw in units, after making room for it in wsum. */
static float units_for(rr_portrait_t *p, float fw)
{
    if (!(p->unit > 0)) { /* the first weight, or all decayed below float range */
        float unit = fw / 32768.0f;
        if (!(unit > 0)) return 0.0f;
        memset(p->cat.w, 0, sizeof(p->cat.w));
        memset(p->brand.w, 0, sizeof(p->brand.w));
        p->wsum = p->price_w = 0;
        p->unit = unit;
    }
    while ((float)p->wsum + fw / p->unit > (float)RR_PORTRAIT_Q_MAX - 2.0f) halve(p);
    return fw / p->unit;
}

/* Space-saving top-K: add to id's slot, else take a free slot, else replace the weakest and
 * start from its weight (so a heavy newcomer is never lost; the error is at most that weight). */
static void topk_add(rr_portrait_topk_t *top, uint32_t id, float add, uint32_t salt)
{
    if (id >= RR_PORTRAIT_ID_LIMIT) return;
    uint32_t v = id + 1;
    int weakest = 0;
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        uint32_t at = (uint32_t)top->id_hi[k] << 16 | top->id_lo[k];
        if (at == v) {
            top->w[k] = q_add(top->w[k], add, salt + (uint32_t)k);
            return;
        }
        if (at == 0) {
            top->id_lo[k] = (uint16_t)v, top->id_hi[k] = (uint8_t)(v >> 16);
            top->w[k] = q_add(0, add, salt + (uint32_t)k);
            return;
        }
        if (top->w[k] < top->w[weakest]) weakest = k;
    }
    top->id_lo[weakest] = (uint16_t)v, top->id_hi[weakest] = (uint8_t)(v >> 16);
    top->w[weakest] = q_add(top->w[weakest], add, salt + (uint32_t)weakest);
}

/* Brings the decayed values from the reference time ref to ts (never backwards); returns the
 * factor for a contribution made at ts (< 1 when the event is older than ref). */
static float decay_to(const rr_portrait_table_t *pt, rr_portrait_t *p, int64_t ref, int64_t ts)
{
    if (ref == 0) ref = ts;
    if (ts < ref) return (float)exp2(-(double)(ref - ts) / pt->half_life_ms);
    double dt = (double)(ts - ref);
    p->unit *= (float)exp2(-dt / pt->half_life_ms);
    p->rate *= (float)exp(-dt / (double)RR_PORTRAIT_DAY_MS);
    return 1.0f;
}

void rr_portrait_update(rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid, uint32_t iid,
                        float w, int64_t ts_ms)
{
    if (uid >= pt->users_max) return;
    if (ts_ms > pt->now_ms) pt->now_ms = ts_ms;
    rr_portrait_t *p = &pt->user[uid];
    int64_t ref = st->user[uid].last_ts_ms; /* rr_store_touch has not seen this event yet */
    float f = decay_to(pt, p, ref, ts_ms);
    int64_t now = ref > ts_ms ? ref : ts_ms;
    p->rate += (float)exp(-(double)(now - ts_ms) / (double)RR_PORTRAIT_DAY_MS);
    if (iid == RR_INTERN_NONE || iid >= st->items_max || !(w > 0)) return;
    float add = units_for(p, f * w);
    if (!(add > 0)) return;
    const rr_item_t *it = &st->item[iid];
    /* The coins' salt differs from event to event (the count), and replays alike. */
    uint32_t salt = st->user[uid].nevents * 0x9e3779b9u ^ (uint32_t)ts_ms;
    p->wsum = q_add(p->wsum, add, salt);
    if (it->category != RR_INTERN_NONE) topk_add(&p->cat, it->category, add, salt + 8);
    if (it->brand != RR_INTERN_NONE) topk_add(&p->brand, it->brand, add, salt + 16);
    if (it->price > 0) {
        float lp = logf(it->price);
        rr_welford_update(&pt->log_price, &lp, 1);
        double pw = (double)p->price_w;
        p->price_lmean =
            pw > 0
                ? (float)(p->price_lmean + (double)add / (pw + add) * ((double)lp - p->price_lmean))
                : lp;
        p->price_w = q_add(p->price_w, add, salt + 24);
    }
}

uint16_t rr_portrait_name_id(rr_portrait_table_t *pt, const char *name)
{
    uint32_t id;
    int is_new;
    if (!name[0] || rr_intern_add(&pt->names, name, &id, &is_new) != RR_OK) return 0;
    return (uint16_t)(id + 1);
}

const char *rr_portrait_name(const rr_portrait_table_t *pt, uint16_t id)
{
    const char *name = id ? rr_intern_key(&pt->names, (uint32_t)id - 1) : NULL;
    return name ? name : "";
}

void rr_portrait_set_user(rr_portrait_table_t *pt, uint32_t uid, const rr_user_msg_t *msg)
{
    if (uid >= pt->users_max) return;
    rr_portrait_t *p = &pt->user[uid];
    p->age = (uint8_t)(msg->age <= 0 ? 0 : msg->age > 255 ? 255 : msg->age);
    char g = msg->gender[0];
    p->gender = g == 0 ? 0 : (g == 'm' || g == 'M') ? 1 : (g == 'f' || g == 'F') ? 2 : 3;
    p->occupation = rr_portrait_name_id(pt, msg->occupation);
    p->region = rr_portrait_name_id(pt, msg->region);
}

/* MovieLens' bands: the segments a demographic model usually learns. */
static const uint8_t band_lo[] = {1, 18, 25, 35, 45, 50, 56};
static const char *const band_names[] = {"unknown", "under_18", "18-24", "25-34",
                                         "35-44",   "45-49",    "50-55", "56+"};

int rr_portrait_age_band_index(uint8_t age)
{
    int band = 0;
    for (int k = 0; k < (int)sizeof(band_lo); k++)
        if (age >= band_lo[k]) band = k + 1;
    return band;
}

const char *rr_portrait_age_band(uint8_t age)
{
    return band_names[rr_portrait_age_band_index(age)];
}

void rr_portrait_set_propensity(rr_portrait_table_t *pt, uint32_t uid, float prop)
{
    if (uid >= pt->users_max) return;
    /* Ten-thousandths: a float times 1e4 is exact in double and nearbyint rounds ties to even
     * as printf does, so the text is what "%.4f" of prop prints. */
    double q = nearbyint((double)prop * 1e4);
    pt->user[uid].propensity = !(q > 0) ? 0 : q > UINT16_MAX ? UINT16_MAX : (uint16_t)q;
}

static float share(const rr_portrait_t *p, uint16_t w)
{
    return p->wsum ? fminf((float)w / (float)p->wsum, 1.0f) : 0.0f;
}

float rr_portrait_topk_share(const rr_portrait_t *p, const rr_portrait_topk_t *top, uint32_t id)
{
    if (id == RR_INTERN_NONE) return 0.0f;
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++)
        if (rr_portrait_topk_id(top, k) == id) return share(p, top->w[k]);
    return 0.0f;
}

float rr_portrait_category_affinity(const rr_portrait_table_t *pt, uint32_t uid, uint32_t cat)
{
    const rr_portrait_t *p = &pt->user[uid];
    return rr_portrait_topk_share(p, &p->cat, cat);
}

float rr_portrait_brand_affinity(const rr_portrait_table_t *pt, uint32_t uid, uint32_t brand)
{
    const rr_portrait_t *p = &pt->user[uid];
    return rr_portrait_topk_share(p, &p->brand, brand);
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
    if (!p->price_w || pt->log_price.count < 2) return NAN;
    return price_z(pt, p->price_lmean);
}

const char *rr_portrait_price_band(const rr_portrait_table_t *pt, uint32_t uid)
{
    float z = user_price_z(pt, uid);
    if (isnan(z)) return "unknown";
    return z < -BAND_Z ? "budget" : z > BAND_Z ? "premium" : "mid";
}

float rr_portrait_activity_rate(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                                int64_t now_ms)
{
    const rr_portrait_t *p = &pt->user[uid];
    int64_t ref = st->user[uid].last_ts_ms;
    if (!(p->rate > 0)) return 0.0f;
    double dt = now_ms > ref ? (double)(now_ms - ref) : 0.0;
    return p->rate * (float)exp(-dt / (double)RR_PORTRAIT_DAY_MS);
}

const char *rr_portrait_activity(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                                 int64_t now_ms)
{
    float r = rr_portrait_activity_rate(pt, st, uid, now_ms);
    return r < 3.0f ? "low" : r < 20.0f ? "medium" : "high";
}

const char *rr_portrait_lifecycle(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid)
{
    const rr_user_t *u = &st->user[uid];
    if (u->nevents < 3 || pt->now_ms - rr_store_first_ts(u) < RR_PORTRAIT_DAY_MS) return "new";
    if (pt->now_ms - u->last_ts_ms > 7 * RR_PORTRAIT_DAY_MS) return "dormant";
    return "active";
}

/* "name:0.61,name:0.20", strongest first; ids without a live name are skipped. */
static void topk_text(const rr_portrait_t *p, const rr_portrait_topk_t *top,
                      const rr_intern_t *names, char *buf, size_t cap)
{
    int order[RR_PORTRAIT_TOPK], n = 0;
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        uint32_t id = rr_portrait_topk_id(top, k);
        if (id == RR_INTERN_NONE || !top->w[k] || !rr_intern_key(names, id)) continue;
        int j = n++;
        for (; j > 0 && top->w[order[j - 1]] < top->w[k]; j--) order[j] = order[j - 1];
        order[j] = k;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (int j = 0; j < n && len < cap; j++) {
        int k = order[j];
        int w = snprintf(buf + len, cap - len, "%s%s:%.2f", j ? "," : "",
                         rr_intern_key(names, rr_portrait_topk_id(top, k)),
                         (double)share(p, top->w[k]));
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
    topk_text(p, &p->cat, &st->categories, text->top_categories, sizeof(text->top_categories));
    topk_text(p, &p->brand, &st->brands, text->top_brands, sizeof(text->top_brands));
    snprintf(text->num[0], sizeof(text->num[0]), "%u.%04u", p->propensity / 10000u,
             p->propensity % 10000u);
    snprintf(text->num[1], sizeof(text->num[1]), "%u", u->nevents);
    snprintf(text->num[2], sizeof(text->num[2]), "%u", u->purchases);
    snprintf(text->num[3], sizeof(text->num[3]), "%lld", (long long)now_ms);
    snprintf(text->num[4], sizeof(text->num[4]), "%lld", (long long)u->last_ts_ms);
    static const char *const genders[] = {"unknown", "male", "female", "other"};
    static const char *const names[RR_PORTRAIT_NFIELDS] = {
        "top_categories", "top_brands", "price_band",
        "activity",       "lifecycle",  "purchase_propensity",
        "events",         "purchases",  "updated_at",
        "last_event_at",  "age_band",   "gender",
        "occupation",     "region"};
    const char *vals[RR_PORTRAIT_NFIELDS] = {text->top_categories,
                                             text->top_brands,
                                             rr_portrait_price_band(pt, uid),
                                             rr_portrait_activity(pt, st, uid, now_ms),
                                             rr_portrait_lifecycle(pt, st, uid),
                                             text->num[0],
                                             text->num[1],
                                             text->num[2],
                                             text->num[3],
                                             text->num[4],
                                             rr_portrait_age_band(p->age),
                                             genders[p->gender & 3],
                                             rr_portrait_name(pt, p->occupation),
                                             rr_portrait_name(pt, p->region)};
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
    out[0] = log1pf(rr_portrait_activity_rate(pt, st, uid, now_ms)) / 3.0f;
    if (u->nevents && now_ms > u->last_ts_ms)
        out[1] = log1pf((float)(now_ms - u->last_ts_ms) / 3.6e6f) / 5.0f;
    out[2] = log1pf((float)u->nevents) / 5.0f;
    out[3] = log1pf((float)u->purchases) / 3.0f;
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
