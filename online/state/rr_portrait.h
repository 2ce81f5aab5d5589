/* rr_portrait.h — every user's readable portrait, updated per event: time-decayed category and
 * brand affinities (top 6 each, space-saving), decayed price level, activity, demographics and the
 * learner's purchase propensity; rendered as Redis HASH fields and as numeric model features.
 * The table is caller-allocated; rr_portrait_init callocs one fixed-size slot per user id. */
#ifndef RR_PORTRAIT_H
#define RR_PORTRAIT_H

#include <stddef.h>
#include <stdint.h>
#include "rr_intern.h"
#include "rr_norm.h"
#include "rr_store.h"

#define RR_PORTRAIT_TOPK    6
#define RR_PORTRAIT_NFIELDS 14
#define RR_PORTRAIT_NUSER   6 /* user-side features, rr_portrait_user_features */
#define RR_PORTRAIT_NPAIR   5 /* (user, item) features, rr_portrait_pair_features */
#define RR_PORTRAIT_DAY_MS  (24LL * 3600 * 1000)

#define RR_PORTRAIT_ID_LIMIT  ((1u << 24) - 1) /* category / brand ids held: below this */
#define RR_PORTRAIT_Q_MAX     UINT16_MAX       /* largest weight in units */
#define RR_PORTRAIT_NAMES_MAX 4096 /* distinct occupation and region values held; more: unknown */

/* A space-saving top K: ids (+ 1, in 24 bits; 0 = a free slot) and their decayed weights in the
 * portrait's units (may overestimate, by at most the weight of the slot they took over). */
typedef struct rr_portrait_topk_s {
    uint16_t w[RR_PORTRAIT_TOPK];
    uint16_t id_lo[RR_PORTRAIT_TOPK]; /* (id + 1) & 0xffff */
    uint8_t id_hi[RR_PORTRAIT_TOPK];  /* (id + 1) >> 16 */
} rr_portrait_topk_t;

/* 84 bytes (occupation fills what was padding). The reference time of the decayed values is the
 * user's last_ts_ms in the store (the latest event time), so an event multiplies them all by one
 * factor and shares need no decay. The weights share one scale, `unit` (block floating point):
 * decay scales the unit alone, an event adds to one or two weights, and the unit doubles (the
 * weights halve) when wsum would pass RR_PORTRAIT_Q_MAX, so shares keep ~16 bits and the decay
 * stays exact. */
typedef struct rr_portrait_s {
    float unit;               /* weight of one unit, as of last_ts_ms; 0 = no weight yet */
    float price_lmean;        /* decayed weighted mean of log(price) over priced events */
    float rate;               /* events, decayed with time constant 1 day, as of last_ts_ms */
    uint16_t wsum;            /* decayed weight of all events, in units (share denominator) */
    uint16_t price_w;         /* decayed weight of the priced events, in units; 0 = no price */
    uint16_t propensity;      /* purchase propensity in 1e-4 (its "%.4f" text, exactly) */
    uint16_t region;          /* id + 1 in the table's names, 0 = unknown */
    uint8_t age;              /* 0 = unknown */
    uint8_t gender;           /* 0 unknown, 1 male, 2 female, 3 other */
    rr_portrait_topk_t cat;   /* category ids */
    rr_portrait_topk_t brand; /* brand ids */
    uint16_t occupation;      /* id + 1 in the table's names, 0 = unknown */
} rr_portrait_t;

typedef struct rr_portrait_table_s {
    rr_portrait_t *user; /* [users_max] */
    size_t users_max;
    double half_life_ms;    /* of the affinities and price level */
    int64_t now_ms;         /* latest event time seen: "now" for lifecycle, deterministic */
    rr_welford_t log_price; /* global distribution of log(price) over priced events */
    /* Occupation and region values of User messages, one shared vocabulary that only grows
     * (RR_PORTRAIT_NAMES_MAX): a portrait holds 2-byte ids, the text is here once. */
    rr_intern_t names;
} rr_portrait_table_t;

/* Per-call text storage behind rr_portrait_fields' values. */
typedef struct rr_portrait_text_s {
    char top_categories[RR_PORTRAIT_TOPK * (RR_ID_MAX + 8)];
    char top_brands[RR_PORTRAIT_TOPK * (RR_ID_MAX + 8)];
    char num[5][32];
} rr_portrait_text_t;

rr_err_t rr_portrait_init(rr_portrait_table_t *pt, size_t users_max, double half_life_s);
void rr_portrait_free(rr_portrait_table_t *pt);

/* Applies an event of weight w (rr_pipeline_event_weight) on item iid (RR_INTERN_NONE for none)
 * at event time ts_ms; the item's category, brand and price are read from st. Call it after the
 * learner has trained on the event (its features must not see the event itself) and before
 * rr_store_touch records it (the user's last_ts_ms is still the portrait's reference time). */
void rr_portrait_update(rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid, uint32_t iid,
                        float w, int64_t ts_ms);
/* Stores the demographics of a User message, replacing the previous ones (an empty field is
 * unknown); they are independent of events and survive none of rr_portrait_forget. */
void rr_portrait_set_user(rr_portrait_table_t *pt, uint32_t uid, const rr_user_msg_t *msg);
/* The age band of an age: "under_18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"
 * (MovieLens' bands), or "unknown" for 0; its index 0..7 (0 = unknown) for the models. */
const char *rr_portrait_age_band(uint8_t age);
int rr_portrait_age_band_index(uint8_t age);
/* The text of a name id (occupation, region), "" for 0 or an id the table does not hold. */
const char *rr_portrait_name(const rr_portrait_table_t *pt, uint16_t id);
/* The id of a name, interned if new: 0 for "" or when the vocabulary is full. */
uint16_t rr_portrait_name_id(rr_portrait_table_t *pt, const char *name);
void rr_portrait_set_propensity(rr_portrait_table_t *pt, uint32_t uid, float p);
/* Clears the slot of a forgotten (or reused) user id: all zeros, as a fresh one. */
void rr_portrait_forget(rr_portrait_table_t *pt, uint32_t uid);

/* Share of the user's decayed activity on category / brand id (0 if not in the top K). */
float rr_portrait_topk_share(const rr_portrait_t *p, const rr_portrait_topk_t *top, uint32_t id);
/* The id in slot k of a top K, RR_INTERN_NONE for a free slot. */
static inline uint32_t rr_portrait_topk_id(const rr_portrait_topk_t *top, int k)
{
    uint32_t v = (uint32_t)top->id_hi[k] << 16 | top->id_lo[k];
    return v ? v - 1 : RR_INTERN_NONE;
}
float rr_portrait_category_affinity(const rr_portrait_table_t *pt, uint32_t uid, uint32_t cat);
float rr_portrait_brand_affinity(const rr_portrait_table_t *pt, uint32_t uid, uint32_t brand);
/* "budget", "mid", "premium" relative to the global log-price distribution, or "unknown". */
const char *rr_portrait_price_band(const rr_portrait_table_t *pt, uint32_t uid);
/* Decayed events in the last day equivalent at now_ms; "low" (< 3), "medium" (< 20), "high". */
float rr_portrait_activity_rate(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                                int64_t now_ms);
const char *rr_portrait_activity(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                                 int64_t now_ms);
/* "new" (first event < 1 day before now or < 3 events), "dormant" (none for > 7 days),
 * "active"; now is pt->now_ms, the latest event time seen. */
const char *rr_portrait_lifecycle(const rr_portrait_table_t *pt, const rr_store_t *st,
                                  uint32_t uid);

/* Field/value pairs of the Redis HASH rtrec:portrait:{user}: top_categories ("shoes:0.61,
 * hats:0.20"), top_brands, price_band, activity, lifecycle, purchase_propensity, events,
 * purchases, updated_at (ms), last_event_at (the user's latest event time, ms), then the
 * demographics: age_band, gender ("male", "female", "other", "unknown"), occupation and region
 * ("" when unknown). values point into
 * text or static strings. Returns the count (RR_PORTRAIT_NFIELDS). */
size_t rr_portrait_fields(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                          int64_t now_ms, rr_portrait_text_t *text,
                          const char *fields[RR_PORTRAIT_NFIELDS],
                          const char *values[RR_PORTRAIT_NFIELDS]);

/* Model features, each roughly in [-1, 1] or [0, 1]; pt NULL gives zeros.
 * user: log activity, log hours since the last event, log events, log purchases, price z, new.
 * pair: category affinity, brand affinity, |user - item| price z distance, item price z,
 * log item interactions. */
void rr_portrait_user_features(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                               int64_t now_ms, float out[RR_PORTRAIT_NUSER]);
void rr_portrait_pair_features(const rr_portrait_table_t *pt, const rr_store_t *st, uint32_t uid,
                               uint32_t iid, float out[RR_PORTRAIT_NPAIR]);

#endif
