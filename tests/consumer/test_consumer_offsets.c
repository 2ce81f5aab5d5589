/* test_consumer_offsets.c — rr_consumer's offset API on the embedded broker: lag counts what is
 * left behind the consumed position, a commit is refused unless running with partitions, and a
 * fresh member of the group resumes exactly at the committed offset (auto commit off, as the
 * engine runs with checkpoints). */
#include <stdlib.h>

#include "consumer_fixture.h"
#include "rr_broker.h"
#include "rr_test.h"

enum { NMSG = 200, COMMIT_AT = 120, GUARD_MS = 20000 };

typedef struct {
    uv_loop_t loop;
    uv_timer_t guard;
    rr_consumer_t *rc;
    int target, received, timed_out, closed;
    int64_t first_offset;
    int64_t lag_first, lag_last; /* at the first and the target message, -1 = not reported */
    size_t nlag_first;
    int commit_pending; /* commits once, when COMMIT_AT + 5 arrives */
    rr_err_t commit_err;
} run_t;

static int64_t lag_of(rr_consumer_t *rc, size_t *n)
{
    rr_consumer_lag_t lag[4];
    *n = rr_consumer_lag(rc, lag, 4);
    if (*n != 1 || strcmp(lag[0].topic, "t") != 0 || lag[0].partition != 0) return -1;
    return lag[0].lag;
}

static void on_message(void *opaque, const rr_msg_t *msg)
{
    run_t *run = opaque;
    size_t n;
    if (run->received++ == 0) {
        run->first_offset = msg->offset;
        run->lag_first = lag_of(run->rc, &run->nlag_first);
    }
    if (run->commit_pending && msg->offset == COMMIT_AT + 5) {
        run->commit_pending = 0;
        const char *topics[] = {"t"};
        int64_t offsets[2] = {COMMIT_AT, -1}; /* partition 1 does not exist: skipped */
        run->commit_err = rr_consumer_commit(run->rc, topics, 1, offsets, 2);
    }
    if (run->received == run->target) {
        run->lag_last = lag_of(run->rc, &n);
        uv_timer_stop(&run->guard);
        rr_consumer_close(run->rc);
    }
}

static void on_guard(uv_timer_t *timer)
{
    run_t *run = timer->data;
    run->timed_out = 1;
    fprintf(stderr, "timeout: received %d of %d\n", run->received, run->target);
    rr_consumer_close(run->rc);
}

static void on_closed(void *opaque)
{
    run_t *run = opaque;
    run->closed = 1;
    rr_consumer_free(run->rc);
    run->rc = NULL;
    uv_close((uv_handle_t *)&run->guard, NULL);
}

/* One member of group "g" with auto commit off, until `target` messages; commits if asked. */
static void consume_run(run_t *run, const char *bootstrap, int target, int commit)
{
    memset(run, 0, sizeof(*run));
    run->target = target;
    run->lag_first = run->lag_last = -1;
    run->commit_pending = commit;
    run->commit_err = RR_E(INVAL);
    uv_loop_init(&run->loop);
    uv_timer_init(&run->loop, &run->guard);
    run->guard.data = run;
    fx_opts_t fo;
    fx_opts_init(&fo, bootstrap, "g", "t", NULL, 7);
    fo.conf[fo.opts.kafka_conf_len++] = "enable.auto.commit";
    fo.conf[fo.opts.kafka_conf_len++] = "false";
    rr_consumer_cbs_t cbs = {.opaque = run, .on_message = on_message, .on_closed = on_closed};
    char errstr[256];
    run->rc = rr_consumer_new(&run->loop, &fo.opts, &cbs, errstr, sizeof(errstr));
    CHECK(run->rc != NULL);
    if (!run->rc) return;
    const char *topics[] = {"t"};
    int64_t offsets[] = {5};
    CHECK_INT(rr_consumer_commit(run->rc, topics, 1, offsets, 1), RR_E(INVAL)); /* not started */
    CHECK_INT(rr_consumer_start(run->rc), RR_OK);
    uv_timer_start(&run->guard, on_guard, GUARD_MS, 0);
    CHECK_INT(uv_run(&run->loop, UV_RUN_DEFAULT), 0);
    CHECK_INT(uv_loop_close(&run->loop), 0);
}

static void test_consumer_lag_commit_resume(void)
{
    static const char *const topics[] = {"t"};
    char errstr[256];
    rr_broker_t *rb = rr_broker_new(1, 1, topics, 1, errstr, sizeof(errstr));
    CHECK(rb != NULL);
    if (!rb) return;
    rd_kafka_t *rk = fx_producer_new(rr_broker_bootstrap(rb));
    CHECK_INT(fx_produce_range(rk, "t", 0, NMSG), 0);
    CHECK_INT(fx_flush(rk), 0);
    rd_kafka_destroy(rk);

    run_t *run = calloc(1, sizeof(*run));
    consume_run(run, rr_broker_bootstrap(rb), NMSG, 1);
    CHECK(run->closed && !run->timed_out);
    CHECK_INT(run->first_offset, 0);
    CHECK_INT(run->nlag_first, 1);
    CHECK_INT(run->lag_first, NMSG - 1); /* position 1 of 200 */
    CHECK_INT(run->lag_last, 0);
    CHECK_INT(run->commit_pending, 0);
    CHECK_INT(run->commit_err, RR_OK);

    /* Nothing was committed but the explicit commit: the next member starts there. */
    consume_run(run, rr_broker_bootstrap(rb), NMSG - COMMIT_AT, 0);
    CHECK(run->closed && !run->timed_out);
    CHECK_INT(run->first_offset, COMMIT_AT);
    CHECK_INT(run->lag_first, NMSG - COMMIT_AT - 1);
    CHECK_INT(run->lag_last, 0);
    free(run);
    rr_broker_free(rb);
}

RR_TEST_MAIN(RR_TEST(test_consumer_lag_commit_resume))
