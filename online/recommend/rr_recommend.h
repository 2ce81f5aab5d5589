/* rr_recommend.h — top-N from four candidate sources blended into one score:
 *   co-occurrence with the user's recent items (item-kNN, newer items weigh more),
 *   the user's category affinity × the category's popular items, embedding retrieval, trending;
 * score = cooc/max_cooc + w_category·affinity·popularity_share + w_trending·trend/max_trend
 *         + w_retrieve·(u·v)/max(u·v) for the learned embeddings' nearest items;
 * the best 4n by that score are re-ranked with + w_model·p(user, item) from the learned MLP.
 * Items whose text matches the user's recent searches (rr_textidx.h) take the first places; the
 * last place goes to an item nobody has touched yet whose text is like the user's latest items'.
 * Seen, bought and unavailable items are excluded; an optional cap per category; each entry
 * keeps the source that contributed most as its reason. Owns scratch sized for the catalog. */
#ifndef RR_RECOMMEND_H
#define RR_RECOMMEND_H

#include "rr_rec_sources.h"

#define RR_SEARCH_SLOTS       3    /* list places the search source may take, first */
#define RR_SEARCH_MIN_MATCH   0.5f /* share of the search intent an item's text must match */
#define RR_TEXT_NEW_RECENT    2    /* recent items whose tokens find new items by text */
#define RR_TEXT_NEW_MIN       2    /* tokens a new item must share with them */
#define RR_TEXT_NEW_WITHIN_MS (7LL * 86400 * 1000) /* listed this recently (event time) */

rr_err_t rr_recommender_init(rr_recommender_t *rec, size_t items_max, const rr_rec_params_t *p);
void rr_recommender_free(rr_recommender_t *rec);
/* A recommender for another thread refreshing lists beside base's: base's parameters and
 * callbacks (and its learned ranker's, if on), its own scratch, and opaque given to the
 * callbacks instead of base's. The sources are only read while lists are computed, so the two
 * may refresh different users at once while nothing changes the state. RR_ERR_NOMEM. */
rr_err_t rr_recommender_fork(const rr_recommender_t *base, rr_recommender_t *rec, void *opaque);
/* Recomputes user uid's list in the store. Returns its length. */
size_t rr_recommend_user(rr_recommender_t *rec, rr_store_t *st, const rr_cooc_t *co,
                         const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid);
/* Recomputes the lists of uids[0..n), re-ranking up to RR_RECOMMEND_BATCH users' candidates
 * with one rerank_batch call (NULL: no re-ranking) instead of one rec->rerank call each; each
 * list is what rr_recommend_user gives when the re-ranker gives the same probabilities. */
void rr_recommend_batch(rr_recommender_t *rec, rr_store_t *st, const rr_cooc_t *co,
                        const rr_trending_t *tr, const rr_cattop_t *ct, const uint32_t *uids,
                        size_t n, rr_rerank_batch_fn rerank_batch, void *opaque);
/* The two halves of rr_recommend_user. rr_recommend_pool: user uid's best 4n candidates by the
 * blended score, best first, into pool (RR_RECOMMEND_POOL_MAX entries); returns the count.
 * rr_recommend_finish: adds w_model·probs[i] to pool[i] (probs NULL: no re-ranking), applies
 * the rules and writes the list; returns its length. */
size_t rr_recommend_pool(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                         const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                         rr_list_entry_t *pool);
size_t rr_recommend_finish(rr_recommender_t *rec, rr_store_t *st, const rr_cooc_t *co, uint32_t uid,
                           rr_list_entry_t *pool, size_t npool, const float *probs);
/* Scores the caller's items[0..n) (catalog ids, repeats allowed) for user uid with the model
 * that orders the user's own list: the learned ranker's probability once it is active, else the
 * blended score plus w_model × the re-ranker's probability. out[i] is items[i]'s entry (score,
 * reason as a list would show it), in the caller's order. uid RR_INTERN_NONE (a user the engine
 * does not know): the non-personal signals alone, the trending share plus a small popularity
 * term. Seen, bought and unavailable items are scored like any other: the caller chose them.
 * intent is the caller's search text or NULL: a score is multiplied by 1 + the share of the
 * query's terms the item's title, tags and category carry (rr_text_match), so the closer match
 * leads among equally likely items. Uses rec's scratch: loop thread only. */
void rr_recommend_score(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                        const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                        const uint32_t *items, size_t n, const char *intent, rr_list_entry_t *out);
/* Readable reason of a list entry ("similar to item 123", "trending"). */
void rr_recommend_reason(const rr_store_t *st, const rr_list_entry_t *e, char *buf, size_t cap);
/* The same for user uid's own list: a search reason quotes the user's last query
 * ("matches your search \"running shoes\""). */
void rr_recommend_reason_user(const rr_store_t *st, uint32_t uid, const rr_list_entry_t *e,
                              char *buf, size_t cap);
const char *rr_reason_tag(rr_reason_t reason);

#endif
