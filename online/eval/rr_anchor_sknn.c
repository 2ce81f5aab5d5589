/* rr_anchor_sknn.c — V-SKNN over users' recent windows; see rr_anchor.h. Neighbours are found
 * through each session item's user list, so a query costs the users of ~20 items plus the
 * items of 100 neighbours, never a scan of all users. */
#include <stdlib.h>
#include <string.h>
#include "rr_anchor.h"

#define SKNN_K_MAX 64

typedef struct sknn_nb_s {
    uint32_t user;
    double sim;
    uint64_t seen; /* last activity: unique per user, so every order below is strict */
} sknn_nb_t;

struct rr_sknn_s {
    size_t nusers, nitems;
    size_t sample, k_nb; /* neighbours: the most recent sample, then the k_nb most similar */
    const rr_anchor_hist_t *hist;
    rr_pop_t *pop;
    double *sim;       /* [nusers] similarity being summed, zero between queries */
    sknn_nb_t *nb;     /* [nusers] the candidates of one query */
    double *item_w;    /* [nitems] session weight of an item, zero between queries */
    double *acc;       /* [nitems] item scores, zero between queries */
    uint32_t *touched; /* [nitems] items with acc != 0 */
};

rr_sknn_t *rr_sknn_new(size_t nusers, size_t nitems, size_t sample, size_t k_nb,
                       const rr_anchor_hist_t *hist, rr_pop_t *pop)
{
    rr_sknn_t *sknn = calloc(1, sizeof(*sknn));
    if (!sknn) return NULL;
    sknn->sample = sample;
    sknn->k_nb = k_nb;
    sknn->nusers = nusers;
    sknn->nitems = nitems;
    sknn->hist = hist;
    sknn->pop = pop;
    sknn->sim = calloc(nusers + 1, sizeof(*sknn->sim));
    sknn->nb = calloc(nusers + 1, sizeof(*sknn->nb));
    sknn->item_w = calloc(nitems + 1, sizeof(*sknn->item_w));
    sknn->acc = calloc(nitems + 1, sizeof(*sknn->acc));
    sknn->touched = calloc(nitems + 1, sizeof(*sknn->touched));
    if (!sknn->sim || !sknn->nb || !sknn->item_w || !sknn->acc || !sknn->touched) {
        rr_sknn_free(sknn);
        return NULL;
    }
    return sknn;
}

void rr_sknn_free(rr_sknn_t *sknn)
{
    if (!sknn) return;
    free(sknn->sim);
    free(sknn->nb);
    free(sknn->item_w);
    free(sknn->acc);
    free(sknn->touched);
    free(sknn);
}

typedef int (*nb_before_fn)(const sknn_nb_t *a, const sknn_nb_t *b);

static int more_recent(const sknn_nb_t *a, const sknn_nb_t *b)
{
    return a->seen > b->seen;
}

static int more_similar(const sknn_nb_t *a, const sknn_nb_t *b)
{
    return a->sim != b->sim ? a->sim > b->sim : a->seen > b->seen;
}

static void nb_swap(sknn_nb_t *a, sknn_nb_t *b)
{
    sknn_nb_t t = *a;
    *a = *b;
    *b = t;
}

/* Moves the m first under before() to nb[0..m) (in no order): quickselect, median of three. */
static void nb_select(sknn_nb_t *nb, size_t n, size_t m, nb_before_fn before)
{
    size_t lo = 0, hi = n; /* the boundary m lies in [lo, hi) */
    while (hi - lo > 2 && m > lo && m < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (before(&nb[mid], &nb[lo])) nb_swap(&nb[mid], &nb[lo]);
        if (before(&nb[hi - 1], &nb[lo])) nb_swap(&nb[hi - 1], &nb[lo]);
        if (before(&nb[hi - 1], &nb[mid])) nb_swap(&nb[hi - 1], &nb[mid]);
        nb_swap(&nb[mid], &nb[hi - 1]); /* the median pivot at hi - 1 */
        size_t store = lo;
        for (size_t i = lo; i < hi - 1; i++)
            if (before(&nb[i], &nb[hi - 1])) nb_swap(&nb[i], &nb[store++]);
        nb_swap(&nb[store], &nb[hi - 1]);
        if (store == m || store + 1 == m) return;
        if (store > m)
            hi = store;
        else
            lo = store + 1;
    }
    if (hi - lo == 2 && before(&nb[lo + 1], &nb[lo])) nb_swap(&nb[lo], &nb[lo + 1]);
}

static int nb_cmp_similar(const void *a, const void *b)
{
    return more_similar(a, b) ? -1 : more_similar(b, a);
}

/* Session weights p/len into item_w (the last occurrence of an item counts); returns the
 * distinct items in window order. */
static size_t sknn_session(rr_sknn_t *sknn, uint32_t user, uint32_t *items)
{
    uint32_t recent[RR_ANCHOR_WINDOW];
    size_t len = rr_anchor_hist_recent(sknn->hist, user, recent, NULL), n = 0;
    for (size_t p = 1; p <= len; p++) {
        uint32_t item = recent[p - 1];
        if (sknn->item_w[item] == 0.0) items[n++] = item;
        sknn->item_w[item] = (double)p / (double)len;
    }
    return n;
}

/* Every other user who touched a session item, with their summed session weights. */
static size_t sknn_candidates(rr_sknn_t *sknn, uint32_t user, const uint32_t *items, size_t n)
{
    size_t ncand = 0;
    for (size_t s = 0; s < n; s++) {
        size_t nusers;
        const uint32_t *users = rr_anchor_hist_item_users(sknn->hist, items[s], &nusers);
        double w = sknn->item_w[items[s]];
        for (size_t u = 0; u < nusers; u++) {
            uint32_t v = users[u];
            if (v == user) continue;
            if (sknn->sim[v] == 0.0) sknn->nb[ncand++].user = v;
            sknn->sim[v] += w;
        }
    }
    for (size_t c = 0; c < ncand; c++) {
        sknn_nb_t *nb = &sknn->nb[c];
        nb->sim = sknn->sim[nb->user];
        nb->seen = rr_anchor_hist_last_seen(sknn->hist, nb->user);
        sknn->sim[nb->user] = 0.0;
    }
    for (size_t s = 0; s < n; s++) sknn->item_w[items[s]] = 0.0;
    return ncand;
}

/* Each neighbour, most similar first, adds its similarity to every item it touched. */
static size_t sknn_score(rr_sknn_t *sknn, size_t nnb)
{
    size_t ntouched = 0;
    for (size_t c = 0; c < nnb; c++) {
        size_t nitems;
        const uint32_t *items = rr_anchor_hist_user_items(sknn->hist, sknn->nb[c].user, &nitems);
        for (size_t i = 0; i < nitems; i++) {
            if (sknn->acc[items[i]] == 0.0) sknn->touched[ntouched++] = items[i];
            sknn->acc[items[i]] += sknn->nb[c].sim;
        }
    }
    return ntouched;
}

size_t rr_sknn_top(rr_sknn_t *sknn, uint32_t user, uint32_t *out, size_t k,
                   rr_baseline_skip_fn skip, const void *opaque)
{
    if (k > SKNN_K_MAX) k = SKNN_K_MAX;
    uint32_t items[RR_ANCHOR_WINDOW];
    size_t nitems = user < sknn->nusers ? sknn_session(sknn, user, items) : 0;
    size_t ncand = sknn_candidates(sknn, user, items, nitems);
    if (ncand > sknn->sample) {
        nb_select(sknn->nb, ncand, sknn->sample, more_recent);
        ncand = sknn->sample;
    }
    if (ncand > sknn->k_nb) {
        nb_select(sknn->nb, ncand, sknn->k_nb, more_similar);
        ncand = sknn->k_nb;
    }
    qsort(sknn->nb, ncand, sizeof(*sknn->nb), nb_cmp_similar); /* a fixed summation order */
    size_t ntouched = sknn_score(sknn, ncand);
    size_t n = rr_anchor_select(sknn->acc, sknn->touched, ntouched, out, k, skip, opaque);
    for (size_t t = 0; t < ntouched; t++) sknn->acc[sknn->touched[t]] = 0.0;
    rr_anchor_fill_t fill = {skip, opaque, out, n};
    return n + rr_pop_top(sknn->pop, out + n, k - n, rr_anchor_fill_skip, &fill);
}
