/* rr_consumer.c — a librdkafka group consumer served from a libuv loop: the consumer queue's
 * io-event writes to a pipe watched by uv_poll, a budgeted drain runs per loop turn, and a uv_idle
 * handle continues the drain when the budget ran out (the io-event only fires on empty ->
 * non-empty). */
#include "rr_consumer.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>

#include "rr_kafka_conf.h"
#include "rr_log.h"

enum { RC_NEW, RC_RUNNING, RC_CLOSING, RC_CLOSED };
enum { RC_DEFAULT_BUDGET = 500, RC_CLOSE_CHECK_MS = 10, RC_KEEPALIVE_MS = 1000, RC_NHANDLES = 3 };

struct rr_consumer_s {
    uv_loop_t *loop;
    rd_kafka_t *rk;
    rd_kafka_queue_t *rkqu;       /* the consumer queue (rebalances, logs, errors, messages) */
    rd_kafka_queue_t *close_rkqu; /* the consumer queue is forwarded here while closing */
    rr_consumer_cbs_t cbs;
    char **topics;
    size_t ntopics;
    int budget;
    int assign_all;
    int state;
    int pipe_fds[2]; /* [0] watched by uv_poll, [1] written by librdkafka's io-event */
    uv_poll_t poll;
    uv_idle_t idle;   /* continues a drain that hit the budget */
    uv_timer_t timer; /* running: the keep-alive poll; closing: re-checks consumer_closed() */
    int handles_live; /* handles initialised and not yet all closed */
    int pending_closes;
    int lost; /* inside a revocation of partitions the group already gave to others */
    /* Where a partition with no committed offset starts: the auto.offset.reset the caller
     * asked for (RD_KAFKA_OFFSET_BEGINNING or _END; RD_KAFKA_OFFSET_INVALID = "error"). */
    int64_t reset_to;
    rr_consumer_stats_t stats;
};

/* ---- librdkafka callbacks: all served inside rd_kafka_consumer_poll, on the loop thread ---- */

static void partitions_report(rr_consumer_t *rc, int assigned,
                              const rd_kafka_topic_partition_list_t *parts)
{
    if (!rc->cbs.on_rebalance) return;
    for (int i = 0; i < parts->cnt; i++)
        rc->cbs.on_rebalance(rc->cbs.opaque, assigned, parts->elems[i].topic,
                             parts->elems[i].partition);
}

/* Partitions restored from a checkpoint resume exactly where it left them. */
static void start_offsets(rr_consumer_t *rc, rd_kafka_topic_partition_list_t *parts)
{
    if (!rc->cbs.start_offset) return;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t off = rc->cbs.start_offset(rc->cbs.opaque, p->topic, p->partition);
        if (off >= 0) p->offset = off;
    }
}

/* Revocations are reported before the unassign, so the application can save and commit what
 * it consumed while it still owns the partitions; assignments after the assign, once their
 * start offsets were asked for. Either way no message of a revoked partition follows. */
static void assignment_apply(rr_consumer_t *rc, int assigned, int cooperative,
                             rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_error_t *error = NULL;
    if (assigned)
        start_offsets(rc, parts);
    else
        partitions_report(rc, 0, parts);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cooperative)
        error = assigned ? rd_kafka_incremental_assign(rc->rk, parts)
                         : rd_kafka_incremental_unassign(rc->rk, parts);
    else
        err = rd_kafka_assign(rc->rk, assigned ? parts : NULL);
    if (error || err) {
        rc->stats.errors++;
        RR_WARN("consumer: %s failed: %s", assigned ? "assign" : "unassign",
                error ? rd_kafka_error_string(error) : rd_kafka_err2str(err));
        if (error) rd_kafka_error_destroy(error);
    }
    if (cooperative)
        rc->stats.assigned += assigned ? parts->cnt : -parts->cnt;
    else
        rc->stats.assigned = assigned ? parts->cnt : 0;
    if (rc->stats.assigned < 0) rc->stats.assigned = 0;
    if (assigned) partitions_report(rc, 1, parts);
    rc->stats.rebalances++;
    if (rc->cbs.on_rebalanced) rc->cbs.on_rebalanced(rc->cbs.opaque, assigned);
}

static void on_kafka_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    rr_consumer_t *rc = opaque;
    const char *protocol = rd_kafka_rebalance_protocol(rk);
    int cooperative = protocol && strcmp(protocol, "COOPERATIVE") == 0;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        /* Cooperative rebalances end with empty incremental assigns: not worth an INFO line. */
        RR_LOG(parts->cnt ? RR_LOG_INFO : RR_LOG_DEBUG, "consumer: assigned %d partition(s) (%s)",
               parts->cnt, protocol ? protocol : "?");
        assignment_apply(rc, 1, cooperative, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        rc->lost = rd_kafka_assignment_lost(rk);
        RR_INFO("consumer: revoked %d partition(s)%s", parts->cnt, rc->lost ? " (lost)" : "");
        assignment_apply(rc, 0, cooperative, parts);
        rc->lost = 0;
    } else {
        rc->stats.errors++;
        RR_WARN("consumer: rebalance error: %s", rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
        rc->stats.assigned = 0;
    }
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    rr_consumer_t *rc = opaque;
    rc->stats.errors++;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[256];
        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        RR_ERROR("consumer: fatal kafka error: %s", fatal);
        return;
    }
    RR_WARN("consumer: kafka error %s: %s", rd_kafka_err2name(err), reason);
}

/* ---- construction ---- */

/* librdkafka's own offset resets are silent: an out-of-range position jumps to
 * auto.offset.reset with a WARN line, and whatever the broker removed meanwhile is never
 * counted. So librdkafka is told "error", which hands every reset to the drain
 * (offset_reset_handle); the caller's setting is kept for partitions with no committed
 * offset, the one case where it means what it says. */
static int reset_take(rr_consumer_t *rc, rd_kafka_conf_t *conf, char *errstr, size_t errlen)
{
    char asked[32] = "earliest";
    size_t len = sizeof(asked);
    if (rd_kafka_conf_get(conf, "auto.offset.reset", asked, &len) != RD_KAFKA_CONF_OK)
        snprintf(asked, sizeof(asked), "earliest");
    if (strcmp(asked, "smallest") == 0 || strcmp(asked, "earliest") == 0 ||
        strcmp(asked, "beginning") == 0)
        rc->reset_to = RD_KAFKA_OFFSET_BEGINNING;
    else if (strcmp(asked, "largest") == 0 || strcmp(asked, "latest") == 0 ||
             strcmp(asked, "end") == 0)
        rc->reset_to = RD_KAFKA_OFFSET_END;
    else
        rc->reset_to = RD_KAFKA_OFFSET_INVALID;
    return rd_kafka_conf_set(conf, "auto.offset.reset", "error", errstr, errlen) == RD_KAFKA_CONF_OK
               ? 0
               : -1;
}

static rd_kafka_conf_t *consumer_conf(rr_consumer_t *rc, const rr_consumer_opts_t *opts,
                                      char *errstr, size_t errlen)
{
    /* Low fetch.wait.max.ms: the mock holds an empty Fetch for the full wait (see NOTES.md).
     * Offsets are stored by hand after on_message, so only processed input is committed; often
     * (200 ms), as producers may pace by the group's committed offsets.
     * log.queue: librdkafka's log lines are served on the loop with everything else. */
    static const char *const defaults[] = {
        "enable.partition.eof",
        "false",
        "auto.offset.reset",
        "earliest",
        "fetch.wait.max.ms",
        "10",
        "enable.auto.offset.store",
        "false",
        "enable.auto.commit",
        "true",
        "auto.commit.interval.ms",
        "200",
        "log.queue",
        "true",
        "partition.assignment.strategy",
        "cooperative-sticky",
    };
    rd_kafka_conf_t *conf =
        rr_kafka_conf_build(RR_KAFKA_GROUP, defaults, sizeof(defaults) / sizeof(defaults[0]),
                            opts->kafka_conf, opts->kafka_conf_len, errstr, errlen);
    if (!conf) return NULL;
    /* A reader of whole topics is no group member: its positions are the application's. */
    if (rc->assign_all && rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, errlen) !=
                              RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (reset_take(rc, conf, errstr, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, rc);
    rd_kafka_conf_set_rebalance_cb(conf, on_kafka_rebalance);
    rd_kafka_conf_set_error_cb(conf, on_kafka_error);
    return conf;
}

static int topics_copy(rr_consumer_t *rc, const char *const *topics, size_t ntopics)
{
    rc->topics = calloc(ntopics ? ntopics : 1, sizeof(*rc->topics));
    if (!rc->topics) return -1;
    for (size_t i = 0; i < ntopics; i++) {
        rc->topics[i] = strdup(topics[i]);
        if (!rc->topics[i]) return -1;
        rc->ntopics++;
    }
    return 0;
}

static int wake_pipe_open(int fds[2])
{
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        /* librdkafka requires a non-blocking fd; it writes from its own threads. */
        if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0)
            return -1;
    }
    return 0;
}

static int kafka_open(rr_consumer_t *rc, const rr_consumer_opts_t *opts, char *errstr,
                      size_t errlen)
{
    rd_kafka_conf_t *conf = consumer_conf(rc, opts, errstr, errlen);
    if (!conf) return -1;
    rc->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errlen);
    if (!rc->rk) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    if (rd_kafka_poll_set_consumer(rc->rk) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errlen, "consumer: group.id is required");
        return -1;
    }
    rc->rkqu = rd_kafka_queue_get_consumer(rc->rk);
    rd_kafka_set_log_queue(rc->rk, rc->rkqu);
    return 0;
}

rr_consumer_t *rr_consumer_new(uv_loop_t *loop, const rr_consumer_opts_t *opts,
                               const rr_consumer_cbs_t *cbs, char *errstr, size_t errlen)
{
    if (!loop || !opts || !cbs || (opts->ntopics && !opts->topics) || opts->budget < 0) {
        snprintf(errstr, errlen, "consumer: invalid arguments");
        return NULL;
    }
    rr_consumer_t *rc = calloc(1, sizeof(*rc));
    if (!rc) {
        snprintf(errstr, errlen, "consumer: out of memory");
        return NULL;
    }
    rc->loop = loop;
    rc->cbs = *cbs;
    rc->budget = opts->budget ? opts->budget : RC_DEFAULT_BUDGET;
    rc->assign_all = opts->assign_all;
    rc->pipe_fds[0] = rc->pipe_fds[1] = -1;
    if (topics_copy(rc, opts->topics, opts->ntopics) != 0) {
        snprintf(errstr, errlen, "consumer: out of memory");
        goto fail;
    }
    if (wake_pipe_open(rc->pipe_fds) != 0) {
        snprintf(errstr, errlen, "consumer: wake-up pipe: %s", strerror(errno));
        goto fail;
    }
    if (kafka_open(rc, opts, errstr, errlen) != 0) goto fail;
    return rc;
fail:
    rr_consumer_free(rc);
    return NULL;
}

/* ---- the drain ---- */

static void message_deliver(rr_consumer_t *rc, rd_kafka_message_t *rkmessage)
{
    rr_msg_t msg;
    rr_kafka_msg_view(rkmessage, &msg);
    rc->stats.messages++;
    if (rc->cbs.on_message) rc->cbs.on_message(rc->cbs.opaque, &msg);
    /* Stored only now, so a crash inside on_message re-delivers this message. */
    rd_kafka_resp_err_t err =
        rd_kafka_offset_store(rkmessage->rkt, rkmessage->partition, rkmessage->offset);
    if (err) RR_DEBUG("consumer: offset store %s: %s", msg.topic, rd_kafka_err2str(err));
}

/* Eager groups take assignments whole: the current one again, every partition where the
 * application stands (else where it was assigned), `one` where it says. */
static rd_kafka_resp_err_t reassign_eager(rr_consumer_t *rc, const rd_kafka_topic_partition_t *one)
{
    rd_kafka_topic_partition_list_t *parts = NULL, *pos = NULL;
    rd_kafka_resp_err_t err = rd_kafka_assignment(rc->rk, &parts);
    if (!err) err = rd_kafka_assignment(rc->rk, &pos);
    if (!err) rd_kafka_position(rc->rk, pos);
    for (int i = 0; !err && i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        if (p->partition == one->partition && strcmp(p->topic, one->topic) == 0)
            p->offset = one->offset;
        else if (pos->elems[i].offset >= 0)
            p->offset = pos->elems[i].offset;
    }
    if (!err) err = rd_kafka_assign(rc->rk, parts);
    if (parts) rd_kafka_topic_partition_list_destroy(parts);
    if (pos) rd_kafka_topic_partition_list_destroy(pos);
    return err;
}

/* After auto.offset.reset=error librdkafka stops fetching the partition, and a seek is refused
 * in that state: the partition is assigned again, at `offset`. No rebalance callback fires. */
static void partition_restart(rr_consumer_t *rc, const char *topic, int32_t partition,
                              int64_t offset)
{
    rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(one, topic, partition)->offset = offset;
    const char *protocol = rd_kafka_rebalance_protocol(rc->rk);
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (protocol && strcmp(protocol, "EAGER") == 0) {
        err = reassign_eager(rc, &one->elems[0]);
    } else {
        error = rd_kafka_incremental_unassign(rc->rk, one);
        if (!error) error = rd_kafka_incremental_assign(rc->rk, one);
    }
    if (error || err) {
        rc->stats.errors++;
        RR_ERROR("consumer: %s [%d]: cannot resume at %lld: %s", topic, (int)partition,
                 (long long)offset, error ? rd_kafka_error_string(error) : rd_kafka_err2str(err));
    }
    if (error) rd_kafka_error_destroy(error);
    rd_kafka_topic_partition_list_destroy(one);
}

/* librdkafka could not continue a partition at `at` (auto.offset.reset=error reports it here).
 * at < 0: nothing committed yet, so start where auto.offset.reset asked. at below the log start:
 * the broker removed messages nobody consumed (retention, or the embedded broker's size cap):
 * they are counted, reported by one ERROR line, and the partition resumes at the log start,
 * never at its end. at past the log end (a truncated log): resume at the end, nothing was
 * skipped that the broker still has. The watermarks are the ones the failed fetch brought. */
static void offset_reset_handle(rr_consumer_t *rc, const rd_kafka_message_t *rkmessage)
{
    const char *topic = rd_kafka_topic_name(rkmessage->rkt);
    int32_t part = rkmessage->partition;
    int64_t at = rkmessage->offset, lo = -1, hi = -1, to = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_get_watermark_offsets(rc->rk, topic, part, &lo, &hi);
    if (at < 0) {
        if (rc->reset_to == RD_KAFKA_OFFSET_INVALID) {
            rc->stats.errors++;
            RR_ERROR("consumer: %s [%d]: no committed offset and auto.offset.reset=error: "
                     "not consuming it",
                     topic, (int)part);
            return;
        }
        to = rc->reset_to;
        RR_DEBUG("consumer: %s [%d]: no committed offset, starting at the %s", topic, (int)part,
                 to == RD_KAFKA_OFFSET_END ? "end" : "beginning");
    } else if (lo >= 0 && at < lo) {
        to = lo;
        rc->stats.resets++;
        rc->stats.skipped += (uint64_t)(lo - at);
        RR_ERROR("consumer: %s [%d]: offsets %lld to %lld were removed by the broker before they "
                 "were consumed: %lld messages skipped (data loss); resuming at %lld",
                 topic, (int)part, (long long)at, (long long)lo - 1, (long long)(lo - at),
                 (long long)lo);
    } else if (hi >= 0 && at > hi) {
        to = hi;
        rc->stats.resets++;
        RR_WARN("consumer: %s [%d]: offset %lld is past the log end %lld (the log was "
                "truncated); resuming at its end",
                topic, (int)part, (long long)at, (long long)hi);
    } else {
        rc->stats.resets++;
        RR_ERROR("consumer: %s [%d]: offset %lld out of range (log %lld to %lld): resuming at "
                 "the log start; messages skipped, if any, not counted",
                 topic, (int)part, (long long)at, (long long)lo, (long long)hi);
    }
    partition_restart(rc, topic, part, to);
}

static void message_handle(rr_consumer_t *rc, rd_kafka_message_t *rkmessage)
{
    if (rkmessage->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    if (rkmessage->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && rkmessage->rkt) {
        if (rc->state == RC_RUNNING) offset_reset_handle(rc, rkmessage);
        return;
    }
    if (rkmessage->err) {
        rc->stats.errors++;
        RR_WARN("consumer: %s [%d]: %s", rkmessage->rkt ? rd_kafka_topic_name(rkmessage->rkt) : "-",
                (int)rkmessage->partition, rd_kafka_message_errstr(rkmessage));
        return;
    }
    /* Once closing, messages are dropped unstored: the group re-delivers them. */
    if (rc->state == RC_RUNNING) message_deliver(rc, rkmessage);
}

static void close_finish(rr_consumer_t *rc);
static void on_idle(uv_idle_t *idle);

/* Serves at most `budget` queue entries; keeps the idle handle running while some may remain. */
static void consumer_drain(rr_consumer_t *rc)
{
    int n = 0, more = 0;
    uint64_t before = rc->stats.messages;
    while (rc->state == RC_RUNNING || rc->state == RC_CLOSING) {
        if (n == rc->budget) {
            more = 1;
            break;
        }
        rd_kafka_message_t *rkmessage = rd_kafka_consumer_poll(rc->rk, 0);
        if (!rkmessage) {
            /* __INTR: a callback yielded (close's TERMINATE op does) with entries possibly left. */
            more = rd_kafka_last_error() == RD_KAFKA_RESP_ERR__INTR;
            break;
        }
        message_handle(rc, rkmessage);
        rd_kafka_message_destroy(rkmessage);
        n++;
    }
    if (rc->stats.messages != before) rc->stats.turns++;
    if (rc->state == RC_CLOSING && rd_kafka_consumer_closed(rc->rk)) {
        close_finish(rc);
        return;
    }
    if (rc->state != RC_RUNNING && rc->state != RC_CLOSING) return;
    if (more)
        uv_idle_start(&rc->idle, on_idle);
    else
        uv_idle_stop(&rc->idle);
}

int rr_consumer_backlogged(const rr_consumer_t *rc)
{
    return uv_is_active((const uv_handle_t *)&rc->idle);
}

static void on_idle(uv_idle_t *idle)
{
    consumer_drain(idle->data);
}

static void on_wake(uv_poll_t *poll, int status, int events)
{
    rr_consumer_t *rc = poll->data;
    (void)events;
    /* Drain even on a poll error: skipping it could strand a non-empty queue with no wake-up. */
    if (status < 0) RR_WARN("consumer: wake-up poll: %s", uv_strerror(status));
    char buf[256];
    while (read(rc->pipe_fds[0], buf, sizeof(buf)) > 0) continue;
    consumer_drain(rc);
}

static void on_close_timer(uv_timer_t *timer)
{
    consumer_drain(timer->data);
}

/* The wake-up fires only when the queue turns non-empty, so a consumer without input would never
 * call rd_kafka_consumer_poll; librdkafka then counts it stuck (max.poll.interval.ms, 5 min by
 * default), leaves the group and rejoins, moving its partitions. A poll each second says alive. */
static void on_keepalive(uv_timer_t *timer)
{
    consumer_drain(timer->data);
}

/* ---- start ---- */

static rr_err_t handles_init(rr_consumer_t *rc)
{
    int err = uv_poll_init(rc->loop, &rc->poll, rc->pipe_fds[0]);
    if (err) {
        RR_ERROR("consumer: uv_poll_init: %s", uv_strerror(err));
        return RR_E(IO);
    }
    uv_idle_init(rc->loop, &rc->idle);
    uv_timer_init(rc->loop, &rc->timer);
    rc->poll.data = rc->idle.data = rc->timer.data = rc;
    rc->handles_live = 1;
    return RR_OK;
}

static rr_err_t subscribe(rr_consumer_t *rc)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new((int)rc->ntopics);
    for (size_t i = 0; i < rc->ntopics; i++)
        rd_kafka_topic_partition_list_add(topics, rc->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rc->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        RR_ERROR("consumer: subscribe: %s", rd_kafka_err2str(err));
        return RR_E(KAFKA);
    }
    return RR_OK;
}

rr_err_t rr_consumer_partition_count(rr_consumer_t *rc, const char *topic, int timeout_ms,
                                     int *count)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rc->rk, topic, NULL);
    if (!rkt) return RR_E(KAFKA);
    rd_kafka_resp_err_t err = rd_kafka_metadata(rc->rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err) {
        RR_ERROR("consumer: metadata of %s: %s", topic, rd_kafka_err2str(err));
        return RR_E(KAFKA);
    }
    rr_err_t rerr = RR_E(NOT_FOUND);
    if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
        *count = md->topics[0].partition_cnt;
        rerr = RR_OK;
    }
    rd_kafka_metadata_destroy(md);
    return rerr;
}

/* Every partition of every topic, where start_offset says (else the earliest). */
static rr_err_t assign_all(rr_consumer_t *rc)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    rr_err_t err = RR_OK;
    for (size_t t = 0; t < rc->ntopics && !err; t++) {
        int n = 0;
        err = rr_consumer_partition_count(rc, rc->topics[t], 10000, &n);
        if (err) RR_ERROR("consumer: no partitions found for %s", rc->topics[t]);
        for (int p = 0; p < n && !err; p++)
            rd_kafka_topic_partition_list_add(parts, rc->topics[t], p)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    }
    if (!err) {
        start_offsets(rc, parts);
        if (rd_kafka_assign(rc->rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) err = RR_E(KAFKA);
        rc->stats.assigned = parts->cnt;
    }
    if (!err) partitions_report(rc, 1, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    return err;
}

/* Starts serving `rkqu`: entries queued before the io-event was enabled raise no wake-up, so
 * the first drain is kicked from the idle handle. */
static void serve_queue(rr_consumer_t *rc, rd_kafka_queue_t *rkqu)
{
    rd_kafka_queue_io_event_enable(rkqu, rc->pipe_fds[1], "1", 1);
    uv_poll_start(&rc->poll, UV_READABLE, on_wake);
    uv_idle_start(&rc->idle, on_idle);
}

rr_err_t rr_consumer_start(rr_consumer_t *rc)
{
    if (rc->state != RC_NEW || rc->ntopics == 0) return RR_E(INVAL);
    rr_err_t err = rc->assign_all ? assign_all(rc) : subscribe(rc);
    if (err == RR_OK) err = handles_init(rc);
    if (err != RR_OK) return err;
    rc->state = RC_RUNNING;
    serve_queue(rc, rc->rkqu);
    uv_timer_start(&rc->timer, on_keepalive, RC_KEEPALIVE_MS, RC_KEEPALIVE_MS);
    return RR_OK;
}

/* ---- close ---- */

static void on_handle_closed(uv_handle_t *handle)
{
    rr_consumer_t *rc = handle->data;
    if (--rc->pending_closes > 0) return;
    rc->handles_live = 0;
    if (rc->cbs.on_closed) rc->cbs.on_closed(rc->cbs.opaque);
}

static void close_finish(rr_consumer_t *rc)
{
    rc->state = RC_CLOSED;
    /* No more io-event writes: the pipe is closed in rr_consumer_free. */
    rd_kafka_queue_io_event_enable(rc->rkqu, -1, NULL, 0);
    if (rc->close_rkqu) rd_kafka_queue_io_event_enable(rc->close_rkqu, -1, NULL, 0);
    RR_INFO("consumer: closed (%llu messages)", (unsigned long long)rc->stats.messages);
    rc->pending_closes = RC_NHANDLES;
    uv_close((uv_handle_t *)&rc->poll, on_handle_closed);
    uv_close((uv_handle_t *)&rc->idle, on_handle_closed);
    uv_close((uv_handle_t *)&rc->timer, on_handle_closed);
}

void rr_consumer_close(rr_consumer_t *rc)
{
    if (rc->state == RC_CLOSING || rc->state == RC_CLOSED) return;
    if (!rc->handles_live && handles_init(rc) != RR_OK) {
        rc->state = RC_CLOSED;
        if (rc->cbs.on_closed) rc->cbs.on_closed(rc->cbs.opaque);
        return;
    }
    rc->state = RC_CLOSING;
    /* The group queue cannot be forwarded to itself: close through a fresh queue. */
    rd_kafka_queue_io_event_enable(rc->rkqu, -1, NULL, 0);
    rc->close_rkqu = rd_kafka_queue_new(rc->rk);
    serve_queue(rc, rc->close_rkqu);
    rd_kafka_error_t *error = rd_kafka_consumer_close_queue(rc->rk, rc->close_rkqu);
    if (error) {
        RR_WARN("consumer: close: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        close_finish(rc);
        return;
    }
    /* The TERMINATE op wakes us, but closed() is re-checked on a timer rather than trusting
     * that it is set before the op is enqueued. */
    uv_timer_start(&rc->timer, on_close_timer, RC_CLOSE_CHECK_MS, RC_CLOSE_CHECK_MS);
}

void rr_consumer_free(rr_consumer_t *rc)
{
    if (!rc) return;
    /* Freeing with live handles would leave dangling handles in the loop. */
    assert(!rc->handles_live);
    if (rc->close_rkqu) rd_kafka_queue_destroy(rc->close_rkqu);
    if (rc->rkqu) {
        rd_kafka_queue_io_event_enable(rc->rkqu, -1, NULL, 0);
        rd_kafka_queue_destroy(rc->rkqu);
    }
    if (rc->rk) rd_kafka_destroy(rc->rk);
    for (int i = 0; i < 2; i++)
        if (rc->pipe_fds[i] >= 0) close(rc->pipe_fds[i]);
    for (size_t i = 0; i < rc->ntopics; i++) free(rc->topics[i]);
    free(rc->topics);
    free(rc);
}

void rr_consumer_stats(const rr_consumer_t *rc, rr_consumer_stats_t *st)
{
    *st = rc->stats;
}

/* ---- offsets ---- */

rr_err_t rr_consumer_commit(rr_consumer_t *rc, const char *const *topics, size_t ntopics,
                            const int64_t *offsets, size_t nparts)
{
    if (rc->state != RC_RUNNING || rc->stats.assigned <= 0 || rc->lost || rc->assign_all ||
        (ntopics && (!topics || !offsets)))
        return RR_E(INVAL);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    for (size_t t = 0; t < ntopics; t++)
        for (size_t p = 0; p < nparts; p++)
            if (offsets[t * nparts + p] >= 0)
                rd_kafka_topic_partition_list_add(list, topics[t], (int32_t)p)->offset =
                    offsets[t * nparts + p];
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (list->cnt) err = rd_kafka_commit(rc->rk, list, 1);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        RR_DEBUG("consumer: commit: %s", rd_kafka_err2str(err));
        return RR_E(KAFKA);
    }
    return RR_OK;
}

/* The subscribed copy of a topic name, so lag entries outlive librdkafka's lists. */
static const char *topic_own(const rr_consumer_t *rc, const char *topic)
{
    for (size_t i = 0; i < rc->ntopics; i++)
        if (strcmp(rc->topics[i], topic) == 0) return rc->topics[i];
    return NULL;
}

size_t rr_consumer_lag(rr_consumer_t *rc, rr_consumer_lag_t *out, size_t cap)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(rc->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    rd_kafka_position(rc->rk, parts);
    size_t n = 0;
    for (int i = 0; i < parts->cnt && n < cap; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        const char *topic = topic_own(rc, p->topic);
        int64_t lo, hi;
        if (!topic || rd_kafka_get_watermark_offsets(rc->rk, p->topic, p->partition, &lo, &hi) ||
            hi < 0)
            continue;
        int64_t pos = p->offset >= 0 ? p->offset : lo;
        out[n++] = (rr_consumer_lag_t){topic, p->partition, hi - pos};
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return n;
}
