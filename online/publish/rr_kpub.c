/* rr_kpub.c — recs, dead letters and tombstones to Kafka from the loop; see rr_kpub.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_dirty.h"
#include "rr_kpub.h"
#include "rr_log.h"
#include "rr_producer.h"

#define POLL_MS       10   /* delivery reports and retries of marked users */
#define CLOSE_WAIT_MS 5000 /* how long close waits for in-flight deliveries */
#define RECS_MAX      128
#define ENC_MAX       (RECS_MAX * 400 + 256)

struct rr_kpub_s {
    uv_loop_t *loop;
    uv_timer_t timer;
    rr_producer_t *rp;
    char recs_topic[256], dlq_topic[256];
    rr_kpub_cbs_t cbs;
    rr_dirty_t dirty;
    rr_kpub_stats_t stats;
    int closing;
    uint64_t close_deadline;
    rr_rec_t store[RECS_MAX];
    uint8_t enc[ENC_MAX];
};

/* Opaque of a recs message: uid + 1, so 0 means "not a list" (DLQ, tombstone). The producer
 * has logged a failure already. */
static void on_delivery(void *opaque, void *msg_opaque, rr_err_t err)
{
    rr_kpub_t *kp = opaque;
    uintptr_t tag = (uintptr_t)msg_opaque;
    if (err) {
        kp->stats.errors++;
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
    rr_produce_msg_t pm = {.topic = kp->recs_topic,
                           .key = recs.user_id,
                           .key_len = strlen(recs.user_id),
                           .value = kp->enc,
                           .len = len,
                           .opaque = (void *)(uintptr_t)(uid + 1)};
    rr_err_t err = rr_producer_send(kp->rp, &pm);
    if (err == RR_E(FULL)) return 0;
    if (err) {
        kp->stats.errors++; /* the producer logged why */
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
    rr_producer_poll(kp->rp);
    if (!kp->closing) {
        pump(kp);
        return;
    }
    size_t queued = rr_producer_queued(kp->rp);
    if (queued == 0 || uv_now(kp->loop) >= kp->close_deadline) {
        if (queued > 0) RR_WARN("kafka: %zu messages undelivered at close", queued);
        uv_close((uv_handle_t *)&kp->timer, finish_close);
    }
}

static rr_producer_t *producer_new(const rr_kpub_opts_t *opts, rr_kpub_t *kp, char *errstr,
                                   size_t errlen)
{
    /* Idempotent, so librdkafka's retries neither duplicate nor reorder a user's lists; the
     * user's kafka.* settings override these. */
    static const char *const defaults[] = {"enable.idempotence", "true", "linger.ms", "1",
                                           "message.timeout.ms", "60000"};
    rr_producer_opts_t popts = {defaults, sizeof(defaults) / sizeof(defaults[0]), opts->kafka_conf,
                                opts->kafka_conf_len};
    rr_producer_cbs_t pcbs = {kp, on_delivery};
    return rr_producer_new(&popts, &pcbs, errstr, errlen);
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
    kp->rp = producer_new(opts, kp, errstr, errlen);
    if (!kp->rp) {
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
    rr_header_t hdrs[] = {{"rtrec.reason", rr_err_name(reason)},
                          {"rtrec.error", rr_strerror(reason)},
                          {"rtrec.source", source}};
    rr_produce_msg_t pm = {.topic = kp->dlq_topic,
                           .key = orig->key,
                           .key_len = orig->key_len,
                           .value = orig->value,
                           .len = orig->len,
                           .headers = hdrs,
                           .nheaders = 3};
    if (rr_producer_send(kp->rp, &pm) != RR_OK) {
        kp->stats.errors++;
        return RR_E(KAFKA);
    }
    kp->stats.dead_letters++;
    return RR_OK;
}

rr_err_t rr_kpub_tombstone(rr_kpub_t *kp, const char *user_id)
{
    rr_produce_msg_t pm = {.topic = kp->recs_topic, .key = user_id, .key_len = strlen(user_id)};
    rr_err_t err = rr_producer_send(kp->rp, &pm);
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
    rr_producer_free(kp->rp);
    rr_dirty_free(&kp->dirty);
    free(kp);
}

void rr_kpub_stats(const rr_kpub_t *kp, rr_kpub_stats_t *st)
{
    *st = kp->stats;
    st->dirty = rr_dirty_count(&kp->dirty);
}
