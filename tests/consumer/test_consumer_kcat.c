/* test_consumer_kcat.c — a real Kafka client (kcat) produces keyed lines to the embedded broker
 * and rr_consumer receives each one with its key and value intact. Exit 77 (ctest SKIP) when
 * kcat is not installed. */
#include <stdlib.h>

#include "consumer_fixture.h"
#include "rr_broker.h"
#include "rr_test.h"

enum { NLINES = 6, GUARD_MS = 20000 };

typedef struct {
    uv_loop_t loop;
    uv_timer_t guard;
    rr_consumer_t *rc;
    int received;
    int matched[NLINES];
    int timed_out, closed;
} run_t;

static void line_make(int i, char *key, size_t keylen, char *value, size_t valuelen)
{
    snprintf(key, keylen, "user-%d", i * 7);
    snprintf(value, valuelen, "{\"user_id\":\"user-%d\",\"item_id\":\"item-%d\",\"type\":\"view\"}",
             i * 7, 100 + i);
}

static int kcat_available(void)
{
    FILE *fp = popen("command -v kcat", "r");
    if (!fp) return 0;
    char path[256];
    int found = fgets(path, sizeof(path), fp) != NULL;
    return pclose(fp) == 0 && found;
}

/* Blocking on purpose, before the loop runs: kcat -K splits each line at the first '|'. */
static int kcat_produce(const char *bootstrap)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "kcat -b '%s' -P -t t -K '|' -X linger.ms=1", bootstrap);
    FILE *fp = popen(cmd, "w");
    if (!fp) return -1;
    for (int i = 0; i < NLINES; i++) {
        char key[32], value[128];
        line_make(i, key, sizeof(key), value, sizeof(value));
        fprintf(fp, "%s|%s\n", key, value);
    }
    return pclose(fp) == 0 ? 0 : -1;
}

static void on_message(void *opaque, const rr_msg_t *msg)
{
    run_t *run = opaque;
    for (int i = 0; i < NLINES; i++) {
        char key[32], value[128];
        line_make(i, key, sizeof(key), value, sizeof(value));
        if (msg->key_len == strlen(key) && memcmp(msg->key, key, msg->key_len) == 0 &&
            msg->len == strlen(value) && memcmp(msg->value, value, msg->len) == 0)
            run->matched[i]++;
    }
    CHECK(msg->ts_ms > 0);
    if (++run->received == NLINES) {
        uv_timer_stop(&run->guard);
        rr_consumer_close(run->rc);
    }
}

static void on_guard(uv_timer_t *timer)
{
    run_t *run = timer->data;
    run->timed_out = 1;
    rr_consumer_close(run->rc);
}

static void on_closed(void *opaque)
{
    run_t *run = opaque;
    run->closed = 1;
    uv_close((uv_handle_t *)&run->guard, NULL);
}

static void test_kcat_to_consumer(void)
{
    static const char *const topics[] = {"t"};
    char errstr[256];
    rr_broker_t *rb = rr_broker_new(1, 4, topics, 1, errstr, sizeof(errstr));
    CHECK(rb != NULL);
    if (!rb) return;
    CHECK_INT(kcat_produce(rr_broker_bootstrap(rb)), 0);

    run_t run = {0};
    uv_loop_init(&run.loop);
    uv_timer_init(&run.loop, &run.guard);
    run.guard.data = &run;
    fx_opts_t fo;
    fx_opts_init(&fo, rr_broker_bootstrap(rb), "gk", "t", NULL, 0);
    rr_consumer_cbs_t cbs = {.opaque = &run, .on_message = on_message, .on_closed = on_closed};
    run.rc = rr_consumer_new(&run.loop, &fo.opts, &cbs, errstr, sizeof(errstr));
    CHECK(run.rc != NULL);
    if (run.rc) {
        CHECK_INT(rr_consumer_start(run.rc), RR_OK);
        uv_timer_start(&run.guard, on_guard, GUARD_MS, 0);
        CHECK_INT(uv_run(&run.loop, UV_RUN_DEFAULT), 0);
        rr_consumer_free(run.rc);
    }
    CHECK_INT(uv_loop_close(&run.loop), 0);
    CHECK(run.closed);
    CHECK(!run.timed_out);
    CHECK_INT(run.received, NLINES);
    for (int i = 0; i < NLINES; i++) CHECK_INT(run.matched[i], 1);
    rr_broker_free(rb);
}

int main(int argc, char **argv)
{
    static const rr_test_case_t cases[] = {RR_TEST(test_kcat_to_consumer)};
    if (!kcat_available()) {
        printf("SKIP: kcat not installed\n");
        return 77;
    }
    return rr_test_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
