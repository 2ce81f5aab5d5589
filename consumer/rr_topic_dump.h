/* rr_topic_dump.h — reads a topic once, blocking: every partition from its low watermark to the
 * high watermark it had at the start, then EOF. An assign-only consumer: it joins no group and
 * commits nothing. For command-line tools (`rtrec record`) and tests, never for the loop. */
#ifndef RR_TOPIC_DUMP_H
#define RR_TOPIC_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include "rr_err.h"
#include "rr_msg.h"

typedef struct rr_topic_dump_s rr_topic_dump_t;

/* Blocking: asks the brokers for the topic's partitions and their watermarks (10 s at most
 * each). kafka_conf is rr_config_kafka's list (its group.id and enable.auto.commit are not
 * used). NULL with a message in errstr on a bad property, an unknown topic or no answer. */
rr_topic_dump_t *rr_topic_dump_new(const char *const *kafka_conf, size_t kafka_conf_len,
                                   const char *topic, char *errstr, size_t errlen);
/* Messages between the watermarks at start, over all partitions. */
uint64_t rr_topic_dump_expected(const rr_topic_dump_t *td);
/* Blocking: the next message, partitions interleaved, offsets rising within each; its pointers
 * stay valid until the next call or rr_topic_dump_free. RR_E(EOF) once every partition reached
 * its mark; RR_E(TRUNCATED) when none came for 10 s before that (the dump is incomplete). */
rr_err_t rr_topic_dump_next(rr_topic_dump_t *td, rr_msg_t *msg);
/* Blocking, briefly. NULL is a no-op. */
void rr_topic_dump_free(rr_topic_dump_t *td);

#endif
