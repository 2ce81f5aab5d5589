/* rr_event.h — the internal form of every input message, whatever its wire format.
 * Fixed-size fields: decoding never allocates, and an oversized field is an error
 * (RR_ERR_TOO_LONG), not a truncation. Owned by the caller; plain data, copy freely. */
#ifndef RR_EVENT_H
#define RR_EVENT_H

#include <stdint.h>
#include <stddef.h>
#include "rr_err.h"

#define RR_ID_MAX   64  /* ids, category, brand, session: at most 63 bytes + NUL */
#define RR_TEXT_MAX 256 /* query, title, reason text */

/* Same numbers as rtrec.v1.Event.Type on the wire. */
#define RR_EVENT_TYPE_MAP(X)                                                                       \
    X(VIEW, 1, "view")                                                                             \
    X(CLICK, 2, "click")                                                                           \
    X(ADD_TO_CART, 3, "add_to_cart")                                                               \
    X(FAVORITE, 4, "favorite")                                                                     \
    X(PURCHASE, 5, "purchase")                                                                     \
    X(RATE, 6, "rate")                                                                             \
    X(IMPRESSION, 7, "impression")                                                                 \
    X(SEARCH, 8, "search")                                                                         \
    X(FORGET_USER, 9, "forget_user")

typedef enum {
    RR_EV_NONE = 0,
#define RR_EV_ENUM_(name, num, str) RR_EV_##name = num,
    RR_EVENT_TYPE_MAP(RR_EV_ENUM_)
#undef RR_EV_ENUM_
        RR_EV__COUNT
} rr_event_type_t;

/* Which optional fields were present on the wire. */
enum {
    RR_EVF_TS = 1u << 0,
    RR_EVF_VALUE = 1u << 1,
    RR_EVF_PRICE = 1u << 2,
};

typedef struct rr_event_s {
    rr_event_type_t type;
    uint32_t flags; /* RR_EVF_* */
    int64_t ts_ms;  /* event time, ms since the Unix epoch */
    float value;    /* rating, or price paid */
    float price;    /* list price of the item */
    char event_id[RR_ID_MAX];
    char user_id[RR_ID_MAX];
    char item_id[RR_ID_MAX];
    char category[RR_ID_MAX];
    char brand[RR_ID_MAX];
    char session_id[RR_ID_MAX];
    char query[RR_TEXT_MAX];
} rr_event_t;

/* Catalog update (rtrec.v1.Item). */
typedef struct rr_item_msg_s {
    uint32_t flags;            /* RR_EVF_PRICE */
    int available;             /* 1 unless the message says false */
    int64_t available_from_ms; /* event time from which it may be recommended; 0 = at once */
    float price;
    char item_id[RR_ID_MAX];
    char category[RR_ID_MAX];
    char brand[RR_ID_MAX];
    char title[RR_TEXT_MAX];
    char tags[RR_TEXT_MAX]; /* comma-joined */
} rr_item_msg_t;

/* User attributes (rtrec.v1.User). age 0 = unknown. */
typedef struct rr_user_msg_s {
    int32_t age;
    char user_id[RR_ID_MAX];
    char gender[RR_ID_MAX];
    char occupation[RR_ID_MAX];
    char region[RR_ID_MAX];
} rr_user_msg_t;

/* The accepted event-time window. Ancient: before 1990-01-01. Future: later than now + skew. */
#define RR_TS_MIN_MS        631152000000LL
#define RR_TS_MAX_FUTURE_MS (24LL * 3600 * 1000)

/* "view" -> RR_EV_VIEW; RR_EV_NONE when unknown. Case-sensitive, lower-case names. */
rr_event_type_t rr_event_type_parse(const char *name);
/* Lenient form for producers and datasets: len bytes (no NUL needed), any ASCII case, and the
 * taobao-style aliases "pv" (view), "cart" (add_to_cart), "fav" (favorite), "buy" (purchase). */
rr_event_type_t rr_event_type_parse_alias(const char *name, size_t len);
/* RR_EV_VIEW -> "view"; "unknown" outside the enum. */
const char *rr_event_type_name(rr_event_type_t type);

/* Checks an event decoded from any format: user and item present (item may be empty for
 * SEARCH and FORGET_USER), a known type, finite non-negative price/value, and ts_ms inside
 * [RR_TS_MIN_MS, now_ms + RR_TS_MAX_FUTURE_MS]. Returns RR_OK or the first reason. */
rr_err_t rr_event_validate(const rr_event_t *ev, int64_t now_ms);

/* Copies a length-delimited string into a fixed field, NUL-terminated. Fails with
 * RR_ERR_TOO_LONG when len >= cap and RR_ERR_BAD_UTF8 when it is not valid UTF-8. */
rr_err_t rr_field_set(char *dst, size_t cap, const char *src, size_t len);

#endif
