/* rr_anchor_cattrend.c — cat_trend[h]: trending within the user's strongest recent categories;
 * see rr_anchor.h. Each category keeps, per half-life, a rank tree of its items over trend's
 * own score arrays, so a category's best items come out without scanning it. */
#include <stdlib.h>
#include <string.h>
#include "rr_anchor.h"
#include "rr_rank_tree.h"

#define CATTREND_TOP_CATS 3
#define CATTREND_K_MAX    64

struct rr_cattrend_s {
    size_t nitems, nh;
    rr_trend_t *trend;
    const rr_anchor_hist_t *hist;
    uint32_t *item_cat;   /* [nitems] the item's category, or RR_ANCHOR_NO_CAT */
    uint32_t *item_pos;   /* [nitems] its position in that category's trees */
    rr_rank_tree_t *tree; /* [ncats][nh], grown as categories appear */
    size_t ncats;         /* categories with trees */
    uint64_t *rescales;   /* [nh] trend's rescale count the trees were last rebuilt at */
    uint32_t *scratch;    /* rr_rank_tree_top scratch: no tree outgrows nitems positions */
};

rr_cattrend_t *rr_cattrend_new(size_t nitems, rr_trend_t *trend, const rr_anchor_hist_t *hist)
{
    rr_cattrend_t *ct = calloc(1, sizeof(*ct));
    if (!ct) return NULL;
    ct->nitems = nitems ? nitems : 1;
    ct->nh = rr_trend_count(trend);
    ct->trend = trend;
    ct->hist = hist;
    size_t cap = 2;
    while (cap < ct->nitems) cap *= 2;
    ct->item_cat = malloc(ct->nitems * sizeof(*ct->item_cat));
    ct->item_pos = calloc(ct->nitems, sizeof(*ct->item_pos));
    ct->rescales = calloc(ct->nh, sizeof(*ct->rescales));
    ct->scratch = malloc(2 * cap * sizeof(*ct->scratch));
    if (!ct->item_cat || !ct->item_pos || !ct->rescales || !ct->scratch) {
        rr_cattrend_free(ct);
        return NULL;
    }
    memset(ct->item_cat, 0xff, ct->nitems * sizeof(*ct->item_cat)); /* RR_ANCHOR_NO_CAT */
    return ct;
}

void rr_cattrend_free(rr_cattrend_t *ct)
{
    if (!ct) return;
    for (size_t i = 0; i < ct->ncats * ct->nh; i++) rr_rank_tree_free(&ct->tree[i]);
    free(ct->tree);
    free(ct->item_cat);
    free(ct->item_pos);
    free(ct->rescales);
    free(ct->scratch);
    free(ct);
}

/* Makes trees for every category id up to cat (ids are dense, so few are ever empty). */
static rr_err_t cattrend_grow(rr_cattrend_t *ct, uint32_t cat)
{
    size_t ncats = (size_t)cat + 1;
    rr_rank_tree_t *tree = realloc(ct->tree, ncats * ct->nh * sizeof(*tree));
    if (!tree) return RR_E(NOMEM);
    ct->tree = tree;
    for (size_t c = ct->ncats; c < ncats; c++) {
        for (size_t h = 0; h < ct->nh; h++) {
            if (rr_rank_tree_init(&tree[c * ct->nh + h], rr_trend_scores(ct->trend, h), 4)) {
                while (h > 0) rr_rank_tree_free(&tree[c * ct->nh + --h]);
                return RR_E(NOMEM); /* the categories below ct->ncats stay whole for _free */
            }
        }
        ct->ncats = c + 1;
    }
    return RR_OK;
}

/* trend rescaled half-life h (scores may have flushed to zero): rebuild its category trees. */
static void cattrend_follow_rescales(rr_cattrend_t *ct)
{
    for (size_t h = 0; h < ct->nh; h++) {
        uint64_t now = rr_trend_rescales(ct->trend, h);
        if (now == ct->rescales[h]) continue;
        for (size_t c = 0; c < ct->ncats; c++) rr_rank_tree_rebuild(&ct->tree[c * ct->nh + h]);
        ct->rescales[h] = now;
    }
}

rr_err_t rr_cattrend_observe(rr_cattrend_t *ct, const rr_anchor_ev_t *ev)
{
    if (ev->item >= ct->nitems) return RR_E(INVAL);
    cattrend_follow_rescales(ct);
    uint32_t cat = ct->item_cat[ev->item];
    if (cat != RR_ANCHOR_NO_CAT) { /* trend raised its scores */
        for (size_t h = 0; h < ct->nh; h++)
            rr_rank_tree_update(&ct->tree[cat * ct->nh + h], ct->item_pos[ev->item]);
        return RR_OK;
    }
    if (ev->category == RR_ANCHOR_NO_CAT) return RR_OK;
    cat = ev->category;
    if (cat >= ct->ncats) {
        rr_err_t err = cattrend_grow(ct, cat);
        if (err) return err;
    }
    for (size_t h = 0; h < ct->nh; h++) {
        rr_err_t err =
            rr_rank_tree_push(&ct->tree[cat * ct->nh + h], ev->item, &ct->item_pos[ev->item]);
        if (err) return err; /* every tree of a category holds the same positions */
    }
    ct->item_cat[ev->item] = cat;
    return RR_OK;
}

typedef struct cat_weight_s {
    uint32_t cat;
    double weight;
} cat_weight_t;

/* The user's up to 3 strongest window categories (weight desc, then the lower id) into best. */
static size_t cattrend_user_cats(const rr_cattrend_t *ct, uint32_t user, cat_weight_t *best)
{
    uint32_t items[RR_ANCHOR_WINDOW], cats[RR_ANCHOR_WINDOW];
    size_t len = rr_anchor_hist_recent(ct->hist, user, items, cats), ncw = 0;
    cat_weight_t cw[RR_ANCHOR_WINDOW];
    for (size_t p = 1; p <= len; p++) {
        uint32_t cat = cats[p - 1];
        if (cat == RR_ANCHOR_NO_CAT || cat >= ct->ncats) continue;
        size_t j = 0;
        while (j < ncw && cw[j].cat != cat) j++;
        if (j == ncw) cw[ncw++] = (cat_weight_t){cat, 0.0};
        cw[j].weight += (double)p / (double)len;
    }
    size_t nbest = 0;
    for (size_t j = 0; j < ncw; j++) { /* insertion into the sorted best 3 */
        size_t pos = nbest < CATTREND_TOP_CATS ? nbest++ : CATTREND_TOP_CATS;
        while (pos > 0 &&
               (cw[j].weight > best[pos - 1].weight ||
                (cw[j].weight == best[pos - 1].weight && cw[j].cat < best[pos - 1].cat))) {
            if (pos < CATTREND_TOP_CATS) best[pos] = best[pos - 1];
            pos--;
        }
        if (pos < CATTREND_TOP_CATS) best[pos] = cw[j];
    }
    return nbest;
}

typedef struct cand_s {
    uint32_t item;
    double score;
} cand_t;

static int cand_cmp(const void *a, const void *b)
{
    const cand_t *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

size_t rr_cattrend_top(rr_cattrend_t *ct, size_t h, uint32_t user, uint32_t *out, size_t k,
                       rr_baseline_skip_fn skip, const void *opaque)
{
    if (h >= ct->nh) return 0;
    if (k > CATTREND_K_MAX) k = CATTREND_K_MAX;
    cat_weight_t best[CATTREND_TOP_CATS];
    size_t nbest = cattrend_user_cats(ct, user, best), ncand = 0;
    cand_t cand[CATTREND_TOP_CATS * CATTREND_K_MAX];
    const double *score = rr_trend_scores(ct->trend, h);
    /* An item lives in one category, and the best k of the merge are among each one's best k. */
    for (size_t b = 0; b < nbest; b++) {
        uint32_t ids[CATTREND_K_MAX];
        rr_rank_tree_t *t = &ct->tree[best[b].cat * ct->nh + h];
        size_t n = rr_rank_tree_top(t, ct->scratch, ids, k, skip, opaque);
        for (size_t i = 0; i < n; i++)
            cand[ncand++] = (cand_t){ids[i], best[b].weight * score[ids[i]]};
    }
    qsort(cand, ncand, sizeof(*cand), cand_cmp);
    size_t n = ncand < k ? ncand : k;
    for (size_t i = 0; i < n; i++) out[i] = cand[i].item;
    rr_anchor_fill_t fill = {skip, opaque, out, n};
    return n + rr_trend_top(ct->trend, h, out + n, k - n, rr_anchor_fill_skip, &fill);
}
