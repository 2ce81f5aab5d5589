/* rr_recommend.c — item-kNN + trending top-N with rules and reasons; see rr_recommend.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_recommend.h"

rr_err_t rr_recommender_init(rr_recommender_t *rec, size_t items_max, uint32_t n,
                             uint32_t category_cap)
{
    memset(rec, 0, sizeof(*rec));
    rec->acc = calloc(items_max, sizeof(*rec->acc));
    rec->touched = calloc(items_max, sizeof(*rec->touched));
    if (!rec->acc || !rec->touched) {
        rr_recommender_free(rec);
        return RR_E(NOMEM);
    }
    rec->items_max = items_max;
    rec->n = n;
    rec->category_cap = category_cap;
    return RR_OK;
}

void rr_recommender_free(rr_recommender_t *rec)
{
    free(rec->acc);
    free(rec->touched);
    memset(rec, 0, sizeof(*rec));
}

static void accumulate(rr_recommender_t *rec, const rr_cooc_t *co, const uint32_t *recent,
                       size_t nrecent)
{
    for (size_t r = 0; r < nrecent; r++) {
        const rr_cooc_row_t *row = rr_cooc_row(co, recent[r]);
        if (!row) continue;
        for (uint32_t s = 0; s < row->cap; s++) {
            const rr_cooc_nb_t *nb = &row->slots[s];
            if (!nb->item) continue;
            uint32_t item = nb->item - 1;
            if (rec->acc[item] == 0) rec->touched[rec->ntouched++] = item;
            rec->acc[item] += (float)nb->count;
        }
    }
}

static int excluded(const rr_store_t *st, uint32_t uid, uint32_t item)
{
    return !st->item[item].available || rr_store_has_bought(st, uid, item) ||
           rr_store_is_recent(st, uid, item);
}

static int list_has(const rr_list_entry_t *list, size_t n, uint32_t item)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].item == item) return 1;
    return 0;
}

static int category_full(const rr_recommender_t *rec, const rr_store_t *st,
                         const rr_list_entry_t *list, size_t n, uint32_t item)
{
    uint32_t cat = st->item[item].category;
    if (!rec->category_cap || cat == RR_INTERN_NONE) return 0;
    uint32_t same = 0;
    for (size_t i = 0; i < n; i++) same += st->item[list[i].item].category == cat;
    return same >= rec->category_cap;
}

/* Inserts into a list kept sorted by score (ties: lower id first); drops the tail at cap. */
static size_t list_insert(rr_list_entry_t *list, size_t n, size_t cap, rr_list_entry_t e)
{
    size_t pos = n;
    while (pos > 0 && (list[pos - 1].score < e.score ||
                       (list[pos - 1].score == e.score && list[pos - 1].item > e.item)))
        pos--;
    if (pos >= cap) return n;
    size_t moved = (n < cap ? n : cap - 1) - pos;
    memmove(&list[pos + 1], &list[pos], moved * sizeof(*list));
    list[pos] = e;
    return n < cap ? n + 1 : n;
}

/* The recent item with the largest count toward `item`: what the reason names. */
static uint32_t strongest_source(const rr_cooc_t *co, const uint32_t *recent, size_t nrecent,
                                 uint32_t item)
{
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

static size_t pick_cooc(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                        uint32_t uid, const uint32_t *recent, size_t nrecent, rr_list_entry_t *list)
{
    size_t n = 0;
    /* A candidate pool of 4n keeps the category cap able to skip without rescanning. */
    size_t pool = (size_t)rec->n * 4;
    rr_list_entry_t best[400];
    if (pool > sizeof(best) / sizeof(best[0])) pool = sizeof(best) / sizeof(best[0]);
    size_t nbest = 0;
    for (size_t i = 0; i < rec->ntouched; i++) {
        uint32_t item = rec->touched[i];
        if (excluded(st, uid, item)) continue;
        rr_list_entry_t e = {item, rec->acc[item], 0, RR_REASON_COOC};
        nbest = list_insert(best, nbest, pool, e);
    }
    for (size_t i = 0; i < nbest && n < rec->n; i++) {
        if (category_full(rec, st, list, n, best[i].item)) continue;
        best[i].because = strongest_source(co, recent, nrecent, best[i].item);
        list[n++] = best[i];
    }
    return n;
}

static size_t fill_trending(const rr_recommender_t *rec, const rr_store_t *st,
                            const rr_trending_t *tr, uint32_t uid, rr_list_entry_t *list, size_t n)
{
    uint32_t ids[RR_TRENDING_TOP];
    float scores[RR_TRENDING_TOP];
    size_t k = rr_trending_top(tr, ids, scores, RR_TRENDING_TOP);
    for (size_t i = 0; i < k && n < rec->n; i++) {
        if (excluded(st, uid, ids[i]) || list_has(list, n, ids[i])) continue;
        if (category_full(rec, st, list, n, ids[i])) continue;
        list[n++] = (rr_list_entry_t){ids[i], scores[i], 0, RR_REASON_TRENDING};
    }
    return n;
}

size_t rr_recommend_user(rr_recommender_t *rec, rr_store_t *st, const rr_cooc_t *co,
                         const rr_trending_t *tr, uint32_t uid)
{
    uint32_t recent[64];
    size_t nrecent = rr_store_recent(st, uid, recent);
    rr_list_entry_t *list = rr_store_list(st, uid);
    accumulate(rec, co, recent, nrecent);
    size_t n = nrecent ? pick_cooc(rec, st, co, uid, recent, nrecent, list) : 0;
    for (size_t i = 0; i < rec->ntouched; i++) rec->acc[rec->touched[i]] = 0;
    rec->ntouched = 0;
    n = fill_trending(rec, st, tr, uid, list, n);
    st->user[uid].nlist = (uint8_t)n;
    return n;
}

const char *rr_reason_tag(rr_reason_t reason)
{
    switch (reason) {
    case RR_REASON_COOC:
        return "cooccurrence";
    case RR_REASON_TRENDING:
        return "trending";
    case RR_REASON_CATEGORY:
        return "category";
    case RR_REASON_MODEL:
        return "model";
    case RR_REASON_NONE:
        break;
    }
    return "none";
}

void rr_recommend_reason(const rr_store_t *st, const rr_list_entry_t *e, char *buf, size_t cap)
{
    const char *src;
    switch ((rr_reason_t)e->reason) {
    case RR_REASON_COOC:
        src = rr_intern_key(&st->items, e->because);
        snprintf(buf, cap, "similar to item %s", src ? src : "?");
        break;
    case RR_REASON_CATEGORY:
        src = rr_intern_key(&st->categories, e->because);
        snprintf(buf, cap, "category %s affinity %.2f", src ? src : "?", e->score);
        break;
    case RR_REASON_TRENDING:
        snprintf(buf, cap, "trending");
        break;
    default:
        snprintf(buf, cap, "%s", rr_reason_tag((rr_reason_t)e->reason));
        break;
    }
}
