/* test_proto_recs.c — Recommendations: round trips of short and long lists, agreement with
 * protobuf-c's own (heap) codec in both directions, and malformed input. */
#include "proto_fixtures.h"
#include "rr_test.h"
#include "rtrec.pb-c.h"

static rr_recs_t make_recs(rr_rec_t *store, size_t n)
{
    rr_recs_t recs;
    memset(&recs, 0, sizeof recs);
    strcpy(recs.user_id, "u42");
    strcpy(recs.model_version, "m-17");
    recs.generated_at_ms = 1700000000456LL;
    recs.trigger_ts_ms = 1700000000123LL;
    for (size_t i = 0; i < n; i++) {
        memset(&store[i], 0, sizeof store[i]);
        snprintf(store[i].item_id, sizeof store[i].item_id, "item-%zu", i);
        store[i].score = 1.0f / (float)(i + 1);
        strcpy(store[i].reason, i % 2 ? "trending" : "category");
        snprintf(store[i].reason_detail, sizeof store[i].reason_detail,
                 "category \xE6\x9C\x8D\xE8\xA3\x85 affinity 0.%02zu", i % 100);
    }
    recs.n = n;
    recs.recs = store;
    return recs;
}

static int recs_equal(const rr_recs_t *a, const rr_recs_t *b)
{
    if (strcmp(a->user_id, b->user_id) || strcmp(a->model_version, b->model_version) ||
        a->generated_at_ms != b->generated_at_ms || a->trigger_ts_ms != b->trigger_ts_ms ||
        a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const rr_rec_t *x = &a->recs[i], *y = &b->recs[i];
        if (strcmp(x->item_id, y->item_id) || x->score != y->score ||
            strcmp(x->reason, y->reason) || strcmp(x->reason_detail, y->reason_detail))
            return 0;
    }
    return 1;
}

static void roundtrip(size_t n)
{
    rr_rec_t *in = calloc(n ? n : 1, sizeof *in), *out = calloc(n ? n : 1, sizeof *out);
    rr_recs_t recs = make_recs(in, n), back;
    size_t need = 0, len = 0;
    CHECK_INT(rr_recs_encode_pb(&recs, NULL, 0, &need), RR_E(FULL)); /* user_id is always written */
    unsigned char *buf = malloc(need);
    CHECK_INT(rr_recs_encode_pb(&recs, buf, need, &len), RR_OK);
    CHECK_INT(len, need);
    CHECK_INT(rr_recs_decode_pb(buf, len, &back, out, n), RR_OK);
    CHECK(recs_equal(&recs, &back));
    CHECK(back.recs == out);
    free(buf);
    free(in);
    free(out);
}

static void test_roundtrip(void)
{
    roundtrip(0);
    roundtrip(1);
    roundtrip(10);
    roundtrip(2000); /* long lists need no more stack: one Rec at a time */
}

/* Our hand-framed top level must be what protobuf-c produces and reads. */
static void test_matches_protobuf_c(void)
{
    rr_rec_t in[3], out[3];
    rr_recs_t recs = make_recs(in, 3), back;
    unsigned char buf[2048];
    size_t len;
    CHECK_INT(rr_recs_encode_pb(&recs, buf, sizeof buf, &len), RR_OK);

    Rtrec__V1__Recommendations *ref = rtrec__v1__recommendations__unpack(NULL, len, buf);
    CHECK(ref != NULL);
    if (!ref) return;
    CHECK_STR(ref->user_id, "u42");
    CHECK_STR(ref->model_version, "m-17");
    CHECK_INT(ref->generated_at_ms, 1700000000456LL);
    CHECK_INT(ref->trigger_ts_ms, 1700000000123LL);
    CHECK_INT(ref->n_recs, 3);
    if (ref->n_recs == 3) {
        CHECK_STR(ref->recs[2]->item_id, "item-2");
        CHECK_STR(ref->recs[1]->reason, "trending");
        CHECK_NEAR(ref->recs[2]->score, 1.0 / 3, 1e-7);
    }
    /* And the other way: protobuf-c's packing, our decoder. */
    size_t ref_len = rtrec__v1__recommendations__pack(ref, buf);
    rtrec__v1__recommendations__free_unpacked(ref, NULL);
    CHECK_INT(rr_recs_decode_pb(buf, ref_len, &back, out, 3), RR_OK);
    CHECK(recs_equal(&recs, &back));
}

static void test_capacity(void)
{
    rr_rec_t in[5], out[5];
    rr_recs_t recs = make_recs(in, 5), back;
    unsigned char buf[4096];
    size_t need, len;
    CHECK_INT(rr_recs_encode_pb(&recs, buf, sizeof buf, &need), RR_OK);
    CHECK_INT(rr_recs_encode_pb(&recs, buf, need - 1, &len), RR_E(FULL));
    CHECK_INT(rr_recs_decode_pb(buf, need, &back, out, 4), RR_E(FULL));
    CHECK_INT(rr_recs_decode_pb(buf, need, &back, out, 5), RR_OK);
}

static void test_malformed(void)
{
    rr_rec_t in[4], out[4];
    rr_recs_t recs = make_recs(in, 4), back;
    unsigned char buf[4096];
    size_t len;
    CHECK_INT(rr_recs_encode_pb(&recs, buf, sizeof buf, &len), RR_OK);
    int failures = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        void *copy = fixture_dup(buf, cut);
        rr_err_t err = rr_recs_decode_pb(copy, cut, &back, out, 4);
        CHECK(is_known_code(err));
        failures += err != RR_OK;
        free(copy);
    }
    CHECK(failures > (int)len / 2);

    uint64_t seed = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t n = fixture_rand(&seed) % 96;
        for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)fixture_rand(&seed);
        void *copy = fixture_dup(buf, n);
        CHECK(is_known_code(rr_recs_decode_pb(copy, n, &back, out, 4)));
        free(copy);
    }
    /* user_id as a varint: wrong wire type. A group (wire type 3): not valid. */
    CHECK_INT(rr_recs_decode_pb("\x08\x01", 2, &back, out, 4), RR_E(DECODE));
    CHECK_INT(rr_recs_decode_pb("\x0B\x0C", 2, &back, out, 4), RR_E(DECODE));
    /* field 0 does not exist */
    CHECK_INT(rr_recs_decode_pb("\x02\x00", 2, &back, out, 4), RR_E(DECODE));
    /* A Rec with an invalid UTF-8 item id. */
    CHECK_INT(rr_recs_decode_pb("\x12\x04\x0A\x02\xC0\x80", 6, &back, out, 4), RR_E(BAD_UTF8));
    /* A user_id too long for the field. */
    unsigned char big[2 + 100];
    big[0] = 0x0A;
    big[1] = 100;
    memset(big + 2, 'u', 100);
    CHECK_INT(rr_recs_decode_pb(big, sizeof big, &back, out, 4), RR_E(TOO_LONG));
}

static void test_unknown_fields_skipped(void)
{
    /* user_id "u", then field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32,
     * then trigger_ts_ms = 5. */
    static const unsigned char msg[] = {0x0A, 1, 'u',  0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5,    6,
                                        7,    8, 0x5A, 2,    'x',  'y',  0x65, 1, 2, 3, 4, 0x28, 5};
    rr_rec_t out[1];
    rr_recs_t back;
    CHECK_INT(rr_recs_decode_pb(msg, sizeof msg, &back, out, 1), RR_OK);
    CHECK_STR(back.user_id, "u");
    CHECK_INT(back.trigger_ts_ms, 5);
    CHECK_INT(back.n, 0);
    /* A truncated fixed64 unknown field. */
    CHECK_INT(rr_recs_decode_pb(msg, 10, &back, out, 1), RR_E(DECODE));
}

RR_TEST_MAIN(RR_TEST(test_roundtrip), RR_TEST(test_matches_protobuf_c), RR_TEST(test_capacity),
             RR_TEST(test_malformed), RR_TEST(test_unknown_fields_skipped))
