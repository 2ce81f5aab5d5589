/* rr_kpub.c — recs, dead letters and tombstones to Kafka from the loop; see rr_kpub.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include "rr_dirty.h"
#include "rr_kpub.h"
#include "rr_log.h"

#define POLL_MS       10   /* delivery reports and retries of marked users */
#define CLOSE_WAIT_MS 5000 /* how long close waits for in-flight deliveries */
#define RECS_MAX      128
#define ENC_MAX       (RECS_MAX * 400 + 256)

struct rr_kpub_s {
    uv_loop_t *loop;
    uv_timer_t timer;
    rd_kafka_t *rk;
    char recs_topic[256], dlq_topic[256];
    rr_kpub_cbs_t cbs;
    rr_dirty_t dirty;
    rr_kpub_stats_t stats;
    int closing;
    uint64_t close_deadline;
    rr_rec_t store[RECS_MAX];
    uint8_t enc[ENC_MAX];
};

/* Opaque of a recs message: uid + 1, so 0 means "not a list" (DLQ, tombstone). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    rr_kpub_t *kp = opaque;
    uintptr_t tag = (uintptr_t)msg->_private;
    if (msg->err) {
        kp->stats.errors++;
        RR_WARN("kafka delivery to %s failed: %s", rd_kafka_topic_name(msg->rkt),
                rd_kafka_err2str(msg->err));
        if (tag) rr_dirty_add(&kp->dirty, (uint32_t)(tag - 1)); /* the latest list goes again */
        return;
    }
    if (tag) kp->stats.delivered++;
}

/* 1 if produced, 0 if the queue is full (stay marked), -1 on a permanent error. */
static int produce_list(rr_kpub_t *kp, uint32_t uid)
{
    rr_recs_t recs;
    memset(&recs, 0, sizeof(recs));
    if (!kp->cbs.fill_recs(kp->cbs.opaque, uid, &recs, kp->store, RECS_MAX)) return 1;
    size_t len;
    if (rr_recs_encode_pb(&recs, kp->enc, sizeof(kp->enc), &len) != RR_OK) return -1;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        kp->rk, RD_KAFKA_V_TOPIC(kp->recs_topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(recs.user_id, strlen(recs.user_id)), RD_KAFKA_V_VALUE(kp->enc, len),
        RD_KAFKA_V_OPAQUE((void *)(uintptr_t)(uid + 1)), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return 0;
    if (err) {
        kp->stats.errors++;
        RR_WARN("kafka produce to %s failed: %s", kp->recs_topic, rd_kafka_err2str(err));
        return -1;
    }
    kp->stats.produced++;
    return 1;
}

static void pump(rr_kpub_t *kp)
{
    uint32_t uid;
    while (rr_dirty_pop(&kp->dirty, &uid)) {
        if (produce_list(kp, uid) == 0) {
            rr_dirty_add(&kp->dirty, uid);
            kp->stats.errors++;
            return; /* queue full: the timer retries after deliveries free space */
        }
    }
}

static void finish_close(uv_handle_t *handle)
{
    rr_kpub_t *kp = handle->data;
    if (kp->cbs.on_closed) kp->cbs.on_closed(kp->cbs.opaque);
}

static void on_timer(uv_timer_t *timer)
{
    rr_kpub_t *kp = timer->data;
    rd_kafka_poll(kp->rk, 0);
    if (!kp->closing) {
        pump(kp);
        return;
    }
    if (rd_kafka_outq_len(kp->rk) == 0 || uv_now(kp->loop) >= kp->close_deadline) {
        if (rd_kafka_outq_len(kp->rk) > 0)
            RR_WARN("kafka: %d messages undelivered at close", rd_kafka_outq_len(kp->rk));
        uv_close((uv_handle_t *)&kp->timer, finish_close);
    }
}

static rd_kafka_conf_t *producer_conf(const rr_kpub_opts_t *opts, rr_kpub_t *kp, char *errstr,
                                      size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* Defaults first, so the user's kafka.* settings override them. */
    const char *defaults[] = {"enable.idempotence", "true", "linger.ms", "1",
                              "message.timeout.ms", "60000"};
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i += 2)
        rd_kafka_conf_set(conf, defaults[i], defaults[i + 1], NULL, 0);
    for (size_t i = 0; i + 1 < opts->kafka_conf_len; i += 2) {
        const char *key = opts->kafka_conf[i];
        if (strcmp(key, "group.id") == 0 || strncmp(key, "enable.auto", 11) == 0 ||
            strcmp(key, "auto.offset.reset") == 0)
            continue; /* consumer-only properties */
        if (rd_kafka_conf_set(conf, key, opts->kafka_conf[i + 1], errstr, errlen) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, kp);
    return conf;
}

rr_kpub_t *rr_kpub_new(uv_loop_t *loop, const rr_kpub_opts_t *opts, const rr_kpub_cbs_t *cbs,
                       char *errstr, size_t errlen)
{
    rr_kpub_t *kp = calloc(1, sizeof(*kp));
    if (!kp || rr_dirty_init(&kp->dirty, opts->max_users) != RR_OK) {
        snprintf(errstr, errlen, "out of memory");
        free(kp);
        return NULL;
    }
    kp->loop = loop;
    kp->cbs = *cbs;
    snprintf(kp->recs_topic, sizeof(kp->recs_topic), "%s", opts->recs_topic);
    snprintf(kp->dlq_topic, sizeof(kp->dlq_topic), "%s", opts->dlq_topic);
    rd_kafka_conf_t *conf = producer_conf(opts, kp, errstr, errlen);
    if (conf) kp->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errlen);
    if (!kp->rk) {
        if (conf) rd_kafka_conf_destroy(conf);
        rr_dirty_free(&kp->dirty);
        free(kp);
        return NULL;
    }
    uv_timer_init(loop, &kp->timer);
    kp->timer.data = kp;
    uv_timer_start(&kp->timer, on_timer, POLL_MS, POLL_MS);
    return kp;
}

void rr_kpub_mark(rr_kpub_t *kp, uint32_t uid)
{
    if (kp->closing) return;
    rr_dirty_add(&kp->dirty, uid);
    pump(kp);
}

rr_err_t rr_kpub_dead_letter(rr_kpub_t *kp, const rr_msg_t *orig, rr_err_t reason)
{
    char source[320];
    snprintf(source, sizeof(source), "%s/%" PRId32 "@%" PRId64, orig->topic, orig->partition,
             orig->offset);
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(3);
    rd_kafka_header_add(hdrs, "rtrec.reason", -1, rr_err_name(reason), -1);
    rd_kafka_header_add(hdrs, "rtrec.error", -1, rr_strerror(reason), -1);
    rd_kafka_header_add(hdrs, "rtrec.source", -1, source, -1);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        kp->rk, RD_KAFKA_V_TOPIC(kp->dlq_topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(orig->key, orig->key_len), RD_KAFKA_V_VALUE((void *)orig->value, orig->len),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (err) {
        rd_kafka_headers_destroy(hdrs); /* ownership passes only on success */
        kp->stats.errors++;
        return RR_E(KAFKA);
    }
    kp->stats.dead_letters++;
    return RR_OK;
}

rr_err_t rr_kpub_tombstone(rr_kpub_t *kp, const char *user_id)
{
    rd_kafka_resp_err_t err = rd_kafka_producev(
        kp->rk, RD_KAFKA_V_TOPIC(kp->recs_topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(user_id, strlen(user_id)), RD_KAFKA_V_VALUE(NULL, 0), RD_KAFKA_V_END);
    if (err) kp->stats.errors++;
    return err ? RR_E(KAFKA) : RR_OK;
}

void rr_kpub_close(rr_kpub_t *kp)
{
    if (kp->closing) return;
    pump(kp); /* last chance for marked users; whatever is still queued gets CLOSE_WAIT_MS */
    kp->closing = 1;
    kp->close_deadline = uv_now(kp->loop) + CLOSE_WAIT_MS;
}

void rr_kpub_free(rr_kpub_t *kp)
{
    if (!kp) return;
    rd_kafka_destroy(kp->rk);
    rr_dirty_free(&kp->dirty);
    free(kp);
}

void rr_kpub_stats(const rr_kpub_t *kp, rr_kpub_stats_t *st)
{
    *st = kp->stats;
    st->dirty = rr_dirty_count(&kp->dirty);
}
