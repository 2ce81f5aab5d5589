/* sync_pair.c — see sync_pair.h. */
#include "sync_pair.h"
#include <stdio.h>
#include <string.h>
#include "rr_test.h"

const rr_sync_merge_t SUM = {1.0f, 1.0f};

uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

void gen_event(rr_event_t *ev, uint64_t *s, int64_t *ts)
{
    static const rr_event_type_t types[] = {RR_EV_VIEW,      RR_EV_VIEW,        RR_EV_CLICK,
                                            RR_EV_FAVORITE,  RR_EV_ADD_TO_CART, RR_EV_PURCHASE,
                                            RR_EV_IMPRESSION};
    memset(ev, 0, sizeof(*ev));
    *ts += (int64_t)(lcg(s) % 4000);
    int user = (int)(lcg(s) % NUSERS);
    int item = (int)(lcg(s) % (lcg(s) % 3 ? 15 : NITEMS));
    ev->type = types[lcg(s) % (sizeof(types) / sizeof(types[0]))];
    ev->ts_ms = *ts;
    snprintf(ev->user_id, sizeof(ev->user_id), "u%d", user);
    snprintf(ev->item_id, sizeof(ev->item_id), "i%d", item);
    snprintf(ev->category, sizeof(ev->category), "c%d", item % 7);
    if (item % 3) snprintf(ev->brand, sizeof(ev->brand), "b%d", item % 5);
    if (item % 2) ev->price = 1.5f + (float)item, ev->flags |= RR_EVF_PRICE;
}

void test_config(rr_config_t *cfg)
{
    rr_config_init(cfg);
    cfg->users_max = 256;
    cfg->items_max = 256;
    cfg->model_batch = 4;
    cfg->recs_retrieve_k = 8;
}

void feed(rr_pipeline_t *pl, uint64_t seed, int64_t ts0, int n)
{
    uint64_t s = seed;
    int64_t ts = ts0;
    for (int i = 0; i < n; i++) {
        rr_event_t ev;
        uint32_t uid;
        gen_event(&ev, &s, &ts);
        CHECK_INT(rr_pipeline_apply(pl, &ev, &uid), RR_OK);
    }
}

void pair_init(pair_t *p, rr_sync_quant_t q)
{
    rr_config_t cfg;
    test_config(&cfg);
    char errstr[128];
    memset(p, 0, sizeof(*p));
    p->digest = 1469598103934665603ULL;
    p->m = SUM;
    for (int i = 0; i < 2; i++) {
        CHECK_INT(rr_pipeline_init(&p->pl[i], &cfg), RR_OK);
        p->sy[i] = rr_sync_new(&p->pl[i], q, errstr, sizeof(errstr));
        CHECK(p->sy[i] != NULL);
    }
}

void pair_free(pair_t *p)
{
    for (int i = 0; i < 2; i++) rr_sync_free(p->sy[i]), rr_pipeline_free(&p->pl[i]);
}

void pair_sync(pair_t *p)
{
    const uint8_t *buf[2];
    size_t len[2];
    for (int i = 0; i < 2; i++) {
        CHECK_INT(rr_sync_publish(p->sy[i], &p->m, &buf[i], &len[i]), RR_OK);
        for (size_t k = 0; k < len[i]; k++) p->digest = (p->digest ^ buf[i][k]) * 1099511628211ULL;
        p->bytes += len[i];
    }
    for (int i = 0; i < 2; i++)
        if (len[!i]) CHECK_INT(rr_sync_apply(p->sy[i], buf[!i], len[!i], &p->m), RR_OK);
}

void pair_run(pair_t *p, int sync_every)
{
    uint64_t s = 7;
    int64_t ts = 1700000000000LL;
    for (int i = 0; i < NEV; i++) {
        rr_event_t ev;
        gen_event(&ev, &s, &ts);
        int inst = rr_sync_partition_of(ev.user_id, strlen(ev.user_id), 4) % 2;
        uint32_t uid;
        rr_err_t err = rr_pipeline_apply(&p->pl[inst], &ev, &uid);
        CHECK(err == RR_OK);
        if (i % 97 == 0) rr_pipeline_refresh(&p->pl[inst], uid); /* scoring inits rows too */
        if ((i + 1) % sync_every == 0) pair_sync(p);
    }
}
