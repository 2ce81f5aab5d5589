/* rr_broker.c — the embedded broker: librdkafka's mock cluster, owned by an otherwise idle
 * producer handle, with rtrec's topics created up front (the mock would auto-create them with
 * 4 partitions on first use). */
#include "rr_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "rr_kafka_conf.h"

struct rr_broker_s {
    rd_kafka_t *rk; /* owns the cluster; never produces */
    rd_kafka_mock_cluster_t *mcluster;
    int nbrokers;
};

static rd_kafka_t *owner_new(char *errstr, size_t errlen)
{
    /* No bootstrap: the owner never connects anywhere, it only hosts the mock threads. */
    static const char *const defaults[] = {"client.id", "rtrec-broker", "log.connection.close",
                                           "false"};
    rd_kafka_conf_t *conf =
        rr_kafka_conf_build(RR_KAFKA_BROKER, defaults, 4, NULL, 0, errstr, errlen);
    if (!conf) return NULL;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errlen);
    if (!rk) rd_kafka_conf_destroy(conf);
    return rk;
}

static int topics_create(rr_broker_t *rb, int partitions, const char *const *topics, size_t ntopics,
                         char *errstr, size_t errlen)
{
    for (size_t i = 0; i < ntopics; i++) {
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(rb->mcluster, topics[i], partitions, 1);
        if (err) {
            snprintf(errstr, errlen, "create topic %s: %s", topics[i], rd_kafka_err2str(err));
            return -1;
        }
    }
    return 0;
}

rr_broker_t *rr_broker_new(int nbrokers, int partitions, const char *const *topics, size_t ntopics,
                           char *errstr, size_t errlen)
{
    if (nbrokers < 1 || partitions < 1 || (ntopics && !topics)) {
        snprintf(errstr, errlen, "broker: need nbrokers >= 1 and partitions >= 1");
        return NULL;
    }
    rr_broker_t *rb = calloc(1, sizeof(*rb));
    if (!rb) {
        snprintf(errstr, errlen, "broker: out of memory");
        return NULL;
    }
    rb->nbrokers = nbrokers;
    rb->rk = owner_new(errstr, errlen);
    if (!rb->rk) goto fail;
    rb->mcluster = rd_kafka_mock_cluster_new(rb->rk, nbrokers);
    if (!rb->mcluster) {
        snprintf(errstr, errlen, "broker: rd_kafka_mock_cluster_new failed");
        goto fail;
    }
    if (topics_create(rb, partitions, topics, ntopics, errstr, errlen) != 0) goto fail;
    return rb;
fail:
    rr_broker_free(rb);
    return NULL;
}

const char *rr_broker_bootstrap(const rr_broker_t *rb)
{
    return rd_kafka_mock_cluster_bootstraps(rb->mcluster);
}

rr_err_t rr_broker_set_up(rr_broker_t *rb, int broker_id, int up)
{
    if (broker_id < 1 || broker_id > rb->nbrokers) return RR_E(INVAL);
    rd_kafka_resp_err_t err = up ? rd_kafka_mock_broker_set_up(rb->mcluster, broker_id)
                                 : rd_kafka_mock_broker_set_down(rb->mcluster, broker_id);
    return err ? RR_E(KAFKA) : RR_OK;
}

void rr_broker_free(rr_broker_t *rb)
{
    if (!rb) return;
    if (rb->mcluster) rd_kafka_mock_cluster_destroy(rb->mcluster);
    if (rb->rk) rd_kafka_destroy(rb->rk);
    free(rb);
}
