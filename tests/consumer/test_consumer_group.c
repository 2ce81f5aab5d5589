/* test_consumer_group.c — a second rr_consumer joins a group whose first member owns every
 * partition: after the rebalance they split them (each >= 1, disjoint, union = all) and every
 * message produced afterwards is delivered once overall, by the owner of its partition. Run with
 * the eager and the cooperative assignor (incremental assign/unassign). */
#include <stdlib.h>

#include "consumer_fixture.h"
#include "rr_broker.h"
#include "rr_test.h"

enum { NPART = 4, NMSG = 400, MAXOFF = NMSG + 16, GUARD_MS = 40000 };

typedef struct group_s group_t;

typedef struct {
    group_t *group;
    rr_consumer_t *rc;
    unsigned owned; /* bitmask of assigned partitions */
    int received;
    int foreign; /* messages from a partition this member does not own */
} member_t;

struct group_s {
    uv_loop_t loop;
    uv_timer_t tick;  /* watches for the split, polls the producer, enforces the guard */
    uv_timer_t grace; /* after all messages: lets stray duplicates arrive */
    rd_kafka_t *producer;
    member_t members[2];
    unsigned char seen[NPART][MAXOFF];
    int produced, received, duplicates, closed, timed_out;
    unsigned split[2]; /* the owned masks when the split was seen */
    double t_start, t_first, t_split;
};

static void on_handle_closed(uv_handle_t *handle)
{
    (void)handle;
}

static void group_close(group_t *group)
{
    uv_timer_stop(&group->tick);
    for (int i = 0; i < 2; i++) rr_consumer_close(group->members[i].rc);
}

static void on_grace(uv_timer_t *timer)
{
    group_close(timer->data);
}

static int split_done(const group_t *group)
{
    unsigned a = group->members[0].owned, b = group->members[1].owned;
    return a && b && (a & b) == 0 && (a | b) == (1u << NPART) - 1;
}

static void on_tick(uv_timer_t *timer)
{
    group_t *group = timer->data;
    rd_kafka_poll(group->producer, 0);
    if (fx_now_ms() - group->t_start > GUARD_MS) {
        group->timed_out = 1;
        fprintf(stderr, "timeout: owned %x/%x, received %d of %d\n", group->members[0].owned,
                group->members[1].owned, group->received, group->produced);
        group_close(group);
        return;
    }
    if (group->t_first == 0 && group->members[0].owned == (1u << NPART) - 1) {
        group->t_first = fx_now_ms();
        CHECK_INT(rr_consumer_start(group->members[1].rc), RR_OK);
    }
    if (group->produced == 0 && split_done(group)) {
        group->t_split = fx_now_ms();
        for (int i = 0; i < 2; i++) group->split[i] = group->members[i].owned;
        CHECK_INT(fx_produce_range(group->producer, "t", 0, NMSG), 0);
        group->produced = NMSG;
    }
}

static void on_message(void *opaque, const rr_msg_t *msg)
{
    member_t *member = opaque;
    group_t *group = member->group;
    CHECK(msg->partition >= 0 && msg->partition < NPART && msg->offset >= 0 &&
          msg->offset < MAXOFF);
    if (msg->partition < 0 || msg->partition >= NPART || msg->offset >= MAXOFF) return;
    if (!(member->owned & (1u << msg->partition))) member->foreign++;
    if (group->seen[msg->partition][msg->offset]++) group->duplicates++;
    member->received++;
    if (++group->received == NMSG) uv_timer_start(&group->grace, on_grace, 300, 0);
}

static void on_rebalance(void *opaque, int assigned, const char *topic, int32_t partition)
{
    member_t *member = opaque;
    (void)topic;
    if (assigned)
        member->owned |= 1u << partition;
    else
        member->owned &= ~(1u << partition);
}

static void on_closed(void *opaque)
{
    member_t *member = opaque;
    group_t *group = member->group;
    if (++group->closed < 2) return;
    uv_close((uv_handle_t *)&group->tick, on_handle_closed);
    uv_close((uv_handle_t *)&group->grace, on_handle_closed);
}

static void group_run(group_t *group, const char *bootstrap, const char *assignor)
{
    CHECK_INT(uv_loop_init(&group->loop), 0);
    uv_timer_init(&group->loop, &group->tick);
    uv_timer_init(&group->loop, &group->grace);
    group->tick.data = group->grace.data = group;
    fx_opts_t fo;
    fx_opts_init(&fo, bootstrap, assignor ? "gc" : "ge", "t", assignor, 64);
    for (int i = 0; i < 2; i++) {
        member_t *member = &group->members[i];
        member->group = group;
        rr_consumer_cbs_t cbs = {.opaque = member,
                                 .on_message = on_message,
                                 .on_rebalance = on_rebalance,
                                 .on_closed = on_closed};
        char errstr[256];
        member->rc = rr_consumer_new(&group->loop, &fo.opts, &cbs, errstr, sizeof(errstr));
        if (!member->rc) fprintf(stderr, "consumer: %s\n", errstr);
    }
    if (!group->members[0].rc || !group->members[1].rc) {
        CHECK(0);
        return;
    }
    group->t_start = fx_now_ms();
    CHECK_INT(rr_consumer_start(group->members[0].rc), RR_OK);
    uv_timer_start(&group->tick, on_tick, 20, 20);
    CHECK_INT(uv_run(&group->loop, UV_RUN_DEFAULT), 0);
    CHECK_INT(uv_loop_close(&group->loop), 0);
    for (int i = 0; i < 2; i++) rr_consumer_free(group->members[i].rc);
}

static void group_check(const char *assignor)
{
    static const char *const topics[] = {"t"};
    char errstr[256];
    rr_broker_t *rb = rr_broker_new(1, NPART, topics, 1, errstr, sizeof(errstr));
    CHECK(rb != NULL);
    if (!rb) return;
    group_t *group = calloc(1, sizeof(*group));
    group->producer = fx_producer_new(rr_broker_bootstrap(rb));
    group_run(group, rr_broker_bootstrap(rb), assignor);
    printf("%s: first member owns all after %.0f ms, split %.0f ms later: %x / %x, "
           "received %d + %d\n",
           assignor ? assignor : "eager", group->t_first - group->t_start,
           group->t_split - group->t_first, group->split[0], group->split[1],
           group->members[0].received, group->members[1].received);
    CHECK(!group->timed_out);
    CHECK_INT(group->closed, 2);
    CHECK_INT(group->received, NMSG);
    CHECK_INT(group->duplicates, 0);
    CHECK_INT(group->members[0].foreign + group->members[1].foreign, 0);
    CHECK(group->members[0].received > 0 && group->members[1].received > 0);
    CHECK_INT(fx_flush(group->producer), 0);
    rd_kafka_destroy(group->producer);
    free(group);
    rr_broker_free(rb);
}

static void test_group_split_eager(void)
{
    group_check(NULL);
}

static void test_group_split_cooperative(void)
{
    group_check("cooperative-sticky");
}

RR_TEST_MAIN(RR_TEST(test_group_split_eager), RR_TEST(test_group_split_cooperative))
