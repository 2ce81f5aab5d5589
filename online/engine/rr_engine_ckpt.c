/* rr_engine_ckpt.c — the engine's checkpoints: restore at start, a periodic copy-on-write
 * snapshot written by a forked child (the loop pauses only for the fork, as in Redis), a final
 * one at stop. Kafka offsets are committed only once a checkpoint covering them is on disk. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include "rr_ckpt.h"
#include "rr_engine_internal.h"
#include "rr_log.h"
#include "rr_pipeline_ckpt.h"

#define OFFS_VERSION 1
#define POLL_MS      100 /* how often a running writer is checked on */
#define KEEP         3   /* checkpoints kept: a corrupt newest falls back to an older one */

int rr_engine_topic_index(const rr_engine_t *en, const char *topic)
{
    const char *topics[RR_ENGINE_NTOPICS] = {en->cfg.topic_events, en->cfg.topic_items,
                                             en->cfg.topic_users};
    for (int t = 0; t < RR_ENGINE_NTOPICS; t++)
        if (strcmp(topic, topics[t]) == 0) return t;
    return -1;
}

int64_t rr_engine_start_offset(void *opaque, const char *topic, int32_t partition)
{
    rr_engine_t *en = opaque;
    int t = rr_engine_topic_index(en, topic);
    if (t < 0 || partition < 0 || partition >= RR_ENGINE_MAXPARTS) return -1;
    if (t == 0) return rr_engine_part_acquire(en, partition);
    return en->start_off[t][partition];
}

/* OFFS/0: u32 version, u32 count, then (u32 topic index, u32 partition, u64 next offset). */
static rr_err_t write_offsets(rr_ckpt_writer_t *w, int64_t off[][RR_ENGINE_MAXPARTS])
{
    uint32_t n = 0;
    for (int t = 0; t < RR_ENGINE_NTOPICS; t++)
        for (int p = 0; p < RR_ENGINE_MAXPARTS; p++) n += off[t][p] >= 0;
    rr_err_t err = rr_ckpt_section_begin(w, RR_CKPT_OFFS, 0);
    if (!err) err = rr_ckpt_write_u32(w, OFFS_VERSION);
    if (!err) err = rr_ckpt_write_u32(w, n);
    for (int t = 0; t < RR_ENGINE_NTOPICS && !err; t++) {
        for (int p = 0; p < RR_ENGINE_MAXPARTS && !err; p++) {
            if (off[t][p] < 0) continue;
            err = rr_ckpt_write_u32(w, (uint32_t)t);
            if (!err) err = rr_ckpt_write_u32(w, (uint32_t)p);
            if (!err) err = rr_ckpt_write_u64(w, (uint64_t)off[t][p]);
        }
    }
    return err ? err : rr_ckpt_section_end(w);
}

static rr_err_t read_offsets(rr_engine_t *en, const rr_ckpt_reader_t *r)
{
    const void *data;
    size_t len;
    if (rr_ckpt_find(r, RR_CKPT_OFFS, 0, &data, &len) != RR_OK) return RR_E(DECODE);
    rr_ckpt_cursor_t c;
    rr_ckpt_cursor_init(&c, data, len);
    uint32_t version = rr_ckpt_read_u32(&c), n = rr_ckpt_read_u32(&c);
    if (version != OFFS_VERSION) return RR_E(DECODE);
    for (uint32_t i = 0; i < n && !c.err; i++) {
        uint32_t t = rr_ckpt_read_u32(&c), p = rr_ckpt_read_u32(&c);
        uint64_t off = rr_ckpt_read_u64(&c);
        if (c.err || t >= RR_ENGINE_NTOPICS || p >= RR_ENGINE_MAXPARTS) return RR_E(DECODE);
        en->start_off[t][p] = en->next_off[t][p] = (int64_t)off;
    }
    return c.err ? RR_E(DECODE) : RR_OK;
}

static rr_err_t write_checkpoint(const rr_engine_t *en, uint64_t seq,
                                 int64_t off[][RR_ENGINE_MAXPARTS], char *errstr, size_t errlen)
{
    /* The shared checkpoint first, then the partitions. A crash in between leaves partition
     * snapshots older than the shared checkpoint's users, which a restart then keeps (held
     * users at or past the newest snapshot are exact): shared state and users stay from one
     * moment, as in a single-instance restart. */
    rr_ckpt_writer_t *w = rr_ckpt_begin(en->cfg.checkpoint_dir, seq, errstr, errlen);
    if (!w) return RR_E(IO);
    rr_err_t err = rr_pipeline_save(&en->pl, w);
    if (!err) err = write_offsets(w, off);
    if (!err) err = rr_engine_sync_save(en, w);
    if (err) {
        rr_ckpt_abort(w);
        return err;
    }
    err = rr_ckpt_commit(w); /* fsync + rename + fsync(dir); errstr says why on failure */
    return err ? err : rr_engine_parts_write_owned(en, off, errstr, errlen);
}

rr_err_t rr_engine_ckpt_restore(rr_engine_t *en, char *errstr, size_t errlen)
{
    for (int t = 0; t < RR_ENGINE_NTOPICS; t++)
        for (int p = 0; p < RR_ENGINE_MAXPARTS; p++) en->next_off[t][p] = en->start_off[t][p] = -1;
    if (!en->cfg.checkpoint_dir[0]) return RR_OK;
    rr_ckpt_reader_t *r;
    rr_err_t err = rr_ckpt_open_latest(en->cfg.checkpoint_dir, &r, NULL, NULL, errstr, errlen);
    if (err == RR_E(NOT_FOUND)) {
        RR_INFO("checkpoint: none in %s, starting empty", en->cfg.checkpoint_dir);
        en->ckpt_ok = 1;
        return RR_OK;
    }
    if (err) return err;
    err = rr_pipeline_load(&en->pl, r, errstr, errlen);
    if (!err && (err = read_offsets(en, r)) != RR_OK)
        snprintf(errstr, errlen, "checkpoint: bad OFFS section");
    if (!err && (err = rr_engine_sync_load(en, r)) != RR_OK)
        snprintf(errstr, errlen, "checkpoint: bad SYNC section");
    if (!err) {
        en->restored = en->ckpt_ok = 1;
        en->ckpt_seq = rr_ckpt_info(r)->seq;
        RR_INFO("checkpoint: restored %s (seq %llu, %zu users, %zu items)", rr_ckpt_info(r)->path,
                (unsigned long long)en->ckpt_seq, en->pl.store.users.count,
                en->pl.store.items.count);
    }
    rr_ckpt_close(r);
    return err;
}

/* The child: write from its copy-on-write image of the loop's memory, then leave without
 * running the parent's atexit handlers or touching librdkafka's threads (they are not here). */
static void child_write(const rr_engine_t *en, uint64_t seq)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* a crashed engine takes its writer along */
#endif
    char errstr[512];
    int64_t(*off)[RR_ENGINE_MAXPARTS] = (int64_t(*)[RR_ENGINE_MAXPARTS])en->child_off;
    rr_err_t err = write_checkpoint(en, seq, off, errstr, sizeof(errstr));
    if (err) fprintf(stderr, "rtrec checkpoint writer: %s\n", errstr);
    _exit(err ? 1 : 0);
}

/* Instances sharing checkpoint.dir number their shared checkpoints past every one there, so the
 * newest any instance wrote is the one a new instance starts from. The low 10 bits come from
 * the pid: two instances writing at once pick different numbers (hence temp files), unless
 * their pids agree modulo 1024. */
static uint64_t next_seq(const rr_engine_t *en)
{
    uint64_t newest = 0;
    rr_ckpt_newest_seq(en->cfg.checkpoint_dir, &newest);
    uint64_t base = newest > en->ckpt_seq ? newest : en->ckpt_seq;
    return ((base >> 10) + 1) << 10 | ((uint64_t)getpid() & 1023u);
}

static void fork_writer(rr_engine_t *en)
{
    rr_engine_sync_now(en); /* what the checkpoint holds is published: a restart resends none */
    memcpy(en->child_off, en->next_off, sizeof(en->child_off));
    uint64_t seq = next_seq(en);
    uint64_t t0 = uv_hrtime();
    int pid = fork();
    if (pid == 0) child_write(en, seq);
    double pause_ms = (double)(uv_hrtime() - t0) / 1e6;
    if (pause_ms > en->ckpt_pause_max_ms) en->ckpt_pause_max_ms = pause_ms;
    if (pid < 0) {
        RR_WARN("checkpoint: fork failed: %s", strerror(errno));
        return;
    }
    en->ckpt_child = pid;
    en->ckpt_seq = seq;
}

/* Offsets go to Kafka only once a checkpoint covering them is durable, and only for partitions
 * still owned (one revoked since the fork belongs to its new owner's commits); the items
 * topic's positions live in checkpoints alone (every instance reads all of it). The consumer
 * refuses (nothing sent) unless it is a running member with partitions. */
static void commit_offsets(rr_engine_t *en, int64_t off[][RR_ENGINE_MAXPARTS])
{
    int64_t mine[RR_ENGINE_NTOPICS][RR_ENGINE_MAXPARTS];
    const char *topics[RR_ENGINE_NTOPICS] = {en->cfg.topic_events, en->cfg.topic_items,
                                             en->cfg.topic_users};
    for (int t = 0; t < RR_ENGINE_NTOPICS; t++)
        for (int p = 0; p < RR_ENGINE_MAXPARTS; p++)
            mine[t][p] = t != 1 && en->part_state[p] == RR_PART_OWNED ? off[t][p] : -1;
    if (en->consumer)
        rr_consumer_commit(en->consumer, topics, RR_ENGINE_NTOPICS, &mine[0][0],
                           RR_ENGINE_MAXPARTS);
}

static void reap_writer(rr_engine_t *en, int block)
{
    int status;
    int pid = waitpid(en->ckpt_child, &status, block ? 0 : WNOHANG);
    if (pid == 0) return; /* still writing */
    en->ckpt_child = 0;
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        RR_WARN("checkpoint %llu: writer failed; the previous checkpoint stands",
                (unsigned long long)en->ckpt_seq);
        return;
    }
    en->ckpts_written++;
    commit_offsets(en, en->child_off);
    rr_ckpt_prune(en->cfg.checkpoint_dir, KEEP);
    RR_DEBUG("checkpoint %llu written", (unsigned long long)en->ckpt_seq);
}

static void on_ckpt_timer(uv_timer_t *timer)
{
    rr_engine_t *en = timer->data;
    if (en->ckpt_child) reap_writer(en, 0);
    if (!en->ckpt_child && uv_now(en->loop) >= en->ckpt_due_ms) {
        fork_writer(en);
        en->ckpt_due_ms = uv_now(en->loop) + (uint64_t)en->cfg.checkpoint_interval_s * 1000;
    }
}

void rr_engine_ckpt_wait(rr_engine_t *en)
{
    if (en->ckpt_child) reap_writer(en, 1);
}

void rr_engine_ckpt_republish(rr_engine_t *en)
{
    if (en->restored) rr_engine_parts_park_restored(en);
}

void rr_engine_ckpt_start(rr_engine_t *en)
{
    if (!en->cfg.checkpoint_dir[0]) return;
    en->ckpt_due_ms = uv_now(en->loop) + (uint64_t)en->cfg.checkpoint_interval_s * 1000;
    uv_timer_start(&en->ckpt_timer, on_ckpt_timer, POLL_MS, POLL_MS);
}

void rr_engine_ckpt_stop(rr_engine_t *en)
{
    uv_timer_stop(&en->ckpt_timer);
    if (!en->cfg.checkpoint_dir[0]) return;
    rr_engine_ckpt_wait(en);
    if (!en->ckpt_ok) { /* what memory holds is not the state: it must not replace it */
        RR_WARN("no final checkpoint: the state was not restored");
        return;
    }
    char errstr[512];
    uint64_t t0 = uv_hrtime();
    uint64_t seq = next_seq(en);
    rr_err_t err = write_checkpoint(en, seq, en->next_off, errstr, sizeof(errstr));
    if (err) {
        RR_ERROR("final checkpoint failed: %s", errstr);
        return;
    }
    en->ckpt_seq = seq;
    en->ckpts_written++;
    rr_ckpt_prune(en->cfg.checkpoint_dir, KEEP);
    RR_INFO("checkpoint %llu written at stop in %.1f ms (longest loop pause for a checkpoint "
            "before it: %.2f ms)",
            (unsigned long long)en->ckpt_seq, (double)(uv_hrtime() - t0) / 1e6,
            en->ckpt_pause_max_ms);
}
