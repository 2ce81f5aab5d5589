/* rr_msg.h — one Kafka message as consumer/ hands it out (rr_consumer, rr_topic_dump): borrowed
 * pointers into librdkafka's copy, valid only for as long as the handing function says. */
#ifndef RR_MSG_H
#define RR_MSG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rr_msg_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t ts_ms; /* Kafka message timestamp, -1 if none */
    const void *key;
    size_t key_len;
    const void *value; /* NULL for a tombstone */
    size_t len;
} rr_msg_t;

#endif
