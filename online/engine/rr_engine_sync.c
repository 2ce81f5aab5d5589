/* rr_engine_sync.c — model sync in `rtrec run`: the own delta out to topics.sync and the peers'
 * merged, both at the same instants (every sync.interval_ms, before each checkpoint, at a
 * revocation and at a graceful stop); see rr_engine_sync.h. A message's value is an envelope,
 * then rr_sync_publish's bytes; the envelope, little-endian:
 *   "RRE" 3 | u64 nonce (the publishing process's, new at every start) | u64 its event-time
 *   clock (ms) | u64 hash of its events topic's name | u64 seq (the process's publications so
 *   far, this one included) | u32 n | n × (u32 events partition, u64 next offset): the input
 *   it covers (partitions of that topic). "RRE" 2 lacks seq (read as 0: unknown), "RRE" 1 the
 *   hash too (read as covering an unknown topic).
 * Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "rr_ckpt.h"
#include "rr_engine_internal.h"
#include "rr_log.h"

#define ENVELOPE     40   /* the fixed part, before the partitions ("RRE" 2: 32, 1: 24) */
#define FLUSH_MS     5000 /* at stop, how long the last delta may take to reach the broker */
#define FLUSH_POLL   20
#define GATE_POLL    20    /* ms between checks that the reader caught up, at start */
#define GATE_MS      30000 /* then input flows anyway */
#define SYNC_VERSION 3     /* 2 lacks the writer's nonce and seq, 1 the peers' coverage too */

static const rr_sync_merge_t SUM = {1.0f, 1.0f}; /* the engine's only rule (config doc) */

typedef struct envelope_s {
    uint64_t nonce;
    int64_t ts_ms;
    uint64_t topic; /* rr_intern_hash of the events topic's name, 0 unknown */
    uint64_t seq;   /* the publisher's publications so far, this one included; 0 unknown */
    uint32_t nparts;
    const uint8_t *parts; /* nparts × (u32, u64) */
    size_t at;            /* where the delta starts */
} envelope_t;

static int envelope_parse(const void *value, size_t len, envelope_t *e)
{
    const uint8_t *buf = value;
    if (!buf || len < 24 || memcmp(buf, "RRE", 3) != 0 || buf[3] < 1 || buf[3] > 3) return -1;
    size_t fixed = 16 + 8 * (size_t)buf[3];
    if (len < fixed) return -1;
    e->nonce = rr_ckpt_get_le64(buf + 4);
    e->ts_ms = (int64_t)rr_ckpt_get_le64(buf + 12);
    e->topic = buf[3] >= 2 ? rr_ckpt_get_le64(buf + 20) : 0;
    e->seq = buf[3] >= 3 ? rr_ckpt_get_le64(buf + 28) : 0;
    e->nparts = rr_ckpt_get_le32(buf + fixed - 4);
    if (e->nparts > RR_ENGINE_MAXPARTS || len < fixed + 12 * (size_t)e->nparts) return -1;
    e->parts = buf + fixed;
    e->at = fixed + 12 * (size_t)e->nparts;
    return 0;
}

static uint64_t events_topic_hash(const rr_engine_t *en)
{
    uint64_t h = rr_intern_hash(en->cfg.topic_events);
    return h ? h : 1; /* 0 means unknown */
}

/* ---- publishing ---- */

static void on_delivery(void *opaque, void *msg_opaque, rr_err_t err)
{
    rr_engine_sync_t *es = opaque;
    (void)msg_opaque;
    if (err)
        es->delivery_failed++;
    else
        es->delivered++;
}

/* The envelope into es->out: the owned events partitions' next offsets. Its size, 0 when out
 * of memory. */
static size_t write_envelope(rr_engine_t *en, size_t room)
{
    rr_engine_sync_t *es = &en->sync;
    uint32_t n = 0;
    for (int p = 0; p < RR_ENGINE_MAXPARTS; p++)
        n += en->part_state[p] == RR_PART_OWNED && en->next_off[0][p] >= 0;
    size_t head = ENVELOPE + 12 * (size_t)n;
    if (es->out_cap < head + room) {
        uint8_t *buf = realloc(es->out, head + room);
        if (!buf) return 0;
        es->out = buf, es->out_cap = head + room;
    }
    memcpy(es->out, "RRE\3", 4);
    rr_ckpt_put_le64(es->out + 4, es->nonce);
    rr_ckpt_put_le64(es->out + 12, (uint64_t)en->pl.portrait.now_ms);
    rr_ckpt_put_le64(es->out + 20, events_topic_hash(en));
    rr_ckpt_put_le64(es->out + 28, es->seq);
    rr_ckpt_put_le32(es->out + 36, n);
    uint8_t *at = es->out + ENVELOPE;
    for (int p = 0; p < RR_ENGINE_MAXPARTS; p++) {
        if (en->part_state[p] != RR_PART_OWNED || en->next_off[0][p] < 0) continue;
        rr_ckpt_put_le32(at, (uint32_t)p);
        rr_ckpt_put_le64(at + 4, (uint64_t)en->next_off[0][p]);
        at += 12;
    }
    return head;
}

/* What was learned since the last publication, to every peer. A delta the producer refuses is
 * lost to the peers (its weights already count as published), hence the ERROR line. */
static void publish_own(rr_engine_t *en)
{
    rr_engine_sync_t *es = &en->sync;
    const uint8_t *buf;
    size_t len, head = 0;
    rr_err_t err = rr_sync_publish(es->sy, &SUM, &buf, &len);
    if (!err && !len) return;
    if (!err) es->seq++; /* the weights count it as published even if it is lost */
    if (!err && (head = write_envelope(en, len)) == 0) err = RR_E(NOMEM);
    if (!err) {
        memcpy(es->out + head, buf, len);
        rr_produce_msg_t pm = {en->cfg.topic_sync,
                               es->instance,
                               strlen(es->instance),
                               es->out,
                               head + len,
                               NULL,
                               0,
                               NULL};
        err = rr_producer_send(es->prod, &pm);
    }
    if (err) {
        es->send_failed++;
        RR_ERROR("sync: a delta of %zu bytes was not sent (%s): the peers miss it", len,
                 rr_strerror(err));
    }
}

/* Every peer delta read since the last instant, in the order read; the own ones read back only
 * move the offsets. A malformed delta changes nothing (rr_sync_apply checks it whole). */
static void apply_pending(rr_engine_t *en)
{
    rr_engine_sync_t *es = &en->sync;
    for (size_t i = 0; i < es->npending; i++) {
        rr_engine_peer_delta_t *pd = &es->pending[i];
        envelope_t e;
        if (pd->buf) {
            int ok = envelope_parse(pd->buf, pd->len, &e) == 0 &&
                     rr_sync_apply(es->sy, pd->buf + e.at, pd->len - e.at, &SUM) == RR_OK;
            if (ok && e.ts_ms > es->peer_event_ms) es->peer_event_ms = e.ts_ms;
            if (!ok) {
                es->rejected++;
                RR_WARN("sync: delta %s/%d@%lld rejected (malformed or another model's shape)",
                        en->cfg.topic_sync, pd->partition, (long long)pd->offset);
            }
            free(pd->buf);
        }
        es->applied_off[pd->partition] = pd->offset + 1;
    }
    es->npending = 0;
}

void rr_engine_sync_now(rr_engine_t *en)
{
    if (!en->sync.sy) return;
    publish_own(en);
    apply_pending(en);
    rr_producer_poll(en->sync.prod);
}

/* ---- input an earlier life already published ---- */

static void window_close(rr_engine_t *en, int32_t p)
{
    rr_engine_sync_t *es = &en->sync;
    es->window[p] = 0;
    if (--es->windows) return;
    rr_sync_rebase(es->sy);
    RR_INFO("sync: replayed the input earlier deltas carried; publishing resumes past it");
}

/* Entry i of the envelope's input: an events partition and the next offset the delta covers. */
static void envelope_part(const envelope_t *e, uint32_t i, uint32_t *p, int64_t *off)
{
    *p = rr_ckpt_get_le32(e->parts + 12 * i);
    *off = (int64_t)rr_ckpt_get_le64(e->parts + 12 * i + 4);
}

/* An earlier life's delta says which input it covered: a restart from its own checkpoint
 * replays the input past it, which those deltas already carried to the peers, so it is applied
 * here (the checkpoint lacks it) without being published again. Read during the start gate, it
 * opens a window whose end rebases the weights. (Restored from another instance's checkpoint,
 * those deltas are merged like a peer's instead, and note_peer_covered takes them.) */
static void note_covered(rr_engine_t *en, const envelope_t *e)
{
    rr_engine_sync_t *es = &en->sync;
    for (uint32_t i = 0; i < e->nparts; i++) {
        uint32_t p;
        int64_t off;
        envelope_part(e, i, &p, &off);
        if (p >= RR_ENGINE_MAXPARTS || off <= es->covered[p]) continue;
        es->covered[p] = off;
        if (es->gating && off > en->next_off[0][p] && !es->window[p])
            es->window[p] = 1, es->windows++;
    }
}

/* A peer's delta names the input it covers, which it owned then: should a partition of it come
 * here later, restored from a state older than that (its owner died between its last state
 * and its last delta), the replay of the difference must not count or learn it again. Noted
 * when read, as the delta is merged at the next instant at the latest. */
static void note_peer_covered(rr_engine_t *en, const envelope_t *e)
{
    rr_engine_sync_t *es = &en->sync;
    if (e->topic != events_topic_hash(en)) return; /* another topic's partitions */
    for (uint32_t i = 0; i < e->nparts; i++) {
        uint32_t p;
        int64_t off;
        envelope_part(e, i, &p, &off);
        if (p < RR_ENGINE_MAXPARTS && off > es->peer_covered[p]) es->peer_covered[p] = off;
    }
}

void rr_engine_sync_before_event(rr_engine_t *en, int32_t p, int64_t offset)
{
    rr_engine_sync_t *es = &en->sync;
    if (!es->sy || p < 0 || p >= RR_ENGINE_MAXPARTS) return;
    if (es->window[p] && offset >= es->covered[p]) window_close(en, p);
    rr_sync_mute(es->sy, offset < es->covered[p]);
    es->replayed += offset < es->covered[p];
    en->pl.users_only = offset < es->peer_covered[p];
    es->handed += (uint64_t)en->pl.users_only;
}

void rr_engine_sync_after_event(rr_engine_t *en, int32_t p, int64_t offset)
{
    rr_engine_sync_t *es = &en->sync;
    if (!es->sy || p < 0 || p >= RR_ENGINE_MAXPARTS) return;
    rr_sync_mute(es->sy, 0);
    en->pl.users_only = 0;
    if (es->window[p] && offset + 1 >= es->covered[p]) window_close(en, p);
}

void rr_engine_sync_settle(rr_engine_t *en)
{
    rr_engine_sync_t *es = &en->sync;
    for (int p = 0; p < RR_ENGINE_MAXPARTS && es->windows; p++)
        if (es->window[p] && en->part_state[p] != RR_PART_OWNED) window_close(en, p);
}

/* ---- reading ---- */

/* The own key, read back: this process's deltas, an earlier life's (before the first of this
 * one: one key, one partition, so the order is total) or, after it, another live instance's
 * under the same name, which this one never merges: said once, loudly, and counted. 1 for a
 * twin's. */
static int note_own(rr_engine_t *en, const rr_msg_t *msg, int mine)
{
    rr_engine_sync_t *es = &en->sync;
    es->own_read++;
    if (mine && es->first_own_off < 0) es->first_own_off = msg->offset;
    if (mine || es->first_own_off < 0 || msg->offset < es->first_own_off) return 0;
    if (!es->twins++)
        RR_ERROR("sync: another instance publishes as %s; neither merges the other's deltas: "
                 "give each instance its own sync.instance",
                 es->instance);
    return 1;
}

/* The message's key is name: the instance that published it. */
static int key_is(const rr_msg_t *msg, const char *name)
{
    size_t len = strlen(name);
    return msg->key_len == len && memcmp(msg->key, name, len) == 0;
}

/* A delta the restored state already holds: the checkpoint's writer published it before the
 * checkpoint was taken (seq at most the checkpoint's), but had not read it back yet, so the
 * sync offsets the checkpoint records are below it. Only when the state is another instance's:
 * a restart's own earlier deltas go through note_covered instead. */
static int in_state(const rr_engine_sync_t *es, const rr_msg_t *msg, const envelope_t *e)
{
    return es->adopted && es->writer_known && e->seq && e->nonce == es->writer_nonce &&
           e->seq <= es->writer_seq && key_is(msg, es->writer);
}

/* Copied aside for the next instant: with buf NULL, only the offset moves then. */
static void hold(rr_engine_t *en, const rr_msg_t *msg, int merge)
{
    rr_engine_sync_t *es = &en->sync;
    if (es->npending == es->pending_cap) {
        size_t cap = es->pending_cap ? 2 * es->pending_cap : 16;
        rr_engine_peer_delta_t *p = realloc(es->pending, cap * sizeof(*p));
        if (!p) {
            RR_ERROR("sync: out of memory holding a peer's delta: it is skipped");
            return;
        }
        es->pending = p, es->pending_cap = cap;
    }
    rr_engine_peer_delta_t pd = {msg->partition, msg->offset, NULL, msg->len};
    if (merge && msg->value && msg->len) {
        pd.buf = malloc(msg->len);
        if (!pd.buf) {
            RR_ERROR("sync: out of memory holding a peer's delta: it is skipped");
            return;
        }
        memcpy(pd.buf, msg->value, msg->len);
    }
    es->pending[es->npending++] = pd;
}

/* Merged: every delta of another instance, and, when the state came from another instance's
 * checkpoint, this instance's earlier lives' too (that state lacks what they carried past its
 * sync offsets, and they are then a peer's to this life); never this process's own, a twin's
 * or one the restored state holds. */
static void on_sync_message(void *opaque, const rr_msg_t *msg)
{
    rr_engine_t *en = opaque;
    rr_engine_sync_t *es = &en->sync;
    if (msg->partition < 0 || msg->partition >= RR_ENGINE_SYNC_PARTS) return;
    int own = key_is(msg, es->instance);
    envelope_t e;
    int parsed = envelope_parse(msg->value, msg->len, &e) == 0;
    int mine = parsed && e.nonce == es->nonce;
    int twin = own && note_own(en, msg, mine);
    int held = parsed && in_state(es, msg, &e);
    int peer = !mine && !twin && (!own || es->adopted);
    if (own && parsed && !mine && !es->adopted) note_covered(en, &e);
    if (peer && parsed) note_peer_covered(en, &e);
    es->in_state += (uint64_t)held;
    es->earlier += (uint64_t)(own && peer && !held);
    hold(en, msg, peer && !held);
}

static int64_t sync_start_offset(void *opaque, const char *topic, int32_t partition)
{
    const rr_engine_t *en = opaque;
    (void)topic;
    return partition >= 0 && partition < RR_ENGINE_SYNC_PARTS ? en->sync.start_off[partition] : -1;
}

static void on_part_closed(rr_engine_t *en)
{
    if (--en->open_parts == 0) RR_INFO("engine stopped");
}

static void on_reader_closed(void *opaque)
{
    on_part_closed(opaque);
}

static void on_timer_closed(uv_handle_t *handle)
{
    on_part_closed(handle->data);
}

/* ---- the start gate ---- */

/* The reader is at the end of every sync partition (as far as its fetches tell): every delta
 * published before this start, an earlier life's included, has been read. */
static int caught_up(const rr_engine_sync_t *es)
{
    rr_consumer_stats_t cs;
    rr_consumer_lag_t lag[RR_ENGINE_SYNC_PARTS];
    rr_consumer_stats(es->reader, &cs);
    size_t n = rr_consumer_lag(es->reader, lag, RR_ENGINE_SYNC_PARTS);
    if (cs.assigned <= 0 || n < (size_t)cs.assigned) return 0;
    for (size_t i = 0; i < n; i++)
        if (lag[i].lag > 0) return 0;
    return 1;
}

static void on_sync_timer(uv_timer_t *timer)
{
    rr_engine_t *en = timer->data;
    rr_engine_sync_t *es = &en->sync;
    if (!es->gating) {
        rr_engine_sync_now(en);
        return;
    }
    int done = caught_up(es);
    if (!done && uv_now(en->loop) < es->gate_deadline) return;
    if (!done)
        RR_WARN("sync: %s not read to its end in %d ms: input starts anyway", en->cfg.topic_sync,
                GATE_MS);
    es->gating = 0;
    RR_INFO("sync: read %s to its end (%llu deltas); input of %d partitions was published "
            "before and is replayed without publishing it again",
            en->cfg.topic_sync, (unsigned long long)es->npending, es->windows);
    apply_pending(en); /* caught up: the input meets the newest shared state */
    uv_timer_start(&es->timer, on_sync_timer, (uint64_t)en->cfg.sync_interval_ms,
                   (uint64_t)en->cfg.sync_interval_ms);
    en->sync.start_input(en);
}

/* ---- lifecycle ---- */

/* sync.instance, else the group member's static id (kafka.group.instance.id), else the host
 * name: names that stay with an instance across restarts, so a restarted instance knows its
 * earlier deltas as its own. The nonce tells this life's deltas from any other's. */
static void name_instance(rr_engine_t *en)
{
    rr_engine_sync_t *es = &en->sync;
    const rr_config_t *cfg = &en->cfg;
    char host[200] = "rtrec";
    const char *name = cfg->sync_instance[0] ? cfg->sync_instance : NULL;
    for (int i = 0; !name && i < cfg->nkafka; i++)
        if (strcmp(cfg->kafka_kv[2 * i], "group.instance.id") == 0) name = cfg->kafka_kv[2 * i + 1];
    if (!name) {
        gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = '\0';
        name = host;
    }
    snprintf(es->instance, sizeof(es->instance), "%s", name);
    es->nonce = uv_hrtime() ^ ((uint64_t)getpid() << 40) ^ (uint64_t)time(NULL) << 20;
    es->first_own_off = -1;
}

void rr_engine_sync_init(rr_engine_t *en, rr_err_t (*start_input)(rr_engine_t *en))
{
    en->sync.start_input = start_input;
    for (int p = 0; p < RR_ENGINE_SYNC_PARTS; p++)
        en->sync.applied_off[p] = en->sync.start_off[p] = -1;
    for (int p = 0; p < RR_ENGINE_MAXPARTS; p++)
        en->sync.covered[p] = en->sync.peer_covered[p] = -1;
}

int rr_engine_sync_gating(const rr_engine_t *en)
{
    return en->sync.gating;
}

static rr_err_t start_reader(rr_engine_t *en, const char **kv, size_t nkv, char *errstr,
                             size_t errlen)
{
    rr_engine_sync_t *es = &en->sync;
    const char *topics[] = {en->cfg.topic_sync};
    rr_consumer_opts_t opts = {kv, nkv, topics, 1, en->cfg.consumer_budget, 1};
    rr_consumer_cbs_t cbs = {en, on_sync_message, NULL, on_reader_closed, sync_start_offset, NULL};
    es->reader = rr_consumer_new(en->loop, &opts, &cbs, errstr, errlen);
    if (!es->reader) return RR_E(KAFKA);
    rr_err_t err = rr_consumer_start(es->reader);
    if (err) {
        snprintf(errstr, errlen, "sync reader of %s: %s", en->cfg.topic_sync, rr_strerror(err));
        return err;
    }
    es->reader_started = 1;
    en->open_parts++;
    return RR_OK;
}

/* The restored checkpoint's shared base (SYNC/1), else (an older checkpoint, another model's
 * shape) the restored weights as rr_sync_new took them: exact only up to rounding then. */
static void import_base(rr_engine_t *en)
{
    rr_engine_sync_t *es = &en->sync;
    if (!es->base) return;
    if (rr_sync_import(es->sy, es->base, es->base_len) != RR_OK)
        RR_WARN("sync: the checkpoint's shared base does not fit this model: merging on from "
                "its weights, which agree with the peers' only up to rounding");
    free(es->base);
    es->base = NULL;
}

rr_err_t rr_engine_sync_start(rr_engine_t *en, const char **kv, size_t nkv, char *errstr,
                              size_t errlen)
{
    rr_engine_sync_t *es = &en->sync;
    const rr_config_t *cfg = &en->cfg;
    if (!cfg->sync_enabled || cfg->sync_interval_ms <= 0) return RR_OK;
    if (strcmp(cfg->sync_merge, "sum") != 0) {
        snprintf(errstr, errlen, "sync.merge=%s: rtrec run merges with sum only", cfg->sync_merge);
        return RR_E(CONFIG);
    }
    name_instance(en);
    es->adopted = es->writer[0] && strcmp(es->writer, es->instance) != 0;
    if (es->adopted && !es->writer_known)
        RR_WARN("sync: the restored checkpoint, %s's, predates SYNC/0 v3: its last deltas may be "
                "merged twice here",
                es->writer);
    else if (es->adopted)
        RR_INFO("sync: joining from %s's checkpoint; catching up past its sync offsets",
                es->writer);
    /* After the restore: the base is the restored weights, so a delta holds only new learning. */
    es->sy =
        rr_sync_new(&en->pl, (rr_sync_quant_t)rr_sync_quant_parse(cfg->sync_quant), errstr, errlen);
    if (!es->sy) return RR_E(NOMEM);
    import_base(en);
    /* A delta can be large (every item row a busy interval moved): room well past the 1 MB
     * default, which the reader's fetches allow too (fetch.max.bytes 50 MB). */
    const char *defaults[] = {"message.max.bytes", "33554432", "linger.ms", "0"};
    rr_producer_opts_t popts = {defaults, 4, kv, nkv};
    rr_producer_cbs_t pcbs = {es, on_delivery};
    es->prod = rr_producer_new(&popts, &pcbs, errstr, errlen);
    if (!es->prod) return RR_E(KAFKA);
    rr_err_t err = start_reader(en, kv, nkv, errstr, errlen);
    if (err) return err;
    uv_timer_init(en->loop, &es->timer);
    es->timer.data = en;
    es->timer_open = 1;
    en->open_parts++;
    /* Input waits until every earlier delta was read: the ones that cover input this start
     * replays must be known before that input is applied (note_covered). */
    es->gating = 1;
    es->gate_deadline = uv_now(en->loop) + GATE_MS;
    uv_timer_start(&es->timer, on_sync_timer, 0, GATE_POLL);
    RR_INFO("sync: instance %s, deltas every %d ms on %s (%s)", es->instance, cfg->sync_interval_ms,
            cfg->topic_sync, cfg->sync_quant);
    return RR_OK;
}

void rr_engine_sync_stop_reading(rr_engine_t *en)
{
    if (en->sync.reader_started) rr_consumer_close(en->sync.reader);
}

/* The last delta's delivery, polled without blocking the loop. */
static void on_flush_timer(uv_timer_t *timer)
{
    rr_engine_t *en = timer->data;
    rr_engine_sync_t *es = &en->sync;
    rr_producer_poll(es->prod);
    if (rr_producer_queued(es->prod) && uv_now(en->loop) < es->flush_deadline) return;
    if (rr_producer_queued(es->prod))
        RR_WARN("sync: the last delta did not reach the broker in %d ms", FLUSH_MS);
    uv_close((uv_handle_t *)&es->timer, on_timer_closed);
}

void rr_engine_sync_stop(rr_engine_t *en)
{
    rr_engine_sync_t *es = &en->sync;
    if (!es->timer_open) return;
    uv_timer_stop(&es->timer);
    rr_engine_sync_now(en); /* the peers get everything this instance learned */
    es->flush_deadline = uv_now(en->loop) + FLUSH_MS;
    uv_timer_start(&es->timer, on_flush_timer, 0, FLUSH_POLL);
}

void rr_engine_sync_free(rr_engine_t *en)
{
    rr_engine_sync_t *es = &en->sync;
    rr_consumer_free(es->reader);
    rr_producer_free(es->prod);
    rr_sync_free(es->sy);
    for (size_t i = 0; i < es->npending; i++) free(es->pending[i].buf);
    free(es->pending);
    free(es->out);
    free(es->base);
    memset(es, 0, sizeof(*es));
}

/* ---- checkpoints: SYNC/0 = u32 version, u32 name length, the writer's sync.instance, u32
 * count, count × (u32 sync partition, u64 next offset merged), then (version 2) u32 count,
 * count × (u32 events partition, u64 next offset the peers' deltas cover): a restart in the
 * middle of a handed-over partition's users-only replay must finish it the same way; then
 * (version 3) u64 the writer's nonce, u64 its seq: the last own delta the state holds, which
 * the writer may not have read back yet, so an instance joining from this state skips it ---- */

/* count, then count × (u32 partition, u64 offset) of the entries >= 0 of off[0..nparts). */
static rr_err_t save_offsets(rr_ckpt_writer_t *w, const int64_t *off, int nparts)
{
    uint32_t n = 0;
    for (int p = 0; p < nparts; p++) n += off[p] >= 0;
    rr_err_t err = rr_ckpt_write_u32(w, n);
    for (int p = 0; p < nparts && !err; p++) {
        if (off[p] < 0) continue;
        err = rr_ckpt_write_u32(w, (uint32_t)p);
        if (!err) err = rr_ckpt_write_u64(w, (uint64_t)off[p]);
    }
    return err;
}

static rr_err_t load_offsets(rr_ckpt_cursor_t *c, int64_t *off, int nparts)
{
    uint32_t n = rr_ckpt_read_u32(c);
    for (uint32_t i = 0; i < n && !c->err; i++) {
        uint32_t p = rr_ckpt_read_u32(c);
        uint64_t at = rr_ckpt_read_u64(c);
        if (c->err || p >= (uint32_t)nparts) return RR_E(DECODE);
        off[p] = (int64_t)at;
    }
    return c->err ? RR_E(DECODE) : RR_OK;
}

/* SYNC/1: the fixed-point shared base (rr_sync_export), which the weights alone do not give
 * back: a restored instance, restarted or joining, merges on from the writer's base bit for
 * bit. Written by the checkpoint child, which may allocate. */
static rr_err_t save_base(const rr_engine_sync_t *es, rr_ckpt_writer_t *w)
{
    uint8_t *buf;
    size_t len;
    rr_err_t err = rr_sync_export(es->sy, &buf, &len);
    if (err) return err;
    err = rr_ckpt_section_begin(w, RR_CKPT_SYNC, 1);
    if (!err) err = rr_ckpt_write(w, buf, len);
    free(buf);
    return err ? err : rr_ckpt_section_end(w);
}

rr_err_t rr_engine_sync_save(const rr_engine_t *en, rr_ckpt_writer_t *w)
{
    const rr_engine_sync_t *es = &en->sync;
    if (!es->sy) return RR_OK;
    uint32_t name_len = (uint32_t)strlen(es->instance);
    rr_err_t err = rr_ckpt_section_begin(w, RR_CKPT_SYNC, 0);
    if (!err) err = rr_ckpt_write_u32(w, SYNC_VERSION);
    if (!err) err = rr_ckpt_write_u32(w, name_len);
    if (!err) err = rr_ckpt_write(w, es->instance, name_len);
    if (!err) err = save_offsets(w, es->applied_off, RR_ENGINE_SYNC_PARTS);
    if (!err) err = save_offsets(w, es->peer_covered, RR_ENGINE_MAXPARTS);
    if (!err) err = rr_ckpt_write_u64(w, es->nonce);
    if (!err) err = rr_ckpt_write_u64(w, es->seq);
    if (!err) err = rr_ckpt_section_end(w);
    return err ? err : save_base(es, w);
}

rr_err_t rr_engine_sync_load(rr_engine_t *en, const rr_ckpt_reader_t *r)
{
    rr_engine_sync_t *es = &en->sync;
    const void *data;
    size_t len;
    if (rr_ckpt_find(r, RR_CKPT_SYNC, 0, &data, &len) != RR_OK) return RR_OK; /* none: earliest */
    rr_ckpt_cursor_t c;
    rr_ckpt_cursor_init(&c, data, len);
    uint32_t version = rr_ckpt_read_u32(&c), name_len = rr_ckpt_read_u32(&c);
    const char *name = name_len < sizeof(es->writer) ? rr_ckpt_read_bytes(&c, name_len) : NULL;
    if (version < 1 || version > SYNC_VERSION || !name) return RR_E(DECODE);
    memcpy(es->writer, name, name_len);
    es->writer[name_len] = '\0';
    rr_err_t err = load_offsets(&c, es->applied_off, RR_ENGINE_SYNC_PARTS);
    memcpy(es->start_off, es->applied_off, sizeof(es->start_off));
    if (!err && version >= 2) err = load_offsets(&c, es->peer_covered, RR_ENGINE_MAXPARTS);
    if (!err && version >= 3) {
        es->writer_nonce = rr_ckpt_read_u64(&c);
        es->writer_seq = rr_ckpt_read_u64(&c);
        es->writer_known = 1;
        if (c.err) err = RR_E(DECODE);
    }
    /* Kept until rr_engine_sync_start has its rr_sync_t (after the whole restore). */
    if (!err && rr_ckpt_find(r, RR_CKPT_SYNC, 1, &data, &len) == RR_OK && len) {
        es->base = malloc(len);
        if (!es->base) return RR_E(NOMEM);
        memcpy(es->base, data, len);
        es->base_len = len;
    }
    return err;
}
