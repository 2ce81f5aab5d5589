/* rr_kafka_conf.c — key/value lists to rd_kafka_conf_t, and librdkafka logs into rr_log. */
#include "rr_kafka_conf.h"

#include <stdio.h>

#include "rr_log.h"

static int conf_apply(rd_kafka_conf_t *conf, const char *const *kv, size_t n, char *errstr,
                      size_t errlen)
{
    if (n % 2 != 0) {
        snprintf(errstr, errlen, "kafka conf list has an odd number of strings (%zu)", n);
        return -1;
    }
    for (size_t i = 0; i < n; i += 2) {
        char why[256];
        if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], why, sizeof(why)) != RD_KAFKA_CONF_OK) {
            snprintf(errstr, errlen, "kafka conf %s: %s", kv[i], why);
            return -1;
        }
    }
    return 0;
}

rd_kafka_conf_t *rr_kafka_conf_build(const char *const *defaults, size_t ndefaults,
                                     const char *const *kv, size_t n, char *errstr, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_apply(conf, defaults, ndefaults, errstr, errlen) != 0 ||
        conf_apply(conf, kv, n, errstr, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

void rr_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    rr_log_level_t lvl = level <= 3   ? RR_LOG_ERROR
                         : level == 4 ? RR_LOG_WARN
                         : level <= 6 ? RR_LOG_INFO
                                      : RR_LOG_DEBUG;
    RR_LOG(lvl, "kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}
