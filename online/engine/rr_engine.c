/* rr_engine.c — `rtrec run`: Kafka in, pipeline, coalesced refresh, Kafka + Redis out; see
 * rr_engine.h. Everything here runs on the loop thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "rr_broker.h"
#include "rr_codec.h"
#include "rr_consumer.h"
#include "rr_dirty.h"
#include "rr_engine.h"
#include "rr_engine_dash.h"
#include "rr_engine_internal.h"
#include "rr_engine_stats.h"
#include "rr_kpub.h"
#include "rr_log.h"
#include "rr_pipeline.h"
#include "rr_redis.h"

#define DRAIN_MS         5000 /* at stop, how long Redis may take to write pending lists */
#define STAMP_MAX_AGE_MS (20LL * 24 * 3600 * 1000) /* Kafka timestamps older count as this */

static rr_err_t start_group(rr_engine_t *en);

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mono_us(void)
{
    return uv_hrtime() / 1000;
}

/* ---- publishing callbacks ---- */

static int fill_portrait(void *opaque, uint32_t uid, const char **fields, const char **values,
                         size_t cap, size_t *n)
{
    rr_engine_t *en = opaque;
    if (cap < RR_PORTRAIT_NFIELDS || !rr_intern_key(&en->pl.store.users, uid)) return 0;
    *n = rr_pipeline_portrait(&en->pl, uid, &en->portrait_text, fields, values);
    *n += rr_pipeline_portrait_text(&en->pl, uid, fields + *n, values + *n, cap - *n);
    return 1;
}

static int fill_recs(void *opaque, uint32_t uid, rr_recs_t *recs, rr_rec_t *store, size_t cap)
{
    rr_engine_t *en = opaque;
    const rr_store_t *st = &en->pl.store;
    const char *user_id = rr_intern_key(&st->users, uid);
    if (!user_id) return 0;
    const rr_user_t *u = &st->user[uid];
    const rr_list_entry_t *list = rr_store_list(st, uid);
    size_t n = u->nlist < cap ? u->nlist : cap;
    for (size_t i = 0; i < n; i++) {
        rr_rec_t *r = &store[i];
        snprintf(r->item_id, sizeof(r->item_id), "%s", rr_intern_key(&st->items, list[i].item));
        r->score = list[i].score;
        snprintf(r->reason, sizeof(r->reason), "%s", rr_reason_tag(list[i].reason));
        rr_recommend_reason_user(st, uid, &list[i], r->reason_detail, sizeof(r->reason_detail));
    }
    snprintf(recs->user_id, sizeof(recs->user_id), "%s", user_id);
    rr_engine_model_version(en, recs->model_version, sizeof(recs->model_version));
    recs->generated_at_ms = wall_ms();
    recs->trigger_ts_ms = rr_store_trigger_ts(u);
    recs->recs = store;
    recs->n = n;
    return 1;
}

/* The user's event count: it only grows while the user lives, and the portrait shows it. */
static uint64_t user_fence(void *opaque, uint32_t uid)
{
    const rr_engine_t *en = opaque;
    return en->pl.store.user[uid].nevents;
}

static void on_redis_ack(void *opaque, uint32_t uid)
{
    rr_engine_t *en = opaque;
    const rr_user_t *u = &en->pl.store.user[uid];
    if (!u->dequeued_us) return;
    uint32_t engine_us = rr_store_stamp_age(mono_us(), u->dequeued_us);
    rr_fresh_add(&en->fresh, engine_us);
    rr_hist_add_us(&en->fresh_engine, (int64_t)engine_us);
    if (u->produced_ms)
        rr_hist_add_us(&en->fresh_e2e, rr_store_stamp_age_signed(wall_ms(), u->produced_ms) * 1000);
}

/* ---- input ---- */

static void dead_letter(rr_engine_t *en, const rr_msg_t *msg, rr_err_t reason)
{
    en->dlq_total++;
    if (-reason > 0 && -reason < RR_ENGINE_NREASONS) en->dlq_by_reason[-reason]++;
    RR_DEBUG("dead letter %s/%d@%lld: %s", msg->topic, msg->partition, (long long)msg->offset,
             rr_strerror(reason));
    if (en->kpub) rr_kpub_dead_letter(en->kpub, msg, reason);
}

/* The pipeline drops a user (room, inactivity): its Redis keys go too. */
static void on_user_dropped(void *opaque, const char *user_id)
{
    rr_engine_t *en = opaque;
    if (en->redis) rr_redis_forget(en->redis, user_id);
}

static void forget_user(rr_engine_t *en, const char *user_id)
{
    if (!rr_pipeline_forget(&en->pl, user_id)) return;
    if (en->redis) rr_redis_forget(en->redis, user_id);
    if (en->kpub) rr_kpub_tombstone(en->kpub, user_id);
    en->ckpt_due_ms = uv_now(en->loop); /* the next checkpoint, soon, no longer holds the user */
    RR_INFO("forgot user %s", user_id);
}

static void handle_event(rr_engine_t *en, const rr_msg_t *msg)
{
    rr_event_t ev;
    int64_t now = wall_ms();
    rr_err_t err = rr_event_decode(msg->value, msg->len, &ev);
    if (!err && !(ev.flags & RR_EVF_TS)) {
        ev.ts_ms = msg->ts_ms > 0 ? msg->ts_ms : now; /* the broker's time stands in */
        ev.flags |= RR_EVF_TS;
    }
    if (!err) err = rr_event_validate(&ev, now);
    if (err) {
        dead_letter(en, msg, err);
        return;
    }
    if (ev.type == RR_EV_FORGET_USER) {
        forget_user(en, ev.user_id);
        return;
    }
    uint32_t uid;
    err = rr_pipeline_apply(&en->pl, &ev, &uid);
    if (err) return; /* duplicates, floods, a full catalog: counted by the pipeline */
    rr_user_t *u = &en->pl.store.user[uid];
    rr_store_set_trigger(u, ev.ts_ms);
    u->dequeued_us = rr_store_stamp(mono_us());
    /* 32-bit stamps read back exactly within ~24 days: older timestamps count as 20 days old. */
    int64_t produced = msg->ts_ms < now - STAMP_MAX_AGE_MS ? now - STAMP_MAX_AGE_MS : msg->ts_ms;
    u->produced_ms = msg->ts_ms > 0 ? rr_store_stamp((uint64_t)produced) : 0;
    u->partition = msg->partition;
    rr_engine_refresh_mark(en, uid);
}

static void handle_item(rr_engine_t *en, const rr_msg_t *msg)
{
    rr_item_msg_t item;
    uint32_t iid;
    rr_err_t err = rr_item_decode(msg->value, msg->len, &item);
    if (!err && !item.item_id[0]) err = RR_E(NO_ITEM);
    if (!err) err = rr_pipeline_item_update(&en->pl, &item, &iid);
    if (err) dead_letter(en, msg, err);
}

/* A User message sets the user's demographics (before or after the user's first event); the
 * users topic is co-partitioned with the events (check_copartitioned), so its partition is the
 * one the user's events come from. A refresh republishes the list and the portrait. */
static void handle_user(rr_engine_t *en, const rr_msg_t *msg)
{
    rr_user_msg_t user;
    uint32_t uid;
    rr_err_t err = rr_user_decode(msg->value, msg->len, &user);
    if (!err && !user.user_id[0]) err = RR_E(NO_USER);
    if (!err) err = rr_pipeline_user_update(&en->pl, &user, &uid);
    if (err) {
        dead_letter(en, msg, err);
        return;
    }
    en->pl.store.user[uid].partition = msg->partition;
    rr_engine_refresh_mark(en, uid);
}

/* The next offset to consume, per input partition: what a checkpoint taken now covers. */
static void note_offset(rr_engine_t *en, const rr_msg_t *msg)
{
    int t = rr_engine_topic_index(en, msg->topic);
    if (t >= 0 && msg->partition >= 0 && msg->partition < RR_ENGINE_MAXPARTS)
        en->next_off[t][msg->partition] = msg->offset + 1;
}

static void on_message(void *opaque, const rr_msg_t *msg)
{
    rr_engine_t *en = opaque;
    note_offset(en, msg);
    if (strcmp(msg->topic, en->cfg.topic_events) == 0) {
        rr_engine_sync_before_event(en, msg->partition, msg->offset);
        handle_event(en, msg);
        rr_engine_sync_after_event(en, msg->partition, msg->offset);
    } else if (strcmp(msg->topic, en->cfg.topic_items) == 0)
        handle_item(en, msg);
    else if (strcmp(msg->topic, en->cfg.topic_users) == 0)
        handle_user(en, msg);
}

/* A revoked events partition: its users go to the state store, then its offset to the group
 * (which may refuse mid-rebalance: the snapshot, not the commit, tells the next owner where
 * to start). */
static void on_rebalance(void *opaque, int assigned, const char *topic, int32_t partition)
{
    rr_engine_t *en = opaque;
    RR_INFO("%s %s [%d]", assigned ? "assigned" : "revoked", topic, partition);
    int t = rr_engine_topic_index(en, topic);
    if (assigned || t != 0 || partition < 0 || partition >= RR_ENGINE_MAXPARTS) return;
    rr_engine_sync_now(en);
    rr_engine_ckpt_wait(en);
    rr_engine_part_release(en, partition);
    if (!en->cfg.checkpoint_dir[0]) return;
    int64_t off[RR_ENGINE_NTOPICS][RR_ENGINE_MAXPARTS];
    memset(off, 0xff, sizeof(off)); /* -1: not this one */
    off[0][partition] = en->next_off[0][partition];
    const char *topics[RR_ENGINE_NTOPICS] = {en->cfg.topic_events, en->cfg.topic_items,
                                             en->cfg.topic_users};
    rr_consumer_commit(en->consumer, topics, RR_ENGINE_NTOPICS, &off[0][0], RR_ENGINE_MAXPARTS);
}

static void on_rebalanced(void *opaque, int assigned)
{
    if (assigned) rr_engine_parts_settle(opaque);
    if (assigned) rr_engine_sync_settle(opaque);
}

/* ---- stats ---- */

static void on_stats(uv_timer_t *timer)
{
    rr_engine_t *en = timer->data;
    if (!en->redis) return;
    rr_engine_put_stats(en);
}

/* ---- lifecycle ---- */

static void part_closed(rr_engine_t *en)
{
    if (--en->open_parts == 0) RR_INFO("engine stopped");
}

static void on_handle_closed(uv_handle_t *handle)
{
    part_closed(handle->data);
}

static void on_publisher_closed(void *opaque)
{
    part_closed(opaque);
}

/* Redis gets until DRAIN_MS to write every list still marked, unless it is down (then the
 * lists are lost with the process, as they would be on a crash: Redis is a cache of them). */
static void on_drain(uv_timer_t *timer)
{
    rr_engine_t *en = timer->data;
    rr_redis_stats_t rs;
    rr_redis_stats(en->redis, &rs);
    int done = rs.dirty == 0 && rs.inflight == 0;
    if (!done && rs.connected && uv_now(en->loop) < en->drain_deadline) return;
    if (!done) RR_WARN("redis: %zu lists unwritten at exit", rs.dirty + rs.inflight);
    rr_redis_close(en->redis);
    uv_close((uv_handle_t *)&en->stats_timer, on_handle_closed);
}

/* Consumer gone: no new input. Recompute every pending list, hand it to the publishers and
 * let them flush before the loop may end. */
static void on_consumer_closed(void *opaque)
{
    rr_engine_t *en = opaque;
    rr_engine_refresh_all(en);
    rr_engine_sync_stop(en); /* before the final checkpoint: it includes the last merge */
    rr_engine_ckpt_stop(en); /* final checkpoint: the consumer is gone, so offsets are final */
    uv_close((uv_handle_t *)&en->ckpt_timer, on_handle_closed);
    if (en->kpub) rr_kpub_close(en->kpub);
    rr_engine_metrics_stop(en, on_publisher_closed, on_handle_closed);
    rr_engine_refresh_close(en, on_handle_closed);
    if (en->redis) {
        on_stats(&en->stats_timer);
        en->drain_deadline = uv_now(en->loop) + DRAIN_MS;
        uv_timer_start(&en->stats_timer, on_drain, 0, 10);
    } else {
        uv_close((uv_handle_t *)&en->stats_timer, on_handle_closed);
    }
    part_closed(en);
}

static rr_err_t start_broker(rr_engine_t *en, char *errstr, size_t errlen)
{
    const rr_config_t *cfg = &en->cfg;
    const char *topics[] = {cfg->topic_events, cfg->topic_items, cfg->topic_users,
                            cfg->topic_recs,   cfg->topic_dlq,   cfg->topic_sync};
    en->broker =
        rr_broker_new(cfg->broker_count, cfg->broker_partitions, topics, 6, errstr, errlen);
    if (!en->broker) return RR_E(KAFKA);
    snprintf(en->bootstrap, sizeof(en->bootstrap), "%s", rr_broker_bootstrap(en->broker));
    printf("bootstrap.servers=%s\n", en->bootstrap);
    fflush(stdout);
    RR_INFO("embedded broker at %s, topics %s %s %s %s %s (%d partitions)", en->bootstrap,
            topics[0], topics[1], topics[2], topics[3], topics[4], cfg->broker_partitions);
    return RR_OK;
}

/* checkpoint.dir is created as by `mkdir -p` (mode 0755), so a fresh host needs no extra step;
 * by rr_engine_new, so a bad path stops the engine before anything started (a stop after a
 * failed start would try a final checkpoint). */
static rr_err_t ckpt_dir_create(const char *dir, char *errstr, size_t errlen)
{
    char path[RR_CONFIG_STR_MAX];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *s = path + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            snprintf(errstr, errlen, "checkpoint.dir=%s: cannot create %s: %s", dir, path,
                     strerror(errno));
            return RR_E(IO);
        }
        *s = c;
        if (c == '\0') break;
    }
    struct stat st; /* mkdir's EEXIST also stands for a file of that name */
    const char *why = stat(dir, &st) != 0    ? strerror(errno)
                      : !S_ISDIR(st.st_mode) ? "exists and is not a directory"
                                             : NULL;
    if (why) snprintf(errstr, errlen, "checkpoint.dir=%s: %s", dir, why);
    return why ? RR_E(IO) : RR_OK;
}

rr_engine_t *rr_engine_new(uv_loop_t *loop, const rr_config_t *cfg, char *errstr, size_t errlen)
{
    char why[400];
    if (rr_config_check(cfg, why, sizeof(why)) != RR_OK) { /* a config not from rr_config_set */
        snprintf(errstr, errlen, "config: %s", why);
        return NULL;
    }
    if (cfg->checkpoint_dir[0] && ckpt_dir_create(cfg->checkpoint_dir, errstr, errlen)) return NULL;
    rr_engine_t *en = calloc(1, sizeof(*en));
    if (!en) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    en->loop = loop;
    en->cfg = *cfg;
    rr_err_t err = rr_pipeline_init(&en->pl, cfg);
    if (!err) err = rr_engine_refresh_init(en);
    rr_engine_sync_init(en, start_group);
    en->pl.on_drop = on_user_dropped;
    en->pl.drop_opaque = en;
    if (err == RR_E(NOMEM)) {
        snprintf(errstr, errlen, "engine state: out of memory for users.max=%d, items.max=%d",
                 cfg->users_max, cfg->items_max);
    } else if (err) {
        snprintf(errstr, errlen, "engine state: %s", rr_strerror(err));
    }
    if (err) {
        rr_pipeline_free(&en->pl);
        free(en);
        return NULL;
    }
    uv_timer_init(loop, &en->stats_timer);
    uv_timer_init(loop, &en->ckpt_timer);
    en->stats_timer.data = en->ckpt_timer.data = en;
    en->open_parts = 5; /* consumer, three timers, the refresh idle; publishers add themselves */
    return en;
}

static rr_err_t start_publishers(rr_engine_t *en, const char **kv, size_t nkv, char *errstr,
                                 size_t errlen)
{
    const rr_config_t *cfg = &en->cfg;
    rr_kpub_opts_t kopts = {kv, nkv, cfg->topic_recs, cfg->topic_dlq, (uint32_t)cfg->users_max};
    rr_kpub_cbs_t kcbs = {en, fill_recs, on_publisher_closed};
    en->kpub = rr_kpub_new(en->loop, &kopts, &kcbs, errstr, errlen);
    if (!en->kpub) return RR_E(KAFKA);
    en->open_parts++;
    rr_redis_opts_t ropts = {cfg->redis_host,          cfg->redis_port,  cfg->redis_password,
                             cfg->redis_prefix,        cfg->redis_ttl_s, cfg->redis_max_inflight,
                             (uint32_t)cfg->users_max, cfg->recs_n};
    rr_redis_cbs_t rcbs = {en,         fill_recs, fill_portrait,      on_redis_ack,
                           user_fence, NULL,      on_publisher_closed};
    en->redis = rr_redis_new(en->loop, &ropts, &rcbs, errstr, errlen);
    if (!en->redis) return RR_E(REDIS);
    en->open_parts++;
    return rr_redis_start(en->redis);
}

/* The users topic is keyed by user like the events: with another partition count a user's
 * attributes would sit in a partition no event partition matches. Unknown counts (topics not
 * created yet on an external cluster) pass with a warning. */
static rr_err_t check_copartitioned(rr_engine_t *en, char *errstr, size_t errlen)
{
    const rr_config_t *cfg = &en->cfg;
    int nev = 0, nus = 0;
    if (rr_consumer_partition_count(en->consumer, cfg->topic_events, 10000, &nev) != RR_OK ||
        rr_consumer_partition_count(en->consumer, cfg->topic_users, 10000, &nus) != RR_OK) {
        RR_WARN("partition counts of %s and %s unknown: co-partitioning not checked",
                cfg->topic_events, cfg->topic_users);
        return RR_OK;
    }
    if (nev == nus) return RR_OK;
    snprintf(errstr, errlen,
             "%s has %d partitions and %s %d: the users topic must be co-partitioned with the "
             "events topic (same partition count, keyed by user id)",
             cfg->topic_events, nev, cfg->topic_users, nus);
    return RR_E(CONFIG);
}

static void on_catalog_closed(void *opaque)
{
    part_closed(opaque);
}

/* The group consumer (events, users: split between instances) and the catalog reader (every
 * partition of the items topic: each instance needs the whole catalog). */
static rr_err_t start_consumers(rr_engine_t *en, const char **kv, size_t nkv, char *errstr,
                                size_t errlen)
{
    const rr_config_t *cfg = &en->cfg;
    const char *topics[] = {cfg->topic_events, cfg->topic_users}, *items[] = {cfg->topic_items};
    rr_consumer_opts_t copts = {kv, nkv, topics, 2, cfg->consumer_budget, 0};
    rr_consumer_cbs_t ccbs = {
        en, on_message, on_rebalance, on_consumer_closed, rr_engine_start_offset, on_rebalanced};
    en->consumer = rr_consumer_new(en->loop, &copts, &ccbs, errstr, errlen);
    if (!en->consumer) return RR_E(KAFKA);
    rr_err_t err = check_copartitioned(en, errstr, errlen);
    if (err) return err;
    rr_consumer_opts_t iopts = {kv, nkv, items, 1, cfg->consumer_budget, 1};
    rr_consumer_cbs_t icbs = {en,  on_message, NULL, on_catalog_closed, rr_engine_start_offset,
                              NULL};
    en->catalog = rr_consumer_new(en->loop, &iopts, &icbs, errstr, errlen);
    if (!en->catalog) return RR_E(KAFKA);
    err = rr_consumer_start(en->catalog);
    if (err) {
        snprintf(errstr, errlen, "catalog reader of %s: %s", cfg->topic_items, rr_strerror(err));
        return err;
    }
    en->catalog_started = 1;
    en->open_parts++;
    if (rr_engine_sync_gating(en)) return RR_OK; /* the sync reader catches up first */
    err = rr_consumer_start(en->consumer);
    en->consumer_started = err == RR_OK;
    if (err) snprintf(errstr, errlen, "consumer: %s", rr_strerror(err));
    return err;
}

/* The group consumer, once the sync reader has caught up (rr_engine_sync_init's start_input). */
static rr_err_t start_group(rr_engine_t *en)
{
    if (en->stopping || en->consumer_started) return RR_OK;
    rr_err_t err = rr_consumer_start(en->consumer);
    en->consumer_started = err == RR_OK;
    if (err) {
        RR_ERROR("consumer: %s: stopping", rr_strerror(err));
        rr_engine_stop(en);
    }
    return err;
}

/* The group's rebalance protocol and failure detection, before kafka.* (which may override). A
 * heartbeat every third of the session timeout, as librdkafka's defaults have it. */
static size_t group_conf(rr_engine_t *en, const char **kv)
{
    const rr_config_t *cfg = &en->cfg;
    int cooperative = strcmp(cfg->consumer_assignment, "cooperative") == 0;
    snprintf(en->session_ms, sizeof(en->session_ms), "%d", cfg->consumer_session_timeout_ms);
    snprintf(en->heartbeat_ms, sizeof(en->heartbeat_ms), "%d",
             cfg->consumer_session_timeout_ms / 3);
    kv[0] = "partition.assignment.strategy";
    kv[1] = cooperative ? "cooperative-sticky" : "range";
    kv[2] = "session.timeout.ms";
    kv[3] = en->session_ms;
    kv[4] = "heartbeat.interval.ms";
    kv[5] = en->heartbeat_ms;
    return 6;
}

rr_err_t rr_engine_start(rr_engine_t *en, char *errstr, size_t errlen)
{
    const rr_config_t *cfg = &en->cfg;
    rr_err_t err = RR_OK;
    if (cfg->kafka_bootstrap[0])
        snprintf(en->bootstrap, sizeof(en->bootstrap), "%s", cfg->kafka_bootstrap);
    else
        err = start_broker(en, errstr, errlen);
    if (err) return err;

    const char *kv[2 * RR_CONFIG_KAFKA_MAX + 16];
    size_t nkv = 0;
    kv[nkv++] = "bootstrap.servers";
    kv[nkv++] = en->bootstrap;
    nkv += group_conf(en, kv + nkv);
    const char *cfg_kv[2 * RR_CONFIG_KAFKA_MAX + 4];
    size_t ncfg = rr_config_kafka(cfg, cfg_kv, sizeof(cfg_kv) / sizeof(cfg_kv[0]));
    for (size_t i = 0; i < ncfg; i += 2) {
        if (strcmp(cfg_kv[i], "bootstrap.servers") == 0) continue;
        kv[nkv++] = cfg_kv[i];
        kv[nkv++] = cfg_kv[i + 1];
    }
    if (cfg->checkpoint_dir[0]) { /* Kafka gets offsets only once a checkpoint covers them */
        kv[nkv++] = "enable.auto.commit";
        kv[nkv++] = "false";
    }
    err = rr_engine_ckpt_restore(en, errstr, errlen);
    if (!err) err = rr_engine_sync_start(en, kv, nkv, errstr, errlen);
    if (!err) err = start_publishers(en, kv, nkv, errstr, errlen);
    if (!err) rr_engine_ckpt_republish(en);
    if (!err) err = rr_engine_metrics_start(en, errstr, errlen);
    if (!err && (err = rr_engine_sync_route(en)) != RR_OK)
        snprintf(errstr, errlen, "GET /sync: %s", rr_strerror(err));
    if (err) return err;

    err = start_consumers(en, kv, nkv, errstr, errlen);
    if (err) return err;
    en->stats_ms = uv_now(en->loop);
    uv_timer_start(&en->stats_timer, on_stats, (uint64_t)cfg->stats_interval_ms,
                   (uint64_t)cfg->stats_interval_ms);
    rr_engine_ckpt_start(en);
    RR_INFO("consuming %s, %s as group %s and all of %s from %s", cfg->topic_events,
            cfg->topic_users, cfg->kafka_group, cfg->topic_items, en->bootstrap);
    return RR_OK;
}

void rr_engine_stop(rr_engine_t *en)
{
    if (en->stopping) return;
    en->stopping = 1;
    RR_INFO("stopping: leaving the group, publishing pending lists");
    if (en->catalog_started) rr_consumer_close(en->catalog);
    rr_engine_sync_stop_reading(en);
    if (en->consumer_started)
        rr_consumer_close(en->consumer);
    else
        on_consumer_closed(en);
}

void rr_engine_free(rr_engine_t *en)
{
    if (!en) return;
    rr_consumer_free(en->consumer);
    rr_consumer_free(en->catalog);
    rr_kpub_free(en->kpub);
    rr_redis_free(en->redis);
    rr_metrics_free(en->metrics);
    rr_engine_dash_free(en);
    rr_broker_free(en->broker);
    rr_engine_refresh_free(en);
    rr_engine_sync_free(en); /* before the pipeline it is attached to */
    rr_pipeline_free(&en->pl);
    free(en);
}
