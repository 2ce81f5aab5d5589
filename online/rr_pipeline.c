/* rr_pipeline.c — event -> state -> list, with prequential metrics; see rr_pipeline.h. */
#include <math.h>
#include <string.h>
#include "rr_pipeline.h"

rr_err_t rr_pipeline_init(rr_pipeline_t *pl, const rr_config_t *cfg)
{
    memset(pl, 0, sizeof(*pl));
    pl->recent_window = (uint32_t)cfg->recs_recent;
    rr_err_t err = rr_store_init(&pl->store, (size_t)cfg->users_max, (size_t)cfg->items_max,
                                 (uint32_t)cfg->recs_recent, (uint32_t)cfg->recs_n);
    if (!err)
        err = rr_cooc_init(&pl->cooc, (size_t)cfg->items_max, (uint32_t)cfg->cooc_max_neighbors);
    if (!err)
        err = rr_trending_init(&pl->trending, (size_t)cfg->items_max, cfg->trending_half_life_s);
    if (!err) err = rr_cattop_init(&pl->cattop, (size_t)cfg->items_max);
    rr_rec_params_t p = {(uint32_t)cfg->recs_n, (uint32_t)cfg->recs_category_cap,
                         (float)cfg->recs_recency_decay, (float)cfg->recs_w_category,
                         (float)cfg->recs_w_trending};
    if (!err) err = rr_recommender_init(&pl->rec, (size_t)cfg->items_max, &p);
    if (err) rr_pipeline_free(pl);
    return err;
}

void rr_pipeline_free(rr_pipeline_t *pl)
{
    rr_store_free(&pl->store);
    rr_cooc_free(&pl->cooc);
    rr_trending_free(&pl->trending);
    rr_cattop_free(&pl->cattop);
    rr_recommender_free(&pl->rec);
}

float rr_pipeline_event_weight(rr_event_type_t type)
{
    switch (type) {
    case RR_EV_VIEW:
        return 1.0f;
    case RR_EV_CLICK:
        return 2.0f;
    case RR_EV_FAVORITE:
        return 3.0f;
    case RR_EV_ADD_TO_CART:
        return 4.0f;
    case RR_EV_PURCHASE:
        return 8.0f;
    case RR_EV_RATE:
        return 2.0f;
    default:
        return 0.0f; /* impressions and searches are not interest in an item */
    }
}

/* Test-then-train: score the event against the list the user had before it. */
static void preq_score(rr_pipeline_t *pl, uint32_t uid, uint32_t iid)
{
    const rr_user_t *u = &pl->store.user[uid];
    if (u->nevents == 0 || iid == RR_INTERN_NONE) return;
    if (rr_store_is_recent(&pl->store, uid, iid) || rr_store_has_bought(&pl->store, uid, iid))
        return; /* not a new item for this user */
    pl->preq.targets++;
    const rr_list_entry_t *list = rr_store_list(&pl->store, uid);
    for (uint32_t r = 0; r < u->nlist && r < 10; r++) {
        if (list[r].item == iid) {
            pl->preq.hits10++;
            pl->preq.ndcg10 += 1.0 / log2((double)r + 2.0);
            return;
        }
    }
}

rr_err_t rr_pipeline_apply(rr_pipeline_t *pl, const rr_event_t *ev, uint32_t *uid)
{
    int is_new;
    rr_err_t err = rr_store_user(&pl->store, ev->user_id, uid, &is_new);
    uint32_t iid = RR_INTERN_NONE;
    if (!err && ev->item_id[0]) err = rr_store_item(&pl->store, ev, &iid);
    if (err) {
        pl->dropped_full += err == RR_E(FULL);
        return err;
    }
    pl->events_total++;
    pl->by_type[ev->type]++;
    float w = rr_pipeline_event_weight(ev->type);
    if (w == 0.0f || iid == RR_INTERN_NONE) {
        rr_store_touch(&pl->store, *uid, RR_INTERN_NONE, ev);
        return RR_OK;
    }
    preq_score(pl, *uid, iid);
    uint32_t recent[64];
    size_t nrecent = rr_store_recent(&pl->store, *uid, recent);
    err = rr_cooc_add(&pl->cooc, iid, recent, nrecent);
    rr_trending_hit(&pl->trending, iid, w, ev->ts_ms);
    uint32_t cat = pl->store.item[iid].category;
    if (cat != RR_INTERN_NONE) rr_cattop_offer(&pl->cattop, &pl->trending, cat, iid);
    rr_store_touch(&pl->store, *uid, iid, ev);
    return err;
}

size_t rr_pipeline_refresh(rr_pipeline_t *pl, uint32_t uid)
{
    return rr_recommend_user(&pl->rec, &pl->store, &pl->cooc, &pl->trending, &pl->cattop, uid);
}

int rr_pipeline_forget(rr_pipeline_t *pl, const char *user_id)
{
    uint32_t uid = rr_intern_find(&pl->store.users, user_id);
    if (uid == RR_INTERN_NONE) return 0;
    rr_store_forget(&pl->store, uid);
    return 1;
}
