/* rr_topic_dump.c — one pass over a topic with an assign-only consumer: plan the watermarks,
 * assign every non-empty partition at its low mark, hand out messages below the high mark. */
#include "rr_topic_dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

#include "rr_kafka_conf.h"
#include "rr_log.h"

enum { TD_QUERY_MS = 10000, TD_POLL_MS = 100, TD_IDLE_MS = 10000 };

struct rr_topic_dump_s {
    rd_kafka_t *rk;
    int npart;
    int64_t *high;            /* per partition: stop below this offset; -1 = done or empty */
    int remaining;            /* partitions not yet at their mark */
    uint64_t expected;        /* sum of high - low at start */
    rd_kafka_message_t *held; /* the message handed out last */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static rd_kafka_t *client_new(const char *const *kv, size_t n, char *errstr, size_t errlen)
{
    /* librdkafka wants a group id even for an assign-only consumer; it is never joined. This
     * one is what `rtrec record` always used, so grants made for it still apply. */
    static const char *const defaults[] = {"group.id", "rtrec-record", "enable.auto.commit",
                                           "false"};
    rd_kafka_conf_t *conf =
        rr_kafka_conf_build(RR_KAFKA_READER, defaults, 4, kv, n, errstr, errlen);
    if (!conf) return NULL;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errlen);
    if (!rk) rd_kafka_conf_destroy(conf);
    return rk;
}

static int partitions_count(rr_topic_dump_t *td, const char *topic, char *errstr, size_t errlen)
{
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(td->rk, topic, NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(td->rk, 0, rkt, &md, TD_QUERY_MS);
    rd_kafka_topic_destroy(rkt);
    if (!err && (md->topic_cnt != 1 || md->topics[0].err)) {
        err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        rd_kafka_metadata_destroy(md);
    }
    if (err) {
        snprintf(errstr, errlen, "no metadata for %s: %s", topic, rd_kafka_err2str(err));
        return -1;
    }
    td->npart = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return 0;
}

/* Queries every partition's watermarks and assigns the non-empty ones at their low mark. */
static int plan(rr_topic_dump_t *td, const char *topic, char *errstr, size_t errlen)
{
    if (partitions_count(td, topic, errstr, errlen) != 0) return -1;
    td->high = calloc(td->npart ? (size_t)td->npart : 1, sizeof(*td->high));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(td->npart);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int p = 0; p < td->npart && !err && td->high; p++) {
        int64_t lo = 0, hi = 0;
        err = rd_kafka_query_watermark_offsets(td->rk, topic, p, &lo, &hi, TD_QUERY_MS);
        if (err)
            snprintf(errstr, errlen, "watermarks of %s [%d]: %s", topic, p, rd_kafka_err2str(err));
        td->high[p] = -1;
        if (err || hi <= lo) continue;
        td->high[p] = hi;
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = lo;
        td->remaining++;
        td->expected += (uint64_t)(hi - lo);
    }
    if (!td->high) snprintf(errstr, errlen, "out of memory");
    if (td->high && !err && (err = rd_kafka_assign(td->rk, parts)) != 0)
        snprintf(errstr, errlen, "assign %s: %s", topic, rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(parts);
    return td->high && !err ? 0 : -1;
}

rr_topic_dump_t *rr_topic_dump_new(const char *const *kafka_conf, size_t kafka_conf_len,
                                   const char *topic, char *errstr, size_t errlen)
{
    rr_topic_dump_t *td = calloc(1, sizeof(*td));
    if (!td) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    td->rk = client_new(kafka_conf, kafka_conf_len, errstr, errlen);
    if (!td->rk || plan(td, topic, errstr, errlen) != 0) {
        rr_topic_dump_free(td);
        return NULL;
    }
    return td;
}

uint64_t rr_topic_dump_expected(const rr_topic_dump_t *td)
{
    return td->expected;
}

/* 1 if the message is one to hand out; counts the partitions that reached their mark. */
static int message_take(rr_topic_dump_t *td, const rd_kafka_message_t *rkmessage)
{
    if (rkmessage->err) {
        RR_WARN("topic dump: %s [%d]: %s",
                rkmessage->rkt ? rd_kafka_topic_name(rkmessage->rkt) : "-",
                (int)rkmessage->partition, rd_kafka_message_errstr(rkmessage));
        return 0;
    }
    int32_t p = rkmessage->partition;
    if (p < 0 || p >= td->npart || td->high[p] < 0) return 0; /* not planned, or done */
    int past = rkmessage->offset >= td->high[p];              /* the last offsets held no message */
    if (past || rkmessage->offset + 1 == td->high[p]) {
        td->high[p] = -1;
        td->remaining--;
    }
    return !past; /* anything past the mark came after the start */
}

rr_err_t rr_topic_dump_next(rr_topic_dump_t *td, rr_msg_t *msg)
{
    if (td->held) rd_kafka_message_destroy(td->held);
    td->held = NULL;
    int64_t give_up = now_ms() + TD_IDLE_MS;
    while (td->remaining > 0) {
        rd_kafka_message_t *rkmessage = rd_kafka_consumer_poll(td->rk, TD_POLL_MS);
        if (rkmessage && message_take(td, rkmessage)) {
            td->held = rkmessage;
            rr_kafka_msg_view(rkmessage, msg);
            return RR_OK;
        }
        if (rkmessage) rd_kafka_message_destroy(rkmessage);
        if (now_ms() >= give_up) return RR_E(TRUNCATED);
    }
    return RR_E(EOF);
}

void rr_topic_dump_free(rr_topic_dump_t *td)
{
    if (!td) return;
    if (td->held) rd_kafka_message_destroy(td->held);
    if (td->rk) {
        rd_kafka_consumer_close(td->rk);
        rd_kafka_destroy(td->rk);
    }
    free(td->high);
    free(td);
}
