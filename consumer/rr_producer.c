/* rr_producer.c — a librdkafka producer behind rtrec's own types; see rr_producer.h. */
#include "rr_producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <librdkafka/rdkafka.h>

#include "rr_kafka_conf.h"
#include "rr_log.h"

enum { RP_FULL_WAIT_MS = 50, RP_MAX_HEADERS = 8 };

struct rr_producer_s {
    rd_kafka_t *rk;
    rr_producer_cbs_t cbs;
    int reports; /* delivery reports served so far */
};

/* Served inside rd_kafka_poll/rd_kafka_flush, so on the thread that polls. */
static void on_kafka_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkmessage, void *opaque)
{
    (void)rk;
    rr_producer_t *rp = opaque;
    rp->reports++;
    if (rkmessage->err)
        RR_WARN("kafka delivery to %s failed: %s", rd_kafka_topic_name(rkmessage->rkt),
                rd_kafka_err2str(rkmessage->err));
    if (rp->cbs.on_delivery)
        rp->cbs.on_delivery(rp->cbs.opaque, rkmessage->_private,
                            rkmessage->err ? RR_E(KAFKA) : RR_OK);
}

rr_producer_t *rr_producer_new(const rr_producer_opts_t *opts, const rr_producer_cbs_t *cbs,
                               char *errstr, size_t errlen)
{
    rr_producer_t *rp = calloc(1, sizeof(*rp));
    if (!rp) {
        snprintf(errstr, errlen, "producer: out of memory");
        return NULL;
    }
    if (cbs) rp->cbs = *cbs;
    rd_kafka_conf_t *conf =
        rr_kafka_conf_build(RR_KAFKA_PRODUCER, opts->defaults, opts->ndefaults, opts->kafka_conf,
                            opts->kafka_conf_len, errstr, errlen);
    if (conf) {
        rd_kafka_conf_set_dr_msg_cb(conf, on_kafka_delivery);
        rd_kafka_conf_set_opaque(conf, rp);
        rp->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errlen);
    }
    if (!rp->rk) {
        if (conf) rd_kafka_conf_destroy(conf);
        free(rp);
        return NULL;
    }
    return rp;
}

rr_err_t rr_producer_send(rr_producer_t *rp, const rr_produce_msg_t *pm)
{
    if (pm->nheaders > RP_MAX_HEADERS) return RR_E(INVAL);
    rd_kafka_vu_t vus[5 + RP_MAX_HEADERS];
    size_t n = 0;
    vus[n++] = (rd_kafka_vu_t){.vtype = RD_KAFKA_VTYPE_TOPIC, .u.cstr = pm->topic};
    vus[n++] = (rd_kafka_vu_t){.vtype = RD_KAFKA_VTYPE_MSGFLAGS, .u.i = RD_KAFKA_MSG_F_COPY};
    vus[n++] =
        (rd_kafka_vu_t){.vtype = RD_KAFKA_VTYPE_KEY, .u.mem = {(void *)pm->key, pm->key_len}};
    vus[n++] = (rd_kafka_vu_t){.vtype = RD_KAFKA_VTYPE_VALUE,
                               .u.mem = {(void *)pm->value, pm->value ? pm->len : 0}};
    vus[n++] = (rd_kafka_vu_t){.vtype = RD_KAFKA_VTYPE_OPAQUE, .u.ptr = pm->opaque};
    for (size_t i = 0; i < pm->nheaders; i++)
        vus[n++] = (rd_kafka_vu_t){.vtype = RD_KAFKA_VTYPE_HEADER,
                                   .u.header = {pm->headers[i].name, pm->headers[i].value, -1}};
    rd_kafka_error_t *error = rd_kafka_produceva(rp->rk, vus, n);
    if (!error) return RR_OK;
    rd_kafka_resp_err_t err = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return RR_E(FULL);
    RR_WARN("kafka produce to %s failed: %s", pm->topic, rd_kafka_err2str(err));
    return RR_E(KAFKA);
}

int rr_producer_poll(rr_producer_t *rp)
{
    int before = rp->reports;
    rd_kafka_poll(rp->rk, 0);
    return rp->reports - before;
}

size_t rr_producer_queued(const rr_producer_t *rp)
{
    int n = rd_kafka_outq_len(rp->rk);
    return n > 0 ? (size_t)n : 0;
}

rr_err_t rr_producer_send_wait(rr_producer_t *rp, const rr_produce_msg_t *pm)
{
    for (;;) {
        rr_err_t err = rr_producer_send(rp, pm);
        if (err != RR_E(FULL)) return err;
        rd_kafka_poll(rp->rk, RP_FULL_WAIT_MS); /* a full queue drains as the broker acks */
    }
}

size_t rr_producer_flush(rr_producer_t *rp, int timeout_ms)
{
    rd_kafka_flush(rp->rk, timeout_ms);
    return rr_producer_queued(rp);
}

void rr_producer_free(rr_producer_t *rp)
{
    if (!rp) return;
    rd_kafka_destroy(rp->rk);
    free(rp);
}
