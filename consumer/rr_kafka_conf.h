/* rr_kafka_conf.h — private to consumer/: the one builder of every librdkafka client rtrec makes
 * (group consumer, topic reader, producer, the embedded broker's owner), and the one translation
 * of a librdkafka message into rr_msg_t. Everything outside consumer/ hands over key/value lists
 * (rr_config_kafka's) and never sees librdkafka. */
#ifndef RR_KAFKA_CONF_H
#define RR_KAFKA_CONF_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>
#include "rr_msg.h"

typedef enum {
    RR_KAFKA_GROUP,    /* rr_consumer: a group member served on a loop */
    RR_KAFKA_READER,   /* rr_topic_dump: assign-only, never joins or commits */
    RR_KAFKA_PRODUCER, /* rr_producer */
    RR_KAFKA_BROKER,   /* rr_broker's owner: hosts the mock cluster, connects nowhere */
} rr_kafka_role_t;

/* Applies `defaults` (the caller's, for its role), then `kv` (rtrec's kafka.* list: its values
 * win), both key, value, key, value... (`n` counts strings). From kv it skips what the role must
 * not take: consumer-only properties for producers (librdkafka warns about each), group.id and
 * enable.auto.commit for the reader (it must not pose as the engine's group nor commit).
 * Installs rr_log as librdkafka's logger: lines arrive on librdkafka's own threads (rr_log is
 * thread-safe), unless the caller sets log.queue and serves that queue (rr_consumer does, on
 * its loop). NULL with a message in errstr on an unknown key, a bad value or an odd count; the
 * caller owns the result. */
rd_kafka_conf_t *rr_kafka_conf_build(rr_kafka_role_t role, const char *const *defaults,
                                     size_t ndefaults, const char *const *kv, size_t n,
                                     char *errstr, size_t errlen);

/* msg points into rkmessage (topic name, key, payload): valid while rkmessage lives. */
void rr_kafka_msg_view(const rd_kafka_message_t *rkmessage, rr_msg_t *msg);

#endif
