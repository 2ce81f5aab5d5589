/* consumer_fixture.h — shared by the consumer tests: a plain librdkafka producer for the embedded
 * broker, consumer options tuned for fast group joins on the mock, and a monotonic clock. */
#ifndef CONSUMER_FIXTURE_H
#define CONSUMER_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

#include "rr_consumer.h"

static int fx_dr_failures;

static inline double fx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline void fx_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkmessage, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (rkmessage->err) {
        fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(rkmessage->err));
        fx_dr_failures++;
    }
}

static inline rd_kafka_t *fx_producer_new(const char *bootstrap)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "linger.ms", "1", errstr, sizeof(errstr))) {
        fprintf(stderr, "producer conf: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, fx_dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "producer: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

/* Keys "user-<i % 97>", values "v<i>"; returns 0 when all were enqueued. */
static inline int fx_produce_range(rd_kafka_t *rk, const char *topic, int first, int count)
{
    for (int i = first; i < first + count; i++) {
        char key[32], value[32];
        snprintf(key, sizeof(key), "user-%d", i % 97);
        snprintf(value, sizeof(value), "v%d", i);
        rd_kafka_resp_err_t err;
        while (
            (err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                                     RD_KAFKA_V_VALUE(value, strlen(value)),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
            RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (err) {
            fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err));
            return -1;
        }
    }
    return 0;
}

/* Blocking on purpose: tests produce before (or beside) the loop, never from it. */
static inline int fx_flush(rd_kafka_t *rk)
{
    return rd_kafka_flush(rk, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR && fx_dr_failures == 0 ? 0 : -1;
}

/* Consumer options for the mock: short session so a second member's join settles quickly. */
typedef struct {
    const char *conf[16];
    const char *topics[1];
    rr_consumer_opts_t opts;
} fx_opts_t;

static inline void fx_opts_init(fx_opts_t *fo, const char *bootstrap, const char *group,
                                const char *topic, const char *assignor, int budget)
{
    const char *conf[] = {
        "bootstrap.servers",
        bootstrap,
        "group.id",
        group,
        "session.timeout.ms",
        "3500",
        "heartbeat.interval.ms",
        "300",
        "partition.assignment.strategy",
        assignor ? assignor : "range,roundrobin",
    };
    size_t n = sizeof(conf) / sizeof(conf[0]);
    memcpy(fo->conf, conf, sizeof(conf));
    fo->topics[0] = topic;
    fo->opts = (rr_consumer_opts_t){.kafka_conf = fo->conf,
                                    .kafka_conf_len = n,
                                    .topics = fo->topics,
                                    .ntopics = 1,
                                    .budget = budget};
}

#endif
