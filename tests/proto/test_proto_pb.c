/* test_proto_pb.c — protobuf Event/Item/User: round trips, and malformed, truncated, oversized and
 * hostile input, which must give an error code and never a crash (ASan/UBSan run these). */
#include "proto_fixtures.h"
#include "rr_test.h"
#include "rtrec.pb-c.h"

static size_t encode(const rr_event_t *ev, unsigned char *buf, size_t cap)
{
    size_t len = 0;
    CHECK_INT(rr_event_encode_pb(ev, buf, cap, &len), RR_OK);
    return len;
}

/* Packs a protobuf-c Event built by the test (for inputs our encoder would never produce). */
static size_t pack_msg(const Rtrec__V1__Event *msg, unsigned char *buf, size_t cap)
{
    size_t len = rtrec__v1__event__get_packed_size(msg);
    CHECK(len <= cap);
    return len <= cap ? rtrec__v1__event__pack(msg, buf) : 0;
}

static void test_roundtrip(void)
{
    unsigned char buf[1024], again[1024];
    rr_event_t ev = fixture_event(), out;
    size_t len = encode(&ev, buf, sizeof buf);
    CHECK(len > 0);
    CHECK_INT(rr_event_decode_pb(buf, len, &out), RR_OK);
    CHECK(events_equal(&ev, &out));
    CHECK_STR(out.category, "\xE6\x9C\x8D\xE8\xA3\x85");
    CHECK_INT(out.ts_ms, 1569888000123LL);
    /* Re-encoding gives the same bytes. */
    CHECK_INT(encode(&out, again, sizeof again), len);
    CHECK(memcmp(buf, again, len) == 0);
    /* protobuf-c's own decoder reads our bytes the same way. */
    Rtrec__V1__Event *ref = rtrec__v1__event__unpack(NULL, len, buf);
    CHECK(ref != NULL);
    if (ref) {
        CHECK_STR(ref->user_id, ev.user_id);
        CHECK_INT(ref->type, RTREC__V1__EVENT__TYPE__PURCHASE);
        CHECK_NEAR(ref->price, 39.5, 0);
        rtrec__v1__event__free_unpacked(ref, NULL);
    }
}

static void test_roundtrip_minimal(void)
{
    unsigned char buf[256];
    rr_event_t ev, out;
    memset(&ev, 0, sizeof ev);
    ev.type = RR_EV_SEARCH;
    strcpy(ev.user_id, "u");
    strcpy(ev.query, "shoes");
    size_t len = encode(&ev, buf, sizeof buf);
    CHECK_INT(rr_event_decode_pb(buf, len, &out), RR_OK);
    CHECK(events_equal(&ev, &out));
    CHECK_INT(out.flags, 0); /* absent optionals stay absent */
    /* The empty message is valid protobuf: all fields absent; validation reports it. */
    CHECK_INT(rr_event_decode_pb(NULL, 0, &out), RR_OK);
    CHECK_INT(rr_event_validate(&out, 1700000000000LL), RR_E(NO_USER));
}

static void test_encode_full(void)
{
    unsigned char buf[1024];
    rr_event_t ev = fixture_event();
    size_t need = 0, len = 0;
    CHECK_INT(rr_event_encode_pb(&ev, NULL, 0, &need), RR_E(FULL));
    CHECK(need > 0);
    CHECK_INT(rr_event_encode_pb(&ev, buf, need - 1, &len), RR_E(FULL));
    CHECK_INT(len, need);
    CHECK_INT(rr_event_encode_pb(&ev, buf, need, &len), RR_OK);
    CHECK_INT(len, need);
    memset(ev.brand, 'x', sizeof ev.brand); /* no NUL: refused, not over-read */
    CHECK_INT(rr_event_encode_pb(&ev, buf, sizeof buf, &len), RR_E(INVAL));
}

/* Every prefix either decodes or fails cleanly; cuts inside a field must fail. */
static void test_every_prefix(void)
{
    unsigned char buf[1024];
    rr_event_t ev = fixture_event(), out;
    size_t len = encode(&ev, buf, sizeof buf);
    int failures = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        void *copy = fixture_dup(buf, cut);
        rr_err_t err = rr_event_decode_pb(copy, cut, &out);
        CHECK(err == RR_OK || err == RR_E(DECODE));
        failures += err != RR_OK;
        free(copy);
    }
    CHECK(failures > (int)len / 2); /* most cuts land inside a field */
    /* Cut one byte into the user_id string: field 2, length 9, "541312140". */
    const unsigned char *uid = memchr(buf, 0x12, len);
    CHECK(uid != NULL);
    if (uid) CHECK_INT(rr_event_decode_pb(buf, (size_t)(uid - buf) + 3, &out), RR_E(DECODE));
}

static void test_garbage(void)
{
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    unsigned char buf[128];
    rr_event_t out;
    int ok = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = fixture_rand(&seed) % sizeof buf;
        for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)fixture_rand(&seed);
        void *copy = fixture_dup(buf, len);
        rr_err_t err = rr_event_decode_pb(copy, len, &out);
        CHECK(is_known_code(err));
        ok += err == RR_OK;
        free(copy);
    }
    CHECK(ok < 20000);
}

static void test_bit_flips(void)
{
    unsigned char buf[1024];
    rr_event_t ev = fixture_event(), out;
    size_t len = encode(&ev, buf, sizeof buf);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (unsigned char)(1u << bit);
            CHECK(is_known_code(rr_event_decode_pb(buf, len, &out)));
            buf[i] ^= (unsigned char)(1u << bit);
        }
    }
}

static void test_unknown_enum(void)
{
    unsigned char buf[256];
    Rtrec__V1__Event msg = RTREC__V1__EVENT__INIT;
    rr_event_t out;
    msg.user_id = "u";
    msg.item_id = "i";
    msg.has_type = 1;
    msg.type = (Rtrec__V1__Event__Type)42;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_E(BAD_TYPE));
    msg.type = RTREC__V1__EVENT__TYPE__UNKNOWN;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_E(BAD_TYPE));
    msg.type = (Rtrec__V1__Event__Type)-1;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_E(BAD_TYPE));
    msg.type = RTREC__V1__EVENT__TYPE__FORGET_USER;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_OK);
    CHECK_INT(out.type, RR_EV_FORGET_USER);
}

static void test_oversized_fields(void)
{
    unsigned char buf[1024];
    char id[RR_ID_MAX + 1], text[RR_TEXT_MAX + 1];
    Rtrec__V1__Event msg = RTREC__V1__EVENT__INIT;
    rr_event_t out;

    memset(id, 'a', RR_ID_MAX - 1);
    id[RR_ID_MAX - 1] = '\0'; /* 63 bytes: the longest that fits */
    msg.user_id = id;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_OK);
    CHECK_INT(strlen(out.user_id), RR_ID_MAX - 1);
    id[RR_ID_MAX - 1] = 'a';
    id[RR_ID_MAX] = '\0'; /* 64 */
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_E(TOO_LONG));

    msg.user_id = "u";
    memset(text, 'q', RR_TEXT_MAX);
    text[RR_TEXT_MAX - 1] = '\0';
    msg.query = text;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_OK);
    text[RR_TEXT_MAX - 1] = 'q';
    text[RR_TEXT_MAX] = '\0';
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_E(TOO_LONG));
}

static void test_invalid_utf8(void)
{
    unsigned char buf[256];
    Rtrec__V1__Event msg = RTREC__V1__EVENT__INIT;
    rr_event_t out;
    msg.user_id = "u";
    msg.brand = "\xED\xA0\x80"; /* a surrogate: protobuf-c itself accepts it */
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_E(BAD_UTF8));
    msg.brand = "\xC0\xAF";
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_E(BAD_UTF8));
}

/* Decoding does not judge values; rr_event_validate does, with the caller's clock. */
static void test_values_left_to_validation(void)
{
    unsigned char buf[256];
    Rtrec__V1__Event msg = RTREC__V1__EVENT__INIT;
    rr_event_t out;
    const int64_t now = 1700000000000LL;
    msg.user_id = "u";
    msg.item_id = "i";
    msg.has_type = 1;
    msg.type = RTREC__V1__EVENT__TYPE__VIEW;
    msg.has_price = 1;
    msg.price = NAN;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_OK);
    CHECK(isnan(out.price) && (out.flags & RR_EVF_PRICE));
    CHECK_INT(rr_event_validate(&out, now), RR_E(BAD_PRICE));
    msg.price = -3.0f;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_OK);
    CHECK_INT(rr_event_validate(&out, now), RR_E(BAD_PRICE));
    msg.price = 3.0f;
    msg.has_ts_ms = 1;
    msg.ts_ms = 86400000LL; /* 1970-01-02 */
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_OK);
    CHECK_INT(rr_event_validate(&out, now), RR_E(BAD_TS));
    msg.ts_ms = now + 2 * RR_TS_MAX_FUTURE_MS;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_OK);
    CHECK_INT(rr_event_validate(&out, now), RR_E(BAD_TS));
    msg.ts_ms = now;
    CHECK_INT(rr_event_decode_pb(buf, pack_msg(&msg, buf, sizeof buf), &out), RR_OK);
    CHECK_INT(rr_event_validate(&out, now), RR_OK);
}

/* Thousands of repeated fields outgrow the stack arena: a clean TOO_LONG, no heap fallback. */
static void test_arena_overflow(void)
{
    enum { N = 6000 };
    unsigned char *buf = malloc(3 * N);
    rr_event_t out;
    for (int i = 0; i < N; i++) {
        buf[3 * i] = 0x12; /* user_id, length 1, "a": protobuf keeps the last */
        buf[3 * i + 1] = 1;
        buf[3 * i + 2] = 'a';
    }
    CHECK_INT(rr_event_decode_pb(buf, 3 * N, &out), RR_E(TOO_LONG));
    /* A few repeats fit, and the last one wins. */
    buf[3 * 9 + 2] = 'z';
    CHECK_INT(rr_event_decode_pb(buf, 3 * 10, &out), RR_OK);
    CHECK_STR(out.user_id, "z");
    free(buf);
}

static void test_item(void)
{
    unsigned char buf[1024];
    Rtrec__V1__Item msg = RTREC__V1__ITEM__INIT;
    char *tags[] = {"red", "", "summer", "\xE6\x9C\x8D"};
    rr_item_msg_t item;

    msg.item_id = "i9";
    msg.category = "shoes";
    msg.has_price = 1;
    msg.price = 19.99f;
    msg.title = "Runner";
    msg.n_tags = 4;
    msg.tags = tags;
    size_t len = rtrec__v1__item__pack(&msg, buf);
    CHECK_INT(rr_item_decode_pb(buf, len, &item), RR_OK);
    CHECK_STR(item.item_id, "i9");
    CHECK_STR(item.tags, "red,summer,\xE6\x9C\x8D");
    CHECK_INT(item.available, 1); /* schema default */
    CHECK(item.flags & RR_EVF_PRICE);
    CHECK_NEAR(item.price, 19.99, 1e-5);
    CHECK_INT(rr_item_decode(buf, len, &item), RR_OK);
    CHECK_STR(item.title, "Runner");

    msg.has_available = 1;
    msg.available = 0;
    len = rtrec__v1__item__pack(&msg, buf);
    CHECK_INT(rr_item_decode_pb(buf, len, &item), RR_OK);
    CHECK_INT(item.available, 0);

    char *many[60];
    for (int i = 0; i < 60; i++) many[i] = "tag-x";
    msg.n_tags = 60; /* 60 * 6 bytes > RR_TEXT_MAX */
    msg.tags = many;
    len = rtrec__v1__item__pack(&msg, buf);
    CHECK_INT(rr_item_decode_pb(buf, len, &item), RR_E(TOO_LONG));
    CHECK_INT(rr_item_decode_pb("\xFF\xFF", 2, &item), RR_E(DECODE));
}

static void test_user(void)
{
    unsigned char buf[256];
    Rtrec__V1__User msg = RTREC__V1__USER__INIT;
    rr_user_msg_t user;
    msg.user_id = "u7";
    msg.has_age = 1;
    msg.age = 31;
    msg.gender = "F";
    msg.occupation = "12";
    msg.region = "\xE5\x8C\x97\xE4\xBA\xAC";
    size_t len = rtrec__v1__user__pack(&msg, buf);
    CHECK_INT(rr_user_decode_pb(buf, len, &user), RR_OK);
    CHECK_STR(user.user_id, "u7");
    CHECK_INT(user.age, 31);
    CHECK_STR(user.gender, "F");
    CHECK_STR(user.occupation, "12");
    CHECK_STR(user.region, "\xE5\x8C\x97\xE4\xBA\xAC");
    CHECK_INT(rr_user_decode(buf, len, &user), RR_OK);
    CHECK_INT(user.age, 31);
    for (size_t cut = 0; cut < len; cut++) CHECK(is_known_code(rr_user_decode_pb(buf, cut, &user)));
}

/* rr_event_decode: JSON by its first non-blank byte, protobuf otherwise, and a protobuf value
 * whose leading bytes look like blanks + '{' still decodes as protobuf. */
static void test_dispatch(void)
{
    unsigned char buf[512];
    rr_event_t ev = fixture_event(), out;
    size_t len = encode(&ev, buf, sizeof buf);
    CHECK_INT(rr_event_decode(buf, len, &out), RR_OK);
    CHECK(events_equal(&ev, &out));
    const char *json = "  \n{\"user_id\":\"u\",\"item_id\":\"i\",\"type\":\"view\"}";
    CHECK_INT(rr_event_decode(json, strlen(json), &out), RR_OK);
    CHECK_INT(out.type, RR_EV_VIEW);
    CHECK_INT(rr_event_decode("{broken", 7, &out), RR_E(DECODE));

    /* event_id of 32 bytes starting with '{': bytes 0x0A 0x20 '{' ... */
    Rtrec__V1__Event msg = RTREC__V1__EVENT__INIT;
    msg.event_id = "{2345678901234567890123456789012";
    msg.user_id = "u";
    len = rtrec__v1__event__pack(&msg, buf);
    CHECK_INT(buf[0], 0x0A);
    CHECK_INT(buf[1], 0x20);
    CHECK_INT(rr_event_decode(buf, len, &out), RR_OK);
    CHECK_STR(out.event_id, msg.event_id);
}

RR_TEST_MAIN(RR_TEST(test_roundtrip), RR_TEST(test_roundtrip_minimal), RR_TEST(test_encode_full),
             RR_TEST(test_every_prefix), RR_TEST(test_garbage), RR_TEST(test_bit_flips),
             RR_TEST(test_unknown_enum), RR_TEST(test_oversized_fields), RR_TEST(test_invalid_utf8),
             RR_TEST(test_values_left_to_validation), RR_TEST(test_arena_overflow),
             RR_TEST(test_item), RR_TEST(test_user), RR_TEST(test_dispatch))
