/* rr_kafka_check.h — librdkafka's verdict on one pass-through property, for code outside
 * consumer/ (the CLI checks kafka.* keys before starting anything) that must not see librdkafka. */
#ifndef RR_KAFKA_CHECK_H
#define RR_KAFKA_CHECK_H

#include <stddef.h>

/* 0 if librdkafka accepts name=value on a scratch configuration; -1 with librdkafka's reason in
 * errstr otherwise (it may quote the value: callers keep secrets out of what they print). */
int rr_kafka_conf_check(const char *name, const char *value, char *errstr, size_t errlen);

#endif
