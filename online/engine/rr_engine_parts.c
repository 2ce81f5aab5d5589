/* rr_engine_parts.c — partitions move with their users. Each events partition is held by one
 * instance; its users are written to the state store (checkpoint.dir/<events topic>-<p>/, as
 * ckpt-<next offset>.rrc) when the partition is revoked and by every periodic checkpoint, and
 * restored by whichever instance is assigned it next, which then consumes from the offset the
 * snapshot covers. A snapshot's name is the offset it covers, and none is written below the
 * newest present: a zombie owner can never roll a partition back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "rr_ckpt.h"
#include "rr_engine_internal.h"
#include "rr_log.h"
#include "rr_pipeline_ckpt_part.h"

#define PART_KEEP 3 /* snapshots kept per partition */

static int store_on(const rr_engine_t *en)
{
    return en->cfg.checkpoint_dir[0] != '\0';
}

static void part_dir(const rr_engine_t *en, int32_t p, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s-%d", en->cfg.checkpoint_dir, en->cfg.topic_events, (int)p);
}

/* The newest snapshot's offset, or -1 if there is none. */
static int64_t newest_offset(const rr_engine_t *en, int32_t p)
{
    char dir[2 * RR_CONFIG_STR_MAX + 16];
    uint64_t seq;
    part_dir(en, p, dir, sizeof(dir));
    return rr_ckpt_newest_seq(dir, &seq) == RR_OK ? (int64_t)seq : -1;
}

rr_err_t rr_engine_part_write(const rr_engine_t *en, int32_t p, int64_t off, int *stale,
                              char *errstr, size_t errlen)
{
    char dir[2 * RR_CONFIG_STR_MAX + 16];
    *stale = 0;
    if (!store_on(en) || off < 0) return RR_OK; /* nothing consumed: nothing to cover */
    if (newest_offset(en, p) > off) {
        *stale = 1;
        return RR_OK;
    }
    part_dir(en, p, dir, sizeof(dir));
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(errstr, errlen, "%s: %s", dir, strerror(errno));
        return RR_E(IO);
    }
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, (uint64_t)off, errstr, errlen);
    if (!w) return RR_E(IO);
    rr_err_t err = rr_pipeline_save_part(&en->pl, p, w);
    if (err) {
        rr_ckpt_abort(w);
        return err;
    }
    err = rr_ckpt_commit(w);
    if (!err) rr_ckpt_prune(dir, PART_KEEP);
    return err;
}

rr_err_t rr_engine_parts_write_owned(const rr_engine_t *en, int64_t off[][RR_ENGINE_MAXPARTS],
                                     char *errstr, size_t errlen)
{
    for (int32_t p = 0; p < RR_ENGINE_MAXPARTS; p++) {
        if (en->part_state[p] != RR_PART_OWNED) continue;
        int stale; /* a newer owner's snapshot stands */
        rr_err_t err = rr_engine_part_write(en, p, off[0][p], &stale, errstr, errlen);
        if (err) return err;
    }
    return RR_OK;
}

/* Publishes the partition's users again: the previous owner's last writes may be lost or
 * older, and a user without new events would keep them. Clock stamps of another process
 * mean nothing here. */
static size_t part_republish(rr_engine_t *en, int32_t p)
{
    rr_store_t *st = &en->pl.store;
    size_t n = 0;
    for (uint32_t uid = 0; uid < rr_intern_bound(&st->users); uid++) {
        if (!rr_intern_key(&st->users, uid) || st->user[uid].partition != p) continue;
        st->user[uid].dequeued_us = st->user[uid].produced_ms = 0;
        if (en->redis) rr_redis_mark(en->redis, uid);
        if (en->kpub) rr_kpub_mark(en->kpub, uid);
        n++;
    }
    return n;
}

/* Forgets the partition's users without touching Redis: their lists now belong to the new
 * owner. Marks left in the refresh and publish sets skip ids that are gone. */
static size_t part_drop(rr_engine_t *en, int32_t p)
{
    rr_store_t *st = &en->pl.store;
    size_t n = 0;
    for (uint32_t uid = 0; uid < rr_intern_bound(&st->users); uid++) {
        const char *key = rr_intern_key(&st->users, uid);
        if (!key || st->user[uid].partition != p) continue;
        rr_pipeline_forget(&en->pl, key);
        n++;
    }
    en->part_state[p] = RR_PART_NONE;
    for (int t = 0; t < RR_ENGINE_NTOPICS; t++)
        if (t != 1) en->next_off[t][p] = en->start_off[t][p] = -1;
    return n;
}

static int64_t part_restore(rr_engine_t *en, int32_t p)
{
    char dir[2 * RR_CONFIG_STR_MAX + 16], errstr[512];
    part_dir(en, p, dir, sizeof(dir));
    rr_ckpt_reader_t *r;
    if (newest_offset(en, p) < 0) return -1; /* never written: the group's offset stands */
    rr_err_t err = rr_ckpt_open_latest(dir, &r, NULL, NULL, errstr, sizeof(errstr));
    if (err) {
        RR_ERROR("partition %d: no valid snapshot to restore: %s", (int)p, errstr);
        en->restore_failures++;
        return -1;
    }
    uint64_t t0 = uv_hrtime();
    size_t n = 0;
    int64_t off = (int64_t)rr_ckpt_info(r)->seq;
    uint64_t bytes = rr_ckpt_info(r)->file_size;
    err = rr_pipeline_load_part(&en->pl, r, p, &n, errstr, sizeof(errstr));
    rr_ckpt_close(r);
    if (err) {
        RR_ERROR("partition %d: restore failed (%s); its users start empty", (int)p, errstr);
        part_drop(en, p);
        en->restore_failures++;
        return -1;
    }
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    en->restores++;
    en->restored_users += n;
    en->restore_ms_last = ms;
    en->restore_ms_total += ms;
    RR_INFO("partition %d: restored %zu users at offset %lld in %.1f ms (%.1f MB/s)", (int)p, n,
            (long long)off, ms, ms > 0 ? (double)bytes / 1e3 / ms : 0.0);
    return off;
}

int64_t rr_engine_part_acquire(rr_engine_t *en, int32_t p)
{
    int held = en->part_state[p] != RR_PART_NONE;
    int64_t newest = store_on(en) ? newest_offset(en, p) : -1;
    if (held && newest <= en->next_off[0][p]) { /* nobody went further: what we hold is exact */
        en->part_state[p] = RR_PART_OWNED;
        if (en->part_republish[p]) part_republish(en, p);
        en->part_republish[p] = 0;
        RR_INFO("partition %d: continuing at offset %lld with the users held", (int)p,
                (long long)en->next_off[0][p]);
        return en->next_off[0][p];
    }
    if (held) RR_INFO("partition %d: dropped %zu stale users", (int)p, part_drop(en, p));
    en->part_state[p] = RR_PART_OWNED;
    en->part_republish[p] = 0;
    if (!store_on(en)) return -1;
    int64_t off = part_restore(en, p);
    if (off >= 0) {
        en->next_off[0][p] = off;
        part_republish(en, p);
    }
    return off;
}

void rr_engine_part_release(rr_engine_t *en, int32_t p)
{
    if (en->part_state[p] != RR_PART_OWNED) return;
    char errstr[512];
    int stale;
    uint64_t t0 = uv_hrtime();
    rr_err_t err = rr_engine_part_write(en, p, en->next_off[0][p], &stale, errstr, sizeof(errstr));
    if (stale)
        RR_WARN("partition %d: not written at revoke: a snapshot newer than offset %lld exists",
                (int)p, (long long)en->next_off[0][p]);
    else if (err)
        RR_ERROR("partition %d: snapshot at revoke failed: %s", (int)p, errstr);
    else if (store_on(en))
        RR_INFO("partition %d: users written at offset %lld in %.1f ms", (int)p,
                (long long)en->next_off[0][p], (double)(uv_hrtime() - t0) / 1e6);
    en->part_state[p] = RR_PART_PARKED;
}

void rr_engine_parts_settle(rr_engine_t *en)
{
    for (int32_t p = 0; p < RR_ENGINE_MAXPARTS; p++) {
        if (en->part_state[p] != RR_PART_PARKED) continue;
        size_t n = part_drop(en, p);
        RR_INFO("partition %d: handed over, %zu users dropped", (int)p, n);
    }
}

void rr_engine_parts_park_restored(rr_engine_t *en)
{
    const rr_store_t *st = &en->pl.store;
    for (uint32_t uid = 0; uid < rr_intern_bound(&st->users); uid++) {
        int32_t p = st->user[uid].partition;
        if (rr_intern_key(&st->users, uid) && p >= 0 && p < RR_ENGINE_MAXPARTS)
            en->part_state[p] = RR_PART_PARKED;
    }
    for (int32_t p = 0; p < RR_ENGINE_MAXPARTS; p++) {
        if (en->next_off[0][p] >= 0) en->part_state[p] = RR_PART_PARKED;
        en->part_republish[p] = en->part_state[p] == RR_PART_PARKED;
    }
}
