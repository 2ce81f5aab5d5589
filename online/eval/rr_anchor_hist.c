/* rr_anchor_hist.c — the per-user and per-item histories the anchors share; see rr_anchor.h. */
#include <stdlib.h>
#include <string.h>
#include "rr_anchor.h"

/* A growable list of ids. */
typedef struct idvec_s {
    uint32_t *v;
    uint32_t n, cap;
} idvec_t;

struct rr_anchor_hist_s {
    size_t nusers, nitems;
    uint32_t *ring;      /* [nusers][RR_ANCHOR_WINDOW] items, newest at nring % window */
    uint32_t *ring_cat;  /* [nusers][RR_ANCHOR_WINDOW] their event categories */
    uint32_t *nring;     /* [nusers] interactions ever */
    uint64_t *last_seen; /* [nusers] 1 + stream position of the latest event */
    idvec_t *user_items; /* [nusers] */
    idvec_t *item_users; /* [nitems] */
    uint64_t seq;        /* events observed */
};

rr_anchor_hist_t *rr_anchor_hist_new(size_t nusers, size_t nitems)
{
    rr_anchor_hist_t *hist = calloc(1, sizeof(*hist));
    if (!hist) return NULL;
    hist->nusers = nusers;
    hist->nitems = nitems;
    hist->ring = calloc(nusers * RR_ANCHOR_WINDOW + 1, sizeof(*hist->ring));
    hist->ring_cat = calloc(nusers * RR_ANCHOR_WINDOW + 1, sizeof(*hist->ring_cat));
    hist->nring = calloc(nusers + 1, sizeof(*hist->nring));
    hist->last_seen = calloc(nusers + 1, sizeof(*hist->last_seen));
    hist->user_items = calloc(nusers + 1, sizeof(*hist->user_items));
    hist->item_users = calloc(nitems + 1, sizeof(*hist->item_users));
    if (!hist->ring || !hist->ring_cat || !hist->nring || !hist->last_seen || !hist->user_items ||
        !hist->item_users) {
        rr_anchor_hist_free(hist);
        return NULL;
    }
    return hist;
}

void rr_anchor_hist_free(rr_anchor_hist_t *hist)
{
    if (!hist) return;
    for (size_t u = 0; hist->user_items && u < hist->nusers; u++) free(hist->user_items[u].v);
    for (size_t i = 0; hist->item_users && i < hist->nitems; i++) free(hist->item_users[i].v);
    free(hist->ring);
    free(hist->ring_cat);
    free(hist->nring);
    free(hist->last_seen);
    free(hist->user_items);
    free(hist->item_users);
    free(hist);
}

static rr_err_t idvec_push(idvec_t *vec, uint32_t id)
{
    if (vec->n == vec->cap) {
        uint32_t cap = vec->cap ? vec->cap * 2 : 4;
        uint32_t *v = realloc(vec->v, cap * sizeof(*v));
        if (!v) return RR_E(NOMEM);
        vec->v = v;
        vec->cap = cap;
    }
    vec->v[vec->n++] = id;
    return RR_OK;
}

rr_err_t rr_anchor_hist_observe(rr_anchor_hist_t *hist, const rr_anchor_ev_t *ev)
{
    if (ev->user >= hist->nusers || ev->item >= hist->nitems) return RR_E(INVAL);
    if (ev->first_touch) {
        rr_err_t err = idvec_push(&hist->user_items[ev->user], ev->item);
        if (!err) err = idvec_push(&hist->item_users[ev->item], ev->user);
        if (err) return err;
    }
    size_t slot = (size_t)ev->user * RR_ANCHOR_WINDOW + hist->nring[ev->user] % RR_ANCHOR_WINDOW;
    hist->ring[slot] = ev->item;
    hist->ring_cat[slot] = ev->category;
    hist->nring[ev->user]++;
    hist->last_seen[ev->user] = ++hist->seq;
    return RR_OK;
}

size_t rr_anchor_hist_recent(const rr_anchor_hist_t *hist, uint32_t user, uint32_t *items,
                             uint32_t *cats)
{
    if (user >= hist->nusers) return 0;
    uint32_t n = hist->nring[user];
    size_t count = n < RR_ANCHOR_WINDOW ? n : RR_ANCHOR_WINDOW;
    size_t base = (size_t)user * RR_ANCHOR_WINDOW;
    for (size_t i = 0; i < count; i++) {
        size_t slot = base + (n - count + i) % RR_ANCHOR_WINDOW;
        items[i] = hist->ring[slot];
        if (cats) cats[i] = hist->ring_cat[slot];
    }
    return count;
}

const uint32_t *rr_anchor_hist_user_items(const rr_anchor_hist_t *hist, uint32_t user, size_t *n)
{
    *n = user < hist->nusers ? hist->user_items[user].n : 0;
    return *n ? hist->user_items[user].v : NULL;
}

const uint32_t *rr_anchor_hist_item_users(const rr_anchor_hist_t *hist, uint32_t item, size_t *n)
{
    *n = item < hist->nitems ? hist->item_users[item].n : 0;
    return *n ? hist->item_users[item].v : NULL;
}

uint64_t rr_anchor_hist_last_seen(const rr_anchor_hist_t *hist, uint32_t user)
{
    return user < hist->nusers ? hist->last_seen[user] : 0;
}
