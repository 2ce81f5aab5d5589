/* test_portrait.c — the user portrait: half-life decay against hand-computed values, out-of-order
 * events, space-saving top-K replacement, price bands, activity and lifecycle, the Redis field
 * text, and the model features' ranges. */
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
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, c_shoes), 1.0 / 3.0, 1e-6);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, c_hats), 2.0 / 3.0, 1e-6);
    event(&pt, &st, u, shoes, RR_EV_PURCHASE, 2.0f, T0 + DAY + DAY / 2);
    /* half a day later: factor 2^-0.5; shoes 0.5f + 2, hats f, total 1.5f + 2 */
    double f = 0.70710678118654752;
    CHECK_NEAR(pt.user[u].wsum, 1.5 * f + 2.0, 1e-5);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, c_shoes), (0.5 * f + 2) / (1.5 * f + 2), 1e-6);
    CHECK_NEAR(rr_portrait_brand_affinity(&pt, u, st.item[hats].brand), f / (1.5 * f + 2), 1e-6);
    /* An event one day older than the reference time counts half and moves nothing back. */
    event(&pt, &st, u, hats, RR_EV_VIEW, 1.0f, T0 + DAY / 2);
    CHECK_INT(pt.user[u].ts_ms, T0 + DAY + DAY / 2);
    CHECK_NEAR(pt.user[u].wsum, 1.5 * f + 2.0 + 0.5, 1e-5);
    /* Activity: events decayed with time constant one day (e^-x), queried a day later. */
    double rate = ((1 * exp(-1.0) + 1) * exp(-0.5) + 1) + exp(-1.0);
    CHECK_NEAR(rr_portrait_activity_rate(&pt, u, T0 + DAY + DAY / 2), rate, 1e-5);
    CHECK_NEAR(rr_portrait_activity_rate(&pt, u, T0 + 2 * DAY + DAY / 2), rate * exp(-1.0), 1e-5);
    CHECK_STR(rr_portrait_activity(&pt, u, T0 + 2 * DAY), "low");
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
        has5 |= p->cat[k] == st.item[items[5]].category;
        if (p->cat[k] == st.item[items[6]].category) slot6 = k;
    }
    CHECK(!has5);
    CHECK(slot6 >= 0);
    if (slot6 >= 0) CHECK_NEAR(p->cat_w[slot6], 1.5, 1e-6);
    CHECK_NEAR(p->wsum, 21.5, 1e-6);
    CHECK_NEAR(rr_portrait_category_affinity(&pt, u, st.item[items[0]].category), 6 / 21.5, 1e-6);
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
    CHECK(sizeof(rr_portrait_t) <= 128);
    rr_portrait_free(&pt);
    rr_store_free(&st);
}

RR_TEST_MAIN(RR_TEST(test_decay), RR_TEST(test_topk_replacement), RR_TEST(test_fields),
             RR_TEST(test_features))
