/* rr_producer.h — a Kafka producer. It owns no loop handles: every call but the three marked
 * blocking returns at once, so a loop drives it from a timer (rr_producer_poll for delivery
 * reports, rr_producer_queued to finish a close) and a command-line tool uses the blocking
 * calls. Produce and delivery failures are logged here; callers count them. */
#ifndef RR_PRODUCER_H
#define RR_PRODUCER_H

#include <stddef.h>
#include "rr_err.h"

typedef struct rr_producer_s rr_producer_t;

typedef struct rr_header_s {
    const char *name, *value; /* NUL-terminated */
} rr_header_t;

/* One message to produce. Everything is copied by the send call. */
typedef struct rr_produce_msg_s {
    const char *topic;
    const void *key;
    size_t key_len;
    const void *value; /* NULL = tombstone */
    size_t len;
    const rr_header_t *headers;
    size_t nheaders; /* at most 8 */
    void *opaque;    /* handed back to on_delivery */
} rr_produce_msg_t;

typedef struct rr_producer_cbs_s {
    void *opaque;
    /* Once per message a send accepted, from inside rr_producer_poll or a blocking call, on the
     * caller's thread: err RR_OK when the broker acknowledged it, RR_E(KAFKA) when it failed for
     * good (after librdkafka's retries, by message.timeout.ms at the latest). May be NULL. */
    void (*on_delivery)(void *opaque, void *msg_opaque, rr_err_t err);
} rr_producer_cbs_t;

typedef struct rr_producer_opts_s {
    const char *const *defaults; /* the caller's own: librdkafka key, value, ... */
    size_t ndefaults;
    const char *const *kafka_conf; /* rr_config_kafka's list: wins over defaults; consumer-only
                                    * keys (group.id, enable.auto.*...) are skipped */
    size_t kafka_conf_len;
} rr_producer_opts_t;

/* NULL with a message in errstr on a bad property. */
rr_producer_t *rr_producer_new(const rr_producer_opts_t *opts, const rr_producer_cbs_t *cbs,
                               char *errstr, size_t errlen);
/* Hands one message to librdkafka's queue. RR_E(FULL) when the queue is full (nothing logged:
 * retry after deliveries), RR_E(INVAL) over 8 headers, RR_E(KAFKA) on any other refusal
 * (logged). */
rr_err_t rr_producer_send(rr_producer_t *rp, const rr_produce_msg_t *pm);
/* Serves the delivery reports that are due; never waits. Returns how many it served. */
int rr_producer_poll(rr_producer_t *rp);
/* librdkafka's out queue: messages not yet delivered, or failed and not yet reported, plus
 * requests in flight. 0 once everything sent was acknowledged and reported. */
size_t rr_producer_queued(const rr_producer_t *rp);

/* Blocking: as rr_producer_send, but a full queue waits (serving delivery reports) until the
 * broker frees room, however long that takes. */
rr_err_t rr_producer_send_wait(rr_producer_t *rp, const rr_produce_msg_t *pm);
/* Blocking: waits up to timeout_ms for every queued message; returns how many are left. */
size_t rr_producer_flush(rr_producer_t *rp, int timeout_ms);
/* Blocking, briefly: destroys the client; messages still queued are dropped without a report.
 * NULL is a no-op. */
void rr_producer_free(rr_producer_t *rp);

#endif
