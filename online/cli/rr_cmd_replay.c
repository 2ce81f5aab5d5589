/* rr_cmd_replay.c — `rtrec replay` (file -> events topic). A command-line tool, not the engine:
 * it may block and flush. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rr_cli.h"
#include "rr_codec.h"
#include "rr_group_lag.h"
#include "rr_producer.h"
#include "rr_replay_side.h"

static volatile sig_atomic_t interrupted;

static void on_interrupt(int signum)
{
    (void)signum;
    interrupted = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static rr_producer_t *make_producer(const rr_config_t *cfg)
{
    /* Batch a little by default, unless -X kafka.linger.ms says otherwise. */
    static const char *const defaults[] = {"linger.ms", "5"};
    const char *kv[2 * RR_CONFIG_KAFKA_MAX + 4];
    size_t nkv = rr_config_kafka(cfg, kv, sizeof(kv) / sizeof(kv[0]));
    rr_producer_opts_t opts = {defaults, 2, kv, nkv};
    char errstr[512];
    rr_producer_t *rp = rr_producer_new(&opts, NULL, errstr, sizeof(errstr));
    if (!rp) fprintf(stderr, "rtrec replay: %s\n", errstr);
    return rp;
}

typedef struct replay_opts_s {
    const char *file, *topic;
    const char *items, *users; /* side files, produced first */
    rr_format_t fmt;
    double rate, speedup;
    int max_lag;       /* replay.max_lag, or --max-lag */
    int max_lag_bytes; /* replay.max_lag_bytes */
} replay_opts_t;

static int replay_args(char **rest, int nrest, const rr_config_t *cfg, replay_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->topic = cfg->topic_events;
    o->max_lag = cfg->replay_max_lag;
    o->max_lag_bytes = cfg->replay_max_lag_bytes;
    for (int i = 0; i < nrest; i++) {
        const char *a = rest[i], *v = i + 1 < nrest ? rest[i + 1] : NULL;
        if (strcmp(a, "--format") == 0 && v)
            o->fmt = rr_format_parse(rest[++i]);
        else if (strcmp(a, "--rate") == 0 && v)
            o->rate = atof(rest[++i]);
        else if (strcmp(a, "--speedup") == 0 && v)
            o->speedup = atof(rest[++i]);
        else if (strcmp(a, "--items") == 0 && v)
            o->items = rest[++i];
        else if (strcmp(a, "--users") == 0 && v)
            o->users = rest[++i];
        else if (strcmp(a, "--topic") == 0 && v)
            o->topic = rest[++i];
        else if (strcmp(a, "--max-lag") == 0 && v && atoi(v) >= 0)
            o->max_lag = atoi(rest[++i]);
        else if (a[0] != '-' && !o->file)
            o->file = a;
        else {
            fprintf(stderr, "rtrec replay: unexpected argument \"%s\"\n", a);
            return 2;
        }
    }
    if (!o->file || o->fmt == RR_FMT_NONE) {
        fprintf(stderr, "usage: rtrec replay FILE --format "
                        "taobao|rees46|movielens|ml100k|amazon|caixin|jsonl|pb"
                        " [--rate EPS|--speedup X] [--topic T] [--items FILE] [--users FILE]"
                        " [--max-lag N]"
                        " [-X kafka.bootstrap.servers=H:P]\n");
        return 2;
    }
    if (!cfg->kafka_bootstrap[0]) {
        fprintf(stderr, "rtrec replay: set -X kafka.bootstrap.servers=HOST:PORT\n");
        return 2;
    }
    return 0;
}

/* Paces the stream: a fixed rate, or event time divided by the speed-up. */
static void pace(const replay_opts_t *o, uint64_t sent, int64_t ts_ms, int64_t first_ts, double t0)
{
    double due = 0;
    if (o->rate > 0)
        due = (double)sent / o->rate;
    else if (o->speedup > 0)
        due = (double)(ts_ms - first_ts) / 1000.0 / o->speedup;
    else
        return;
    sleep_s(due - (now_s() - t0));
}

/* Pacing by the consuming group: the topic may drop what nobody read yet (retention; the
 * embedded broker keeps 5 MiB per partition), so the replay keeps the group's lag, its own
 * undelivered messages included, at most max_lag messages, and at most max_lag_bytes at the
 * average size of the messages sent so far. Between two looks at the group the lag can only
 * shrink, so after a look at lag L, bound - L more messages may go before the next. */
typedef struct pacer_s {
    rr_group_lag_t *gl; /* NULL: pacing off */
    const char *group, *topic;
    int64_t max_lag, max_lag_bytes;
    uint64_t until; /* sent count at which to look again */
    uint64_t bytes; /* keys and values sent so far */
    double waited_s, last_note;
} pacer_t;

enum { PACE_TIMEOUT_MS = 5000, PACE_SLEEP_MS = 20, PACE_FIRST = 64 };

/* The bound in messages: max_lag, or fewer when the messages seen are large. */
static int64_t pacer_bound(const pacer_t *pc, uint64_t sent)
{
    int64_t bound = pc->max_lag;
    if (pc->max_lag_bytes > 0 && pc->bytes > 0) {
        double by_size = (double)pc->max_lag_bytes * (double)sent / (double)pc->bytes;
        if (by_size < (double)bound) bound = by_size < 4 ? 4 : (int64_t)by_size;
    }
    return bound;
}

static int pacer_init(pacer_t *pc, const replay_opts_t *o, const rr_config_t *cfg)
{
    memset(pc, 0, sizeof(*pc));
    pc->group = cfg->kafka_group;
    pc->topic = o->topic;
    pc->max_lag = o->max_lag;
    pc->max_lag_bytes = o->max_lag_bytes;
    if (o->max_lag == 0) return 0;
    const char *kv[2 * RR_CONFIG_KAFKA_MAX + 4];
    size_t nkv = rr_config_kafka(cfg, kv, sizeof(kv) / sizeof(kv[0]));
    char errstr[512];
    pc->gl = rr_group_lag_new(kv, nkv, errstr, sizeof(errstr));
    if (!pc->gl) fprintf(stderr, "rtrec replay: %s\n", errstr);
    return pc->gl ? 0 : -1;
}

/* Says every 5 s why the replay waits: a group that never moves (no engine running, another
 * kafka.group.id) would otherwise look like a hang. */
static void pacer_note(pacer_t *pc, int64_t lag, int64_t bound, rr_err_t err)
{
    double now = now_s();
    if (now - pc->last_note < 5.0) return;
    pc->last_note = now;
    if (err)
        fprintf(stderr, "replay: waiting: cannot read group %s's offsets on %s (%s)", pc->group,
                pc->topic, rr_strerror(err));
    else
        fprintf(stderr, "replay: waiting: group %s is %lld messages behind %s (max %lld)",
                pc->group, (long long)lag, pc->topic, (long long)bound);
    fprintf(stderr,
            "; is rtrec run consuming as kafka.group.id=%s? --max-lag 0 turns pacing "
            "off\n",
            pc->group);
}

/* Waits, serving delivery reports, until the group is far enough below the bound to go on.
 * Before the first messages the size is unknown: a few go first to learn it. */
static void pacer_wait(pacer_t *pc, rr_producer_t *rp, uint64_t sent)
{
    double t0 = now_s();
    int64_t bound = pacer_bound(pc, sent);
    int64_t resume = bound - bound / 4; /* go on with room for a quarter of it */
    while (!interrupted) {
        rr_producer_poll(rp);
        int64_t lag = 0;
        rr_err_t err = rr_group_lag_get(pc->gl, pc->topic, PACE_TIMEOUT_MS, &lag);
        lag += (int64_t)rr_producer_queued(rp);
        if (!err && lag <= resume) {
            uint64_t room = (uint64_t)(bound - lag);
            pc->until = sent + (sent == 0 && room > PACE_FIRST ? PACE_FIRST : room);
            break;
        }
        pacer_note(pc, lag, bound, err);
        sleep_s(PACE_SLEEP_MS / 1000.0);
    }
    pc->waited_s += now_s() - t0;
}

/* 0 and *bytes = key + value on success. */
static int produce_one(rr_producer_t *rp, const char *topic, const rr_event_t *ev, uint8_t *buf,
                       size_t cap, uint64_t *bytes)
{
    size_t len;
    if (rr_event_encode_pb(ev, buf, cap, &len) != RR_OK) return -1;
    rr_produce_msg_t pm = {.topic = topic,
                           .key = ev->user_id,
                           .key_len = strlen(ev->user_id),
                           .value = buf,
                           .len = len};
    *bytes += len + pm.key_len;
    return rr_producer_send_wait(rp, &pm) == RR_OK ? 0 : -1;
}

int rr_cmd_replay(int argc, char **argv)
{
    rr_config_t cfg;
    char *rest[64];
    int nrest;
    replay_opts_t o;
    rr_config_init(&cfg);
    if (argc > 64 || rr_cli_config(argc, argv, &cfg, rest, &nrest)) return 2;
    if (replay_args(rest, nrest, &cfg, &o)) return 2;
    char errstr[512];
    rr_reader_t *rd = rr_reader_open(o.file, o.fmt, errstr, sizeof(errstr));
    if (!rd) {
        fprintf(stderr, "rtrec replay: %s\n", errstr);
        return 1;
    }
    rr_producer_t *rp = make_producer(&cfg);
    pacer_t pc;
    if (!rp || pacer_init(&pc, &o, &cfg) != 0) {
        rr_producer_free(rp);
        rr_reader_free(rd);
        return 1;
    }
    if ((o.items || o.users) && rr_replay_side(rp, &cfg, o.items, o.users)) {
        rr_producer_free(rp);
        rr_reader_free(rd);
        return 1;
    }
    signal(SIGINT, on_interrupt);
    static uint8_t buf[8192];
    rr_event_t ev;
    uint64_t sent = 0, bad = 0, failed = 0;
    int64_t first_ts = 0;
    double t0 = now_s(), last_report = t0;
    rr_err_t err;
    while (!interrupted && (err = rr_reader_next(rd, &ev)) != RR_E(EOF)) {
        if (err) {
            bad++;
            continue;
        }
        if (sent == 0) first_ts = ev.ts_ms;
        pace(&o, sent, ev.ts_ms, first_ts, t0);
        if (pc.gl && sent >= pc.until) pacer_wait(&pc, rp, sent);
        if (produce_one(rp, o.topic, &ev, buf, sizeof(buf), &pc.bytes))
            failed++;
        else
            sent++;
        rr_producer_poll(rp);
        if (now_s() - last_report >= 1.0) {
            last_report = now_s();
            fprintf(stderr, "replay: %llu events, %.0f ev/s\n", (unsigned long long)sent,
                    (double)sent / (last_report - t0));
        }
    }
    size_t undelivered = rr_producer_flush(rp, 30000);
    double dt = now_s() - t0;
    fprintf(stderr,
            "replay: %llu events to %s in %.2f s (%.0f ev/s), %llu bad records skipped, "
            "%llu failed, %zu undelivered",
            (unsigned long long)sent, o.topic, dt, dt > 0 ? (double)sent / dt : 0.0,
            (unsigned long long)bad, (unsigned long long)failed, undelivered);
    if (pc.gl)
        fprintf(stderr, "; paced by group %s (max lag %lld messages, %lld bytes): waited %.2f s\n",
                pc.group, (long long)pc.max_lag, (long long)pc.max_lag_bytes, pc.waited_s);
    else
        fprintf(stderr, "; not paced\n");
    rr_group_lag_free(pc.gl);
    rr_producer_free(rp);
    rr_reader_free(rd);
    return failed || undelivered ? 1 : 0;
}
