/* rr_replay_side.h — `rtrec replay --items FILE --users FILE`: the side files (rr_side.h) as
 * Item and User messages to the items and users topics, before the events, so an engine has the
 * catalog and the demographics when the first event arrives. */
#ifndef RR_REPLAY_SIDE_H
#define RR_REPLAY_SIDE_H

#include "rr_config.h"
#include "rr_producer.h"

/* Produces items_path to cfg's items topic (key item_id), then users_path to its users topic
 * (key user_id, as the events are keyed: the topics are co-partitioned); either may be NULL.
 * Blocks until they are delivered. Returns 0, or 1 with the reason on stderr. */
int rr_replay_side(rr_producer_t *rp, const rr_config_t *cfg, const char *items_path,
                   const char *users_path);

#endif
