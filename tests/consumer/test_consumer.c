/* test_consumer.c — one rr_consumer on a uv loop against the embedded broker: every produced
 * message is delivered exactly once with a small budget (idle continuation), close is
 * non-blocking and leaves no handle, and a restarted member of the group resumes after the
 * committed offsets. */
#include <stdlib.h>

#include "consumer_fixture.h"
#include "rr_broker.h"
#include "rr_log.h"
#include "rr_test.h"

enum { NPART = 4, NMSG = 2000, MAXOFF = NMSG + 64, GUARD_MS = 20000 };

typedef struct {
    uv_loop_t loop;
    uv_timer_t guard; /* fails the run if the target is not reached in time */
    uv_timer_t grace; /* after the target: lets stray duplicates arrive before closing */
    rr_consumer_t *rc;
    int target;
    int received;
    int duplicates;
    int out_of_range;
    int per_part[NPART];
    unsigned char seen[NPART][MAXOFF];
    int max_assigned;
    int closed;
    int timed_out;
    double t_start, t_assigned;
    rr_consumer_stats_t final_stats;
} run_t;

static void run_close(run_t *run)
{
    uv_timer_stop(&run->guard);
    rr_consumer_close(run->rc);
}

static void on_grace(uv_timer_t *timer)
{
    run_close(timer->data);
}

static void on_guard(uv_timer_t *timer)
{
    run_t *run = timer->data;
    run->timed_out = 1;
    fprintf(stderr, "timeout: received %d of %d\n", run->received, run->target);
    run_close(run);
}

static void on_message(void *opaque, const rr_msg_t *msg)
{
    run_t *run = opaque;
    if (msg->partition < 0 || msg->partition >= NPART || msg->offset < 0 || msg->offset >= MAXOFF) {
        run->out_of_range++;
        return;
    }
    if (run->seen[msg->partition][msg->offset]++) run->duplicates++;
    run->per_part[msg->partition]++;
    if (++run->received == run->target) uv_timer_start(&run->grace, on_grace, 300, 0);
}

static void on_rebalance(void *opaque, int assigned, const char *topic, int32_t partition)
{
    run_t *run = opaque;
    rr_consumer_stats_t st;
    (void)topic;
    (void)partition;
    rr_consumer_stats(run->rc, &st);
    if (st.assigned > run->max_assigned) run->max_assigned = st.assigned;
    if (assigned && run->t_assigned == 0) run->t_assigned = fx_now_ms();
}

static void on_handle_closed(uv_handle_t *handle)
{
    (void)handle;
}

/* The documented pattern: free the consumer inside on_closed. */
static void on_closed(void *opaque)
{
    run_t *run = opaque;
    run->closed = 1;
    rr_consumer_stats(run->rc, &run->final_stats);
    rr_consumer_free(run->rc);
    run->rc = NULL;
    uv_close((uv_handle_t *)&run->guard, on_handle_closed);
    uv_close((uv_handle_t *)&run->grace, on_handle_closed);
}

/* Runs one consumer of `group` until `target` messages arrived (plus a short grace), then closes.
 */
static void consume_run(run_t *run, const char *bootstrap, const char *group, int target)
{
    memset(run, 0, sizeof(*run));
    run->target = target;
    CHECK_INT(uv_loop_init(&run->loop), 0);
    uv_timer_init(&run->loop, &run->guard);
    uv_timer_init(&run->loop, &run->grace);
    run->guard.data = run->grace.data = run;

    fx_opts_t fo;
    fx_opts_init(&fo, bootstrap, group, "t", NULL, 50);
    rr_consumer_cbs_t cbs = {.opaque = run,
                             .on_message = on_message,
                             .on_rebalance = on_rebalance,
                             .on_closed = on_closed};
    char errstr[256];
    run->rc = rr_consumer_new(&run->loop, &fo.opts, &cbs, errstr, sizeof(errstr));
    CHECK(run->rc != NULL);
    if (!run->rc) {
        fprintf(stderr, "consumer: %s\n", errstr);
        return;
    }
    run->t_start = fx_now_ms();
    CHECK_INT(rr_consumer_start(run->rc), RR_OK);
    uv_timer_start(&run->guard, on_guard, GUARD_MS, 0);
    CHECK_INT(uv_run(&run->loop, UV_RUN_DEFAULT), 0);
    CHECK_INT(uv_loop_close(&run->loop), 0);
    printf("group join %.0f ms, %d messages, %llu turns, total %.0f ms\n",
           run->t_assigned - run->t_start, run->received,
           (unsigned long long)run->final_stats.turns, fx_now_ms() - run->t_start);
}

/* Offsets of each partition must be exactly first..first+count-1. */
static void check_contiguous(const run_t *run, const int *first)
{
    for (int p = 0; p < NPART; p++)
        for (int off = 0; off < MAXOFF; off++) {
            int want = off >= first[p] && off < first[p] + run->per_part[p];
            if (run->seen[p][off] != want) {
                fprintf(stderr, "partition %d offset %d seen %d times\n", p, off,
                        run->seen[p][off]);
                CHECK(0);
                return;
            }
        }
}

static void test_consumer_all_once_then_resume(void)
{
    static const char *const topics[] = {"t"};
    char errstr[256];
    rr_broker_t *rb = rr_broker_new(1, NPART, topics, 1, errstr, sizeof(errstr));
    CHECK(rb != NULL);
    if (!rb) return;
    rd_kafka_t *rk = fx_producer_new(rr_broker_bootstrap(rb));
    CHECK_INT(fx_produce_range(rk, "t", 0, NMSG), 0);
    CHECK_INT(fx_flush(rk), 0);

    run_t *run = calloc(1, sizeof(*run));
    consume_run(run, rr_broker_bootstrap(rb), "g1", NMSG);
    CHECK(run->closed);
    CHECK(!run->timed_out);
    CHECK_INT(run->received, NMSG);
    CHECK_INT(run->duplicates, 0);
    CHECK_INT(run->out_of_range, 0);
    CHECK_INT(run->max_assigned, NPART);
    CHECK_INT(run->final_stats.messages, NMSG);
    CHECK_INT(run->final_stats.errors, 0);
    CHECK(run->final_stats.turns >= NMSG / 50);
    int first[NPART] = {0}, next[NPART];
    check_contiguous(run, first);
    for (int p = 0; p < NPART; p++) next[p] = run->per_part[p];

    /* Restart in the same group: only the 10 new messages arrive, after the committed ones. */
    CHECK_INT(fx_produce_range(rk, "t", NMSG, 10), 0);
    CHECK_INT(fx_flush(rk), 0);
    consume_run(run, rr_broker_bootstrap(rb), "g1", 10);
    CHECK(run->closed);
    CHECK_INT(run->received, 10);
    CHECK_INT(run->duplicates, 0);
    check_contiguous(run, next);

    free(run);
    rd_kafka_destroy(rk);
    rr_broker_free(rb);
}

static void test_consumer_bad_conf(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    const char *conf[] = {"no.such.property", "1"};
    const char *nogroup[] = {"bootstrap.servers", "127.0.0.1:1"};
    const char *topics[] = {"t"};
    rr_consumer_opts_t opts = {
        .kafka_conf = conf, .kafka_conf_len = 2, .topics = topics, .ntopics = 1};
    rr_consumer_cbs_t cbs = {0};
    char errstr[256] = "";
    CHECK(rr_consumer_new(&loop, &opts, &cbs, errstr, sizeof(errstr)) == NULL);
    CHECK(strstr(errstr, "no.such.property") != NULL);
    opts.kafka_conf_len = 1;
    CHECK(rr_consumer_new(&loop, &opts, &cbs, errstr, sizeof(errstr)) == NULL);
    opts.kafka_conf = nogroup;
    opts.kafka_conf_len = 2;
    errstr[0] = '\0';
    CHECK(rr_consumer_new(&loop, &opts, &cbs, errstr, sizeof(errstr)) == NULL);
    CHECK(strstr(errstr, "group.id") != NULL);
    rr_consumer_free(NULL);
    CHECK_INT(uv_loop_close(&loop), 0);
}

static int closed_count;
static void count_closed(void *opaque)
{
    (void)opaque;
    closed_count++;
}

/* Never started: free directly; closed without start: on_closed still fires from the loop. */
static void test_consumer_unstarted(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    const char *conf[] = {"bootstrap.servers", "127.0.0.1:1", "group.id", "g"};
    const char *topics[] = {"t"};
    rr_consumer_opts_t opts = {
        .kafka_conf = conf, .kafka_conf_len = 4, .topics = topics, .ntopics = 1};
    rr_consumer_cbs_t cbs = {.on_closed = count_closed};
    char errstr[256];
    rr_consumer_t *rc = rr_consumer_new(&loop, &opts, &cbs, errstr, sizeof(errstr));
    CHECK(rc != NULL);
    rr_consumer_free(rc);

    rc = rr_consumer_new(&loop, &opts, &cbs, errstr, sizeof(errstr));
    closed_count = 0;
    rr_consumer_close(rc);
    CHECK_INT(closed_count, 0);
    CHECK_INT(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_INT(closed_count, 1);
    rr_consumer_free(rc);
    CHECK_INT(uv_loop_close(&loop), 0);
}

RR_TEST_MAIN(RR_TEST(test_consumer_all_once_then_resume), RR_TEST(test_consumer_bad_conf),
             RR_TEST(test_consumer_unstarted))
