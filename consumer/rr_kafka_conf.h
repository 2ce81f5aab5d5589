/* rr_kafka_conf.h — private to consumer/: builds an rd_kafka_conf_t from key/value lists and
 * forwards librdkafka's log lines to rr_log. */
#ifndef RR_KAFKA_CONF_H
#define RR_KAFKA_CONF_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

/* Applies `defaults` then `kv` (so the caller's values win); both are key, value, key, value...
 * (`n` counts strings). Returns NULL with a message in errstr on an unknown key or bad value, or
 * on an odd count. The caller owns the result. */
rd_kafka_conf_t *rr_kafka_conf_build(const char *const *defaults, size_t ndefaults,
                                     const char *const *kv, size_t n, char *errstr, size_t errlen);

/* A log_cb for rd_kafka_conf_set_log_cb: maps syslog levels onto rr_log levels. */
void rr_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

#endif
