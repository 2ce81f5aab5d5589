/* rr_rec_sources.c — the candidate scratch, the sources that fill it and the blended score;
 * shared by the blend (rr_recommend.c) and the learned ranker (rr_rank.c). */
#include <string.h>
#include "rr_rec_sources.h"

void rr_rec_touch(rr_recommender_t *rec, uint32_t item)
{
    if (rec->mark[item]) return;
    rec->mark[item] = 1;
    rec->touched[rec->ntouched++] = item;
}

void rr_rec_reset(rr_recommender_t *rec)
{
    for (size_t i = 0; i < rec->ntouched; i++) {
        uint32_t item = rec->touched[i];
        rec->co[item] = rec->cat[item] = rec->emb[item] = 0;
        rec->mark[item] = 0;
    }
    rec->ntouched = 0;
}

/* Newest recent item weighs 1, each older one recency_decay times the next. */
void rr_rec_recency_weights(const rr_recommender_t *rec, size_t nrecent, float *w)
{
    float x = 1.0f;
    for (size_t r = nrecent; r-- > 0; x *= rec->p.recency_decay) w[r] = x;
}

/* Category source: the user's recency-weighted category shares times each category's
 * popular items' share of that category's top score. */
void rr_rec_add_category(rr_recommender_t *rec, const rr_store_t *st, const rr_trending_t *tr,
                         const rr_cattop_t *ct, const uint32_t *recent, const float *w,
                         size_t nrecent)
{
    uint32_t cats[RR_REC_MAX_RECENT];
    float aff[RR_REC_MAX_RECENT], total = 0;
    size_t ncats = 0;
    for (size_t r = 0; r < nrecent; r++) {
        uint32_t c = st->item[recent[r]].category;
        if (c == RR_INTERN_NONE) continue;
        size_t k = 0;
        while (k < ncats && cats[k] != c) k++;
        if (k == ncats) {
            cats[ncats] = c;
            aff[ncats++] = 0;
        }
        aff[k] += w[r];
        total += w[r];
    }
    for (size_t k = 0; k < ncats; k++) {
        uint32_t ids[RR_CATTOP_K];
        float scores[RR_CATTOP_K];
        size_t n = rr_cattop_get(ct, tr, cats[k], ids, scores, RR_CATTOP_K);
        for (size_t i = 0; i < n && scores[0] > 0; i++) {
            rr_rec_touch(rec, ids[i]);
            rec->cat[ids[i]] = aff[k] / total * scores[i] / scores[0];
        }
    }
}

/* Retrieval source: nearest items by the learned embeddings, scaled by the best one. */
void rr_rec_add_retrieved(rr_recommender_t *rec, uint32_t uid)
{
    uint32_t ids[RR_RECOMMEND_POOL_MAX];
    float scores[RR_RECOMMEND_POOL_MAX];
    size_t k =
        rec->p.retrieve_k < RR_RECOMMEND_POOL_MAX ? rec->p.retrieve_k : RR_RECOMMEND_POOL_MAX;
    size_t n = rec->retrieve(rec->model_opaque, uid, k, ids, scores);
    if (n == 0 || !(scores[0] > 0)) return;
    for (size_t i = 0; i < n; i++) {
        rr_rec_touch(rec, ids[i]);
        rec->emb[ids[i]] = scores[i] > 0 ? scores[i] / scores[0] : 0;
    }
}

int rr_rec_excluded(const rr_store_t *st, uint32_t uid, uint32_t item)
{
    return !st->item[item].available || rr_store_unreleased(st, uid, item) ||
           rr_store_has_bought(st, uid, item) || rr_store_is_recent(st, uid, item) ||
           rr_store_has_seen(st, uid, item);
}

/* Inserts into a list kept sorted by score (ties: lower id first); drops the tail at cap. */
size_t rr_rec_list_insert(rr_list_entry_t *list, size_t n, size_t cap, rr_list_entry_t e)
{
    size_t pos = n;
    while (pos > 0 && rr_rec_before(e.score, e.item, &list[pos - 1])) pos--;
    if (pos >= cap) return n;
    size_t moved = (n < cap ? n : cap - 1) - pos;
    memmove(&list[pos + 1], &list[pos], moved * sizeof(*list));
    list[pos] = e;
    return n < cap ? n + 1 : n;
}

/* The four sources' parts of a candidate's blended score: co-occurrence, category, trending,
 * retrieval; the score is their sum in that order. */
float rr_rec_blend_parts(const rr_recommender_t *rec, const rr_trending_t *tr, uint32_t item,
                         float co_max, float tr_max, float *c, float *g, float *t, float *r)
{
    *c = co_max > 0 ? rec->co[item] / co_max : 0;
    *g = rec->p.w_category * rec->cat[item];
    *t = tr_max > 0 ? rec->p.w_trending * (float)rr_trending_score(tr, item) / tr_max : 0;
    *r = rec->p.w_retrieve * rec->emb[item];
    return *c + *g + *t + *r;
}

/* Blended score of one candidate, with the source that contributed most as its reason. */
rr_list_entry_t rr_rec_blend(const rr_recommender_t *rec, const rr_store_t *st,
                             const rr_trending_t *tr, uint32_t item, float co_max, float tr_max)
{
    float c, g, t, r;
    float score = rr_rec_blend_parts(rec, tr, item, co_max, tr_max, &c, &g, &t, &r);
    rr_list_entry_t e = rr_list_entry(item, score, RR_REASON_COOC);
    if (g > c && g >= t) {
        e.reason = RR_REASON_CATEGORY;
        rr_list_set_because(&e, st->item[item].category);
        rr_list_set_strength(&e, rec->cat[item]);
    } else if (t > c && t > g && t >= r) {
        e.reason = RR_REASON_TRENDING;
    } else if (r > c && r > g && r > t) {
        e.reason = RR_REASON_MODEL; /* the learned embeddings found it */
        rr_list_set_strength(&e, rec->emb[item]);
    }
    return e;
}
