/* test_topic_dump.c — rr_topic_dump on the embedded broker: every message of every partition
 * exactly once, offsets rising, then EOF; what is produced after the start is not part of the
 * dump; an empty topic ends at once; an unreachable broker fails construction. */
#include <stdlib.h>

#include "consumer_fixture.h"
#include "rr_broker.h"
#include "rr_test.h"
#include "rr_topic_dump.h"

enum { NPART = 3, NMSG = 300, NLATE = 50 };

static void test_topic_dump_whole_topic(void)
{
    static const char *const topics[] = {"d", "empty"};
    char errstr[256];
    rr_broker_t *rb = rr_broker_new(1, NPART, topics, 2, errstr, sizeof(errstr));
    CHECK(rb != NULL);
    if (!rb) return;
    rd_kafka_t *rk = fx_producer_new(rr_broker_bootstrap(rb));
    CHECK_INT(fx_produce_range(rk, "d", 0, NMSG), 0);
    CHECK_INT(fx_flush(rk), 0);

    /* rtrec's list carries group.id and auto commit for the engine: the dump ignores both. */
    const char *kv[] = {"bootstrap.servers",  rr_broker_bootstrap(rb),
                        "group.id",           "rtrec",
                        "enable.auto.commit", "true"};
    rr_topic_dump_t *td = rr_topic_dump_new(kv, 6, "d", errstr, sizeof(errstr));
    CHECK(td != NULL);
    if (!td) {
        fprintf(stderr, "dump: %s\n", errstr);
        rd_kafka_destroy(rk);
        rr_broker_free(rb);
        return;
    }
    CHECK_INT(rr_topic_dump_expected(td), NMSG);
    CHECK_INT(fx_produce_range(rk, "d", NMSG, NLATE), 0); /* after the start: not dumped */
    CHECK_INT(fx_flush(rk), 0);

    unsigned char *seen = calloc(NMSG, 1);
    int64_t next[NPART] = {0};
    int n = 0, misordered = 0, bad = 0;
    rr_msg_t msg;
    rr_err_t err;
    while ((err = rr_topic_dump_next(td, &msg)) == RR_OK) {
        n++;
        if (msg.partition < 0 || msg.partition >= NPART || strcmp(msg.topic, "d") != 0) {
            bad++;
            continue;
        }
        misordered += msg.offset != next[msg.partition];
        next[msg.partition] = msg.offset + 1;
        char value[16];
        int i = -1;
        if (msg.len < sizeof(value)) {
            memcpy(value, msg.value, msg.len);
            value[msg.len] = '\0';
            i = value[0] == 'v' ? atoi(value + 1) : -1;
        }
        if (i >= 0 && i < NMSG)
            seen[i]++;
        else
            bad++;
    }
    CHECK_INT(err, RR_E(EOF));
    CHECK_INT(n, NMSG);
    CHECK_INT(misordered, 0);
    CHECK_INT(bad, 0);
    for (int i = 0; i < NMSG; i++) CHECK_INT(seen[i], 1);
    CHECK_INT(rr_topic_dump_next(td, &msg), RR_E(EOF));
    free(seen);
    rr_topic_dump_free(td);

    td = rr_topic_dump_new(kv, 6, "empty", errstr, sizeof(errstr));
    CHECK(td != NULL);
    if (td) {
        CHECK_INT(rr_topic_dump_expected(td), 0);
        CHECK_INT(rr_topic_dump_next(td, &msg), RR_E(EOF));
    }
    rr_topic_dump_free(td);
    rd_kafka_destroy(rk);
    rr_broker_free(rb);
}

static void test_topic_dump_errors(void)
{
    char errstr[256] = "";
    const char *bad[] = {"no.such.property", "1"};
    CHECK(rr_topic_dump_new(bad, 2, "t", errstr, sizeof(errstr)) == NULL);
    CHECK(strstr(errstr, "no.such.property") != NULL);
    /* Nothing listens there: the metadata request times out. */
    const char *nobody[] = {"bootstrap.servers", "127.0.0.1:1"};
    errstr[0] = '\0';
    CHECK(rr_topic_dump_new(nobody, 2, "t", errstr, sizeof(errstr)) == NULL);
    CHECK(strstr(errstr, "no metadata for t") != NULL);
    rr_topic_dump_free(NULL);
}

RR_TEST_MAIN(RR_TEST(test_topic_dump_whole_topic), RR_TEST(test_topic_dump_errors))
