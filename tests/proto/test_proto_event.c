/* test_proto_event.c — event type names, the strict UTF-8 field copy and event validation. */
#include <stdint.h>
#include "rr_event.h"
#include "rr_test.h"

static void test_type_names(void)
{
    for (int t = RR_EV_VIEW; t < RR_EV__COUNT; t++) {
        CHECK_INT(rr_event_type_parse(rr_event_type_name((rr_event_type_t)t)), t);
    }
    CHECK_INT(rr_event_type_parse("view"), RR_EV_VIEW);
    CHECK_INT(rr_event_type_parse("forget_user"), RR_EV_FORGET_USER);
    CHECK_INT(rr_event_type_parse("VIEW"), RR_EV_NONE); /* the strict form is case-sensitive */
    CHECK_INT(rr_event_type_parse("pv"), RR_EV_NONE);
    CHECK_INT(rr_event_type_parse(""), RR_EV_NONE);
    CHECK_INT(rr_event_type_parse(NULL), RR_EV_NONE);
    CHECK_STR(rr_event_type_name(RR_EV_ADD_TO_CART), "add_to_cart");
    CHECK_STR(rr_event_type_name(RR_EV_NONE), "unknown");
    CHECK_STR(rr_event_type_name((rr_event_type_t)42), "unknown");
}

static void test_type_aliases(void)
{
    CHECK_INT(rr_event_type_parse_alias("pv", 2), RR_EV_VIEW);
    CHECK_INT(rr_event_type_parse_alias("cart", 4), RR_EV_ADD_TO_CART);
    CHECK_INT(rr_event_type_parse_alias("fav", 3), RR_EV_FAVORITE);
    CHECK_INT(rr_event_type_parse_alias("buy", 3), RR_EV_PURCHASE);
    CHECK_INT(rr_event_type_parse_alias("PURCHASE", 8), RR_EV_PURCHASE);
    CHECK_INT(rr_event_type_parse_alias("Add_To_Cart", 11), RR_EV_ADD_TO_CART);
    CHECK_INT(rr_event_type_parse_alias("viewx", 4), RR_EV_VIEW); /* length-delimited */
    CHECK_INT(rr_event_type_parse_alias("view\0", 5), RR_EV_NONE);
    CHECK_INT(rr_event_type_parse_alias("", 0), RR_EV_NONE);
    CHECK_INT(rr_event_type_parse_alias("remove_from_cart_and_more_than_32", 33), RR_EV_NONE);
    CHECK_INT(rr_event_type_parse_alias(NULL, 0), RR_EV_NONE);
}

static void test_field_set_length(void)
{
    char dst[8];
    CHECK_INT(rr_field_set(dst, sizeof dst, "abc", 3), RR_OK);
    CHECK_STR(dst, "abc");
    CHECK_INT(rr_field_set(dst, sizeof dst, "1234567", 7), RR_OK); /* cap - 1 fits */
    CHECK_STR(dst, "1234567");
    CHECK_INT(rr_field_set(dst, sizeof dst, "12345678", 8), RR_E(TOO_LONG));
    CHECK_STR(dst, ""); /* never half-written */
    CHECK_INT(rr_field_set(dst, sizeof dst, "abcdef", 2), RR_OK);
    CHECK_STR(dst, "ab");
    CHECK_INT(rr_field_set(dst, sizeof dst, NULL, 0), RR_OK);
    CHECK_STR(dst, "");
    CHECK_INT(rr_field_set(dst, 0, "a", 1), RR_E(INVAL));
}

typedef struct {
    const char *bytes;
    int valid;
} utf8_case_t;

static void test_field_set_utf8(void)
{
    static const utf8_case_t cases[] = {
        {"plain ascii", 1},
        {"\xE6\x9C\x8D\xE8\xA3\x85", 1}, /* 服装 */
        {"\xC2\x80", 1},                 /* U+0080 */
        {"\xDF\xBF", 1},                 /* U+07FF */
        {"\xE0\xA0\x80", 1},             /* U+0800 */
        {"\xED\x9F\xBF", 1},             /* U+D7FF, just below the surrogates */
        {"\xEE\x80\x80", 1},             /* U+E000, just above */
        {"\xEF\xBF\xBF", 1},             /* U+FFFF */
        {"\xF0\x9F\x98\x80", 1},         /* U+1F600 */
        {"\xF4\x8F\xBF\xBF", 1},         /* U+10FFFF, the last code point */
        {"\xC0\x80", 0},                 /* overlong NUL */
        {"\xC1\xBF", 0},                 /* overlong */
        {"\xE0\x80\x80", 0},             /* overlong */
        {"\xE0\x9F\xBF", 0},             /* overlong U+07FF */
        {"\xF0\x80\x80\x80", 0},         /* overlong */
        {"\xF0\x8F\xBF\xBF", 0},         /* overlong U+FFFF */
        {"\xED\xA0\x80", 0},             /* U+D800 surrogate */
        {"\xED\xBF\xBF", 0},             /* U+DFFF surrogate */
        {"\xF4\x90\x80\x80", 0},         /* U+110000 */
        {"\xF5\x80\x80\x80", 0},
        {"\xFF", 0},
        {"\x80", 0},         /* lone continuation */
        {"a\xC2", 0},        /* truncated 2-byte */
        {"\xE6\x9C", 0},     /* truncated 3-byte */
        {"\xF0\x9F\x98", 0}, /* truncated 4-byte */
        {"\xC2\x41", 0},     /* bad continuation */
        {"\xE6\x9C\x41", 0},
    };
    char dst[16];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].bytes);
        rr_err_t err = rr_field_set(dst, sizeof dst, cases[i].bytes, len);
        if (cases[i].valid) {
            CHECK_INT(err, RR_OK);
            CHECK(memcmp(dst, cases[i].bytes, len + 1) == 0);
        } else {
            CHECK_INT(err, RR_E(BAD_UTF8));
            CHECK_STR(dst, "");
        }
        if ((err == RR_OK) != cases[i].valid) fprintf(stderr, "  case %zu\n", i);
    }
    /* NUL inside the span would silently cut the C string. */
    CHECK_INT(rr_field_set(dst, sizeof dst, "a\0b", 3), RR_E(BAD_UTF8));
}

static rr_event_t good_event(void)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = RR_EV_PURCHASE;
    strcpy(ev.user_id, "u1");
    strcpy(ev.item_id, "i1");
    ev.flags = RR_EVF_TS | RR_EVF_PRICE | RR_EVF_VALUE;
    ev.ts_ms = 1569888000000LL;
    ev.price = 12.5f;
    ev.value = 12.5f;
    return ev;
}

static const int64_t now_ms = 1700000000000LL;

static void test_validate_fields(void)
{
    rr_event_t ev = good_event();
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_OK);
    ev.user_id[0] = '\0';
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(NO_USER));
    ev = good_event();
    ev.item_id[0] = '\0';
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(NO_ITEM));
    ev.type = RR_EV_SEARCH;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_OK);
    ev.type = RR_EV_FORGET_USER;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_OK);
    ev.type = RR_EV_IMPRESSION;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(NO_ITEM));
    ev = good_event();
    ev.type = RR_EV_NONE;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_TYPE));
    ev.type = (rr_event_type_t)42;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_TYPE));
    CHECK_INT(rr_event_validate(NULL, now_ms), RR_E(INVAL));
}

static void test_validate_numbers(void)
{
    const float bad[] = {NAN, INFINITY, -INFINITY, -1.0f, -0.001f};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rr_event_t ev = good_event();
        ev.price = bad[i];
        CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_PRICE));
        ev.flags &= ~(uint32_t)RR_EVF_PRICE; /* not on the wire: not checked */
        CHECK_INT(rr_event_validate(&ev, now_ms), RR_OK);
        ev = good_event();
        ev.value = bad[i];
        CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_PRICE));
    }
    rr_event_t ev = good_event();
    ev.price = 0.0f;
    ev.value = 0.0f;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_OK);
}

static void test_validate_ts(void)
{
    rr_event_t ev = good_event();
    ev.ts_ms = RR_TS_MIN_MS;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_OK);
    ev.ts_ms = RR_TS_MIN_MS - 1;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_TS));
    ev.ts_ms = 0;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_TS));
    ev.ts_ms = -5;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_TS));
    ev.ts_ms = now_ms + RR_TS_MAX_FUTURE_MS;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_OK);
    ev.ts_ms = now_ms + RR_TS_MAX_FUTURE_MS + 1;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_TS));
    ev.ts_ms = INT64_MAX;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_E(BAD_TS));
    CHECK_INT(rr_event_validate(&ev, INT64_MAX), RR_OK); /* no overflow in the bound */
    ev.flags &= ~(uint32_t)RR_EVF_TS; /* absent: the caller fills it from Kafka */
    ev.ts_ms = 0;
    CHECK_INT(rr_event_validate(&ev, now_ms), RR_OK);
}

static void test_err_names(void)
{
    CHECK_STR(rr_err_name(RR_OK), "OK");
    CHECK_STR(rr_err_name(RR_E(BAD_UTF8)), "BAD_UTF8");
    CHECK_STR(rr_err_name(RR_E(EOF)), "EOF");
    CHECK_STR(rr_err_name(-1000), "UNKNOWN");
    CHECK_STR(rr_strerror(RR_E(TOO_LONG)), "field longer than allowed");
}

RR_TEST_MAIN(RR_TEST(test_type_names), RR_TEST(test_type_aliases), RR_TEST(test_field_set_length),
             RR_TEST(test_field_set_utf8), RR_TEST(test_validate_fields),
             RR_TEST(test_validate_numbers), RR_TEST(test_validate_ts), RR_TEST(test_err_names))
