/* rr_engine_refresh.c — when lists are recomputed. Consuming, updating state and training on
 * every event is the mandatory path; refreshing lists is the optional one and gets the time
 * the input leaves. A marked user waits in one FIFO (oldest mark first; a user with several
 * pending events is refreshed once, from the state after all of them), and each loop turn:
 *   - the input caught up (the consumer's last drain emptied its queue): refresh until the
 *     marks are gone, yielding every IDLE_SLICE_MS so I/O and HTTP still get turns;
 *   - the input is behind and the oldest mark is younger than recs.max_staleness_ms: no
 *     refresh, consume first (marks coalesce meanwhile);
 *   - the input is behind and the oldest mark is at least that old: refresh for at most
 *     BEHIND_SLICE_MS, then consume a budget's worth again.
 * Memory is one mark and one timestamp per user slot, fixed at start: a backlog of any size
 * costs nothing more. */
#include <stdlib.h>
#include "rr_consumer.h"
#include "rr_engine_internal.h"
#include "rr_kpub.h"
#include "rr_pipeline.h"
#include "rr_redis.h"

#define IDLE_SLICE_MS   5 /* longest refresh run while nothing waits */
#define BEHIND_SLICE_MS 1 /* refresh per loop turn while input waits and lists are stale */

static void on_coalesced(uv_timer_t *timer);

rr_err_t rr_engine_refresh_init(rr_engine_t *en)
{
    size_t cap = (size_t)en->cfg.users_max;
    en->marked_ms = calloc(cap ? cap : 1, sizeof(*en->marked_ms));
    rr_err_t err = en->marked_ms ? rr_dirty_init(&en->refresh, cap) : RR_E(NOMEM);
    if (err) return err;
    uv_timer_init(en->loop, &en->coalesce);
    uv_idle_init(en->loop, &en->refresh_turn);
    en->coalesce.data = en->refresh_turn.data = en;
    return RR_OK;
}

void rr_engine_refresh_free(rr_engine_t *en)
{
    rr_dirty_free(&en->refresh);
    free(en->marked_ms);
    en->marked_ms = NULL;
}

void rr_engine_refresh_mark(rr_engine_t *en, uint32_t uid)
{
    if (rr_dirty_add(&en->refresh, uid) == 1) en->marked_ms[uid] = uv_now(en->loop);
    if (!uv_is_active((uv_handle_t *)&en->coalesce) &&
        !uv_is_active((uv_handle_t *)&en->refresh_turn))
        uv_timer_start(&en->coalesce, on_coalesced, (uint64_t)en->cfg.recs_coalesce_ms, 0);
}

uint64_t rr_engine_refresh_oldest_ms(const rr_engine_t *en)
{
    uint32_t uid;
    if (!rr_dirty_peek(&en->refresh, &uid)) return 0;
    uint64_t now = uv_now(en->loop), at = en->marked_ms[uid];
    return now > at ? now - at : 0;
}

/* Recomputes marked users, a retrieval batch at a time, until none is left or the clock
 * passes deadline_ns (one batch at least), and hands the lists to the publishers. */
static void refresh_until(rr_engine_t *en, uint64_t deadline_ns)
{
    uint32_t batch[RR_LEARNER_RETRIEVE_BATCH], uid;
    do {
        size_t n = 0;
        while (n < RR_LEARNER_RETRIEVE_BATCH && rr_dirty_pop(&en->refresh, &uid))
            if (rr_intern_key(&en->pl.store.users, uid)) batch[n++] = uid; /* else forgotten */
        rr_pipeline_refresh_batch(&en->pl, batch, n);
        en->refreshes += n;
        for (size_t i = 0; i < n; i++) {
            if (en->kpub) rr_kpub_mark(en->kpub, batch[i]);
            if (en->redis) rr_redis_mark(en->redis, batch[i]);
        }
    } while (rr_dirty_count(&en->refresh) > 0 && uv_hrtime() < deadline_ns);
}

void rr_engine_refresh_all(rr_engine_t *en)
{
    if (rr_dirty_count(&en->refresh) > 0) refresh_until(en, UINT64_MAX);
}

/* Once per loop turn while marks wait (an idle handle: a timer re-armed at 0 from its own
 * callback would run again in the same timers phase, never letting the consumer in). */
static void on_turn(uv_idle_t *idle)
{
    rr_engine_t *en = idle->data;
    uint64_t slice_ms = IDLE_SLICE_MS;
    if (en->consumer && rr_consumer_backlogged(en->consumer)) {
        int stale = rr_engine_refresh_oldest_ms(en) >= (uint64_t)en->cfg.recs_max_staleness_ms;
        slice_ms = stale ? BEHIND_SLICE_MS : 0;
        en->refresh_deferred_turns += !stale;
    }
    if (slice_ms > 0 && rr_dirty_count(&en->refresh) > 0)
        refresh_until(en, uv_hrtime() + slice_ms * 1000000u);
    if (rr_dirty_count(&en->refresh) == 0) uv_idle_stop(&en->refresh_turn);
}

static void on_coalesced(uv_timer_t *timer)
{
    rr_engine_t *en = timer->data;
    uv_idle_start(&en->refresh_turn, on_turn);
}

void rr_engine_refresh_close(rr_engine_t *en, uv_close_cb done)
{
    uv_close((uv_handle_t *)&en->coalesce, done);
    uv_close((uv_handle_t *)&en->refresh_turn, done);
}
