/* test_proto_csv.c — the CSV/TSV/JSONL dialects of rr_line_decode: good lines, headers, blank
 * lines, missing columns, bad numbers, and rees46 time parsing against known epochs and timegm. */
#include <time.h>
#include "proto_fixtures.h"
#include "rr_test.h"

static rr_err_t line(rr_format_t fmt, const char *text, rr_event_t *ev)
{
    size_t len = strlen(text);
    void *copy = fixture_dup(text, len); /* no NUL after the line */
    rr_err_t err = rr_line_decode(fmt, copy, len, ev);
    free(copy);
    return err;
}

static void test_formats(void)
{
    static const char *const names[] = {"taobao", "rees46", "movielens", "amazon",
                                        "jsonl",  "pb",     "ml100k",    "caixin"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        rr_format_t fmt = rr_format_parse(names[i]);
        CHECK(fmt != RR_FMT_NONE);
        CHECK_STR(rr_format_name(fmt), names[i]);
    }
    CHECK_INT(rr_format_parse("csv"), RR_FMT_NONE);
    CHECK_INT(rr_format_parse(NULL), RR_FMT_NONE);
    CHECK_STR(rr_format_name((rr_format_t)99), "none");
    rr_event_t ev;
    CHECK_INT(line(RR_FMT_PB, "x", &ev), RR_E(INVAL));
    CHECK_INT(line(RR_FMT_NONE, "x", &ev), RR_E(INVAL));
}

static void test_taobao(void)
{
    rr_event_t ev;
    CHECK_INT(line(RR_FMT_TAOBAO, "1,2268318,2520377,pv,1511544070", &ev), RR_OK);
    CHECK_STR(ev.user_id, "1");
    CHECK_STR(ev.item_id, "2268318");
    CHECK_STR(ev.category, "2520377");
    CHECK_INT(ev.type, RR_EV_VIEW);
    CHECK_INT(ev.ts_ms, 1511544070000LL);
    CHECK_INT(ev.flags, RR_EVF_TS);
    CHECK_INT(rr_event_validate(&ev, 1700000000000LL), RR_OK);
    CHECK_INT(line(RR_FMT_TAOBAO, "1,2,3,cart,1511544070\r\n", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_ADD_TO_CART);
    CHECK_INT(ev.ts_ms, 1511544070000LL);
    CHECK_INT(line(RR_FMT_TAOBAO, "1,2,3,fav,1511544070", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_FAVORITE);
    CHECK_INT(line(RR_FMT_TAOBAO, "\"1\",\"2\",\"3\",\"buy\",\"1511544070\"", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_PURCHASE);
    CHECK_STR(ev.item_id, "2");

    CHECK_INT(line(RR_FMT_TAOBAO, "1,2,3,xx,1511544070", &ev), RR_E(BAD_TYPE));
    CHECK_INT(line(RR_FMT_TAOBAO, "1,2,3,pv", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_TAOBAO, "1,2,3,pv,1511544070,9", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_TAOBAO, "1,2,3,pv,15115x4070", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_TAOBAO, "1,2,3,pv,", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_TAOBAO, "1,2,3,pv,99999999999999999", &ev), RR_E(BAD_TS));
    CHECK_INT(line(RR_FMT_TAOBAO, "\"1,2,3,pv,1511544070", &ev), RR_E(DECODE)); /* open quote */
    CHECK_INT(line(RR_FMT_TAOBAO, "\"1\"x,2,3,pv,1511544070", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_TAOBAO, "1,\xC0\xAF,3,pv,1511544070", &ev), RR_E(BAD_UTF8));
    CHECK_INT(line(RR_FMT_TAOBAO,
                   "1,0123456789012345678901234567890123456789012345678901234567890123,3,pv,1",
                   &ev),
              RR_E(TOO_LONG));
    CHECK_INT(line(RR_FMT_TAOBAO, "user_id,item_id,category_id,behavior_type,timestamp", &ev),
              RR_E(NOT_FOUND));
    CHECK_INT(line(RR_FMT_TAOBAO, "", &ev), RR_E(NOT_FOUND));
    CHECK_INT(line(RR_FMT_TAOBAO, "  \r\n", &ev), RR_E(NOT_FOUND));
}

static const char *const rees46_header =
    "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session";

static void test_rees46(void)
{
    rr_event_t ev;
    CHECK_INT(line(RR_FMT_REES46, rees46_header, &ev), RR_E(NOT_FOUND));
    CHECK_INT(line(RR_FMT_REES46,
                   "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,"
                   "541312140,72d76fde-8bb3-4e00-8c23-a032dfed738c\r",
                   &ev),
              RR_OK);
    CHECK_INT(ev.ts_ms, 1569888000000LL);
    CHECK_INT(ev.type, RR_EV_VIEW);
    CHECK_STR(ev.item_id, "44600062");
    CHECK_STR(ev.category, "2103807459595387724"); /* no category_code: the id */
    CHECK_STR(ev.brand, "shiseido");
    CHECK_NEAR(ev.price, 35.79, 1e-5);
    CHECK_INT(ev.flags, RR_EVF_TS | RR_EVF_PRICE);
    CHECK_STR(ev.user_id, "541312140");
    CHECK_STR(ev.session_id, "72d76fde-8bb3-4e00-8c23-a032dfed738c");

    CHECK_INT(line(RR_FMT_REES46,
                   "2019-11-30 23:59:59 UTC,purchase,1004856,2053013555631882655,"
                   "electronics.smartphone,samsung,130.76,543272936,8187d148",
                   &ev),
              RR_OK);
    CHECK_INT(ev.ts_ms, 1575158399000LL);
    CHECK_INT(ev.type, RR_EV_PURCHASE);
    CHECK_STR(ev.category, "electronics.smartphone");
    CHECK_NEAR(ev.value, 130.76, 1e-4); /* price paid */
    CHECK_INT(ev.flags, RR_EVF_TS | RR_EVF_PRICE | RR_EVF_VALUE);

    CHECK_INT(line(RR_FMT_REES46, "2019-10-01 00:00:00 UTC,cart,1,2,,,,3,s", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_ADD_TO_CART);
    CHECK_INT(ev.flags, RR_EVF_TS); /* empty price: absent */
    CHECK_INT(line(RR_FMT_REES46, "2019-10-01 00:00:00 UTC,remove_from_cart,1,2,,,1.0,3,s", &ev),
              RR_E(NOT_FOUND));
    CHECK_INT(line(RR_FMT_REES46, "2019-10-01 00:00:00 UTC,refund,1,2,,,1.0,3,s", &ev),
              RR_E(BAD_TYPE));
    CHECK_INT(line(RR_FMT_REES46, "2019-10-01 00:00:00 UTC,view,1,2,,,abc,3,s", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_REES46, "2019-10-01 00:00:00 UTC,view,1,2,,,1.0,3", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_REES46, "yesterday,view,1,2,,,1.0,3,s", &ev), RR_E(DECODE));
}

typedef struct {
    const char *text;
    long long ms; /* -1: must fail */
} time_case_t;

static void test_rees46_times(void)
{
    static const time_case_t cases[] = {
        {"2019-10-01 00:00:00 UTC", 1569888000000LL},
        {"2019-11-30 23:59:59 UTC", 1575158399000LL},
        {"2020-02-29 12:34:56 UTC", 1582979696000LL}, /* leap day */
        {"2000-03-01 00:00:00 UTC", 951868800000LL},
        {"1970-01-01 00:00:00 UTC", 0},
        {"2019-10-01T00:00:00Z", 1569888000000LL},
        {"2019-10-01 00:00:00", 1569888000000LL},
        {"2019-10-01 00:00:00+00:00", 1569888000000LL},
        {"2019-10-01 00:00:00.5 UTC", 1569888000500LL},
        {"2019-10-01 00:00:00.123456 UTC", 1569888000123LL},
        {"2019-02-29 00:00:00 UTC", -1}, /* not a leap year */
        {"1900-02-29 00:00:00 UTC", -1},
        {"2019-13-01 00:00:00 UTC", -1},
        {"2019-00-10 00:00:00 UTC", -1},
        {"2019-04-31 00:00:00 UTC", -1},
        {"2019-10-01 24:00:00 UTC", -1},
        {"2019-10-01 23:60:00 UTC", -1},
        {"2019-10-01 00:00:00 PST", -1}, /* only UTC */
        {"2019-10-01 00:00:00+02:00", -1},
        {"2019-10-01 00:00:00.", -1},
        {"2019-1-01 00:00:00 UTC", -1},
        {"2019/10/01 00:00:00 UTC", -1},
        {"2019-10-01", -1},
    };
    char text[160];
    rr_event_t ev;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "%s,view,1,2,,,1.0,3,s", cases[i].text);
        rr_err_t err = line(RR_FMT_REES46, text, &ev);
        if (cases[i].ms == -1) {
            CHECK_INT(err, RR_E(DECODE));
        } else {
            CHECK_INT(err, RR_OK);
            CHECK_INT(ev.ts_ms, cases[i].ms);
        }
        if ((err == RR_OK) != (cases[i].ms != -1)) fprintf(stderr, "  case %s\n", cases[i].text);
    }
}

/* The calendar arithmetic agrees with the C library's timegm over 1970..2099. */
static void test_rees46_vs_timegm(void)
{
    uint64_t seed = 4242;
    char text[160];
    rr_event_t ev;
    for (int i = 0; i < 5000; i++) {
        time_t t = (time_t)(fixture_rand(&seed) % 4102444800ULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC,view,1,2,,,1.0,3,s", &tm);
        CHECK_INT(line(RR_FMT_REES46, text, &ev), RR_OK);
        CHECK_INT(ev.ts_ms, (long long)timegm(&tm) * 1000);
        if (ev.ts_ms != (long long)t * 1000) {
            fprintf(stderr, "  %s\n", text);
            break;
        }
    }
}

static void test_movielens(void)
{
    rr_event_t ev;
    CHECK_INT(line(RR_FMT_MOVIELENS, "userId,movieId,rating,timestamp", &ev), RR_E(NOT_FOUND));
    CHECK_INT(line(RR_FMT_MOVIELENS, "1,31,2.5,1260759144", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_RATE);
    CHECK_STR(ev.user_id, "1");
    CHECK_STR(ev.item_id, "31");
    CHECK_NEAR(ev.value, 2.5, 0);
    CHECK_INT(ev.ts_ms, 1260759144000LL);
    CHECK_INT(ev.flags, RR_EVF_TS | RR_EVF_VALUE);
    CHECK_INT(line(RR_FMT_MOVIELENS, "1,31,good,1260759144", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_MOVIELENS, "1,31,2.5", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_MOVIELENS, "1,31,2.5,soon", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_MOVIELENS, "1,31,-2,1260759144", &ev), RR_OK);
    CHECK_INT(rr_event_validate(&ev, 1700000000000LL), RR_E(BAD_PRICE));
}

/* MovieLens-100k u.data: the movielens columns, tab-separated, no header. */
static void test_ml100k(void)
{
    rr_event_t ev;
    CHECK_INT(line(RR_FMT_ML100K, "196\t242\t3\t881250949\n", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_RATE);
    CHECK_STR(ev.user_id, "196");
    CHECK_STR(ev.item_id, "242");
    CHECK_STR(ev.category, "");
    CHECK_NEAR(ev.value, 3, 0);
    CHECK_INT(ev.ts_ms, 881250949000LL);
    CHECK_INT(ev.flags, RR_EVF_TS | RR_EVF_VALUE);
    CHECK_INT(rr_event_validate(&ev, 1700000000000LL), RR_OK);
    CHECK_INT(line(RR_FMT_ML100K, "196,242,3,881250949", &ev), RR_E(DECODE)); /* not tabs */
    CHECK_INT(line(RR_FMT_ML100K, "196\t242\t3", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_ML100K, "196\t242\t3\t881250949\t1", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_ML100K, "196\t242\tgood\t881250949", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_ML100K, "196\t242\t3\tsoon", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_ML100K, "\t\t", &ev), RR_E(NOT_FOUND)); /* blank */
}

/* The caixin news clicks: user_id, item_id, type, seconds; a header line. */
static void test_caixin(void)
{
    rr_event_t ev;
    CHECK_INT(line(RR_FMT_CAIXIN, "user_id\titem_id\ttype\ttimestamp", &ev), RR_E(NOT_FOUND));
    CHECK_INT(line(RR_FMT_CAIXIN, "1626\t100633811\tclick\t1393631935\r\n", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_CLICK);
    CHECK_STR(ev.user_id, "1626");
    CHECK_STR(ev.item_id, "100633811");
    CHECK_INT(ev.ts_ms, 1393631935000LL);
    CHECK_INT(ev.flags, RR_EVF_TS);
    CHECK_INT(line(RR_FMT_CAIXIN, "1\t2\tread\t1393631935", &ev), RR_E(BAD_TYPE));
    CHECK_INT(line(RR_FMT_CAIXIN, "1\t2\tclick", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_CAIXIN, "1,2,click,1393631935", &ev), RR_E(DECODE));
}

static void test_amazon(void)
{
    rr_event_t ev;
    CHECK_INT(line(RR_FMT_AMAZON, "user_id\titem_id\ttime", &ev), RR_E(NOT_FOUND));
    CHECK_INT(line(RR_FMT_AMAZON, "A2SUAM1J3GNN3B\t0000013714\t1355616000\n", &ev), RR_OK);
    CHECK_INT(ev.type, RR_EV_PURCHASE);
    CHECK_STR(ev.user_id, "A2SUAM1J3GNN3B");
    CHECK_STR(ev.item_id, "0000013714");
    CHECK_INT(ev.ts_ms, 1355616000000LL);
    CHECK_INT(line(RR_FMT_AMAZON, "A\tB\t1355616000123", &ev), RR_OK); /* already ms */
    CHECK_INT(ev.ts_ms, 1355616000123LL);
    CHECK_INT(line(RR_FMT_AMAZON, "A,B,1355616000", &ev), RR_E(DECODE)); /* not tab-separated */
    CHECK_INT(line(RR_FMT_AMAZON, "A\tB", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_AMAZON, "A\tB\tnow", &ev), RR_E(DECODE));
}

static void test_jsonl(void)
{
    rr_event_t ev;
    CHECK_INT(
        line(RR_FMT_JSONL, "{\"user_id\":\"u\",\"item_id\":\"i\",\"type\":\"view\"}\r\n", &ev),
        RR_OK);
    CHECK_STR(ev.user_id, "u");
    CHECK_INT(line(RR_FMT_JSONL, "   ", &ev), RR_E(NOT_FOUND));
    CHECK_INT(line(RR_FMT_JSONL, "{\"user_id\":", &ev), RR_E(DECODE));
    CHECK_INT(line(RR_FMT_JSONL, "\xEF\xBB\xBF{\"user_id\":\"u\"}", &ev), RR_OK); /* BOM */
}

/* Random lines of plausible characters: every dialect returns a code, never crashes. */
static void test_garbage(void)
{
    static const char alphabet[] = "0123456789,,\t\"-:. UTCpvbuy\xE6\x9C\x8D\xFF{}";
    const rr_format_t fmts[] = {RR_FMT_TAOBAO, RR_FMT_REES46, RR_FMT_MOVIELENS, RR_FMT_AMAZON,
                                RR_FMT_JSONL,  RR_FMT_ML100K, RR_FMT_CAIXIN};
    uint64_t seed = 99;
    char buf[80];
    rr_event_t ev;
    for (int round = 0; round < 20000; round++) {
        size_t len = fixture_rand(&seed) % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = alphabet[fixture_rand(&seed) % (sizeof alphabet - 1)];
        void *copy = fixture_dup(buf, len);
        CHECK(is_known_code(
            rr_line_decode(fmts[round % (sizeof fmts / sizeof fmts[0])], copy, len, &ev)));
        free(copy);
    }
}

RR_TEST_MAIN(RR_TEST(test_formats), RR_TEST(test_taobao), RR_TEST(test_rees46),
             RR_TEST(test_rees46_times), RR_TEST(test_rees46_vs_timegm), RR_TEST(test_movielens),
             RR_TEST(test_ml100k), RR_TEST(test_caixin), RR_TEST(test_amazon), RR_TEST(test_jsonl),
             RR_TEST(test_garbage))
