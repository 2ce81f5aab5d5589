/* test_portrait.c — the user portrait: half-life decay against hand-computed values, out-of-order
 * events, space-saving top-K replacement, price bands, activity and lifecycle, the Redis field
 * text, the model features' ranges; the 16-bit weights against a double-precision reference
 * (heavy users, months of decay, tiny weights) and the user record's 32-bit times. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include "rr_portrait.h"
#include "rr_test.h"

#define T0  1700000000000LL
#define DAY RR_PORTRAIT_DAY_MS

static uint32_t item(rr_store_t *st, const char *id, const char *cat, const char *brand,
                     float price)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.item_id, sizeof(ev.item_id), "%s", id);
    snprintf(ev.category, sizeof(ev.category), "%s", cat);
    snprintf(ev.brand, sizeof(ev.brand), "%s", brand);
    ev.price = price;
    ev.flags = price > 0 ? RR_EVF_PRICE : 0;
    uint32_t iid;
    CHECK_INT(rr_store_item(st, &ev, &iid), RR_OK);
    return iid;
}

static uint32_t user(rr_store_t *st, const char *id)
{
    uint32_t uid;
    int is_new;
    CHECK_INT(rr_store_user(st, id, &uid, &is_new), RR_OK);
    return uid;
}

/* The engine's order: portrait, then the store (counts and times). */
static void event(rr_portrait_table_t *pt, rr_store_t *st, uint32_t uid, uint32_t iid,
                  rr_event_type_t type, float w, int64_t ts)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.ts_ms = ts;
    rr_portrait_update(pt, st, uid, iid, w, ts);
    rr_store_touch(st, uid, iid, &ev);
}

/* Decayed weights in the units they are kept in. */
static double wsum_of(const rr_portrait_t *p)
{
    return (double)p->wsum * p->unit;
}

static void test_decay(void)
{
    rr_store_t st;
    rr_portrait_table_t pt;
    CHECK_INT(rr_store_init(&st, 4, 16, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&pt, 4, 86400.0), RR_OK); /* half-life one day */
    uint32_t u = user(&st, "u"), shoes = item(&st, "s1", "shoes", "nike", 0);
    uint32_t hats = item(&st, "h1", "hats", "acme", 0);
    uint32_t c_shoes = st.item[shoes].category, c_hats = st.item[hats].category;
    event(&pt, &st, u, shoes, RR_EV_VIEW, 1.0f, T0);
    event(&pt, &st, u, hats, RR_EV_VIEW, 1.0f, T0 + DAY);
    /* shoes 1·2^-1 = 0.5, hats 1, total 1.5 */
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, c_shoes), 1.0 / 3.0, 1e-4);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, c_hats), 2.0 / 3.0, 1e-4);
    event(&pt, &st, u, shoes, RR_EV_PURCHASE, 2.0f, T0 + DAY + DAY / 2);
    /* half a day later: factor 2^-0.5; shoes 0.5f + 2, hats f, total 1.5f + 2 */
    double f = 0.70710678118654752;
    CHECK_NEAR(wsum_of(&pt.user[u]), 1.5 * f + 2.0, 1e-4);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, c_shoes), (0.5 * f + 2) / (1.5 * f + 2), 1e-4);
    CHECK_NEAR(rr_portrait_brand_affinity(&pt, u, st.item[hats].brand), f / (1.5 * f + 2), 1e-4);
    /* An event one day older than the reference time counts half and moves nothing back. */
    event(&pt, &st, u, hats, RR_EV_VIEW, 1.0f, T0 + DAY / 2);
    CHECK_INT(st.user[u].last_ts_ms, T0 + DAY + DAY / 2); /* the reference time */
    CHECK_NEAR(wsum_of(&pt.user[u]), 1.5 * f + 2.0 + 0.5, 1e-4);
    /* Activity: events decayed with time constant one day (e^-x), queried a day later. */
    double rate = ((1 * exp(-1.0) + 1) * exp(-0.5) + 1) + exp(-1.0);
    CHECK_NEAR(rr_portrait_activity_rate(&pt, &st, u, T0 + DAY + DAY / 2), rate, 1e-5);
    CHECK_NEAR(rr_portrait_activity_rate(&pt, &st, u, T0 + 2 * DAY + DAY / 2), rate * exp(-1.0),
               1e-5);
    CHECK_STR(rr_portrait_activity(&pt, &st, u, T0 + 2 * DAY), "low");
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

static void test_topk_replacement(void)
{
    rr_store_t st;
    rr_portrait_table_t pt;
    CHECK_INT(rr_store_init(&st, 2, 16, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&pt, 2, 86400.0), RR_OK);
    uint32_t u = user(&st, "u"), items[7];
    for (int k = 0; k < 7; k++) {
        char id[8], cat[8];
        snprintf(id, sizeof(id), "i%d", k);
        snprintf(cat, sizeof(cat), "c%d", k);
        items[k] = item(&st, id, cat, "", 0);
    }
    for (int k = 0; k < 6; k++) event(&pt, &st, u, items[k], RR_EV_VIEW, (float)(6 - k), T0);
    event(&pt, &st, u, items[6], RR_EV_VIEW, 0.5f, T0);
    /* c5 (weight 1) was the weakest: c6 takes its slot with 1 + 0.5 (space-saving). */
    const rr_portrait_t *p = &pt.user[u];
    int has5 = 0, slot6 = -1;
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        has5 |= rr_portrait_topk_id(&p->cat, k) == st.item[items[5]].category;
        if (rr_portrait_topk_id(&p->cat, k) == st.item[items[6]].category) slot6 = k;
    }
    CHECK(!has5);
    CHECK(slot6 >= 0);
    if (slot6 >= 0) CHECK_NEAR(p->cat.w[slot6] * p->unit, 1.5, 1e-3);
    CHECK_NEAR(wsum_of(p), 21.5, 1e-3);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[items[0]].category), 6 / 21.5, 1e-4);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[items[5]].category), 0.0, 0);
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

static const char *field(const char **fields, const char **values, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(fields[k], name) == 0) return values[k];
    return NULL;
}

static void test_fields(void)
{
    rr_store_t st;
    rr_portrait_table_t pt;
    CHECK_INT(rr_store_init(&st, 4, 16, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&pt, 4, 86400.0), RR_OK);
    uint32_t a = user(&st, "alice"), b = user(&st, "bob"), c = user(&st, "carol");
    uint32_t cheap = item(&st, "c", "socks", "basic", 5.0f);
    uint32_t mid = item(&st, "m", "shoes", "nike", 50.0f);
    uint32_t lux = item(&st, "l", "watches", "rolex", 5000.0f);
    event(&pt, &st, b, cheap, RR_EV_VIEW, 1.0f, T0);
    event(&pt, &st, b, cheap, RR_EV_VIEW, 1.0f, T0 + 1000);
    event(&pt, &st, b, cheap, RR_EV_VIEW, 1.0f, T0 + 2000);
    event(&pt, &st, c, mid, RR_EV_VIEW, 1.0f, T0 + 3000);
    event(&pt, &st, a, mid, RR_EV_VIEW, 1.0f, T0);
    event(&pt, &st, a, lux, RR_EV_PURCHASE, 1.0f, T0 + DAY);
    event(&pt, &st, a, lux, RR_EV_VIEW, 1.0f, T0 + 2 * DAY);
    rr_portrait_set_propensity(&pt, a, 0.25f);
    rr_portrait_text_t text;
    const char *fields[RR_PORTRAIT_NFIELDS], *values[RR_PORTRAIT_NFIELDS];
    size_t n = rr_portrait_fields(&pt, &st, a, T0 + 2 * DAY, &text, fields, values);
    CHECK_INT(n, RR_PORTRAIT_NFIELDS);
    /* watches 1 + 0.5 (a day ago), shoes 0.25 (two days ago): total 1.75 */
    CHECK_STR(field(fields, values, n, "top_categories"), "watches:0.86,shoes:0.14");
    CHECK_STR(field(fields, values, n, "top_brands"), "rolex:0.86,nike:0.14");
    CHECK_STR(field(fields, values, n, "price_band"), "premium");
    CHECK_STR(field(fields, values, n, "lifecycle"), "active");
    CHECK_STR(field(fields, values, n, "activity"), "low");
    CHECK_STR(field(fields, values, n, "purchase_propensity"), "0.2500");
    CHECK_STR(field(fields, values, n, "events"), "3");
    CHECK_STR(field(fields, values, n, "purchases"), "1");
    CHECK_STR(field(fields, values, n, "updated_at"), "1700172800000");
    CHECK_STR(field(fields, values, n, "last_event_at"), "1700172800000");
    CHECK_STR(rr_portrait_price_band(&pt, b), "budget");
    CHECK_STR(rr_portrait_price_band(&pt, c), "mid");
    CHECK_STR(rr_portrait_lifecycle(&pt, &st, b), "active");
    CHECK_STR(rr_portrait_lifecycle(&pt, &st, c), "new"); /* one event */
    uint32_t d = user(&st, "dave"), misc = item(&st, "n", "misc", "", 0);
    for (int k = 3; k > 0; k--) event(&pt, &st, d, misc, RR_EV_VIEW, 1.0f, T0 + 2 * DAY - k);
    CHECK_STR(rr_portrait_lifecycle(&pt, &st, d), "new"); /* first event < 1 day ago */
    /* A week and more of silence globally makes alice dormant. */
    event(&pt, &st, b, cheap, RR_EV_VIEW, 1.0f, T0 + 10 * DAY);
    CHECK_STR(rr_portrait_lifecycle(&pt, &st, a), "dormant");
    CHECK_STR(rr_portrait_lifecycle(&pt, &st, b), "active");
    /* A never-seen user renders empty lists. */
    rr_portrait_forget(&pt, c);
    n = rr_portrait_fields(&pt, &st, c, T0, &text, fields, values);
    CHECK_STR(field(fields, values, n, "top_categories"), "");
    CHECK_STR(field(fields, values, n, "price_band"), "unknown");
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

static void test_features(void)
{
    rr_store_t st;
    rr_portrait_table_t pt;
    CHECK_INT(rr_store_init(&st, 4, 16, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&pt, 4, 86400.0), RR_OK);
    uint32_t u = user(&st, "u"), s = item(&st, "s", "shoes", "nike", 50.0f);
    uint32_t h = item(&st, "h", "hats", "acme", 500.0f), x = item(&st, "x", "toys", "", 5.0f);
    for (int k = 0; k < 30; k++)
        event(&pt, &st, u, k % 3 ? s : h, RR_EV_VIEW, 1.0f, T0 + k * 60000LL);
    event(&pt, &st, user(&st, "v"), x, RR_EV_VIEW, 1.0f, T0);
    float uf[RR_PORTRAIT_NUSER], pf[RR_PORTRAIT_NPAIR];
    rr_portrait_user_features(&pt, &st, u, T0 + DAY, uf);
    for (int k = 0; k < RR_PORTRAIT_NUSER; k++) CHECK(uf[k] >= -1.0f && uf[k] <= 1.5f);
    CHECK(uf[1] > 0); /* a day since the last event */
    rr_portrait_pair_features(&pt, &st, u, s, pf);
    CHECK_NEAR(pf[0], 20.0 / 30.0, 0.05); /* decay over 30 minutes is small */
    for (int k = 0; k < RR_PORTRAIT_NPAIR; k++) CHECK(pf[k] >= -1.0f && pf[k] <= 1.5f);
    rr_portrait_pair_features(&pt, &st, u, x, pf);
    CHECK_NEAR(pf[0], 0.0, 0);
    rr_portrait_pair_features(NULL, &st, u, x, pf);
    CHECK_NEAR(pf[4], 0.0, 0);
    printf("sizeof(rr_portrait_t) = %zu bytes\n", sizeof(rr_portrait_t));
    CHECK(sizeof(rr_portrait_t) <= 84);
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

/* Random events against a naive double-precision reference of the same decays (no top-K
 * replacement: 6 categories), including out-of-order events. */
static void test_reference(void)
{
    rr_store_t st;
    rr_portrait_table_t pt;
    const double half_life_ms = 7 * 86400e3;
    CHECK_INT(rr_store_init(&st, 2, 32, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&pt, 2, half_life_ms / 1000), RR_OK);
    uint32_t u = user(&st, "u"), items[12];
    for (int k = 0; k < 12; k++) {
        char id[8], cat[8], brand[8];
        snprintf(id, sizeof(id), "i%d", k);
        snprintf(cat, sizeof(cat), "c%d", k % 6);
        snprintf(brand, sizeof(brand), "b%d", k % 4);
        items[k] = item(&st, id, cat, k % 5 ? brand : "", k % 3 ? 10.0f * (float)(k + 1) : 0);
    }
    double ref_cat[6] = {0}, ref_brand[4] = {0}, wsum = 0, lsum = 0, pw = 0;
    int64_t last = T0;
    uint64_t rng = 42;
    static const float weights[] = {1, 2, 3, 4, 8};
    for (int n = 0; n < 3000; n++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = (int)(rng >> 33) % 12;
        float w = weights[(rng >> 20) % 5];
        int64_t ts = (rng >> 12) % 10 ? last + (int64_t)((rng >> 40) % 7200000) /* up to 2 h */
                                      : last - (int64_t)((rng >> 40) % DAY);    /* late */
        double f = exp2(-(double)(ts > last ? ts - last : 0) / half_life_ms);
        double g = exp2(-(double)(ts < last ? last - ts : 0) / half_life_ms) * w;
        for (int c = 0; c < 6; c++) ref_cat[c] *= f;
        for (int b = 0; b < 4; b++) ref_brand[b] *= f;
        wsum = wsum * f + g, lsum *= f, pw *= f;
        ref_cat[k % 6] += g;
        if (k % 5) ref_brand[k % 4] += g;
        if (k % 3) lsum += g * log(10.0 * (k + 1)), pw += g;
        if (ts > last) last = ts;
        event(&pt, &st, u, items[k], RR_EV_VIEW, w, ts);
    }
    const rr_portrait_t *p = &pt.user[u];
    CHECK_NEAR(wsum_of(p) / wsum, 1.0, 1e-3);
    CHECK_NEAR(p->price_lmean, lsum / pw, 1e-3);
    for (int k = 0; k < 6; k++)
        CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[items[k]].category),
                   ref_cat[k] / wsum, 1e-3);
    for (int k = 1; k < 5; k++)
        CHECK_NEAR(rr_portrait_brand_affinity(&pt, u, st.item[items[k]].brand),
                   ref_brand[k % 4] / wsum, 1e-3);
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

/* A heavy user (a bot): each event is a tiny fraction of the decayed total, far below the
 * 16-bit weights' resolution, and shares must still follow (stochastic rounding). */
static void test_heavy_user(void)
{
    rr_store_t st;
    rr_portrait_table_t pt;
    const double half_life_ms = 7 * 86400e3;
    CHECK_INT(rr_store_init(&st, 2, 16, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&pt, 2, half_life_ms / 1000), RR_OK);
    uint32_t u = user(&st, "bot"), a = item(&st, "a", "a", "", 0), b = item(&st, "b", "b", "", 0);
    uint32_t c = item(&st, "c", "c", "", 0);
    int64_t ts = T0;
    double wa = 0, wb = 0, wc = 0, f = exp2(-200.0 / half_life_ms);
    for (int n = 0; n < 400000; n++, ts += 200) { /* 5 events/s for 22 hours */
        wa *= f, wb *= f;
        *(n % 4 ? &wa : &wb) += 1;
        event(&pt, &st, u, n % 4 ? a : b, RR_EV_VIEW, 1.0f, ts);
    }
    CHECK_NEAR(wsum_of(&pt.user[u]) / (wa + wb), 1.0, 0.01);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[a].category), 0.75, 0.01);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[b].category), 0.25, 0.01);
    for (int n = 0; n < 100000; n++, ts += 200) { /* then it moves on to c */
        wa *= f, wb *= f, wc = wc * f + 1;
        event(&pt, &st, u, c, RR_EV_VIEW, 1.0f, ts);
    }
    double total = wa + wb + wc;
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[c].category), wc / total, 0.01);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[a].category), wa / total, 0.01);
    CHECK_NEAR(wsum_of(&pt.user[u]) / total, 1.0, 0.01);
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

/* Months of silence: shares are ratios and do not move; the first event after them dominates,
 * and the old ids stay listed at 0.00 as with exact weights. */
static void test_months(void)
{
    rr_store_t st;
    rr_portrait_table_t pt;
    CHECK_INT(rr_store_init(&st, 2, 16, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&pt, 2, 7 * 86400.0), RR_OK);
    uint32_t u = user(&st, "u"), a = item(&st, "a", "a", "x", 0), b = item(&st, "b", "b", "y", 0);
    uint32_t c = item(&st, "c", "c", "z", 0);
    for (int n = 0; n < 40; n++) event(&pt, &st, u, n % 4 ? a : b, RR_EV_VIEW, 1.0f, T0 + n);
    rr_portrait_text_t text;
    const char *fields[RR_PORTRAIT_NFIELDS], *values[RR_PORTRAIT_NFIELDS];
    size_t n = rr_portrait_fields(&pt, &st, u, T0 + 120 * DAY, &text, fields, values);
    CHECK_STR(field(fields, values, n, "top_categories"), "a:0.75,b:0.25");
    CHECK_STR(field(fields, values, n, "activity"), "low");
    event(&pt, &st, u, c, RR_EV_PURCHASE, 8.0f, T0 + 120 * DAY); /* 2^-17 of 40 vs 8 */
    n = rr_portrait_fields(&pt, &st, u, T0 + 120 * DAY, &text, fields, values);
    /* (Below the weights' resolution, a and b may tie: their order is then the slots'.) */
    const char *cats = field(fields, values, n, "top_categories");
    CHECK(strcmp(cats, "c:1.00,a:0.00,b:0.00") == 0 || strcmp(cats, "c:1.00,b:0.00,a:0.00") == 0);
    const char *brands = field(fields, values, n, "top_brands");
    CHECK(strcmp(brands, "z:1.00,x:0.00,y:0.00") == 0 ||
          strcmp(brands, "z:1.00,y:0.00,x:0.00") == 0);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[a].category),
               30 * exp2(-120.0 / 7) / 8, 2e-5);
    /* Beyond float range (half-life one second, a day later): the old weights are gone. */
    rr_portrait_table_t fast;
    CHECK_INT(rr_portrait_init(&fast, 2, 1.0), RR_OK);
    uint32_t v = user(&st, "v");
    event(&fast, &st, v, a, RR_EV_VIEW, 1.0f, T0);
    event(&fast, &st, v, b, RR_EV_VIEW, 1.0f, T0 + DAY);
    CHECK_NEAR(rr_portrait_category_affinity(&fast, v, st.item[b].category), 1.0, 0);
    CHECK_NEAR(rr_portrait_category_affinity(&fast, v, st.item[a].category), 0.0, 0);
    rr_portrait_free(&fast);
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

/* An event worth far less than a unit still takes a slot with a (smallest) share; ids past
 * RR_PORTRAIT_ID_LIMIT are not held; the propensity text is exactly "%.4f". */
static void test_tiny_and_limits(void)
{
    rr_store_t st;
    rr_portrait_table_t pt;
    CHECK_INT(rr_store_init(&st, 2, 16, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&pt, 2, 7 * 86400.0), RR_OK);
    uint32_t u = user(&st, "u"), a = item(&st, "a", "a", "", 0), b = item(&st, "b", "b", "", 0);
    for (int n = 0; n < 1000; n++) event(&pt, &st, u, a, RR_EV_VIEW, 1.0f, T0 + n);
    event(&pt, &st, u, b, RR_EV_VIEW, 1e-3f, T0 + 1000);
    float share = rr_portrait_category_affinity(&pt, u, st.item[b].category);
    CHECK(share > 0 && share < 1e-4f);
    rr_portrait_text_t text;
    const char *fields[RR_PORTRAIT_NFIELDS], *values[RR_PORTRAIT_NFIELDS];
    size_t n = rr_portrait_fields(&pt, &st, u, T0 + 1000, &text, fields, values);
    CHECK_STR(field(fields, values, n, "top_categories"), "a:1.00,b:0.00");
    st.item[b].category = RR_PORTRAIT_ID_LIMIT; /* as if interned that late */
    event(&pt, &st, u, b, RR_EV_VIEW, 1.0f, T0 + 1001);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, RR_PORTRAIT_ID_LIMIT), 0.0, 0);
    static const float props[] = {0, 0.25f, 0.12345f, 0.00005f, 0.99995f, 1.0f, 0.333333f};
    for (size_t k = 0; k < sizeof(props) / sizeof(props[0]); k++) {
        char want[32];
        snprintf(want, sizeof(want), "%.4f", (double)props[k]);
        rr_portrait_set_propensity(&pt, u, props[k]);
        n = rr_portrait_fields(&pt, &st, u, T0 + 1001, &text, fields, values);
        CHECK_STR(field(fields, values, n, "purchase_propensity"), want);
    }
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

/* The user record's 32-bit times: the trigger as an offset that follows last_ts_ms, and clock
 * stamps read back across the 32-bit wrap. */
static void test_user_times(void)
{
    rr_store_t st;
    CHECK_INT(rr_store_init(&st, 2, 16, 8, 10), RR_OK);
    uint32_t u = user(&st, "u"), a = item(&st, "a", "a", "", 0);
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = RR_EV_VIEW;
    ev.ts_ms = T0;
    rr_store_touch(&st, u, a, &ev);
    rr_store_set_trigger(&st.user[u], T0);
    ev.ts_ms = T0 - 5000; /* late: the trigger of the next list, 5 s before the latest */
    rr_store_touch(&st, u, a, &ev);
    rr_store_set_trigger(&st.user[u], ev.ts_ms);
    CHECK_INT(rr_store_trigger_ts(&st.user[u]), T0 - 5000);
    ev.ts_ms = T0 + 40 * DAY; /* an event whose apply failed later: the trigger stays */
    rr_store_touch(&st, u, a, &ev);
    CHECK_INT(rr_store_trigger_ts(&st.user[u]), T0 - 5000);
    rr_store_set_trigger(&st.user[u], T0 - 60 * DAY); /* beyond 2^32 ms: saturates */
    CHECK_INT(rr_store_trigger_ts(&st.user[u]), T0 + 40 * DAY - (int64_t)UINT32_MAX);
    CHECK_INT(rr_store_stamp(1ULL << 32), 1); /* 0 means none */
    CHECK_INT(rr_store_stamp_age((1ULL << 32) + 5, rr_store_stamp(0xfffffff0ULL)), 0x15);
    CHECK_INT(rr_store_stamp_age_signed(T0 - 3, rr_store_stamp((uint64_t)T0)), -3); /* skew */
    CHECK_INT(rr_store_stamp_age_signed(T0 + 20 * DAY, rr_store_stamp((uint64_t)T0)), 20 * DAY);
    printf("sizeof(rr_user_t) = %zu bytes\n", sizeof(rr_user_t));
    CHECK(sizeof(rr_user_t) <= 64);
    rr_store_free(&st);
}

RR_TEST_MAIN(RR_TEST(test_decay), RR_TEST(test_topk_replacement), RR_TEST(test_fields),
             RR_TEST(test_features), RR_TEST(test_reference), RR_TEST(test_heavy_user),
             RR_TEST(test_months), RR_TEST(test_tiny_and_limits), RR_TEST(test_user_times))
