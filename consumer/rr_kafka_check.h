/* rr_kafka_check.h — asks librdkafka whether it accepts one configuration property, without a
 * client: the CLI checks every kafka.* pass-through key before it starts anything. */
#ifndef RR_KAFKA_CHECK_H
#define RR_KAFKA_CHECK_H

#include <stddef.h>

/* 0 if librdkafka accepts name=value, else -1 with its reason in errstr (which may quote the
 * value: callers keep secrets out of what they print). */
int rr_kafka_conf_check(const char *name, const char *value, char *errstr, size_t errlen);

#endif
