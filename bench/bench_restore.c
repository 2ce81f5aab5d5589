/* bench_restore.c — a partition changes owner: one partition holding N users (100k by default)
 * is written as a partition snapshot by its owner and restored into a fresh pipeline whose item
 * ids differ (every reference renumbered by key), as `rtrec run` does on assignment. Prints the
 * write and restore times (median of 3) and the restore rate in MB/s of snapshot.
 * Usage: bench_restore [--users N] [--smoke] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rr_bench.h"
#include "rr_ckpt.h"
#include "rr_config.h"
#include "rr_pipeline.h"
#include "rr_pipeline_ckpt_part.h"

int rr_bench_smoke = 0;
int rr_bench_failed = 0;

enum { ITEMS = 20000, EVENTS_PER_USER = 6, RUNS = 3 };

static void config(rr_config_t *cfg, int users)
{
    char errstr[256], num[32];
    rr_config_init(cfg);
    snprintf(num, sizeof(num), "%d", users + 1000);
    rr_config_set(cfg, "users.max", num, errstr, sizeof(errstr));
    snprintf(num, sizeof(num), "%d", 2 * ITEMS);
    rr_config_set(cfg, "items.max", num, errstr, sizeof(errstr));
}

/* The owner: every user has EVENTS_PER_USER events on partition 0. */
static void fill(rr_pipeline_t *pl, int users)
{
    rr_event_t ev;
    uint64_t x = 88172645463325252ULL;
    for (int u = 0; u < users; u++) {
        for (int k = 0; k < EVENTS_PER_USER; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            memset(&ev, 0, sizeof(ev));
            ev.type = k == EVENTS_PER_USER - 1 && u % 5 == 0 ? RR_EV_PURCHASE : RR_EV_VIEW;
            ev.flags = RR_EVF_TS;
            ev.ts_ms = 1700000000000LL + (int64_t)u * 10 + k;
            snprintf(ev.user_id, sizeof(ev.user_id), "user%d", u);
            snprintf(ev.item_id, sizeof(ev.item_id), "item%u", (unsigned)(x % ITEMS));
            snprintf(ev.category, sizeof(ev.category), "cat%u", (unsigned)(x % 40));
            snprintf(ev.brand, sizeof(ev.brand), "brand%u", (unsigned)(x % 300));
            uint32_t uid;
            if (rr_pipeline_apply(pl, &ev, &uid) == RR_OK) pl->store.user[uid].partition = 0;
        }
    }
}

/* A fresh instance that met the catalog in another order: ids differ from the owner's. */
static void fresh(rr_pipeline_t *pl, const rr_config_t *cfg)
{
    rr_pipeline_init(pl, cfg);
    for (int i = ITEMS - 1; i >= 0; i -= 3) {
        uint32_t iid;
        char id[32];
        snprintf(id, sizeof(id), "item%d", i);
        rr_store_item_ref(&pl->store, id, &iid);
    }
}

static int check(const rr_pipeline_t *a, const rr_pipeline_t *b, int users)
{
    for (int u = 0; u < users; u += 997) {
        char id[32];
        snprintf(id, sizeof(id), "user%d", u);
        uint32_t x = rr_intern_find(&a->store.users, id), y = rr_intern_find(&b->store.users, id);
        if (y == RR_INTERN_NONE || a->store.user[x].nevents != b->store.user[y].nevents ||
            a->store.user[x].purchases != b->store.user[y].purchases)
            return 0;
    }
    return b->store.users.count == (size_t)users;
}

int main(int argc, char **argv)
{
    int users = 100000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0) rr_bench_smoke = 1, users = 2000;
        if (strcmp(argv[i], "--users") == 0 && i + 1 < argc) users = atoi(argv[++i]);
    }
    rr_config_t cfg;
    config(&cfg, users);
    static rr_pipeline_t owner, taker;
    rr_pipeline_init(&owner, &cfg);
    fill(&owner, users);
    char dir[] = "/tmp/rtrec-bench-restore-XXXXXX", errstr[512];
    if (!mkdtemp(dir)) return 1;
    double wt[RUNS], rt[RUNS];
    uint64_t bytes = 0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = rr_bench_now();
        rr_ckpt_writer_t *w = rr_ckpt_begin(dir, (uint64_t)r + 1, errstr, sizeof(errstr));
        if (!w || rr_pipeline_save_part(&owner, 0, w) || rr_ckpt_commit(w)) return 1;
        wt[r] = rr_bench_now() - t0;
        fresh(&taker, &cfg);
        t0 = rr_bench_now();
        rr_ckpt_reader_t *rd;
        size_t n = 0;
        if (rr_ckpt_open_latest(dir, &rd, NULL, NULL, errstr, sizeof(errstr))) return 1;
        rr_err_t err = rr_pipeline_load_part(&taker, rd, 0, &n, errstr, sizeof(errstr));
        rt[r] = rr_bench_now() - t0;
        bytes = rr_ckpt_info(rd)->file_size;
        rr_ckpt_close(rd);
        if (err || n != (size_t)users || !check(&owner, &taker, users)) {
            fprintf(stderr, "bench_restore: restore wrong: %s\n", errstr);
            rr_bench_failed = 1;
        }
        rr_pipeline_free(&taker);
    }
    rr_ckpt_prune(dir, 2);
    qsort(wt, RUNS, sizeof(double), rr_bench_cmp_double);
    qsort(rt, RUNS, sizeof(double), rr_bench_cmp_double);
    if (!rr_bench_smoke) {
        rr_bench_print("partition_snapshot_write", wt[RUNS / 2] * 1e3, "ms", RUNS,
                       "users=%d bytes=%llu", users, (unsigned long long)bytes);
        rr_bench_print("partition_restore", rt[RUNS / 2] * 1e3, "ms", RUNS,
                       "users=%d bytes=%llu mb_per_s=%.1f", users, (unsigned long long)bytes,
                       (double)bytes / 1e6 / rt[RUNS / 2]);
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_restore: could not remove %s\n", dir);
    rr_pipeline_free(&owner);
    return rr_bench_failed;
}
