/* rr_event.c — event type names, the strict UTF-8 field copy every decoder goes through, and
 * the format-independent validation of a decoded event. */
#include <math.h>
#include <string.h>
#include "rr_event.h"

static const char *const type_names[RR_EV__COUNT] = {
#define RR_EV_NAME_(name, num, str) [num] = str,
    RR_EVENT_TYPE_MAP(RR_EV_NAME_)
#undef RR_EV_NAME_
};

rr_event_type_t rr_event_type_parse(const char *name)
{
    if (!name) return RR_EV_NONE;
    for (int t = RR_EV_NONE + 1; t < RR_EV__COUNT; t++) {
        if (strcmp(name, type_names[t]) == 0) return (rr_event_type_t)t;
    }
    return RR_EV_NONE;
}

static const struct {
    const char *alias;
    rr_event_type_t type;
} type_aliases[] = {
    {"pv", RR_EV_VIEW},
    {"cart", RR_EV_ADD_TO_CART},
    {"fav", RR_EV_FAVORITE},
    {"buy", RR_EV_PURCHASE},
};

rr_event_type_t rr_event_type_parse_alias(const char *name, size_t len)
{
    char lower[32]; /* longer than any name or alias */

    if (!name || len >= sizeof lower) return RR_EV_NONE;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '\0') return RR_EV_NONE;
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    lower[len] = '\0';
    rr_event_type_t type = rr_event_type_parse(lower);
    if (type != RR_EV_NONE) return type;
    for (size_t i = 0; i < sizeof type_aliases / sizeof type_aliases[0]; i++) {
        if (strcmp(lower, type_aliases[i].alias) == 0) return type_aliases[i].type;
    }
    return RR_EV_NONE;
}

const char *rr_event_type_name(rr_event_type_t type)
{
    if (type <= RR_EV_NONE || type >= RR_EV__COUNT) return "unknown";
    return type_names[type];
}

/* Length of the UTF-8 sequence starting at s (at most n bytes), or 0 if it is malformed:
 * overlong forms, surrogates (U+D800..DFFF), code points above U+10FFFF, and NUL (a C string
 * field cannot hold it, and accepting it would silently cut the field). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    size_t len;

    if (c == 0) return 0;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* > U+10FFFF */
    } else {
        return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
    }
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
    }
    return len;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t step = utf8_seq_len(s + i, n - i);
        if (step == 0) return 0;
        i += step;
    }
    return 1;
}

rr_err_t rr_field_set(char *dst, size_t cap, const char *src, size_t len)
{
    if (!dst || cap == 0) return RR_E(INVAL);
    dst[0] = '\0'; /* a failed copy leaves an empty field, never a half-written one */
    if (len >= cap) return RR_E(TOO_LONG);
    if (len == 0) return RR_OK;
    if (!src) return RR_E(INVAL);
    if (!utf8_valid((const unsigned char *)src, len)) return RR_E(BAD_UTF8);
    memcpy(dst, src, len);
    dst[len] = '\0';
    return RR_OK;
}

static int item_optional(rr_event_type_t type)
{
    return type == RR_EV_SEARCH || type == RR_EV_FORGET_USER;
}

rr_err_t rr_event_validate(const rr_event_t *ev, int64_t now_ms)
{
    if (!ev) return RR_E(INVAL);
    if (ev->user_id[0] == '\0') return RR_E(NO_USER);
    if (ev->type <= RR_EV_NONE || ev->type >= RR_EV__COUNT) return RR_E(BAD_TYPE);
    if (ev->item_id[0] == '\0' && !item_optional(ev->type)) return RR_E(NO_ITEM);
    if ((ev->flags & RR_EVF_PRICE) && !(isfinite(ev->price) && ev->price >= 0.0f))
        return RR_E(BAD_PRICE);
    if ((ev->flags & RR_EVF_VALUE) && !(isfinite(ev->value) && ev->value >= 0.0f))
        return RR_E(BAD_PRICE);
    if (ev->flags & RR_EVF_TS) {
        /* Saturate so a clock near INT64_MAX cannot overflow the upper bound. */
        int64_t max_ts =
            now_ms > INT64_MAX - RR_TS_MAX_FUTURE_MS ? INT64_MAX : now_ms + RR_TS_MAX_FUTURE_MS;
        if (ev->ts_ms < RR_TS_MIN_MS || ev->ts_ms > max_ts) return RR_E(BAD_TS);
    }
    return RR_OK;
}
