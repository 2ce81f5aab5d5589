/* rr_group_lag.h — how far a consumer group trails a topic, for a producer that paces itself by
 * it (rtrec replay). It reads the group's committed offsets and the topic's watermarks from the
 * brokers and never joins the group. Every call but _free is a blocking round trip: for
 * command-line tools, never on a loop. */
#ifndef RR_GROUP_LAG_H
#define RR_GROUP_LAG_H

#include <stddef.h>
#include <stdint.h>
#include "rr_err.h"

typedef struct rr_group_lag_s rr_group_lag_t;

/* kafka_conf: rr_config_kafka's list (bootstrap.servers, group.id = the group to watch, ...).
 * NULL with a message in errstr on a bad property or a missing group.id. */
rr_group_lag_t *rr_group_lag_new(const char *const *kafka_conf, size_t kafka_conf_len, char *errstr,
                                 size_t errlen);
/* *lag = the sum over topic's partitions of the high watermark minus the group's committed
 * offset (the log start where the group has committed nothing, or where the broker already
 * removed what the commit points at). Blocking, up to about timeout_ms per request.
 * RR_E(NOT_FOUND) for an unknown topic, RR_E(KAFKA) when the brokers did not answer. */
rr_err_t rr_group_lag_get(rr_group_lag_t *gl, const char *topic, int timeout_ms, int64_t *lag);
/* NULL is a no-op. */
void rr_group_lag_free(rr_group_lag_t *gl);

#endif
