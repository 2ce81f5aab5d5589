/* rr_store.h — every user's and item's live state: interned ids, per-user event counts,
 * recent and bought items, the current top-N list; per-item category, brand and price.
 * Per-id arrays are calloc'd for the configured caps at init (untouched pages cost nothing),
 * so updates never allocate. Owned by the engine (or by `rtrec eval`), single-threaded. */
#ifndef RR_STORE_H
#define RR_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "rr_event.h"
#include "rr_intern.h"

#define RR_BOUGHT_MAX 16 /* latest purchases kept per user, excluded from lists */
#define RR_SEEN_WORDS 8  /* 512-bit Bloom filter per user of every item touched (k = 2) */
#define RR_SHOWN_MAX  4  /* latest impressions (shown, not yet clicked) kept per user */

typedef enum {
    RR_REASON_NONE = 0,
    RR_REASON_COOC,     /* co-occurs with one of the user's recent items */
    RR_REASON_TRENDING, /* global decayed popularity */
    RR_REASON_CATEGORY, /* the user's category affinity */
    RR_REASON_MODEL,    /* learned embedding / MLP score */
} rr_reason_t;

typedef struct rr_list_entry_s {
    uint32_t item;
    float score;
    uint32_t because; /* COOC: the recent item that explains it; CATEGORY: category id */
    float strength;   /* of the reason: co-occurrence count, category affinity, trend score */
    uint8_t reason;   /* rr_reason_t */
} rr_list_entry_t;

typedef struct rr_user_s {
    int64_t first_ts_ms, last_ts_ms;
    int64_t trigger_ts_ms; /* event time of the event behind the current list */
    uint64_t dequeued_us;  /* monotonic time that event left the consumer (freshness) */
    int64_t produced_ms;   /* its Kafka message timestamp (end-to-end freshness) */
    uint32_t counts[RR_EV__COUNT];
    uint32_t nevents;
    uint32_t shown[RR_SHOWN_MAX]; /* impressions since the last interaction: negatives */
    int32_t partition;            /* input partition the user's events come from */
    uint32_t flood_sec;           /* event-time second of the rate window (low 32 bits) */
    uint16_t flood_n;             /* events in that second */
    uint8_t nrecent, recent_head, nbought, bought_head, nlist, nshown;
} rr_user_t;

typedef struct rr_item_s {
    uint32_t category; /* RR_INTERN_NONE if unknown */
    uint32_t brand;
    float price; /* 0 = unknown */
    uint32_t interactions;
    uint8_t available;
} rr_item_t;

typedef struct rr_store_s {
    rr_intern_t users, items, categories, brands;
    rr_user_t *user;        /* [users_max] */
    uint32_t *recent;       /* [users_max][nrecent_max], a ring per user */
    uint32_t *bought;       /* [users_max][RR_BOUGHT_MAX], a ring per user */
    uint64_t *seen;         /* [users_max][RR_SEEN_WORDS] Bloom filter of touched items */
    rr_list_entry_t *lists; /* [users_max][list_max] */
    rr_item_t *item;        /* [items_max] */
    size_t users_max, items_max;
    uint32_t nrecent_max, list_max;
} rr_store_t;

rr_err_t rr_store_init(rr_store_t *st, size_t users_max, size_t items_max, uint32_t nrecent,
                       uint32_t list_max);
void rr_store_free(rr_store_t *st);

/* Finds or creates the user / item of an event (item attributes from the event when given).
 * RR_ERR_FULL at the caps. */
rr_err_t rr_store_user(rr_store_t *st, const char *user_id, uint32_t *uid, int *is_new);
rr_err_t rr_store_item(rr_store_t *st, const rr_event_t *ev, uint32_t *iid);
/* Applies a catalog update. */
rr_err_t rr_store_item_update(rr_store_t *st, const rr_item_msg_t *msg, uint32_t *iid);

/* Records an interaction of uid with iid: counts, recency, recent ring, bought ring. */
void rr_store_touch(rr_store_t *st, uint32_t uid, uint32_t iid, const rr_event_t *ev);
/* The user's recent items, oldest first, into out (cap >= nrecent_max). Returns count. */
size_t rr_store_recent(const rr_store_t *st, uint32_t uid, uint32_t *out);
int rr_store_has_bought(const rr_store_t *st, uint32_t uid, uint32_t iid);
int rr_store_is_recent(const rr_store_t *st, uint32_t uid, uint32_t iid);
/* Probably touched by the user at some time (Bloom filter: no false negatives; false positives
 * grow with the user's history, ~3% at 50 items). Lists skip such items: a shop rarely wants
 * to show what was already seen, and memory stays fixed per user. */
int rr_store_has_seen(const rr_store_t *st, uint32_t uid, uint32_t iid);
static inline rr_list_entry_t *rr_store_list(const rr_store_t *st, uint32_t uid)
{
    return &st->lists[(size_t)uid * st->list_max];
}
/* An IMPRESSION: iid was shown to the user (the oldest of RR_SHOWN_MAX is dropped). */
void rr_store_shown(rr_store_t *st, uint32_t uid, uint32_t iid);
/* The impressions not interacted with since, other than iid, into out[RR_SHOWN_MAX]; then
 * forgets them (they have served as negatives once). Returns the count. */
size_t rr_store_take_shown(rr_store_t *st, uint32_t uid, uint32_t iid, uint32_t *out);
/* Drops everything held about a user; its id may be reused. */
void rr_store_forget(rr_store_t *st, uint32_t uid);

#endif
