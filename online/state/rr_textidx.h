/* rr_textidx.h — what the engine holds of text: each item's token ids (title, tags, category
 * path; rr_text.h), an inverted index from token to the items that carry it, and each user's
 * search intent: a small top-K of hashed query terms with weights that halve every
 * RR_TEXT_HALF_LIFE_S of event time, and the last query's text (for reasons). Token ids only,
 * never strings, per item. Intent lives in a fixed table of RR_TEXT_USERS_MAX slots found by
 * user id (no bytes per user slot: most users never search); a searcher who finds the slots
 * of its probe window taken replaces the one whose latest search is oldest. Fixed arrays
 * calloc'd at init, so updates never allocate. Owned by the pipeline, single-threaded. */
#ifndef RR_TEXTIDX_H
#define RR_TEXTIDX_H

#include <stddef.h>
#include <stdint.h>
#include "rr_event.h"
#include "rr_text.h"

#define RR_TEXT_ITEM_TOKENS 12     /* token ids kept per item (the first ones of its text) */
#define RR_TEXT_TERMS       8      /* search terms kept per user */
#define RR_TEXT_QUERY_MAX   48     /* bytes of the last query kept for the reason text */
#define RR_TEXT_BUCKET      8      /* items per index bucket: the latest indexed win */
#define RR_TEXT_HALF_LIFE_S 1800.0 /* search intent halves every 30 min of event time */
#define RR_TEXT_ACTIVE_W    0.25f  /* a term weighs at least this to count as intent */
#define RR_TEXT_USERS_MAX   65536  /* intent slots (fewer when users.max is lower) */
#define RR_TEXT_PROBE       16     /* slots a user id may occupy: its hash's and the next 15 */

/* A user's search intent, 256 bytes. Weights are as of ts_ms (decay is applied on read). */
typedef struct rr_text_user_s {
    int64_t ts_ms; /* event time of the latest search (0 = none) */
    uint32_t uid1; /* the user id + 1; 0 = a free slot */
    uint32_t hash[RR_TEXT_TERMS];
    float w[RR_TEXT_TERMS];
    char term[RR_TEXT_TERMS][RR_TEXT_TOKEN_MAX];
    char query[RR_TEXT_QUERY_MAX];
} rr_text_user_t;

typedef struct rr_text_table_s {
    uint32_t *item_tok;   /* [items_max][RR_TEXT_ITEM_TOKENS], 0-terminated */
    int64_t *listed_ms;   /* [items_max]: event time of the item's first catalog update; -1 if
                           * it came before any event, 0 if none came (rr_text_item_listed) */
    uint32_t *bucket;     /* [nbuckets][RR_TEXT_BUCKET]: item id + 1, 0 = free */
    uint8_t *head;        /* [nbuckets]: the slot the next item overwrites */
    rr_text_user_t *user; /* [nslots]: intent slots, by user id hash */
    size_t nbuckets;      /* a power of two */
    size_t nslots;        /* a power of two */
    size_t users_max, items_max;
} rr_text_table_t;

rr_err_t rr_text_init(rr_text_table_t *tt, size_t users_max, size_t items_max);
void rr_text_free(rr_text_table_t *tt);

/* Tokens of a catalog update (title, tags, category path) replace item iid's and are indexed;
 * an update with none of the three (an availability or price change) keeps the old ones. */
void rr_text_item_set(rr_text_table_t *tt, uint32_t iid, const rr_item_msg_t *msg);
/* The item's token ids (0-terminated when fewer than RR_TEXT_ITEM_TOKENS). */
static inline const uint32_t *rr_text_item_tokens(const rr_text_table_t *tt, uint32_t iid)
{
    return &tt->item_tok[(size_t)iid * RR_TEXT_ITEM_TOKENS];
}
/* Notes the first catalog update of item iid, at now_ms (the latest event time seen; 0 before
 * any event). Later updates keep it. */
void rr_text_item_listed(rr_text_table_t *tt, uint32_t iid, int64_t now_ms);
/* 1 if item iid was first listed while events were flowing, at most within_ms before now_ms:
 * a new arrival, as opposed to a catalog that was there when the stream began. */
int rr_text_item_is_new(const rr_text_table_t *tt, uint32_t iid, int64_t now_ms, int64_t within_ms);
/* Adds token hash of item iid to the index (rr_text_item_set does; a checkpoint load too). */
void rr_text_index_add(rr_text_table_t *tt, uint32_t hash, uint32_t iid);

/* A search by user uid at event time ts_ms: the weights decay to ts_ms, each of the query's
 * tokens adds 1 (the lightest terms make room), and the query's text is kept. */
void rr_text_search(rr_text_table_t *tt, uint32_t uid, const char *query, int64_t ts_ms);
void rr_text_user_forget(rr_text_table_t *tt, uint32_t uid);
/* The user's intent slot, NULL if it holds none. */
const rr_text_user_t *rr_text_user_find(const rr_text_table_t *tt, uint32_t uid);
/* The user's slot, claimed (a free one, else the stalest of its window, cleared) if needed;
 * NULL for a uid past users_max. For loading a snapshot's users. */
rr_text_user_t *rr_text_user_claim(rr_text_table_t *tt, uint32_t uid);
/* The user's last query ("" if none). */
const char *rr_text_last_query(const rr_text_table_t *tt, uint32_t uid);
/* The user's terms with their weights decayed to now_ms, heaviest first, those under
 * RR_TEXT_ACTIVE_W left out; returns the count (<= RR_TEXT_TERMS). idx (may be NULL) gets
 * each term's slot in the user's record. */
size_t rr_text_intent(const rr_text_table_t *tt, uint32_t uid, int64_t now_ms, uint32_t *hash,
                      float *w, int *idx);

/* A query's terms with weight 1 each, for rr_text_match (at most RR_TEXT_TERMS): how a caller
 * with a query string in hand (the ranking API) scores candidates against it. */
size_t rr_text_query_terms(const char *query, uint32_t hash[RR_TEXT_TERMS], float w[RR_TEXT_TERMS]);
/* Share of the weights w[0..n) of terms hash[0..n) that item iid's text carries, in [0, 1]. */
float rr_text_match(const rr_text_table_t *tt, uint32_t iid, const uint32_t *hash, const float *w,
                    size_t n);
/* The items the index holds for any of the n terms, with rr_text_match > 0, into ids/scores
 * (distinct, unordered, at most cap; cap >= n * RR_TEXT_BUCKET finds them all). Returns count. */
size_t rr_text_lookup(const rr_text_table_t *tt, const uint32_t *hash, const float *w, size_t n,
                      uint32_t *ids, float *scores, size_t cap);

/* "running:0.91,shoes:0.91" — the user's active terms at now_ms into buf. */
void rr_text_terms_text(const rr_text_table_t *tt, uint32_t uid, int64_t now_ms, char *buf,
                        size_t cap);

#endif
