/* rr_cmd_run.c — `rtrec run` and `rtrec broker`: long-running processes stopped by SIGINT or
 * SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>
#include "rr_broker.h"
#include "rr_cli.h"
#include "rr_engine.h"
#include "rr_log.h"

typedef struct run_ctx_s {
    rr_engine_t *en;
    uv_signal_t sigint, sigterm;
} run_ctx_t;

static void on_signal(uv_signal_t *sig, int signum)
{
    run_ctx_t *ctx = sig->data;
    RR_INFO("%s received", signum == SIGINT ? "SIGINT" : "SIGTERM");
    uv_close((uv_handle_t *)&ctx->sigint, NULL);
    uv_close((uv_handle_t *)&ctx->sigterm, NULL);
    rr_engine_stop(ctx->en);
}

int rr_cmd_run(int argc, char **argv)
{
    rr_config_t cfg;
    char *rest[64];
    int nrest;
    rr_config_init(&cfg);
    if (argc > 64 || rr_cli_config(argc, argv, &cfg, rest, &nrest)) return 2;
    if (nrest) {
        fprintf(stderr, "rtrec run: unexpected argument \"%s\"\n", rest[0]);
        return 2;
    }
    rr_cli_log_level(&cfg);
    setvbuf(stdout, NULL, _IOLBF, 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    char errstr[512];
    run_ctx_t ctx;
    ctx.en = rr_engine_new(&loop, &cfg, errstr, sizeof(errstr));
    if (!ctx.en) {
        fprintf(stderr, "rtrec run: %s\n", errstr);
        uv_loop_close(&loop);
        return 1;
    }
    /* Signals first: a SIGTERM during start-up still stops the engine cleanly. */
    uv_signal_init(&loop, &ctx.sigint);
    uv_signal_init(&loop, &ctx.sigterm);
    ctx.sigint.data = ctx.sigterm.data = &ctx;
    uv_signal_start(&ctx.sigint, on_signal, SIGINT);
    uv_signal_start(&ctx.sigterm, on_signal, SIGTERM);
    int status = 0;
    if (rr_engine_start(ctx.en, errstr, sizeof(errstr)) != RR_OK) {
        fprintf(stderr, "rtrec run: %s\n", errstr);
        uv_close((uv_handle_t *)&ctx.sigint, NULL);
        uv_close((uv_handle_t *)&ctx.sigterm, NULL);
        rr_engine_stop(ctx.en);
        status = 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    rr_engine_free(ctx.en);
    if (uv_loop_close(&loop) != 0) RR_WARN("loop closed with handles still open");
    return status;
}

static volatile sig_atomic_t broker_stop, broker_want_up = 1;

static void on_broker_signal(int signum)
{
    if (signum == SIGUSR1)
        broker_want_up = 0;
    else if (signum == SIGUSR2)
        broker_want_up = 1;
    else
        broker_stop = 1;
}

int rr_cmd_broker(int argc, char **argv)
{
    rr_config_t cfg;
    char *rest[64];
    int nrest;
    rr_config_init(&cfg);
    if (argc > 64 || rr_cli_config(argc, argv, &cfg, rest, &nrest)) return 2;
    rr_cli_log_level(&cfg);
    const char *topics[] = {cfg.topic_events, cfg.topic_items, cfg.topic_users,
                            cfg.topic_recs,   cfg.topic_dlq,   cfg.topic_sync};
    char errstr[512];
    rr_broker_t *rb =
        rr_broker_new(cfg.broker_count, cfg.broker_partitions, topics, 6, errstr, sizeof(errstr));
    if (!rb) {
        fprintf(stderr, "rtrec broker: %s\n", errstr);
        return 1;
    }
    printf("bootstrap.servers=%s\n", rr_broker_bootstrap(rb));
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_broker_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL); /* outage drills: every broker down ... */
    sigaction(SIGUSR2, &sa, NULL); /* ... and up again */
    int up = 1;
    while (!broker_stop) { /* the broker's own threads do the work */
        if (up != broker_want_up) {
            up = broker_want_up;
            for (int id = 1; id <= cfg.broker_count; id++) rr_broker_set_up(rb, id, up);
            fprintf(stderr, "rtrec broker: %s\n", up ? "brokers up" : "brokers down");
        }
        uv_sleep(50);
    }
    rr_broker_free(rb);
    return 0;
}
