/* rr_rank.c — candidates from every source, their named features, and the training rows of a
 * positive; see rr_rank.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_rank.h"
#include "rr_rec_sources.h"

#define NREC    RR_REC_MAX_RECENT
#define TREND_K 64 /* each trend's top items joining the candidates */
#define NF      RR_F__COUNT
#define TINY    1e-4f
#define LOG1P_N 1024 /* counts whose log1p is looked up, not computed */

/* A candidate in the admission heap: 8 plain bytes, where a list entry's bit-fields would cost
 * a mask on every comparison of the heap's many. */
typedef struct cand_s {
    float score; /* its strongest source's normalised score */
    uint32_t item;
} cand_t;

typedef struct rr_rank_s {
    rr_rank_src_t src;
    rr_rank_fn rank;
    rr_explain_fn explain;
    rr_dot_fn dot;
    void *opaque;
    float *cos, *nbr, *cos_rated; /* [items_max], zero between calls, like rec->co */
    float *x;                     /* [RR_RANK_MAX_CAND × NF] */
    float *px,
        *contrib; /* [RR_RECOMMEND_POOL_MAX × NF]: the pool's rows and what each feature did */
    float *prob, *dots;
    cand_t *cand; /* [RR_RANK_MAX_CAND] the admission heap, by best source */
    /* The user of the current gather. */
    uint32_t recent[NREC];
    uint8_t tied[NREC];   /* recent[r]'s event had recent[r - 1]'s time */
    uint8_t pos[NREC];    /* recent[r]'s position from the oldest, ties sharing their newest's */
    uint8_t rating[NREC]; /* recent[r]'s rating, 1..7 (0: its event was not a rating) */
    float wrated[NREC];   /* wpos × (rating - the rated recent items' mean); 0 unrated */
    int any_rated;        /* some wrated is not 0: cos_rated is in use for this gather */
    float wpos[NREC];     /* p/len: the newest recent item weighs 1 */
    float wdecay[NREC];   /* recs.recency_decay per step back */
    size_t nrecent;
    uint32_t cats[NREC], brands[NREC];
    float cat_aff[NREC], brand_aff[NREC];
    size_t ncats, nbrands;
    float mean_logp;
    int has_price;
    uint32_t last_cat;
    float tr_max[RR_NTRENDS];
    uint32_t trend_top[RR_NTRENDS][TREND_K]; /* each trend's best, best first */
    size_t ntrend_top[RR_NTRENDS];
    float co_max, cos_max; /* over the pool's candidates */
    /* The last pool ranked: its candidates' features stay valid until state changes. */
    uint32_t cache_uid;
    uint64_t cache_epoch;
    size_t cache_n;
    uint32_t cache_items[RR_RANK_MAX_CAND];
    float activity;
    float log1p_n[LOG1P_N]; /* log1pf(k): counts are features of every candidate */
    uint8_t reason[NF];     /* rr_feature_reason of each, for every pooled row's reason */
} rr_rank_t;

rr_err_t rr_rank_enable(rr_recommender_t *rec, const rr_rank_src_t *src, rr_rank_fn rank,
                        rr_explain_fn explain, rr_dot_fn dot, void *opaque)
{
    rr_rank_t *rk = calloc(1, sizeof(*rk));
    if (!rk) return RR_E(NOMEM);
    rec->rank = rk;
    rk->src = *src;
    rk->rank = rank;
    rk->explain = explain;
    rk->dot = dot;
    rk->opaque = opaque;
    for (int k = 0; k < LOG1P_N; k++) rk->log1p_n[k] = log1pf((float)k);
    for (int f = 0; f < NF; f++) rk->reason[f] = (uint8_t)(rr_feature_reason((rr_feature_t)f) & 7);
    rk->cos = calloc(rec->items_max, sizeof(float));
    rk->nbr = calloc(rec->items_max, sizeof(float));
    rk->cos_rated = calloc(rec->items_max, sizeof(float));
    rk->x = calloc((size_t)RR_RANK_MAX_CAND * NF, sizeof(float));
    rk->prob = calloc(RR_RANK_MAX_CAND, sizeof(float));
    rk->dots = calloc(RR_RANK_MAX_CAND, sizeof(float));
    rk->cand = calloc(RR_RANK_MAX_CAND, sizeof(cand_t));
    rk->px = calloc((size_t)RR_RECOMMEND_POOL_MAX * NF, sizeof(float));
    rk->contrib = calloc((size_t)RR_RECOMMEND_POOL_MAX * NF, sizeof(float));
    if (!rk->cos || !rk->nbr || !rk->cos_rated || !rk->x || !rk->prob || !rk->dots || !rk->cand ||
        !rk->px || !rk->contrib) {
        rr_rank_free(rec);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

rr_err_t rr_rank_fork(const rr_recommender_t *base, rr_recommender_t *rec, void *opaque)
{
    const rr_rank_t *rk = base->rank;
    return rr_rank_enable(rec, &rk->src, rk->rank, rk->explain, rk->dot, opaque);
}

void rr_rank_free(rr_recommender_t *rec)
{
    rr_rank_t *rk = rec->rank;
    if (!rk) return;
    free(rk->cos);
    free(rk->nbr);
    free(rk->cos_rated);
    free(rk->x);
    free(rk->prob);
    free(rk->dots);
    free(rk->cand);
    free(rk->px);
    free(rk->contrib);
    free(rk);
    rec->rank = NULL;
}

/* Adds w to the entry of id in a small (id, weight) map; returns the new count. */
static size_t map_add(uint32_t *ids, float *w, size_t n, uint32_t id, float add)
{
    if (id == RR_INTERN_NONE) return n;
    for (size_t k = 0; k < n; k++)
        if (ids[k] == id) {
            w[k] += add;
            return n;
        }
    ids[n] = id;
    w[n] = add;
    return n + 1;
}

static float map_get(const uint32_t *ids, const float *w, size_t n, uint32_t id)
{
    for (size_t k = 0; id != RR_INTERN_NONE && k < n; k++)
        if (ids[k] == id) return w[k];
    return 0;
}

/* Each recent item's position from the oldest (0), the items of one time taking the newest's:
 * their order is the input's, not the user's (51% of ml-100k's consecutive ratings by one user
 * share their second). */
static void positions(rr_rank_t *rk)
{
    for (size_t r = rk->nrecent; r-- > 0;)
        rk->pos[r] = r + 1 < rk->nrecent && rk->tied[r + 1] ? rk->pos[r + 1] : (uint8_t)r;
}

/* Each recent item's position weight times how much above or below the user's mean rating of
 * the rated recent items it was rated: the cosine view of what the user liked (COS_RATED).
 * 0 for items whose event was not a rating, and everywhere on a stream without ratings. */
static void rated_weights(rr_rank_t *rk)
{
    float sum = 0;
    int nrated = 0;
    for (size_t r = 0; r < rk->nrecent; r++) {
        sum += rk->rating[r];
        nrated += rk->rating[r] != 0;
    }
    float mean = nrated ? sum / (float)nrated : 0;
    rk->any_rated = 0;
    for (size_t r = 0; r < rk->nrecent; r++) {
        rk->wrated[r] = rk->rating[r] ? rk->wpos[r] * ((float)rk->rating[r] - mean) : 0;
        rk->any_rated |= rk->wrated[r] != 0;
    }
}

/* The gathered co-occurrence views of item, as features_of reads them: counts, cosine,
 * neighbour recency, and the rated cosine (read only when this gather wrote it). */
static void cooc_views(const rr_recommender_t *rec, uint32_t item, float v[4])
{
    const rr_rank_t *rk = rec->rank;
    v[0] = rec->co[item];
    v[1] = rk->cos[item];
    v[2] = rk->nbr[item];
    v[3] = rk->any_rated ? rk->cos_rated[item] : 0;
}

/* Who the user is lately: position weights, category and brand shares, price level. */
static void user_context(rr_rank_t *rk, const rr_store_t *st, uint32_t uid)
{
    size_t n = rk->nrecent;
    float total = 0, logp = 0, np = 0;
    rk->ncats = rk->nbrands = 0;
    for (size_t r = 0; r < n; r++) {
        const rr_item_t *it = &st->item[rk->recent[r]];
        rk->wpos[r] = (float)(rk->pos[r] + 1) / (float)n;
        total += rk->wpos[r];
        rk->ncats = map_add(rk->cats, rk->cat_aff, rk->ncats, it->category, rk->wpos[r]);
        rk->nbrands = map_add(rk->brands, rk->brand_aff, rk->nbrands, it->brand, rk->wpos[r]);
        if (it->price > 0) {
            logp += logf(1.0f + it->price);
            np++;
        }
    }
    rated_weights(rk);
    for (size_t k = 0; k < rk->ncats; k++) rk->cat_aff[k] /= total;
    for (size_t k = 0; k < rk->nbrands; k++) rk->brand_aff[k] /= total;
    rk->has_price = np > 0;
    rk->mean_logp = np > 0 ? logp / np : 0;
    rk->last_cat = n ? st->item[rk->recent[n - 1]].category : RR_INTERN_NONE;
    rk->activity = log1pf((float)st->user[uid].nevents);
}

#define SCAN_CHUNK 256 /* row slots compacted at a time */

/* One recent item's neighbour row into the four co-occurrence views, each neighbour's summed
 * over the recent items in their order: recency-weighted counts, position-weighted cosine, the
 * same weighted by the recent item's rating against the mean, and the newest co-occurring
 * recent item's position weight. A visit per neighbour of 28 rows of hundreds is most of a
 * gather, so the loop has no branch to mispredict: a row is half empty slots at random,
 * compacted first; the touched set grows by a store and an add; the rated view's test goes the
 * same way for the whole row; the row's constants sit in locals (the stores into the scratch
 * could alias them). */
static void scan_row(rr_recommender_t *rec, rr_rank_t *rk, const rr_item_t *items,
                     const rr_cooc_row_t *row, size_t r)
{
    float *co = rec->co, *cos = rk->cos, *cos_rated = rk->cos_rated, *nbr = rk->nbr;
    uint8_t *mark = rec->mark;
    uint32_t *touched = rec->touched;
    size_t ntouched = rec->ntouched;
    const float wdecay = rk->wdecay[r], wpos = rk->wpos[r], wrated = rk->wrated[r];
    const int rated = wrated != 0; /* most streams have no ratings: their rows skip the view */
    const float n_r = (float)items[rk->recent[r]].interactions;
    rr_cooc_nb_t nbs[SCAN_CHUNK];
    for (uint32_t at = 0; at < row->cap; at += SCAN_CHUNK) {
        uint32_t end = row->cap - at < SCAN_CHUNK ? row->cap : at + SCAN_CHUNK, n = 0;
        for (uint32_t s = at; s < end; s++) {
            nbs[n] = row->slots[s];
            n += row->slots[s].item != 0;
        }
        for (uint32_t k = 0; k < n; k++) {
            uint32_t item = nbs[k].item - 1;
            float count = (float)nbs[k].count;
            float nn = n_r * (float)items[item].interactions;
            co[item] += wdecay * count;
            float c = count / sqrtf(nn > 1 ? nn : 1);
            cos[item] += wpos * c;
            if (rated) cos_rated[item] += wrated * c;
            nbr[item] = wpos > nbr[item] ? wpos : nbr[item];
            touched[ntouched] = item; /* kept only if new */
            ntouched += !mark[item];
            mark[item] = 1;
        }
    }
    rec->ntouched = ntouched;
}

/* Every neighbour of the user's recent items, with its co-occurrence views in scratch. */
static void scan_cooc(rr_recommender_t *rec, rr_rank_t *rk, const rr_store_t *st,
                      const rr_cooc_t *co)
{
    for (size_t r = 0; r < rk->nrecent; r++) {
        const rr_cooc_row_t *row = rr_cooc_row(co, rk->recent[r]);
        if (row) scan_row(rec, rk, st->item, row, r);
    }
}

/* The user and the maxima every feature scales by; candidates only if touch. */
static void user_and_maxima(rr_recommender_t *rec, const rr_store_t *st, uint32_t uid)
{
    rr_rank_t *rk = rec->rank;
    rk->nrecent = rr_store_recent_flags(st, uid, rk->recent, rk->tied, rk->rating);
    positions(rk);
    user_context(rk, st, uid);
    float by_pos[NREC]; /* the decay of each position; ties take their newest's */
    rr_rec_recency_weights(rec, rk->nrecent, by_pos);
    for (size_t r = 0; r < rk->nrecent; r++) rk->wdecay[r] = by_pos[rk->pos[r]];
    for (int h = 0; h < RR_NTRENDS; h++) { /* one sort of each trend's set: its top and max */
        float scores[TREND_K];
        size_t n = rr_trending_top(&rk->src.trends[h], rk->trend_top[h], scores, TREND_K);
        rk->ntrend_top[h] = n;
        rk->tr_max[h] = n ? scores[0] : 0;
    }
}

/* Every source's candidates into rec's touched set. */
static void gather(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                   const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid)
{
    rr_rank_t *rk = rec->rank;
    user_and_maxima(rec, st, uid);
    scan_cooc(rec, rk, st, co);
    rr_rec_add_category(rec, st, tr, ct, rk->recent, rk->wdecay, rk->nrecent);
    if (rec->retrieve && rec->p.retrieve_k > 0) rr_rec_add_retrieved(rec, uid);
    for (int h = 0; h < RR_NTRENDS; h++)
        for (size_t i = 0; i < rk->ntrend_top[h]; i++) rr_rec_touch(rec, rk->trend_top[h][i]);
}

static void ungather(rr_recommender_t *rec)
{
    rr_rank_t *rk = rec->rank;
    for (size_t i = 0; i < rec->ntouched; i++)
        rk->cos[rec->touched[i]] = rk->nbr[rec->touched[i]] = 0;
    /* Untouched unless a recent item was rated: a store per neighbour is a cache miss each. */
    for (size_t i = 0; rk->any_rated && i < rec->ntouched; i++) rk->cos_rated[rec->touched[i]] = 0;
    rr_rec_reset(rec);
}

/* log1pf((float)n), the same bits, from the table when n is small. */
static inline float log1p_count(const rr_rank_t *rk, uint32_t n)
{
    return n < LOG1P_N ? rk->log1p_n[n] : log1pf((float)n);
}

static float ratio(double v, float max)
{
    return max > 0 ? (float)(v / max) : 0;
}

/* A share or a ratio of scores as a log, LOG_FLOOR for none. The category features are
 * products of small shares: as plain ratios most candidates sat near 0 and the ranker could not
 * tell a tenth from a thousandth (taobao 110k, eight seeds: 441 → 459 hits; BENCHMARKS.md). */
#define LOG_FLOOR (-10.0f)
static float log_share(double v)
{
    return v > 0 ? fmaxf(logf((float)v), LOG_FLOOR) : LOG_FLOOR;
}

/* How far item trails its category's leader by the 30 d trend (0: it leads, or no category).
 * On a stream of days this is nearly the order of interaction counts, which orders what a user
 * looks at next within a category better than a day's trend does (BENCHMARKS.md). */
static float cat_lead(const rr_rank_t *rk, uint32_t c, uint32_t item)
{
    if (c >= rk->src.cats_max || rk->src.cat_leader[c] == RR_INTERN_NONE) return 0;
    const rr_trending_t *t = &rk->src.trends[RR_TREND_LONG];
    double lead = rr_trending_score(t, rk->src.cat_leader[c]), own = rr_trending_score(t, item);
    if (lead <= 0) return own > 0 ? 0 : LOG_FLOOR;
    return own < lead ? log_share(own / lead) : 0;
}

/* The features of one candidate from its co-occurrence views v (DOT is filled by the caller,
 * for all rows at once). */
static void features_of(const rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                        const rr_cattop_t *ct, const rr_trending_t *tr, uint32_t item,
                        const float *v, float *x)
{
    const rr_rank_t *rk = rec->rank;
    const rr_item_t *it = &st->item[item];
    int64_t now = *rk->src.now_ms;
    x[RR_F_CO_LOG] = log1pf(v[0]);
    x[RR_F_CO_REL] = ratio(v[0], rk->co_max);
    x[RR_F_COS] = v[1];
    x[RR_F_COS_REL] = ratio(v[1], rk->cos_max);
    x[RR_F_COS_RATED] = v[3];
    x[RR_F_NB_RECENCY] = v[2];
    x[RR_F_CO_LAST] =
        rk->nrecent ? log1p_count(rk, rr_cooc_get(co, rk->recent[rk->nrecent - 1], item)) : 0;
    float aff = map_get(rk->cats, rk->cat_aff, rk->ncats, it->category);
    x[RR_F_CAT_AFF] = aff;
    /* Category sets are kept best first: the top is the first. */
    uint32_t c = it->category;
    double top_score =
        c < ct->cats_max && ct->n[c] ? rr_trending_score(tr, ct->top[(size_t)c * RR_CATTOP_K]) : 0;
    x[RR_F_CAT_TOP] = ratio(rr_trending_score(tr, item), (float)top_score);
    x[RR_F_CAT_TOP_30D] = cat_lead(rk, c, item);
    x[RR_F_CAT_LAST] = it->category != RR_INTERN_NONE && it->category == rk->last_cat;
    x[RR_F_BRAND_AFF] = map_get(rk->brands, rk->brand_aff, rk->nbrands, it->brand);
    int priced = rk->has_price && it->price > 0;
    x[RR_F_PRICE_FIT] = priced ? -fabsf(logf(1.0f + it->price) - rk->mean_logp) : 0;
    x[RR_F_PRICE_KNOWN] = (float)priced;
    for (int h = 0; h < RR_NTRENDS; h++) {
        float t = ratio(rr_trending_score(&rk->src.trends[h], item), rk->tr_max[h]);
        x[RR_F_TREND_1H + h] = logf(TINY + t);
        x[RR_F_CAT_TREND_1H + h] = log_share(aff * t);
    }
    x[RR_F_POP] = log1p_count(rk, it->interactions);
    int64_t first = rk->src.item_first_ms[item], last = rk->src.item_last_ms[item];
    x[RR_F_AGE] = first ? log1pf((float)(now - first) / 3.6e6f) : 0;
    x[RR_F_IDLE] = last ? log1pf((float)(now - last) / 6e4f) : log1pf(1e6f);
    x[RR_F_DOT] = 0;
    x[RR_F_DEMO_LIFT] = 0;
    x[RR_F_TEXT_COS] = 0;
    x[RR_F_MLP] = 0;
    x[RR_F_ACTIVITY] = rk->activity;
}

/* Each source's score is over the user's best (the trends' stored scores over their scale and
 * their top): as one multiplier per source, since admission visits every touched item and a
 * division each would cost more than the rest of the visit. */
typedef struct admit_scale_s {
    float co, cos;
    float trend[RR_NTRENDS];
    const float *trend_score[RR_NTRENDS];
    size_t trend_items;
} admit_scale_t;

static float inverse(double max)
{
    return max > 0 ? (float)(1.0 / max) : 0.0f;
}

static void admit_scales(const rr_rank_t *rk, admit_scale_t *k)
{
    k->co = inverse(rk->co_max);
    k->cos = inverse(rk->cos_max);
    k->trend_items = SIZE_MAX;
    for (int h = 0; h < RR_NTRENDS; h++) {
        const rr_trending_t *t = &rk->src.trends[h];
        k->trend[h] = inverse(t->scale * rk->tr_max[h]);
        k->trend_score[h] = t->score;
        if (t->max_items < k->trend_items) k->trend_items = t->max_items;
    }
}

/* The strongest source's normalised score: how candidates are admitted to the ranker. */
static float best_source(const rr_recommender_t *rec, uint32_t item, const admit_scale_t *k)
{
    const rr_rank_t *rk = rec->rank;
    float b = rec->co[item] * k->co;
    float c = rk->cos[item] * k->cos;
    if (c > b) b = c;
    if (rec->cat[item] > b) b = rec->cat[item];
    if (rec->emb[item] > b) b = rec->emb[item];
    for (int h = 0; h < RR_NTRENDS && item < k->trend_items; h++) {
        float t = k->trend_score[h][item] * k->trend[h];
        if (t > b) b = t;
    }
    return b;
}

/* The learned embeddings' agreement of rows[0..n) into their DOT feature. */
static void add_dots(rr_rank_t *rk, uint32_t uid, const uint32_t *items, size_t n, float *x)
{
    if (rk->dot) {
        rk->dot(rk->opaque, uid, items, n, rk->dots);
        for (size_t i = 0; i < n; i++) x[i * NF + RR_F_DOT] = rk->dots[i];
    }
    if (rk->src.demo) { /* the same scratch, once DOT has been copied out */
        rk->src.demo(rk->opaque, uid, items, n, rk->dots);
        for (size_t i = 0; i < n; i++) x[i * NF + RR_F_DEMO_LIFT] = rk->dots[i];
    }
    if (rk->src.text) {
        rk->src.text(rk->opaque, uid, items, n, rk->dots);
        for (size_t i = 0; i < n; i++) x[i * NF + RR_F_TEXT_COS] = rk->dots[i];
    }
    if (rk->src.mlp) {
        rk->src.mlp(rk->opaque, uid, items, n, rk->dots);
        for (size_t i = 0; i < n; i++) x[i * NF + RR_F_MLP] = rk->dots[i];
    }
}

/* The lists' order (rr_rec_before) on the admission heap's entries, without a branch (see
 * heap_down): a is worse than b. */
static inline int cand_worse(const cand_t *a, const cand_t *b)
{
    return (a->score < b->score) | ((a->score == b->score) & (a->item > b->item));
}

/* Restores the min-heap (worst at the root) below slot i: its entry sinks while a child is
 * worse, the worse child picked by a select. An admission's comparisons go either way at
 * random and the heap is 8 levels deep, so branches here mispredicted about once a level. The
 * order is strict (no two entries share an item): this is the heap the three-way comparison
 * of each entry with its two children built, slot for slot. */
static void heap_down(cand_t *h, size_t n, size_t i)
{
    cand_t e = h[i];
    for (size_t l = 2 * i + 1; l < n; l = 2 * i + 1) {
        size_t c = l + (size_t)(l + 1 < n && cand_worse(&h[l + 1], &h[l]));
        if (!cand_worse(&h[c], &e)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

static void heap_up(cand_t *h, size_t i)
{
    while (i > 0 && cand_worse(&h[i], &h[(i - 1) / 2])) {
        cand_t t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* The largest co-occurrence views over the touched candidates, which the features scale by. */
static void cooc_maxima(rr_recommender_t *rec)
{
    rr_rank_t *rk = rec->rank;
    float co_max = 0, cos_max = 0;
    for (size_t i = 0; i < rec->ntouched; i++) {
        uint32_t item = rec->touched[i];
        if (rec->co[item] > co_max) co_max = rec->co[item];
        if (rk->cos[item] > cos_max) cos_max = rk->cos[item];
    }
    rk->co_max = co_max;
    rk->cos_max = cos_max;
}

/* The best RR_RANK_MAX_CAND touched, admissible candidates by their strongest source (a heap
 * with the worst at its root: most candidates lose to it without an exclusion lookup). */
static size_t admit(rr_recommender_t *rec, const rr_store_t *st, uint32_t uid)
{
    rr_rank_t *rk = rec->rank;
    cooc_maxima(rec);
    admit_scale_t k;
    admit_scales(rk, &k);
    cand_t *h = rk->cand;
    size_t n = 0;
    for (size_t i = 0; i < rec->ntouched; i++) {
        uint32_t item = rec->touched[i];
        float s = best_source(rec, item, &k);
        cand_t e = {s, item};
        /* Most lose to the heap's worst, before their exclusion lookups. */
        if (n == RR_RANK_MAX_CAND && cand_worse(&e, &h[0])) continue;
        /* An item nobody has touched yet has nothing to be ranked by (and the event that just
         * created one must not change the pool it is trained against). */
        if (!st->item[item].interactions || rr_rec_excluded(st, uid, item)) continue;
        if (n < RR_RANK_MAX_CAND) {
            h[n] = e;
            heap_up(h, n++);
        } else {
            h[0] = e;
            heap_down(h, n, 0);
        }
    }
    return n;
}

/* The reason family whose features raised the score most, or RR_REASON_NONE if none did. A
 * family the item has no evidence in (no co-occurrence with a recent item, a category the user
 * has not touched) can still push the score up by its absence; that is no reason to show. */
static int top_reason(const rr_rank_t *rk, const float *contrib, const float *x)
{
    float sum[8] = {0};
    for (int f = 0; f < NF; f++) sum[rk->reason[f]] += contrib[f];
    sum[RR_REASON_COOC] = x[RR_F_CO_LOG] > 0 ? sum[RR_REASON_COOC] : 0;
    sum[RR_REASON_CATEGORY] = x[RR_F_CAT_AFF] > 0 ? sum[RR_REASON_CATEGORY] : 0;
    int best = RR_REASON_NONE;
    for (int r = 1; r < 8; r++)
        if (sum[r] > 0 && (best == RR_REASON_NONE || sum[r] > sum[best])) best = r;
    return best;
}

/* Each entry's reason from its feature row in rk->px: the features the ranker leaned on
 * (gradient × input), with the details (the recent item behind a co-occurrence, the category
 * and its share) its sources give; the strongest source's reason when no family raised the
 * score. */
static void explain_rows(rr_recommender_t *rec, const rr_store_t *st, const rr_trending_t *tr,
                         rr_list_entry_t *pool, size_t npool, float co_max, float tr_max)
{
    rr_rank_t *rk = rec->rank;
    if (rk->explain && npool) rk->explain(rk->opaque, rk->px, npool, rk->contrib);
    for (size_t i = 0; i < npool; i++) {
        float score = pool[i].score;
        const float *x = rk->px + i * NF;
        int reason = rk->explain ? top_reason(rk, rk->contrib + i * NF, x) : RR_REASON_NONE;
        rr_list_entry_t e = rr_rec_blend(rec, st, tr, pool[i].item, co_max, tr_max);
        if (reason != RR_REASON_NONE && reason != (int)e.reason) {
            e = rr_list_entry(pool[i].item, score, (rr_reason_t)reason);
            if (reason == RR_REASON_CATEGORY) {
                rr_list_set_because(&e, st->item[e.item].category);
                rr_list_set_strength(&e, x[RR_F_CAT_AFF]);
            } else if (reason == RR_REASON_MODEL) {
                rr_list_set_strength(&e, score);
            }
        }
        e.score = score;
        pool[i] = e;
    }
}

/* The same for a pool whose rows are the candidates' in rk->x, each entry's row in its
 * `because` (rr_rank_pool puts it there; explain_rows replaces it with the real one). */
static void explain(rr_recommender_t *rec, const rr_store_t *st, const rr_trending_t *tr,
                    rr_list_entry_t *pool, size_t npool, float co_max, float tr_max)
{
    rr_rank_t *rk = rec->rank;
    for (size_t i = 0; i < npool; i++)
        memcpy(rk->px + i * NF, rk->x + rr_list_because(&pool[i]) * NF, NF * sizeof(float));
    explain_rows(rec, st, tr, pool, npool, co_max, tr_max);
}

size_t rr_rank_pool(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                    const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                    rr_list_entry_t *pool)
{
    rr_rank_t *rk = rec->rank;
    gather(rec, st, co, tr, ct, uid);
    size_t ncand = admit(rec, st, uid);
    uint32_t items[RR_RANK_MAX_CAND];
    float co_max = 0;
    for (size_t i = 0; i < ncand; i++) {
        uint32_t item = items[i] = rk->cand[i].item;
        float v[4];
        cooc_views(rec, item, v);
        features_of(rec, st, co, ct, tr, item, v, rk->x + i * NF);
        if (rec->co[item] > co_max) co_max = rec->co[item];
    }
    add_dots(rk, uid, items, ncand, rk->x);
    if (ncand) rk->rank(rk->opaque, rk->x, ncand, rk->prob);
    rk->cache_uid = uid;
    rk->cache_epoch = *rk->src.epoch;
    rk->cache_n = ncand;
    memcpy(rk->cache_items, items, ncand * sizeof(*items));
    uint32_t top1;
    float tr_max = 0;
    if (rr_trending_top(tr, &top1, &tr_max, 1) == 0) tr_max = 0;
    size_t cap = (size_t)rec->p.n * 4, npool = 0;
    if (cap > RR_RECOMMEND_POOL_MAX) cap = RR_RECOMMEND_POOL_MAX;
    for (size_t i = 0; i < ncand; i++) {
        rr_list_entry_t e = rr_list_entry(items[i], rk->prob[i], RR_REASON_NONE);
        if (npool == cap && !rr_rec_before(e.score, e.item, &pool[npool - 1])) continue;
        rr_list_set_because(&e, (uint32_t)i); /* its row, for explain */
        npool = rr_rec_list_insert(pool, npool, cap, e);
    }
    explain(rec, st, tr, pool, npool, co_max, tr_max);
    ungather(rec);
    return npool;
}

/* One chunk (at most RR_RANK_MAX_CAND) of rr_rank_score's items, gathered already. */
static void score_chunk(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                        const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                        const uint32_t *items, size_t n, float tr_max, rr_list_entry_t *out)
{
    rr_rank_t *rk = rec->rank;
    for (size_t i = 0; i < n; i++) {
        uint32_t item = items[i];
        float v[4];
        cooc_views(rec, item, v);
        features_of(rec, st, co, ct, tr, item, v, rk->x + i * NF);
    }
    add_dots(rk, uid, items, n, rk->x);
    rk->rank(rk->opaque, rk->x, n, rk->prob);
    memcpy(rk->px, rk->x, n * NF * sizeof(float));
    for (size_t i = 0; i < n; i++) out[i] = rr_list_entry(items[i], rk->prob[i], RR_REASON_NONE);
    explain_rows(rec, st, tr, out, n, rk->co_max, tr_max);
}

void rr_rank_score(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                   const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                   const uint32_t *items, size_t n, rr_list_entry_t *out)
{
    rr_rank_t *rk = rec->rank;
    gather(rec, st, co, tr, ct, uid);
    cooc_maxima(rec);
    uint32_t top1;
    float tr_max = 0;
    if (rr_trending_top(tr, &top1, &tr_max, 1) == 0) tr_max = 0;
    for (size_t at = 0; at < n; at += RR_RANK_MAX_CAND) {
        size_t m = n - at < RR_RANK_MAX_CAND ? n - at : RR_RANK_MAX_CAND;
        score_chunk(rec, st, co, tr, ct, uid, items + at, m, tr_max, out + at);
    }
    ungather(rec);
    rk->cache_n = 0; /* rk->x no longer holds the last pool's rows */
}

int rr_rank_active(const rr_recommender_t *rec)
{
    return rec->rank && *rec->rank->src.steps + 1 > RR_RANK_WARMUP;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Negatives drawn uniformly from the pool, after the positive at: indices into the pool,
 * positive first. (The best-ranked alone as negatives teach the model to demote whatever it
 * shows.) */
static size_t pick_rows(uint64_t *rng, size_t ncand, size_t at, size_t *rows)
{
    uint8_t used[RR_RANK_MAX_CAND] = {0};
    size_t n = 1;
    rows[0] = at;
    used[at] = 1;
    for (int tries = 0; tries < 2 * RR_RANK_MAX_ROWS && n < RR_RANK_MAX_ROWS; tries++) {
        size_t i = lcg(rng) % ncand;
        if (used[i]) continue;
        used[i] = 1;
        rows[n++] = i;
    }
    return n;
}

/* 0 when no source can offer pos to the user, so it cannot be in the pool and the event trains
 * nothing: most targets of a sparse stream, found without a gather. 1 when one may (a cheap
 * superset of gather's sources: the trends' whole kept sets, a category's whole top, any
 * retrieval), and then the full gather decides. */
static int maybe_candidate(const rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                           const rr_cattop_t *ct, uint32_t uid, uint32_t pos)
{
    const rr_rank_t *rk = rec->rank;
    if (rec->retrieve && rec->p.retrieve_k > 0) return 1;
    for (int h = 0; h < RR_NTRENDS; h++) {
        const rr_trending_t *t = &rk->src.trends[h];
        for (uint32_t i = 0; i < t->ntop; i++)
            if (t->top[i] == pos) return 1;
    }
    uint32_t recent[NREC];
    size_t nrecent = rr_store_recent(st, uid, recent);
    uint32_t c = st->item[pos].category;
    int in_cattop = 0;
    for (uint32_t i = 0; c < ct->cats_max && i < ct->n[c]; i++)
        in_cattop |= ct->top[(size_t)c * RR_CATTOP_K + i] == pos;
    for (size_t r = 0; r < nrecent; r++) {
        if (in_cattop && st->item[recent[r]].category == c) return 1;
        if (rr_cooc_get(co, recent[r], pos) > 0) return 1; /* counts are >= 1 while kept */
    }
    return 0;
}

/* The picked rows' features: copied from the cached pool when it is the current one, else
 * computed for those rows alone from a fresh gather (a sixteenth of the pool: training runs
 * on every event, before the user's state moves). */
static size_t train_features(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                             const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                             uint32_t pos, uint64_t *rng, float *x)
{
    rr_rank_t *rk = rec->rank;
    size_t rows[RR_RANK_MAX_ROWS], at = SIZE_MAX, ncand, n = 0;
    int cached = rk->cache_uid == uid && rk->cache_epoch == *rk->src.epoch && rk->cache_n;
    if (!cached && !maybe_candidate(rec, st, co, ct, uid, pos)) return 0;
    if (!cached) gather(rec, st, co, tr, ct, uid);
    ncand = cached ? rk->cache_n : admit(rec, st, uid);
    for (size_t i = 0; i < ncand; i++)
        if ((cached ? rk->cache_items[i] : rk->cand[i].item) == pos) at = i;
    /* The ranker only ever orders the pool, so it learns P(next | in the pool): a positive
     * the sources did not find teaches it nothing it can use (and would teach it that weak
     * candidates win). */
    if (at != SIZE_MAX && ncand >= 2) n = pick_rows(rng, ncand, at, rows);
    if (cached) {
        for (size_t k = 0; k < n; k++) memcpy(x + k * NF, rk->x + rows[k] * NF, NF * sizeof(float));
        return n;
    }
    uint32_t items[RR_RANK_MAX_ROWS];
    for (size_t k = 0; k < n; k++) {
        uint32_t item = items[k] = rk->cand[rows[k]].item;
        float v[4];
        cooc_views(rec, item, v);
        features_of(rec, st, co, ct, tr, item, v, x + k * NF);
    }
    add_dots(rk, uid, items, n, x);
    ungather(rec);
    return n;
}

int rr_rank_train_rows(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                       const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid, uint32_t pos,
                       uint64_t *rng, float *x, float *labels, float *weights)
{
    size_t n = train_features(rec, st, co, tr, ct, uid, pos, rng, x);
    for (size_t i = 0; i < n; i++) {
        labels[i] = i == 0;
        weights[i] = i == 0 ? 0.5f : 0.5f / (float)(n - 1);
    }
    return (int)n;
}
