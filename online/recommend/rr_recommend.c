/* rr_recommend.c — blended top-N with rules and reasons; see rr_recommend.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_rank.h"
#include "rr_recommend.h"
#include "rr_rec_sources.h"
#include "rr_textidx.h"

#define MAX_RECENT RR_REC_MAX_RECENT

/* Candidates kept sorted before the rules: 4n, so the category cap can skip. */
static size_t pool_cap(const rr_recommender_t *rec)
{
    size_t cap = (size_t)rec->p.n * 4;
    return cap < RR_RECOMMEND_POOL_MAX ? cap : RR_RECOMMEND_POOL_MAX;
}

rr_err_t rr_recommender_init(rr_recommender_t *rec, size_t items_max, const rr_rec_params_t *p)
{
    memset(rec, 0, sizeof(*rec));
    rec->co = calloc(items_max, sizeof(*rec->co));
    rec->cat = calloc(items_max, sizeof(*rec->cat));
    rec->emb = calloc(items_max, sizeof(*rec->emb));
    rec->mark = calloc(items_max, sizeof(*rec->mark));
    /* One spare slot: the ranker's gather writes each neighbour there before it knows it is new. */
    rec->touched = calloc(items_max + 1, sizeof(*rec->touched));
    rec->p = *p;
    size_t pooled = (size_t)RR_RECOMMEND_BATCH * pool_cap(rec);
    rec->pools = calloc(pooled, sizeof(*rec->pools));
    rec->pool_items = calloc(pooled, sizeof(*rec->pool_items));
    rec->pool_probs = calloc(pooled, sizeof(*rec->pool_probs));
    if (!rec->co || !rec->cat || !rec->emb || !rec->mark || !rec->touched || !rec->pools ||
        !rec->pool_items || !rec->pool_probs) {
        rr_recommender_free(rec);
        return RR_E(NOMEM);
    }
    rec->items_max = items_max;
    return RR_OK;
}

rr_err_t rr_recommender_fork(const rr_recommender_t *base, rr_recommender_t *rec, void *opaque)
{
    rr_err_t err = rr_recommender_init(rec, base->items_max, &base->p);
    if (err) return err;
    rec->rerank = base->rerank;
    rec->retrieve = base->retrieve;
    rec->model_opaque = opaque;
    err = base->rank ? rr_rank_fork(base, rec, opaque) : RR_OK;
    if (err) rr_recommender_free(rec);
    return err;
}

void rr_recommender_free(rr_recommender_t *rec)
{
    rr_rank_free(rec);
    free(rec->co);
    free(rec->cat);
    free(rec->emb);
    free(rec->mark);
    free(rec->touched);
    free(rec->pools);
    free(rec->pool_items);
    free(rec->pool_probs);
    memset(rec, 0, sizeof(*rec));
}

/* Co-occurrence source; returns the largest summed count. */
static float add_cooc(rr_recommender_t *rec, const rr_cooc_t *co, const uint32_t *recent,
                      const float *w, size_t nrecent)
{
    float best = 0;
    for (size_t r = 0; r < nrecent; r++) {
        const rr_cooc_row_t *row = rr_cooc_row(co, recent[r]);
        if (!row) continue;
        for (uint32_t s = 0; s < row->cap; s++) {
            const rr_cooc_nb_t *nb = &row->slots[s];
            if (!nb->item) continue;
            uint32_t item = nb->item - 1;
            rr_rec_touch(rec, item);
            rec->co[item] += w[r] * (float)nb->count;
            if (rec->co[item] > best) best = rec->co[item];
        }
    }
    return best;
}

/* The recent item with the largest count toward `item`: what a co-occurrence reason names. */
static uint32_t strongest_source(const rr_cooc_t *co, const uint32_t *recent, size_t nrecent,
                                 uint32_t item)
{
    if (nrecent == 0) return RR_INTERN_NONE;
    uint32_t best = recent[nrecent - 1], best_count = 0;
    for (size_t r = 0; r < nrecent; r++) {
        uint32_t c = rr_cooc_get(co, recent[r], item);
        if (c > best_count || (c == best_count && c > 0)) {
            best = recent[r];
            best_count = c;
        }
    }
    return best;
}

static int category_full(const rr_recommender_t *rec, const rr_store_t *st,
                         const rr_list_entry_t *list, size_t n, uint32_t item)
{
    uint32_t cat = st->item[item].category;
    if (!rec->p.category_cap || cat == RR_INTERN_NONE) return 0;
    uint32_t same = 0;
    for (size_t i = 0; i < n; i++) same += st->item[list[i].item].category == cat;
    return same >= rec->p.category_cap;
}

/* Adds the model's probability probs[i] to each pooled candidate and restores the order. */
static void rerank_pool(const rr_recommender_t *rec, rr_list_entry_t *pool, size_t npool,
                        const float *probs)
{
    rr_list_entry_t sorted[RR_RECOMMEND_POOL_MAX];
    size_t n = 0;
    for (size_t i = 0; i < npool; i++) {
        rr_list_entry_t e = pool[i];
        float m = rec->p.w_model * probs[i];
        if (m > e.score) { /* the model outweighs every other source together */
            e.reason = RR_REASON_MODEL;
            rr_list_set_strength(&e, probs[i]);
        }
        e.score += m;
        n = rr_rec_list_insert(sorted, n, RR_RECOMMEND_POOL_MAX, e);
    }
    memcpy(pool, sorted, n * sizeof(*pool));
}

/* The touched candidates by blended score, best first, into pool; returns the count. */
static size_t fill_pool(rr_recommender_t *rec, const rr_store_t *st, const rr_trending_t *tr,
                        uint32_t uid, float co_max, rr_list_entry_t *pool)
{
    uint32_t top1;
    float tr_max = 0;
    if (rr_trending_top(tr, &top1, &tr_max, 1) == 0) tr_max = 0;
    size_t cap = pool_cap(rec), npool = 0;
    for (size_t i = 0; i < rec->ntouched; i++) {
        uint32_t item = rec->touched[i];
        float c, g, t, r;
        float score = rr_rec_blend_parts(rec, tr, item, co_max, tr_max, &c, &g, &t, &r);
        /* Most candidates lose to a full pool's last entry: skip their exclusion lookups. */
        if (npool == cap && !rr_rec_before(score, item, &pool[npool - 1])) continue;
        if (rr_rec_excluded(st, uid, item)) continue;
        npool =
            rr_rec_list_insert(pool, npool, cap, rr_rec_blend(rec, st, tr, item, co_max, tr_max));
    }
    return npool;
}

size_t rr_recommend_pool(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                         const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                         rr_list_entry_t *pool)
{
    if (rr_rank_active(rec)) return rr_rank_pool(rec, st, co, tr, ct, uid, pool);
    uint32_t recent[MAX_RECENT], ids[RR_TRENDING_TOP];
    float w[MAX_RECENT];
    size_t nrecent = rr_store_recent(st, uid, recent);
    rr_rec_recency_weights(rec, nrecent, w);
    float co_max = add_cooc(rec, co, recent, w, nrecent);
    rr_rec_add_category(rec, st, tr, ct, recent, w, nrecent);
    if (rec->retrieve && rec->p.retrieve_k > 0) rr_rec_add_retrieved(rec, uid);
    size_t ntop = rr_trending_top(tr, ids, NULL, RR_TRENDING_TOP);
    for (size_t i = 0; i < ntop; i++) rr_rec_touch(rec, ids[i]);
    size_t npool = fill_pool(rec, st, tr, uid, co_max, pool);
    rr_rec_reset(rec);
    return npool;
}

/* Search source: the items whose text matches at least RR_SEARCH_MIN_MATCH of the user's
 * search intent (rr_textidx.h; it fades with the user's own event time) lead the list, best
 * match first, above everything in the pool (top: the pool's best score). A title is enough:
 * an item nobody has touched yet is found too. Returns how many were put in list. */
static size_t add_search(const rr_recommender_t *rec, const rr_store_t *st, uint32_t uid, float top,
                         rr_list_entry_t *list)
{
    uint32_t hash[RR_TEXT_TERMS], ids[RR_TEXT_TERMS * RR_TEXT_BUCKET];
    float w[RR_TEXT_TERMS], scores[RR_TEXT_TERMS * RR_TEXT_BUCKET];
    if (!st->text) return 0;
    size_t nt = rr_text_intent(st->text, uid, st->user[uid].last_ts_ms, hash, w, NULL);
    size_t m =
        nt ? rr_text_lookup(st->text, hash, w, nt, ids, scores, RR_TEXT_TERMS * RR_TEXT_BUCKET) : 0;
    size_t cap = rec->p.n < RR_SEARCH_SLOTS ? rec->p.n : RR_SEARCH_SLOTS, n = 0;
    if (top < 0) top = 0;
    for (size_t i = 0; i < m; i++) {
        if (scores[i] < RR_SEARCH_MIN_MATCH || ids[i] >= st->items_max ||
            rr_rec_excluded(st, uid, ids[i]))
            continue;
        rr_list_entry_t e = rr_list_entry(ids[i], top + scores[i], RR_REASON_SEARCH);
        rr_list_set_strength(&e, scores[i]);
        n = rr_rec_list_insert(list, n, cap, e);
    }
    return n;
}

static int in_tokens(const uint32_t *tok, size_t n, uint32_t hash)
{
    for (size_t k = 0; k < n && tok[k]; k++)
        if (tok[k] == hash) return 1;
    return 0;
}

static int in_list(const rr_list_entry_t *list, size_t n, uint32_t item)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].item == item) return 1;
    return 0;
}

/* Distinct tokens of item found among the RR_TEXT_NEW_RECENT newest recent items' tokens. */
static uint32_t shared_with(const rr_text_table_t *tt, uint32_t item, const uint32_t *recent,
                            size_t nrecent)
{
    const uint32_t *tok = rr_text_item_tokens(tt, item);
    uint32_t shared = 0;
    for (int k = 0; k < RR_TEXT_ITEM_TOKENS && tok[k]; k++) {
        int found = 0;
        for (size_t r = nrecent; r-- > 0 && r + RR_TEXT_NEW_RECENT >= nrecent && !found;)
            found = in_tokens(rr_text_item_tokens(tt, recent[r]), RR_TEXT_ITEM_TOKENS, tok[k]);
        shared += (uint32_t)found;
    }
    return shared;
}

/* The recent item (of the RR_TEXT_NEW_RECENT newest) sharing the most tokens with item (the
 * newest on ties). */
static uint32_t text_source(const rr_store_t *st, const uint32_t *recent, size_t nrecent,
                            uint32_t item)
{
    uint32_t best = RR_INTERN_NONE, best_n = 0;
    for (size_t r = nrecent; r-- > 0 && r + RR_TEXT_NEW_RECENT >= nrecent;) {
        uint32_t shared = shared_with(st->text, item, &recent[r], 1);
        if (shared > best_n) best = recent[r], best_n = shared;
    }
    return best;
}

/* Text source: the last place of the list (n of them filled) goes to the item nobody has touched
 * yet, listed in the catalog while events flowed and at most RR_TEXT_NEW_WITHIN_MS ago, whose
 * text shares the most tokens (at least RR_TEXT_NEW_MIN) with the user's latest items: a new
 * item with a title is shown before its first interaction. A catalog that was there before the
 * stream (a shop's whole range, MovieLens' films) is not new: giving its untouched items the
 * place cost 5% of HR@10 on ml-100k. Returns the length. */
static size_t add_new_by_text(const rr_recommender_t *rec, const rr_store_t *st, uint32_t uid,
                              const uint32_t *recent, size_t nrecent, rr_list_entry_t *list,
                              size_t n)
{
    const rr_text_table_t *tt = st->text;
    uint32_t best = RR_INTERN_NONE, best_shared = 0;
    int64_t now_ms = st->user[uid].last_ts_ms;
    if (!tt || rec->p.n == 0) return n;
    /* Every bucket entry of the latest items' tokens; most items have interactions and cost one
     * load. An item met twice is counted twice the same: the maximum does not change. */
    for (size_t r = nrecent; r-- > 0 && r + RR_TEXT_NEW_RECENT >= nrecent;) {
        const uint32_t *tok = rr_text_item_tokens(tt, recent[r]);
        for (int k = 0; k < RR_TEXT_ITEM_TOKENS && tok[k]; k++) {
            const uint32_t *slots = &tt->bucket[(tok[k] & (tt->nbuckets - 1)) * RR_TEXT_BUCKET];
            for (int b = 0; b < RR_TEXT_BUCKET; b++) {
                uint32_t item = slots[b] - 1;
                if (!slots[b] || item >= st->items_max || st->item[item].interactions ||
                    !rr_text_item_is_new(tt, item, now_ms, RR_TEXT_NEW_WITHIN_MS))
                    continue;
                uint32_t shared = shared_with(tt, item, recent, nrecent);
                if (shared < RR_TEXT_NEW_MIN || shared < best_shared ||
                    (shared == best_shared && item >= best))
                    continue;
                if (rr_rec_excluded(st, uid, item) || in_list(list, n, item)) continue;
                best = item, best_shared = shared;
            }
        }
    }
    if (best == RR_INTERN_NONE) return n;
    size_t at = n < rec->p.n ? n : n - 1;
    if (at < n && list[at].reason == RR_REASON_SEARCH) return n; /* a short list of searches */
    float below = at ? list[at - 1].score : 0;
    rr_list_entry_t e = rr_list_entry(best, at ? nextafterf(below, -INFINITY) : 0, RR_REASON_TEXT);
    rr_list_set_because(&e, text_source(st, recent, nrecent, best));
    list[at] = e;
    return at + 1;
}

size_t rr_recommend_finish(rr_recommender_t *rec, rr_store_t *st, const rr_cooc_t *co, uint32_t uid,
                           rr_list_entry_t *pool, size_t npool, const float *probs)
{
    uint32_t recent[MAX_RECENT];
    size_t nrecent = rr_store_recent(st, uid, recent);
    rr_list_entry_t *list = rr_store_list(st, uid);
    if (probs && rec->p.w_model > 0 && npool > 0) rerank_pool(rec, pool, npool, probs);
    size_t nsearch = add_search(rec, st, uid, npool ? pool[0].score : 0, list), n = nsearch;
    for (size_t i = 0; i < npool && n < rec->p.n; i++) {
        if (in_list(list, nsearch, pool[i].item)) continue;
        if (category_full(rec, st, list, n, pool[i].item)) continue;
        if (pool[i].reason == RR_REASON_COOC)
            rr_list_set_because(&pool[i], strongest_source(co, recent, nrecent, pool[i].item));
        list[n++] = pool[i];
    }
    n = add_new_by_text(rec, st, uid, recent, nrecent, list, n);
    st->user[uid].nlist = (uint8_t)n;
    return n;
}

size_t rr_recommend_user(rr_recommender_t *rec, rr_store_t *st, const rr_cooc_t *co,
                         const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid)
{
    rr_list_entry_t pool[RR_RECOMMEND_POOL_MAX];
    uint32_t ids[RR_RECOMMEND_POOL_MAX];
    float probs[RR_RECOMMEND_POOL_MAX];
    size_t npool = rr_recommend_pool(rec, st, co, tr, ct, uid, pool);
    int rerank = rec->rerank && !rr_rank_active(rec) && rec->p.w_model > 0 && npool > 0;
    if (rerank) {
        for (size_t i = 0; i < npool; i++) ids[i] = pool[i].item;
        rec->rerank(rec->model_opaque, uid, ids, npool, probs);
    }
    return rr_recommend_finish(rec, st, co, uid, pool, npool, rerank ? probs : NULL);
}

void rr_recommend_batch(rr_recommender_t *rec, rr_store_t *st, const rr_cooc_t *co,
                        const rr_trending_t *tr, const rr_cattop_t *ct, const uint32_t *uids,
                        size_t n, rr_rerank_batch_fn rerank_batch, void *opaque)
{
    size_t cap = pool_cap(rec), first[RR_RECOMMEND_BATCH + 1];
    for (size_t at = 0; at < n; at += RR_RECOMMEND_BATCH) {
        size_t m = n - at < RR_RECOMMEND_BATCH ? n - at : RR_RECOMMEND_BATCH;
        size_t npool[RR_RECOMMEND_BATCH];
        first[0] = 0;
        for (size_t u = 0; u < m; u++) {
            rr_list_entry_t *pool = rec->pools + u * cap;
            npool[u] = rr_recommend_pool(rec, st, co, tr, ct, uids[at + u], pool);
            for (size_t i = 0; i < npool[u]; i++) rec->pool_items[first[u] + i] = pool[i].item;
            first[u + 1] = first[u] + npool[u];
        }
        int rerank = rerank_batch && !rr_rank_active(rec) && rec->p.w_model > 0 && first[m] > 0;
        if (rerank) rerank_batch(opaque, uids + at, m, rec->pool_items, first, rec->pool_probs);
        for (size_t u = 0; u < m; u++)
            rr_recommend_finish(rec, st, co, uids[at + u], rec->pools + u * cap, npool[u],
                                rerank ? rec->pool_probs + first[u] : NULL);
    }
}

/* The blend's score of the caller's items: the sources as rr_recommend_pool gathers them, then
 * the re-ranker's part as rerank_pool adds it. */
static void score_blend(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                        const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                        const uint32_t *items, size_t n, rr_list_entry_t *out)
{
    uint32_t recent[MAX_RECENT], top1;
    float w[MAX_RECENT], tr_max = 0;
    size_t nrecent = rr_store_recent(st, uid, recent);
    rr_rec_recency_weights(rec, nrecent, w);
    float co_max = add_cooc(rec, co, recent, w, nrecent);
    rr_rec_add_category(rec, st, tr, ct, recent, w, nrecent);
    if (rec->retrieve && rec->p.retrieve_k > 0) rr_rec_add_retrieved(rec, uid);
    if (rr_trending_top(tr, &top1, &tr_max, 1) == 0) tr_max = 0;
    for (size_t i = 0; i < n; i++) out[i] = rr_rec_blend(rec, st, tr, items[i], co_max, tr_max);
    rr_rec_reset(rec);
    if (!rec->rerank || rec->p.w_model <= 0) return;
    float probs[RR_RECOMMEND_POOL_MAX];
    for (size_t at = 0; at < n; at += RR_RECOMMEND_POOL_MAX) {
        size_t m = n - at < RR_RECOMMEND_POOL_MAX ? n - at : RR_RECOMMEND_POOL_MAX;
        rec->rerank(rec->model_opaque, uid, items + at, m, probs);
        for (size_t i = 0; i < m; i++) {
            rr_list_entry_t *e = &out[at + i];
            float part = rec->p.w_model * probs[i];
            if (part > e->score) {
                e->reason = RR_REASON_MODEL;
                rr_list_set_strength(e, probs[i]);
            }
            e->score += part;
        }
    }
}

/* For nobody in particular: the trending share, ties broken by interactions so far. */
static void score_anonymous(const rr_store_t *st, const rr_trending_t *tr, const uint32_t *items,
                            size_t n, rr_list_entry_t *out)
{
    uint32_t top1;
    float tr_max = 0;
    if (rr_trending_top(tr, &top1, &tr_max, 1) == 0) tr_max = 0;
    for (size_t i = 0; i < n; i++) {
        float t = tr_max > 0 ? (float)rr_trending_score(tr, items[i]) / tr_max : 0;
        float pop = 1e-4f * log1pf((float)st->item[items[i]].interactions);
        out[i] = rr_list_entry(items[i], t + pop, t > 0 ? RR_REASON_TRENDING : RR_REASON_NONE);
    }
}

/* The caller's query: each item's score times (1 + the share of the query's terms its text
 * carries), so among items the user is equally likely to take, the closer match leads, and a
 * full match can at most double a score (the person behind the query still orders the page);
 * a millionth of the match breaks ties between items with no signal at all (untouched ones).
 * An item with no reason of its own that matches at least RR_SEARCH_MIN_MATCH says so. */
static void apply_intent(const rr_store_t *st, const char *intent, size_t n, rr_list_entry_t *out)
{
    uint32_t hash[RR_TEXT_TERMS];
    float w[RR_TEXT_TERMS];
    size_t nt = intent && st->text ? rr_text_query_terms(intent, hash, w) : 0;
    for (size_t i = 0; nt && i < n; i++) {
        float m = rr_text_match(st->text, out[i].item, hash, w, nt);
        out[i].score = out[i].score * (1.0f + m) + 1e-6f * m;
        if (m >= RR_SEARCH_MIN_MATCH && out[i].reason == RR_REASON_NONE)
            out[i].reason = RR_REASON_SEARCH;
    }
}

void rr_recommend_score(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                        const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                        const uint32_t *items, size_t n, const char *intent, rr_list_entry_t *out)
{
    if (uid == RR_INTERN_NONE) {
        score_anonymous(st, tr, items, n, out);
        apply_intent(st, intent, n, out);
        return;
    }
    if (rr_rank_active(rec))
        rr_rank_score(rec, st, co, tr, ct, uid, items, n, out);
    else
        score_blend(rec, st, co, tr, ct, uid, items, n, out);
    uint32_t recent[MAX_RECENT];
    size_t nrecent = rr_store_recent(st, uid, recent);
    for (size_t i = 0; i < n; i++)
        if (out[i].reason == RR_REASON_COOC)
            rr_list_set_because(&out[i], strongest_source(co, recent, nrecent, out[i].item));
    apply_intent(st, intent, n, out);
}

const char *rr_reason_tag(rr_reason_t reason)
{
    switch (reason) {
    case RR_REASON_COOC: return "cooccurrence";
    case RR_REASON_TRENDING: return "trending";
    case RR_REASON_CATEGORY: return "category";
    case RR_REASON_MODEL: return "model";
    case RR_REASON_SEARCH: return "search";
    case RR_REASON_TEXT: return "text";
    case RR_REASON_NONE: break;
    }
    return "none";
}

void rr_recommend_reason(const rr_store_t *st, const rr_list_entry_t *e, char *buf, size_t cap)
{
    const char *src;
    char strength[16];
    rr_list_strength_text(e, strength, sizeof(strength));
    switch ((rr_reason_t)e->reason) {
    case RR_REASON_COOC:
        src = rr_intern_key(&st->items, rr_list_because(e));
        snprintf(buf, cap, "similar to item %s", src ? src : "?");
        break;
    case RR_REASON_CATEGORY:
        src = rr_intern_key(&st->categories, rr_list_because(e));
        snprintf(buf, cap, "category %s affinity %s", src ? src : "?", strength);
        break;
    case RR_REASON_TRENDING: snprintf(buf, cap, "trending"); break;
    case RR_REASON_MODEL: snprintf(buf, cap, "picked for you (model %s)", strength); break;
    case RR_REASON_SEARCH: snprintf(buf, cap, "matches your search"); break;
    case RR_REASON_TEXT:
        src = rr_intern_key(&st->items, rr_list_because(e));
        snprintf(buf, cap, "new, like item %s", src ? src : "?");
        break;
    default: snprintf(buf, cap, "%s", rr_reason_tag((rr_reason_t)e->reason)); break;
    }
}

void rr_recommend_reason_user(const rr_store_t *st, uint32_t uid, const rr_list_entry_t *e,
                              char *buf, size_t cap)
{
    const char *query = st->text ? rr_text_last_query(st->text, uid) : "";
    if (e->reason == RR_REASON_SEARCH && query[0])
        snprintf(buf, cap, "matches your search \"%s\"", query);
    else
        rr_recommend_reason(st, e, buf, cap);
}
