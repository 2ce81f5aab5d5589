/* rr_broker.h — the embedded Kafka-protocol broker: librdkafka's mock cluster on loopback with
 * rtrec's topics pre-created. Real Kafka clients (kcat, confluent-kafka) talk to it. Its broker
 * threads are librdkafka's own; nothing here touches the caller's loop. */
#ifndef RR_BROKER_H
#define RR_BROKER_H

#include <stddef.h>
#include "rr_err.h"

typedef struct rr_broker_s rr_broker_t;

/* Starts `nbrokers` brokers and creates each topic with `partitions` partitions. */
rr_broker_t *rr_broker_new(int nbrokers, int partitions, const char *const *topics, size_t ntopics,
                           char *errstr, size_t errlen);
/* "127.0.0.1:port,..." — valid for the broker's lifetime. */
const char *rr_broker_bootstrap(const rr_broker_t *rb);
/* Takes one broker (1-based id) down or up, for outage tests. */
rr_err_t rr_broker_set_up(rr_broker_t *rb, int broker_id, int up);
void rr_broker_free(rr_broker_t *rb); /* NULL is a no-op */

#endif
