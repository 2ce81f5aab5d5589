/* rr_kafka_conf.c — key/value lists to rd_kafka_conf_t by client role, and librdkafka's log
 * lines into rr_log. */
#include "rr_kafka_check.h"
#include "rr_kafka_conf.h"

#include <stdio.h>
#include <string.h>

#include "rr_kafka_check.h"
#include "rr_log.h"

/* Properties a producer ignores with a warning; rtrec's list carries them for its consumer. */
static int consumer_only(const char *key)
{
    return strncmp(key, "group.", 6) == 0 || strncmp(key, "enable.auto.", 12) == 0 ||
           strcmp(key, "auto.offset.reset") == 0 ||
           strcmp(key, "partition.assignment.strategy") == 0 ||
           strcmp(key, "session.timeout.ms") == 0 || strcmp(key, "heartbeat.interval.ms") == 0;
}

static int role_skips(rr_kafka_role_t role, const char *key)
{
    switch (role) {
    case RR_KAFKA_GROUP: return 0;
    case RR_KAFKA_READER:
        return strncmp(key, "group.", 6) == 0 || strcmp(key, "enable.auto.commit") == 0;
    case RR_KAFKA_PRODUCER:
    case RR_KAFKA_BROKER: return consumer_only(key);
    }
    return 0;
}

static int conf_apply(rd_kafka_conf_t *conf, rr_kafka_role_t role, int filter,
                      const char *const *kv, size_t n, char *errstr, size_t errlen)
{
    if (n % 2 != 0) {
        snprintf(errstr, errlen, "kafka conf list has an odd number of strings (%zu)", n);
        return -1;
    }
    for (size_t i = 0; i < n; i += 2) {
        if (filter && role_skips(role, kv[i])) continue;
        char why[256];
        if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], why, sizeof(why)) != RD_KAFKA_CONF_OK) {
            snprintf(errstr, errlen, "kafka conf %s: %s", kv[i], why);
            return -1;
        }
    }
    return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    rr_log_level_t lvl = level <= 3   ? RR_LOG_ERROR
                         : level == 4 ? RR_LOG_WARN
                         : level <= 6 ? RR_LOG_INFO
                                      : RR_LOG_DEBUG;
    RR_LOG(lvl, "kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

/* The broker's owner has no bootstrap.servers by design: librdkafka's warning about that is
 * noise. */
static void broker_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers")) return;
    log_cb(rk, level, fac, buf);
}

rd_kafka_conf_t *rr_kafka_conf_build(rr_kafka_role_t role, const char *const *defaults,
                                     size_t ndefaults, const char *const *kv, size_t n,
                                     char *errstr, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_apply(conf, role, 0, defaults, ndefaults, errstr, errlen) != 0 ||
        conf_apply(conf, role, 1, kv, n, errstr, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, role == RR_KAFKA_BROKER ? broker_log_cb : log_cb);
    return conf;
}

int rr_kafka_conf_check(const char *name, const char *value, char *errstr, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int ok = rd_kafka_conf_set(conf, name, value, errstr, errlen) == RD_KAFKA_CONF_OK;
    rd_kafka_conf_destroy(conf);
    return ok ? 0 : -1;
}

void rr_kafka_msg_view(const rd_kafka_message_t *rkmessage, rr_msg_t *msg)
{
    rd_kafka_timestamp_type_t tstype;
    *msg = (rr_msg_t){
        .topic = rd_kafka_topic_name(rkmessage->rkt),
        .partition = rkmessage->partition,
        .offset = rkmessage->offset,
        .ts_ms = rd_kafka_message_timestamp(rkmessage, &tstype),
        .key = rkmessage->key,
        .key_len = rkmessage->key_len,
        .value = rkmessage->payload,
        .len = rkmessage->len,
    };
}
