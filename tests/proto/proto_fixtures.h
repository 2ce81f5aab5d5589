/* proto_fixtures.h — shared fixtures of the proto tests: a full event, a deterministic PRNG,
 * and exact-size heap copies (so ASan sees any read past the input). */
#ifndef PROTO_FIXTURES_H
#define PROTO_FIXTURES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rr_codec.h"

static inline rr_event_t fixture_event(void)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = RR_EV_PURCHASE;
    ev.flags = RR_EVF_TS | RR_EVF_VALUE | RR_EVF_PRICE;
    ev.ts_ms = 1569888000123LL;
    ev.value = 35.79f;
    ev.price = 39.5f;
    strcpy(ev.event_id, "ev-0001");
    strcpy(ev.user_id, "541312140");
    strcpy(ev.item_id, "44600062");
    strcpy(ev.category, "\xE6\x9C\x8D\xE8\xA3\x85"); /* 服装 */
    strcpy(ev.brand, "shiseido");
    strcpy(ev.session_id, "72d76fde-8bb3-4e00-8c23-a032dfed738c");
    strcpy(ev.query, "red \"quoted\" shoes\\");
    return ev;
}

static inline int events_equal(const rr_event_t *a, const rr_event_t *b)
{
    return a->type == b->type && a->flags == b->flags && a->ts_ms == b->ts_ms &&
           (a->value == b->value || (a->value != a->value && b->value != b->value)) &&
           (a->price == b->price || (a->price != a->price && b->price != b->price)) &&
           !strcmp(a->event_id, b->event_id) && !strcmp(a->user_id, b->user_id) &&
           !strcmp(a->item_id, b->item_id) && !strcmp(a->category, b->category) &&
           !strcmp(a->brand, b->brand) && !strcmp(a->session_id, b->session_id) &&
           !strcmp(a->query, b->query);
}

static inline uint64_t fixture_rand(uint64_t *state)
{
    /* xorshift64*: deterministic across runs and platforms */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* A malloc'ed copy of exactly len bytes (at least 1 byte allocated). */
static inline void *fixture_dup(const void *src, size_t len)
{
    void *p = malloc(len ? len : 1);
    if (len) memcpy(p, src, len);
    return p;
}

/* True for 0 and the codes of the error table. */
static inline int is_known_code(rr_err_t err)
{
    return err == RR_OK || (err < 0 && strcmp(rr_err_name(err), "UNKNOWN") != 0);
}

#endif
