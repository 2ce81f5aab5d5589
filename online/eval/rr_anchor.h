/* rr_anchor.h — the strong streaming anchors `rtrec eval` reports next to rtrec (the shared data
 * README, "Stronger streaming anchors"): trend[h], V-SKNN, iknn_cos, cat_trend[h] and ISGD.
 * Each one is tested, then trained, on the stream rtrec sees: *_top() gives a user's list before
 * an event, *_observe() learns the event after every method has been scored on it. A list
 * leaves out what skip() accepts (the user's own items), holds only items already observed, and
 * ranks ties by the lower id: ids are dense in stream order, so the lower id is the item first
 * seen earlier. Objects are opaque: _new sizes them for ids below the bounds it is given,
 * borrows the objects it is handed (they must outlive it), and _free releases it (NULL is a
 * no-op). No _top() allocates. */
#ifndef RR_ANCHOR_H
#define RR_ANCHOR_H

#include <stddef.h>
#include <stdint.h>
#include "rr_baseline.h"

#define RR_ANCHOR_WINDOW 20         /* a user's "session": their last 20 interactions */
#define RR_ANCHOR_NO_CAT UINT32_MAX /* the event carries no category */

/* One interaction as the anchors see it. Events come in non-decreasing ts_ms. */
typedef struct rr_anchor_ev_s {
    uint32_t user, item; /* dense ids */
    uint32_t category;   /* dense id, or RR_ANCHOR_NO_CAT */
    int64_t ts_ms;
    int first_touch; /* the user had never interacted with this item before */
} rr_anchor_ev_t;

/* ---- What building a list shares ---- */

/* Skips what the caller's skip does and the nlisted items already listed: filling a list up. */
typedef struct rr_anchor_fill_s {
    rr_baseline_skip_fn skip;
    const void *opaque;
    const uint32_t *listed;
    size_t nlisted;
} rr_anchor_fill_t;
int rr_anchor_fill_skip(const void *fill, uint32_t item);

/* The k best of the n ids by score (higher, then the lower id) that skip() does not pass over,
 * best first, into out. Returns the count written. */
size_t rr_anchor_select(const double *score, const uint32_t *ids, size_t n, uint32_t *out, size_t k,
                        rr_baseline_skip_fn skip, const void *opaque);

/* ---- What several anchors read: each user's recent window, distinct items, last activity,
 * and each item's distinct users. ---- */
typedef struct rr_anchor_hist_s rr_anchor_hist_t;

rr_anchor_hist_t *rr_anchor_hist_new(size_t nusers, size_t nitems);
void rr_anchor_hist_free(rr_anchor_hist_t *hist);
rr_err_t rr_anchor_hist_observe(rr_anchor_hist_t *hist, const rr_anchor_ev_t *ev);
/* The user's last RR_ANCHOR_WINDOW interactions, oldest first, into items (and their event
 * categories into cats unless NULL). Returns the count. */
size_t rr_anchor_hist_recent(const rr_anchor_hist_t *hist, uint32_t user, uint32_t *items,
                             uint32_t *cats);
/* The user's distinct items in first-touch order; the item's distinct users likewise. */
const uint32_t *rr_anchor_hist_user_items(const rr_anchor_hist_t *hist, uint32_t user, size_t *n);
const uint32_t *rr_anchor_hist_item_users(const rr_anchor_hist_t *hist, uint32_t item, size_t *n);
/* 1 + the stream position of the user's latest event; 0 if none. Higher = more recently active. */
uint64_t rr_anchor_hist_last_seen(const rr_anchor_hist_t *hist, uint32_t user);

/* ---- trend[h]: score = sum over the item's past events of 2^(-dt/h), dt in event time. Kept
 * by forward decay (each event adds 2^((t - base)/h), the same factor scales every item) with
 * exact power-of-two rescales of base, so the rank order is the decayed one. ---- */
typedef struct rr_trend_s rr_trend_t;

rr_trend_t *rr_trend_new(size_t nitems, const int64_t *half_life_ms, size_t nh);
void rr_trend_free(rr_trend_t *trend);
rr_err_t rr_trend_observe(rr_trend_t *trend, const rr_anchor_ev_t *ev);
size_t rr_trend_top(rr_trend_t *trend, size_t h, uint32_t *out, size_t k, rr_baseline_skip_fn skip,
                    const void *opaque);
/* Half-life h's forward-decayed scores, [nitems]: proportional to trend[h] at any one time. */
const double *rr_trend_scores(const rr_trend_t *trend, size_t h);
/* Counts half-life h's rescales: when it moves, scores may have flushed to zero. */
uint64_t rr_trend_rescales(const rr_trend_t *trend, size_t h);
size_t rr_trend_count(const rr_trend_t *trend); /* half-lives */

/* ---- cat_trend[h]: within the user's 3 strongest recent categories (weight = sum of p/len
 * over the window, p = 1 oldest .. len newest), item score = weight x trend[h]; filled from
 * trend[h]. An item belongs to the category it was first observed with. ---- */
typedef struct rr_cattrend_s rr_cattrend_t;

rr_cattrend_t *rr_cattrend_new(size_t nitems, rr_trend_t *trend, const rr_anchor_hist_t *hist);
void rr_cattrend_free(rr_cattrend_t *ct);
/* Call after rr_trend_observe of the same event. */
rr_err_t rr_cattrend_observe(rr_cattrend_t *ct, const rr_anchor_ev_t *ev);
size_t rr_cattrend_top(rr_cattrend_t *ct, size_t h, uint32_t user, uint32_t *out, size_t k,
                       rr_baseline_skip_fn skip, const void *opaque);

/* ---- V-SKNN (Ludewig & Jannach 2018): the session is the user's window, weight p/len;
 * neighbours are the other users who touched a session item, the `sample` most recently active
 * kept; similarity = sum of the session weights of the items they touched; the k_nb most
 * similar (ties: the more recently active) add their similarity to each item they touched;
 * filled from popularity. Reads hist and pop, learns nothing itself. ---- */
#define RR_SKNN_SAMPLE 500 /* session-rec's defaults */
#define RR_SKNN_K      100
typedef struct rr_sknn_s rr_sknn_t;

rr_sknn_t *rr_sknn_new(size_t nusers, size_t nitems, size_t sample, size_t k_nb,
                       const rr_anchor_hist_t *hist, rr_pop_t *pop);
void rr_sknn_free(rr_sknn_t *sknn);
size_t rr_sknn_top(rr_sknn_t *sknn, uint32_t user, uint32_t *out, size_t k,
                   rr_baseline_skip_fn skip, const void *opaque);

/* ---- iknn_cos: the item-kNN co-occurrence counts c(i,j) of knn divided by sqrt(n_i n_j)
 * (n = distinct users so far); j scores sum over the window's items i of p/len x that cosine;
 * filled from popularity. Reads knn, hist and pop, learns nothing itself. ---- */
typedef struct rr_iknn_s rr_iknn_t;

rr_iknn_t *rr_iknn_new(size_t nitems, const rr_knn_t *knn, const rr_anchor_hist_t *hist,
                       rr_pop_t *pop);
void rr_iknn_free(rr_iknn_t *iknn);
size_t rr_iknn_top(rr_iknn_t *iknn, uint32_t user, uint32_t *out, size_t k,
                   rr_baseline_skip_fn skip, const void *opaque);

/* ---- ISGD (Vinagre, Jorge & Gama 2014): positive-only incremental matrix factorisation. A new
 * user's or item's factors are drawn from N(0, 0.1^2) (seeded, in stream order); each event
 * takes one SGD step on err = 1 - a_u.b_i, first a_u, then b_i with the updated a_u. A list
 * ranks every observed item by |1 - a_u.b_i|, smallest first. ---- */
#define RR_ISGD_FACTORS 10
#define RR_ISGD_LR      0.05f
#define RR_ISGD_L2      0.01f
typedef struct rr_isgd_s rr_isgd_t;

rr_isgd_t *rr_isgd_new(size_t nusers, size_t nitems, uint64_t seed);
void rr_isgd_free(rr_isgd_t *isgd);
rr_err_t rr_isgd_observe(rr_isgd_t *isgd, const rr_anchor_ev_t *ev);
size_t rr_isgd_top(rr_isgd_t *isgd, uint32_t user, uint32_t *out, size_t k,
                   rr_baseline_skip_fn skip, const void *opaque);

#endif
