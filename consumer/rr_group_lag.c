/* rr_group_lag.c — a consumer group's lag behind a topic, from outside the group; see
 * rr_group_lag.h. */
#include "rr_group_lag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>

#include "rr_kafka_conf.h"
#include "rr_log.h"

struct rr_group_lag_s {
    rd_kafka_t *rk; /* a consumer that never subscribes: it only asks */
};

rr_group_lag_t *rr_group_lag_new(const char *const *kafka_conf, size_t kafka_conf_len, char *errstr,
                                 size_t errlen)
{
    rr_group_lag_t *gl = calloc(1, sizeof(*gl));
    if (!gl) {
        snprintf(errstr, errlen, "group lag: out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf =
        rr_kafka_conf_build(RR_KAFKA_GROUP, NULL, 0, kafka_conf, kafka_conf_len, errstr, errlen);
    /* It reads the group's offsets and must never move them. */
    if (conf && rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, errlen) !=
                    RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        conf = NULL;
    }
    if (conf) {
        gl->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errlen);
        if (!gl->rk) rd_kafka_conf_destroy(conf);
    }
    if (gl->rk && rd_kafka_poll_set_consumer(gl->rk) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errlen, "group lag: group.id is required");
        rr_group_lag_free(gl);
        return NULL;
    }
    if (!gl->rk) {
        free(gl);
        return NULL;
    }
    return gl;
}

static rr_err_t partition_count(rr_group_lag_t *gl, const char *topic, int timeout_ms, int *count)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(gl->rk, topic, NULL);
    if (!rkt) return RR_E(KAFKA);
    rd_kafka_resp_err_t err = rd_kafka_metadata(gl->rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err) return RR_E(KAFKA);
    rr_err_t rerr = RR_E(NOT_FOUND);
    if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
        *count = md->topics[0].partition_cnt;
        rerr = RR_OK;
    }
    rd_kafka_metadata_destroy(md);
    return rerr;
}

rr_err_t rr_group_lag_get(rr_group_lag_t *gl, const char *topic, int timeout_ms, int64_t *lag)
{
    int n = 0;
    rr_err_t err = partition_count(gl, topic, timeout_ms, &n);
    if (err) return err;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++) rd_kafka_topic_partition_list_add(parts, topic, p);
    rd_kafka_resp_err_t kerr = rd_kafka_committed(gl->rk, parts, timeout_ms);
    int64_t sum = 0;
    for (int i = 0; i < parts->cnt && !kerr; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t lo, hi;
        kerr = rd_kafka_query_watermark_offsets(gl->rk, topic, p->partition, &lo, &hi, timeout_ms);
        if (kerr) break;
        int64_t at = p->err || p->offset < lo ? lo : p->offset;
        if (hi > at) sum += hi - at;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    if (kerr) {
        RR_DEBUG("group lag of %s: %s", topic, rd_kafka_err2str(kerr));
        return RR_E(KAFKA);
    }
    *lag = sum;
    return RR_OK;
}

void rr_group_lag_free(rr_group_lag_t *gl)
{
    if (!gl) return;
    if (gl->rk) rd_kafka_destroy(gl->rk);
    free(gl);
}
