/* test_producer.c — rr_producer against the embedded broker: keys, values, headers, tombstones
 * and opaques come back as sent and every message gets one delivery report from a
 * non-blocking poll; with no broker, a full queue says so, send_wait waits for room, failed
 * deliveries are reported and logged through rr_log; consumer-only keys are skipped. */
#include <stdatomic.h>
#include <stdlib.h>

#include "consumer_fixture.h"
#include "rr_broker.h"
#include "rr_log.h"
#include "rr_producer.h"
#include "rr_test.h"

enum { NSEND = 10, HDR_AT = 3, TOMBSTONE_AT = 9 };

static atomic_int log_delivery_failed, log_confwarn_fetch, log_consumer_keys;

/* Runs under rr_log's lock, on librdkafka's threads too. */
static void sink(void *opaque, rr_log_level_t level, const char *msg)
{
    (void)opaque;
    (void)level;
    if (strstr(msg, "kafka delivery to")) log_delivery_failed++;
    if (strstr(msg, "CONFWARN") && strstr(msg, "fetch.wait.max.ms")) log_confwarn_fetch++;
    if (strstr(msg, "group.id") || strstr(msg, "enable.auto") || strstr(msg, "auto.offset.reset"))
        log_consumer_keys++;
}

typedef struct {
    int reports[NSEND + 1]; /* by opaque */
    int failed, other;
} dr_count_t;

static void on_delivery(void *opaque, void *msg_opaque, rr_err_t err)
{
    dr_count_t *dc = opaque;
    uintptr_t tag = (uintptr_t)msg_opaque;
    if (err) dc->failed++;
    if (!err && tag >= 1 && tag <= NSEND)
        dc->reports[tag]++;
    else if (!err)
        dc->other++;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* A plain assign consumer of partition 0 of `topic`, from the start. Its messages must be
 * destroyed before it is. */
static rd_kafka_t *reader_new(const char *bootstrap, const char *topic)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", "read-back", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) return NULL;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    return rk;
}

static int read_back(rd_kafka_t *rk, rd_kafka_message_t **out, int n)
{
    int got = 0;
    double deadline = fx_now_ms() + 10000;
    while (got < n && fx_now_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m && !m->err)
            out[got++] = m;
        else if (m)
            rd_kafka_message_destroy(m);
    }
    return got;
}

static int header_is(rd_kafka_message_t *m, const char *name, const char *want)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *val;
    size_t size;
    if (rd_kafka_message_headers(m, &hdrs) || rd_kafka_header_get_last(hdrs, name, &val, &size))
        return 0;
    return size == strlen(want) && memcmp(val, want, size) == 0;
}

static void check_read_back(const char *bootstrap)
{
    rd_kafka_t *rk = reader_new(bootstrap, "p");
    CHECK(rk != NULL);
    if (!rk) return;
    rd_kafka_message_t *msgs[NSEND];
    int got = read_back(rk, msgs, NSEND);
    CHECK_INT(got, NSEND);
    for (int i = 0; i < got; i++) {
        char key[16], value[16];
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(value, sizeof(value), "v%d", i);
        CHECK(msgs[i]->key_len == strlen(key) && memcmp(msgs[i]->key, key, strlen(key)) == 0);
        if (i == TOMBSTONE_AT)
            CHECK(msgs[i]->payload == NULL);
        else
            CHECK(msgs[i]->len == strlen(value) &&
                  memcmp(msgs[i]->payload, value, strlen(value)) == 0);
        rd_kafka_headers_t *hdrs = NULL;
        int has = rd_kafka_message_headers(msgs[i], &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR;
        CHECK_INT(has, i == HDR_AT);
        if (i == HDR_AT) {
            CHECK(header_is(msgs[i], "rtrec.reason", "DECODE"));
            CHECK(header_is(msgs[i], "rtrec.source", "t/0@7"));
        }
        rd_kafka_message_destroy(msgs[i]);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void test_producer_delivers(void)
{
    static const char *const topics[] = {"p"};
    char errstr[256];
    rr_broker_t *rb = rr_broker_new(1, 1, topics, 1, errstr, sizeof(errstr));
    CHECK(rb != NULL);
    if (!rb) return;
    static const char *const defaults[] = {"enable.idempotence", "true", "linger.ms", "1"};
    const char *kv[] = {"bootstrap.servers",  rr_broker_bootstrap(rb),
                        "group.id",           "g",
                        "enable.auto.commit", "false"};
    rr_producer_opts_t opts = {defaults, 4, kv, 6};
    dr_count_t dc = {0};
    rr_producer_cbs_t cbs = {&dc, on_delivery};
    log_consumer_keys = 0;
    rr_log_set_sink(sink, NULL);
    rr_producer_t *rp = rr_producer_new(&opts, &cbs, errstr, sizeof(errstr));
    CHECK(rp != NULL);
    if (!rp) {
        fprintf(stderr, "producer: %s\n", errstr);
        rr_broker_free(rb);
        return;
    }
    rr_header_t hdrs[] = {{"rtrec.reason", "DECODE"}, {"rtrec.source", "t/0@7"}};
    for (int i = 0; i < NSEND; i++) {
        char key[16], value[16];
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(value, sizeof(value), "v%d", i);
        rr_produce_msg_t pm = {.topic = "p",
                               .key = key,
                               .key_len = strlen(key),
                               .value = i == TOMBSTONE_AT ? NULL : value,
                               .len = strlen(value),
                               .headers = i == HDR_AT ? hdrs : NULL,
                               .nheaders = i == HDR_AT ? 2 : 0,
                               .opaque = (void *)(uintptr_t)(i + 1)};
        CHECK_INT(rr_producer_send(rp, &pm), RR_OK);
    }
    /* The loop's way: poll without blocking until every report is in. */
    double deadline = fx_now_ms() + 10000;
    int reported = 0;
    while (reported < NSEND && fx_now_ms() < deadline) {
        reported += rr_producer_poll(rp);
        sleep_ms(5);
    }
    CHECK_INT(reported, NSEND);
    for (int i = 1; i <= NSEND; i++) CHECK_INT(dc.reports[i], 1);
    CHECK_INT(dc.failed + dc.other, 0);
    CHECK_INT(rr_producer_queued(rp), 0);
    rr_producer_free(rp);
    rr_log_set_sink(NULL, NULL);
    CHECK_INT(log_consumer_keys, 0); /* skipped, so librdkafka had nothing to warn about */
    check_read_back(rr_broker_bootstrap(rb));
    rr_broker_free(rb);
}

/* No broker at all: the queue fills, then messages time out and are reported as failed. */
static void test_producer_full_then_failed(void)
{
    const char *kv[] = {"bootstrap.servers", "127.0.0.1:1", "queue.buffering.max.messages", "3",
                        "linger.ms",         "0",           "message.timeout.ms",           "200"};
    rr_producer_opts_t opts = {NULL, 0, kv, 8};
    dr_count_t dc = {0};
    rr_producer_cbs_t cbs = {&dc, on_delivery};
    char errstr[256];
    log_delivery_failed = 0;
    rr_log_set_sink(sink, NULL);
    rr_producer_t *rp = rr_producer_new(&opts, &cbs, errstr, sizeof(errstr));
    CHECK(rp != NULL);
    if (!rp) return;
    rr_produce_msg_t pm = {.topic = "t", .key = "k", .key_len = 1, .value = "v", .len = 1};
    for (int i = 0; i < 3; i++) CHECK_INT(rr_producer_send(rp, &pm), RR_OK);
    CHECK_INT(rr_producer_send(rp, &pm), RR_E(FULL));
    CHECK(rr_producer_queued(rp) >= 3); /* plus any request in flight */
    rr_header_t many[9] = {{"a", "b"}};
    rr_produce_msg_t too_many = {.topic = "t", .headers = many, .nheaders = 9};
    CHECK_INT(rr_producer_send(rp, &too_many), RR_E(INVAL));
    double t0 = fx_now_ms();
    CHECK_INT(rr_producer_send_wait(rp, &pm), RR_OK); /* room once the first ones time out */
    CHECK(fx_now_ms() - t0 >= 150);
    CHECK_INT(rr_producer_flush(rp, 10000), 0);
    CHECK_INT(dc.failed, 4);
    rr_producer_free(rp);
    rr_log_set_sink(NULL, NULL);
    CHECK_INT(log_delivery_failed, 4);
}

static void test_producer_conf(void)
{
    const char *bad[] = {"no.such.property", "1"};
    rr_producer_opts_t opts = {NULL, 0, bad, 2};
    char errstr[256] = "";
    CHECK(rr_producer_new(&opts, NULL, errstr, sizeof(errstr)) == NULL);
    CHECK(strstr(errstr, "no.such.property") != NULL);
    opts.kafka_conf_len = 1;
    CHECK(rr_producer_new(&opts, NULL, errstr, sizeof(errstr)) == NULL);

    /* A consumer property the builder does not skip: librdkafka's warning reaches rr_log. */
    const char *warn[] = {"bootstrap.servers", "127.0.0.1:1", "fetch.wait.max.ms", "5"};
    opts = (rr_producer_opts_t){NULL, 0, warn, 4};
    log_confwarn_fetch = 0;
    rr_log_set_sink(sink, NULL);
    rr_producer_t *rp = rr_producer_new(&opts, NULL, errstr, sizeof(errstr));
    CHECK(rp != NULL);
    rr_producer_free(rp);
    rr_log_set_sink(NULL, NULL);
    CHECK_INT(log_confwarn_fetch, 1);
    rr_producer_free(NULL);
}

RR_TEST_MAIN(RR_TEST(test_producer_delivers), RR_TEST(test_producer_full_then_failed),
             RR_TEST(test_producer_conf))
