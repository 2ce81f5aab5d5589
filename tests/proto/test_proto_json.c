/* test_proto_json.c — JSON events, items and users: accepted spellings, wrong types, hostile
 * input, the heap fallback for big values, concurrent decoding, and encode -> decode. */
#include <pthread.h>
#include "proto_fixtures.h"
#include "rr_test.h"

static rr_err_t dec(const char *json, rr_event_t *ev)
{
    /* exact-size heap copy without the NUL: the decoder must respect len */
    size_t len = strlen(json);
    void *copy = fixture_dup(json, len);
    rr_err_t err = rr_event_decode_json(copy, len, ev);
    free(copy);
    return err;
}

static void test_full_event(void)
{
    rr_event_t ev;
    CHECK_INT(
        dec("{\"event_id\":\"e1\",\"user_id\":\"u1\",\"item_id\":\"i1\",\"type\":\"purchase\","
            "\"ts_ms\":1569888000000,\"value\":35.79,\"price\":\"39.5\",\"category\":"
            "\"\xE6\x9C\x8D\xE8\xA3\x85\",\"brand\":\"b\",\"session_id\":\"s\",\"query\":\"q\"}",
            &ev),
        RR_OK);
    CHECK_STR(ev.event_id, "e1");
    CHECK_STR(ev.user_id, "u1");
    CHECK_STR(ev.item_id, "i1");
    CHECK_INT(ev.type, RR_EV_PURCHASE);
    CHECK_INT(ev.ts_ms, 1569888000000LL);
    CHECK_INT(ev.flags, RR_EVF_TS | RR_EVF_VALUE | RR_EVF_PRICE);
    CHECK_NEAR(ev.value, 35.79, 1e-5);
    CHECK_NEAR(ev.price, 39.5, 0);
    CHECK_STR(ev.category, "\xE6\x9C\x8D\xE8\xA3\x85");
    CHECK_STR(ev.session_id, "s");
    CHECK_STR(ev.query, "q");
    CHECK_INT(rr_event_validate(&ev, 1700000000000LL), RR_OK);
}

static void test_spellings(void)
{
    rr_event_t ev;
    CHECK_INT(dec("{\"user_id\":42,\"item_id\":-7,\"type\":\"cart\"}", &ev), RR_OK);
    CHECK_STR(ev.user_id, "42");
    CHECK_STR(ev.item_id, "-7");
    CHECK_INT(ev.type, RR_EV_ADD_TO_CART);
    CHECK_INT(dec("{\"type\":\"pv\"}", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_VIEW);
    CHECK_INT(dec("{\"type\":\"fav\"}", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_FAVORITE);
    CHECK_INT(dec("{\"type\":\"buy\"}", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_PURCHASE);
    CHECK_INT(dec("{\"type\":\"ADD_TO_CART\"}", &ev), RR_OK); /* proto3 JSON enum names */
    CHECK_INT(ev.type, RR_EV_ADD_TO_CART);
    CHECK_INT(dec("{\"type\":6}", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_RATE);
    CHECK_INT(dec("{\"userId\":\"u\",\"itemId\":\"i\",\"tsMs\":\"1569888000000\"}", &ev), RR_OK);
    CHECK_STR(ev.user_id, "u");
    CHECK_STR(ev.item_id, "i");
    CHECK_INT(ev.ts_ms, 1569888000000LL);
    CHECK_INT(dec("{\"ts_ms\":1.5e12,\"price\":\"\",\"value\":null}", &ev), RR_OK);
    CHECK_INT(ev.ts_ms, 1500000000000LL);
    CHECK_INT(ev.flags, RR_EVF_TS); /* "" and null: absent */
    CHECK_INT(dec("{\"user_id\":\"u\",\"extra\":{\"deep\":[1,2,{\"x\":null}]},\"n\":1e400}", &ev),
              RR_OK); /* unknown keys are ignored, whatever they hold */
    CHECK_STR(ev.user_id, "u");
    CHECK_INT(dec(" {}\r\n", &ev), RR_OK);
}

static void test_wrong_types(void)
{
    rr_event_t ev;
    CHECK_INT(dec("{\"type\":\"bogus\"}", &ev), RR_E(BAD_TYPE));
    CHECK_INT(dec("{\"type\":42}", &ev), RR_E(BAD_TYPE));
    CHECK_INT(dec("{\"type\":0}", &ev), RR_E(BAD_TYPE));
    CHECK_INT(dec("{\"type\":true}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"type\":[\"view\"]}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"user_id\":4.5}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"user_id\":1e20}", &ev), RR_E(DECODE)); /* not exactly representable */
    CHECK_INT(dec("{\"user_id\":{}}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"user_id\":true}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"ts_ms\":1.5}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"ts_ms\":\"abc\"}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"ts_ms\":\"12x\"}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"ts_ms\":\"99999999999999999999\"}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"ts_ms\":[]}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"price\":\"cheap\"}", &ev), RR_E(DECODE));
    CHECK_INT(dec("{\"price\":false}", &ev), RR_E(DECODE));
}

static void test_not_an_object(void)
{
    static const char *const bad[] = {"",  "   ",      "[]",   "42",   "\"str\"",    "null",
                                      "{", "{\"a\":}", "{} x", "{}{}", "{\"a\":1,}", "\xFF"};
    rr_event_t ev;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rr_err_t err = dec(bad[i], &ev);
        CHECK_INT(err, RR_E(DECODE));
        if (err != RR_E(DECODE)) fprintf(stderr, "  input: %s\n", bad[i]);
    }
    CHECK_INT(rr_event_decode_json(NULL, 0, &ev), RR_E(DECODE));
    CHECK_INT(rr_event_decode_json("{}", 2, NULL), RR_E(INVAL));
}

static void test_bad_values_left_to_validation(void)
{
    static const char *const prices[] = {"\"nan\"", "\"NaN\"",  "\"inf\"", "\"-inf\"",
                                         "-1",      "\"-0.5\"", "1e39"};
    const int64_t now = 1700000000000LL;
    char json[160];
    rr_event_t ev;
    for (size_t i = 0; i < sizeof prices / sizeof prices[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"user_id\":\"u\",\"item_id\":\"i\",\"type\":\"view\",\"price\":%s}", prices[i]);
        CHECK_INT(dec(json, &ev), RR_OK);
        CHECK_INT(rr_event_validate(&ev, now), RR_E(BAD_PRICE));
        snprintf(json, sizeof json,
                 "{\"user_id\":\"u\",\"item_id\":\"i\",\"type\":\"rate\",\"value\":%s}", prices[i]);
        CHECK_INT(dec(json, &ev), RR_OK);
        CHECK_INT(rr_event_validate(&ev, now), RR_E(BAD_PRICE));
    }
    CHECK_INT(dec("{\"user_id\":\"u\",\"item_id\":\"i\",\"type\":\"view\",\"ts_ms\":1000}", &ev),
              RR_OK);
    CHECK_INT(rr_event_validate(&ev, now), RR_E(BAD_TS));
    CHECK_INT(
        dec("{\"user_id\":\"u\",\"item_id\":\"i\",\"type\":\"view\",\"ts_ms\":4102444800000}", &ev),
        RR_OK); /* 2100-01-01 */
    CHECK_INT(rr_event_validate(&ev, now), RR_E(BAD_TS));
}

static void test_bad_strings(void)
{
    char json[512];
    rr_event_t ev;
    CHECK_INT(dec("{\"user_id\":\"\xC0\xAF\"}", &ev), RR_E(BAD_UTF8));
    CHECK_INT(dec("{\"brand\":\"\xED\xA0\x80\"}", &ev), RR_E(BAD_UTF8));
    memset(json, 0, sizeof json);
    strcpy(json, "{\"user_id\":\"");
    size_t start = strlen(json);
    memset(json + start, 'u', RR_ID_MAX); /* 64 bytes: one too many */
    strcat(json, "\"}");
    CHECK_INT(dec(json, &ev), RR_E(TOO_LONG));
    strcpy(json + start + RR_ID_MAX - 1, "\"}"); /* 63 bytes fit */
    CHECK_INT(dec(json, &ev), RR_OK);
    CHECK_INT(strlen(ev.user_id), RR_ID_MAX - 1);
}

/* A value bigger than the stack arena goes to the heap and is freed (LeakSanitizer checks). */
static void test_big_value(void)
{
    size_t pad = 100000;
    char *json = malloc(pad + 64);
    strcpy(json, "{\"user_id\":\"u\",\"blob\":\"");
    size_t pos = strlen(json);
    memset(json + pos, 'x', pad);
    strcpy(json + pos + pad, "\",\"item_id\":\"i\"}");
    rr_event_t ev;
    CHECK_INT(dec(json, &ev), RR_OK);
    CHECK_STR(ev.item_id, "i");
    free(json);
}

static void test_garbage(void)
{
    static const char alphabet[] = "{}[]\":,0123456789.eE-+ truefalsnul\\u\xC3\xA9\xFF";
    uint64_t seed = 777;
    char buf[96];
    rr_event_t ev;
    for (int round = 0; round < 20000; round++) {
        size_t len = fixture_rand(&seed) % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = alphabet[fixture_rand(&seed) % (sizeof alphabet - 1)];
        if (len) buf[0] = '{';
        void *copy = fixture_dup(buf, len);
        CHECK(is_known_code(rr_event_decode_json(copy, len, &ev)));
        CHECK(is_known_code(rr_event_decode(copy, len, &ev)));
        free(copy);
    }
    /* Every prefix of a valid object. */
    const char *valid = "{\"user_id\":\"u1\",\"item_id\":2,\"type\":\"view\",\"ts_ms\":1}";
    for (size_t cut = 0; cut < strlen(valid); cut++) {
        void *copy = fixture_dup(valid, cut);
        CHECK_INT(rr_event_decode_json(copy, cut, &ev), RR_E(DECODE));
        free(copy);
    }
}

static void test_encode_roundtrip(void)
{
    char buf[1024];
    size_t len;
    rr_event_t ev = fixture_event(), back;
    ev.query[3] = '\n'; /* a control byte to escape */
    CHECK_INT(rr_event_encode_json(&ev, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(strlen(buf), len);
    CHECK(strstr(buf, "\"type\":\"purchase\"") != NULL);
    CHECK(strstr(buf, "\\u000a") != NULL);
    CHECK(strstr(buf, "\\\"quoted\\\"") != NULL);
    CHECK_INT(rr_event_decode_json(buf, len, &back), RR_OK);
    CHECK(events_equal(&ev, &back));

    ev.price = NAN; /* kept as a string; validation will reject it */
    ev.value = -INFINITY;
    CHECK_INT(rr_event_encode_json(&ev, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(rr_event_decode_json(buf, len, &back), RR_OK);
    CHECK(isnan(back.price));
    CHECK(isinf(back.value) && back.value < 0);

    size_t need = len;
    CHECK_INT(rr_event_encode_json(&ev, buf, need, &len), RR_E(FULL)); /* no room for NUL */
    CHECK_INT(len, need);
    CHECK_INT(rr_event_encode_json(&ev, buf, need + 1, &len), RR_OK);
    rr_event_t empty;
    memset(&empty, 0, sizeof empty);
    CHECK_INT(rr_event_encode_json(&empty, buf, sizeof buf, &len), RR_OK);
    CHECK_STR(buf, "{}");
}

/* An event time past 2^53 (accepted from a numeric string) comes back exact: the encoder writes
 * it as a string, since a JSON number that large does not survive a double (fuzz_json found it). */
static void test_encode_big_ts(void)
{
    char buf[1024];
    size_t len;
    rr_event_t ev, back;
    const char *in = "{\"user_id\":\"u\",\"ts_ms\":\"00000000000000452298209446336521\"}";
    CHECK_INT(rr_event_decode_json(in, strlen(in), &ev), RR_OK);
    CHECK(ev.ts_ms == INT64_C(452298209446336521));
    CHECK_INT(rr_event_encode_json(&ev, buf, sizeof buf, &len), RR_OK);
    CHECK(strstr(buf, "\"ts_ms\":\"452298209446336521\"") != NULL);
    CHECK_INT(rr_event_decode_json(buf, len, &back), RR_OK);
    CHECK(back.ts_ms == ev.ts_ms);
    ev.ts_ms = INT64_C(1700000000000); /* an ordinary time stays a number */
    CHECK_INT(rr_event_encode_json(&ev, buf, sizeof buf, &len), RR_OK);
    CHECK(strstr(buf, "\"ts_ms\":1700000000000") != NULL);
}

static void test_item_and_user(void)
{
    rr_item_msg_t item;
    rr_user_msg_t user;
    const char *j = "{\"item_id\":9,\"tags\":[\"red\",\"\",\"big\"],\"available\":false,"
                    "\"price\":\"3.5\",\"title\":\"T\"}";
    CHECK_INT(rr_item_decode_json(j, strlen(j), &item), RR_OK);
    CHECK_STR(item.item_id, "9");
    CHECK_STR(item.tags, "red,big");
    CHECK_INT(item.available, 0);
    CHECK(item.flags & RR_EVF_PRICE);
    CHECK_INT(rr_item_decode(j, strlen(j), &item), RR_OK);
    j = "{\"item_id\":\"a\",\"tags\":\"x,y\"}";
    CHECK_INT(rr_item_decode(j, strlen(j), &item), RR_OK);
    CHECK_STR(item.tags, "x,y");
    CHECK_INT(item.available, 1);
    CHECK_INT(item.flags, 0);
    j = "{\"available\":\"0\"}";
    CHECK_INT(rr_item_decode(j, strlen(j), &item), RR_OK);
    CHECK_INT(item.available, 0);
    j = "{\"tags\":[1]}";
    CHECK_INT(rr_item_decode(j, strlen(j), &item), RR_E(DECODE));
    j = "{\"available\":\"maybe\"}";
    CHECK_INT(rr_item_decode(j, strlen(j), &item), RR_E(DECODE));

    j = "{\"user_id\":\"u\",\"age\":\"31\",\"occupation\":12,\"gender\":\"M\",\"region\":\"\"}";
    CHECK_INT(rr_user_decode(j, strlen(j), &user), RR_OK);
    CHECK_INT(user.age, 31);
    CHECK_STR(user.occupation, "12");
    CHECK_STR(user.gender, "M");
    j = "{\"age\":1e10}";
    CHECK_INT(rr_user_decode_json(j, strlen(j), &user), RR_E(DECODE));
    j = "{\"age\":30.5}";
    CHECK_INT(rr_user_decode_json(j, strlen(j), &user), RR_E(DECODE));
}

/* The cJSON hooks route to a thread-local arena: threads must not see each other's. */
static void *decode_many(void *arg)
{
    long id = (long)(intptr_t)arg, bad = 0;
    char json[128];
    rr_event_t ev;
    for (int i = 0; i < 3000; i++) {
        int len = snprintf(json, sizeof json, "{\"user_id\":\"t%ld-%d\",\"item_id\":%d}", id, i, i);
        char want[32];
        snprintf(want, sizeof want, "t%ld-%d", id, i);
        if (rr_event_decode_json(json, (size_t)len, &ev) != RR_OK || strcmp(ev.user_id, want))
            bad++;
    }
    return (void *)(intptr_t)bad;
}

static void test_threads(void)
{
    pthread_t th[4];
    for (long i = 0; i < 4; i++) pthread_create(&th[i], NULL, decode_many, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        CHECK_INT((intptr_t)bad, 0);
    }
}

RR_TEST_MAIN(RR_TEST(test_full_event), RR_TEST(test_spellings), RR_TEST(test_wrong_types),
             RR_TEST(test_not_an_object), RR_TEST(test_bad_values_left_to_validation),
             RR_TEST(test_bad_strings), RR_TEST(test_big_value), RR_TEST(test_garbage),
             RR_TEST(test_encode_roundtrip), RR_TEST(test_encode_big_ts),
             RR_TEST(test_item_and_user), RR_TEST(test_threads))
