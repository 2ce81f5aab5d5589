/* test_consumer_broker.c — the embedded broker: bootstrap format, topics with the requested
 * partition count, a plain librdkafka producer can write to it, brokers go down and up. */
#include <stdlib.h>

#include "consumer_fixture.h"
#include "rr_broker.h"
#include "rr_test.h"

/* Each entry must be "127.0.0.1:<port>"; returns the number of entries or -1. */
static int bootstrap_count(const char *bootstrap)
{
    int n = 0;
    const char *p = bootstrap;
    while (*p) {
        if (strncmp(p, "127.0.0.1:", 10) != 0) return -1;
        p += 10;
        char *end;
        long port = strtol(p, &end, 10);
        if (end == p || port <= 0 || port > 65535) return -1;
        p = end;
        n++;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return n;
}

static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int cnt = -1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && md->topics[0].err == 0) cnt = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    return cnt;
}

static void test_broker_bootstrap_and_produce(void)
{
    static const char *const topics[] = {"rtrec.events", "rtrec.recs"};
    char errstr[256];
    rr_broker_t *rb = rr_broker_new(3, 6, topics, 2, errstr, sizeof(errstr));
    CHECK(rb != NULL);
    if (!rb) {
        fprintf(stderr, "broker: %s\n", errstr);
        return;
    }
    const char *bootstrap = rr_broker_bootstrap(rb);
    printf("bootstrap.servers=%s\n", bootstrap);
    CHECK_INT(bootstrap_count(bootstrap), 3);

    rd_kafka_t *rk = fx_producer_new(bootstrap);
    CHECK(rk != NULL);
    if (rk) {
        CHECK_INT(fx_produce_range(rk, "rtrec.events", 0, 50), 0);
        CHECK_INT(fx_flush(rk), 0);
        CHECK_INT(topic_partitions(rk, "rtrec.events"), 6);
        CHECK_INT(topic_partitions(rk, "rtrec.recs"), 6);
        rd_kafka_destroy(rk);
    }
    rr_broker_free(rb);
}

static void test_broker_set_up(void)
{
    static const char *const topics[] = {"t"};
    char errstr[256];
    rr_broker_t *rb = rr_broker_new(2, 1, topics, 1, errstr, sizeof(errstr));
    CHECK(rb != NULL);
    if (!rb) return;
    CHECK_INT(rr_broker_set_up(rb, 0, 0), RR_E(INVAL));
    CHECK_INT(rr_broker_set_up(rb, 3, 0), RR_E(INVAL));
    CHECK_INT(rr_broker_set_up(rb, 2, 0), RR_OK);
    CHECK_INT(rr_broker_set_up(rb, 2, 1), RR_OK);
    rr_broker_free(rb);
}

static void test_broker_bad_args(void)
{
    char errstr[256] = "";
    CHECK(rr_broker_new(0, 4, NULL, 0, errstr, sizeof(errstr)) == NULL);
    CHECK(errstr[0] != '\0');
    CHECK(rr_broker_new(1, 0, NULL, 0, errstr, sizeof(errstr)) == NULL);
    rr_broker_free(NULL);
}

RR_TEST_MAIN(RR_TEST(test_broker_bootstrap_and_produce), RR_TEST(test_broker_set_up),
             RR_TEST(test_broker_bad_args))
