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

/* Latest purchases kept per user, for /users/{id} and a filter's rebuild (rr_store_seen_reset);
 * lists skip every bought item through the seen filter. 8, not 16: the 32 bytes went to the
 * recent items (recs.recent 28), which every list reads (BENCHMARKS.md). */
#define RR_BOUGHT_MAX 8
#define RR_SEEN_WORDS 8 /* 512-bit Bloom filter per user of every item touched (k = 4) */
/* A user's filter grows by blocks of RR_SEEN_BIG_WORDS words from a pool: the first once its 512
 * bits have RR_SEEN_FULL_BITS set (about 26 items, 0.12% false positives), the next each time the
 * newest block has RR_SEEN_BLOCK_FULL_BITS (about 126 items, 0.23%), RR_SEEN_MAX_BLOCKS at most
 * (about 2,000 items; the last then keeps filling): see rr_store_has_seen. */
#define RR_SEEN_BIG_WORDS       32
#define RR_SEEN_FULL_BITS       96
#define RR_SEEN_BLOCK_FULL_BITS 448
#define RR_SEEN_MAX_BLOCKS      16
#define RR_SHOWN_MAX            4 /* latest impressions (shown, not yet clicked) kept per user */

typedef enum {
    RR_REASON_NONE = 0, /* reasons fit the 3 bits of rr_list_entry_t.reason */
    RR_REASON_COOC,     /* co-occurs with one of the user's recent items */
    RR_REASON_TRENDING, /* global decayed popularity */
    RR_REASON_CATEGORY, /* the user's category affinity */
    RR_REASON_MODEL,    /* learned embedding / MLP score */
    RR_REASON_SEARCH,   /* its text matches the user's recent searches (rr_textidx.h) */
    RR_REASON_TEXT,     /* untouched yet, its text like a recent item's (because: that item) */
} rr_reason_t;

/* One entry of a user's list, 12 bytes: item and reason read as fields; what the reason names
 * is packed (item and category ids < 2^27 >= items.max; the strength shown to the user, which
 * the reason text prints with two decimals, as hundredths) and goes through the accessors. */
#define RR_LIST_ID_BITS   27
#define RR_LIST_ID_NONE   ((1u << RR_LIST_ID_BITS) - 1) /* because: none (RR_INTERN_NONE) */
#define RR_LIST_CENTI_MAX 127u                          /* strength 0.00 .. 1.27 */
typedef struct rr_list_entry_s {
    uint32_t item : RR_LIST_ID_BITS;
    uint32_t centi_lo : 5;
    float score;
    uint32_t because_ : RR_LIST_ID_BITS; /* COOC: the recent item behind it; CATEGORY: its id */
    uint32_t reason : 3;                 /* rr_reason_t */
    uint32_t centi_hi : 2;
} rr_list_entry_t;

/* An entry for item with score and reason (because RR_INTERN_NONE, strength 0). */
static inline rr_list_entry_t rr_list_entry(uint32_t item, float score, rr_reason_t reason)
{
    rr_list_entry_t e = {.item = item, .score = score, .because_ = RR_LIST_ID_NONE};
    e.reason = reason;
    return e;
}
static inline void rr_list_set_because(rr_list_entry_t *e, uint32_t id)
{
    e->because_ = id < RR_LIST_ID_NONE ? id : RR_LIST_ID_NONE;
}
static inline uint32_t rr_list_because(const rr_list_entry_t *e)
{
    return e->because_ == RR_LIST_ID_NONE ? RR_INTERN_NONE : e->because_;
}
/* The strength as printed by "%.2f" (hundredths, ties to even), clamped to 0 .. 1.27: what the
 * reason text shows (a category affinity share, a model probability). */
void rr_list_set_strength(rr_list_entry_t *e, float strength);
/* Hundredths of the strength (centi <= RR_LIST_CENTI_MAX), and its "%.2f" text (cap >= 8). */
static inline void rr_list_set_centi(rr_list_entry_t *e, unsigned centi)
{
    e->centi_lo = centi & 31u;
    e->centi_hi = (centi >> 5) & 3u;
}
static inline unsigned rr_list_centi(const rr_list_entry_t *e)
{
    return (unsigned)e->centi_hi << 5 | e->centi_lo;
}
void rr_list_strength_text(const rr_list_entry_t *e, char *buf, size_t cap);

/* 64 bytes. Times other than last_ts_ms are 32-bit: offsets from it, or clock stamps kept
 * modulo 2^32 and read as differences (see the stamp helpers below). */
typedef struct rr_user_s {
    int64_t last_ts_ms;      /* latest event time (0 before the first positive one) */
    uint32_t first_gap_ms;   /* last_ts_ms - first event's time, saturated: rr_store_first_ts */
    uint32_t trigger_gap_ms; /* last_ts_ms - the time of the event behind the current list */
    uint32_t dequeued_us;    /* engine: monotonic µs (low 32 bits) that event left the consumer */
    uint32_t produced_ms;    /* engine: its Kafka timestamp, wall ms (low 32 bits); 0 = none */
    uint32_t nevents, purchases;
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
    uint32_t release_s; /* Item.available_from_ms in seconds (rounded up); 0 = at once */
    uint8_t available;
} rr_item_t;

typedef struct rr_store_s {
    rr_intern_t users, items, categories, brands;
    rr_user_t *user;     /* [users_max] */
    uint32_t *recent;    /* [users_max][nrecent_max], a ring per user */
    uint32_t *bought;    /* [users_max][RR_BOUGHT_MAX], a ring per user */
    uint64_t *seen;      /* [users_max][RR_SEEN_WORDS] Bloom filter of touched items */
    uint32_t *seen_slot; /* [users_max] 1 + the slot of the user's newest block; 0 = none */
    uint64_t *seen_pool; /* [seen_pool_max][RR_SEEN_BIG_WORDS] the grown filters' blocks */
    uint32_t *seen_next; /* [seen_pool_max] 1 + the slot of the block before this one; 0 = none */
    uint32_t *seen_free; /* [seen_pool_max] a stack of the free slots */
    size_t seen_pool_max, seen_nfree;
    rr_list_entry_t *lists; /* [users_max][list_max] */
    rr_item_t *item;        /* [items_max] */
    size_t users_max, items_max;
    uint32_t nrecent_max, list_max;
    const struct rr_text_table_s *text; /* optional, not owned: item text and search intent */
} rr_store_t;

rr_err_t rr_store_init(rr_store_t *st, size_t users_max, size_t items_max, uint32_t nrecent,
                       uint32_t list_max);
void rr_store_free(rr_store_t *st);

/* Finds or creates the user / item of an event (item attributes from the event when given).
 * RR_ERR_FULL at the caps. */
rr_err_t rr_store_user(rr_store_t *st, const char *user_id, uint32_t *uid, int *is_new);
rr_err_t rr_store_item(rr_store_t *st, const rr_event_t *ev, uint32_t *iid);
/* Finds or creates an item by id alone (no attributes): for state that refers to it by key. */
rr_err_t rr_store_item_ref(rr_store_t *st, const char *item_id, uint32_t *iid);
/* Applies a catalog update. */
rr_err_t rr_store_item_update(rr_store_t *st, const rr_item_msg_t *msg, uint32_t *iid);

/* The time of the user's first event; past ~49 days before last_ts_ms, only a lower bound
 * on the age (enough for "new" and other short horizons). */
static inline int64_t rr_store_first_ts(const rr_user_t *u)
{
    return u->last_ts_ms - (int64_t)u->first_gap_ms;
}

/* The event time of the event behind the user's current list (rtrec.Recs.trigger_ts_ms). It is
 * kept as an offset from last_ts_ms, so it is exact up to ~49 days before the user's latest
 * event; an older trigger reads as that (a very late event). */
static inline int64_t rr_store_trigger_ts(const rr_user_t *u)
{
    return u->last_ts_ms - (int64_t)u->trigger_gap_ms;
}
/* Call after the event is applied (last_ts_ms already covers it). */
static inline void rr_store_set_trigger(rr_user_t *u, int64_t ts_ms)
{
    int64_t gap = u->last_ts_ms - ts_ms;
    u->trigger_gap_ms = gap <= 0 ? 0u : gap >= UINT32_MAX ? UINT32_MAX : (uint32_t)gap;
}

/* Freshness stamps of the pending publication, modulo 2^32: a clock's low 32 bits, read back as
 * the elapsed time since (exact below 2^32 units: ~71 minutes of µs, ~49 days of ms). 0 means
 * no stamp, so a clock reading whose low bits are 0 is stored as 1 (one unit off). */
static inline uint32_t rr_store_stamp(uint64_t clock)
{
    uint32_t low = (uint32_t)clock;
    return low ? low : 1u;
}
/* now - stamp, for a stamp taken at or before now (unsigned clocks: monotonic). */
static inline uint32_t rr_store_stamp_age(uint64_t now, uint32_t stamp)
{
    return (uint32_t)now - stamp;
}
/* now - stamp for a wall clock that may have been behind the stamp's (skew): negative then. */
static inline int64_t rr_store_stamp_age_signed(int64_t now, uint32_t stamp)
{
    return (int32_t)((uint32_t)now - stamp);
}

/* Records an interaction of uid with iid: counts, recency, recent ring, bought ring. */
void rr_store_touch(rr_store_t *st, uint32_t uid, uint32_t iid, const rr_event_t *ev);
/* rr_store_touch without the item's interaction count, which the pipeline's item-side update
 * (rr_pipeline_item_hit, shared with synced peers' events) adds. */
void rr_store_touch_user(rr_store_t *st, uint32_t uid, uint32_t iid, const rr_event_t *ev);
/* The user's recent items, oldest first, into out (cap >= nrecent_max). Returns count. */
size_t rr_store_recent(const rr_store_t *st, uint32_t uid, uint32_t *out);
/* A recent item's ring entry keeps flags and a rating above the item id (ids stay below 2^27:
 * items.max <= 1e8). TIED: its event had the time of the user's item event before it, so the
 * two have no order the engine can know (ratings entered in one second, timestamps in whole
 * seconds). LATEST, on the newest entry only: its time is still the user's latest event time (a
 * later event without an item clears it), which is how the next item event knows it is tied.
 * RATING: a RATE event's value rounded into 1..7 (0: the event was not a rating), what the user
 * thought of the item, in three spare bits. */
#define RR_RECENT_TIED         0x80000000u
#define RR_RECENT_LATEST       0x40000000u
#define RR_RECENT_RATING       0x38000000u
#define RR_RECENT_RATING_SHIFT 27
#define RR_RECENT_FLAGS        (RR_RECENT_TIED | RR_RECENT_LATEST | RR_RECENT_RATING)
/* The item id of a ring entry, its flags off. */
static inline uint32_t rr_recent_item(uint32_t entry)
{
    return entry & ~RR_RECENT_FLAGS;
}
/* The rating of a ring entry: 1..7, 0 when its event was not a rating. */
static inline uint32_t rr_recent_rating(uint32_t entry)
{
    return (entry & RR_RECENT_RATING) >> RR_RECENT_RATING_SHIFT;
}
/* rr_store_recent, and tied[i] = 1 when out[i]'s event had the same time as out[i - 1]'s
 * (tied[0] may speak of an item the ring has dropped), rating[i] out[i]'s rating
 * (rr_recent_rating); NULL: not asked. */
size_t rr_store_recent_flags(const rr_store_t *st, uint32_t uid, uint32_t *out, uint8_t *tied,
                             uint8_t *rating);
int rr_store_has_bought(const rr_store_t *st, uint32_t uid, uint32_t iid);
int rr_store_is_recent(const rr_store_t *st, uint32_t uid, uint32_t iid);
/* 1 while item is not out yet for the user: its Item.available_from_ms is past the user's latest
 * event time and nobody has interacted with it (an interaction shows it is out). */
static inline int rr_store_unreleased(const rr_store_t *st, uint32_t uid, uint32_t iid)
{
    const rr_item_t *it = &st->item[iid];
    return it->release_s && !it->interactions &&
           (int64_t)it->release_s * 1000 > st->user[uid].last_ts_ms;
}
/* Probably touched by the user at some time (Bloom filters, k = 4: no false negatives). Lists
 * skip such items: a shop rarely wants to show what was already seen. The first ~26 items go
 * into the user's 512 bits; from there a user who keeps going gets blocks of 2,048 bits from a
 * pool of rr_store_seen_pool slots, a new one every ~126 items, each answering for its own:
 * false positives stay near 0.2% at 100 items and 1% at 600, where 512 bits alone would wrongly
 * skip 9% and 96% of the catalog (what every list of a long-lived user pays, and the item it
 * would have wanted among them). With the pool taken, a user keeps filling what it has. */
int rr_store_has_seen(const rr_store_t *st, uint32_t uid, uint32_t iid);
/* Sets up a pool of n blocks (256 bytes each; calloc'd, so untouched slots cost no memory);
 * none before this. Call once, after rr_store_init. RR_ERR_NOMEM. */
rr_err_t rr_store_seen_pool(rr_store_t *st, size_t n);
/* The user's grown blocks, oldest first (RR_SEEN_BIG_WORDS words each), into out; how many. */
size_t rr_store_seen_blocks(const rr_store_t *st, uint32_t uid,
                            const uint64_t *out[RR_SEEN_MAX_BLOCKS]);
/* Gives the user a new, cleared newest block; NULL when the pool is taken or the user has
 * RR_SEEN_MAX_BLOCKS. For a restore, which fills them oldest first. */
uint64_t *rr_store_seen_grow(rr_store_t *st, uint32_t uid);
/* Rebuilds the seen filter from the recent and bought rings alone: for a user whose item ids
 * were renumbered (restored from another instance), whose older filter bits mean nothing. */
void rr_store_seen_reset(rr_store_t *st, uint32_t uid);
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
