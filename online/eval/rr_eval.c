/* rr_eval.c — the prequential harness of `rtrec eval`: load and order the stream, keep each
 * user's exact item history, test every method (rtrec, baselines, anchors) on each target
 * before any of them trains on it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rr_baseline.h"
#include "rr_eval.h"
#include "rr_pipeline.h"
#include "rr_side.h"
#include "rr_sync.h"

/* An event as the harness keeps it: rr_event_t minus the fields no method reads, so a 120k
 * event file stays a few tens of MB. */
typedef struct eval_ev_s {
    int64_t ts_ms;
    float value, price;
    uint32_t flags;
    rr_event_type_t type;
    char user[RR_ID_MAX], item[RR_ID_MAX], category[RR_ID_MAX], brand[RR_ID_MAX];
} eval_ev_t;

typedef struct eval_order_s {
    int64_t ts_ms;
    size_t seq; /* position in the merged files: the tie-break that makes the sort stable */
} eval_order_t;

typedef struct eval_s {
    eval_ev_t *evs;
    eval_order_t *order;
    size_t nevs, cap;
    rr_intern_t users, items; /* dense ids in stream order: lower id = seen first */
    rr_intern_t cats;         /* categories, dense the same way */
    int has_cats;             /* some event carries a category: cat_trend runs */
    uint64_t *hist;           /* open-addressing set of (user, item) + 1; 0 = empty */
    size_t hist_mask;
    uint32_t *user_events; /* [nevs] events so far per user */
    uint32_t *puser;       /* [nevs] eval user -> its instance's pipeline user */
    uint8_t *inst;         /* [nevs] eval user -> instance (its events' partition mod N) */
    uint32_t *pitem;       /* [ninst × nevs] eval item -> each instance's pipeline item */
    uint8_t *shown;        /* [ninst × items_max] pipeline items shown in an rtrec top-K */
    rr_intern_t covered;   /* keys of the items shown, over all instances */
    uint8_t *own;          /* [nevs] the items of the user being scored, 0 between targets */
    rr_pop_t pop;
    rr_knn_t knn;
    rr_anchors_t *anchors;
    rr_pipeline_t *pls; /* [ninst]: scale-out simulated (rr_eval_sync_t) */
    rr_sync_t **syncs;  /* [ninst] when sync_ms > 0 */
    int ninst, pl_ready, partitions;
    size_t nslot, items_max; /* per-instance strides of pitem and shown */
    int64_t sync_ms, next_sync;
    int64_t sync_events;   /* > 0: a sync point after every sync_events events instead */
    const uint8_t *assign; /* rr_eval_sync_t.assign */
    rr_eval_lists_t lists; /* when rtrec's lists are recomputed */
    rr_sync_merge_t merge; /* sync.merge's weights */
    int cold;              /* the target being scored is in the cold-start slice */
    int strip;             /* rr_eval_side_t.strip */
    rr_eval_result_t *res;
} eval_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static rr_err_t eval_push(eval_t *ev, const rr_event_t *e)
{
    if (ev->nevs == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 4096;
        eval_ev_t *evs = realloc(ev->evs, cap * sizeof(*evs));
        if (!evs) return RR_E(NOMEM);
        ev->evs = evs;
        ev->cap = cap;
    }
    eval_ev_t *x = &ev->evs[ev->nevs++];
    x->ts_ms = e->ts_ms;
    x->value = e->value;
    x->price = e->price;
    x->flags = e->flags;
    x->type = e->type;
    memcpy(x->user, e->user_id, RR_ID_MAX);
    memcpy(x->item, e->item_id, RR_ID_MAX);
    memcpy(x->category, e->category, RR_ID_MAX);
    memcpy(x->brand, e->brand, RR_ID_MAX);
    return RR_OK;
}

/* Appends every event of one file. Records the reader rejects, and events that are not an
 * interaction with an item (search, forget), are counted as skipped. */
static rr_err_t eval_load(eval_t *ev, const char *path, rr_format_t fmt, char *errstr,
                          size_t errlen)
{
    rr_reader_t *rd = rr_reader_open(path, fmt, errstr, errlen);
    if (!rd) return RR_E(IO);
    rr_event_t e;
    rr_err_t err;
    while ((err = rr_reader_next(rd, &e)) != RR_E(EOF)) {
        if (err || !e.item_id[0] || e.type == RR_EV_FORGET_USER) {
            ev->res->skipped++;
            continue;
        }
        if ((err = eval_push(ev, &e)) != RR_OK) break;
        if (e.category[0]) ev->has_cats = 1;
    }
    rr_reader_free(rd);
    if (err == RR_E(EOF)) return RR_OK;
    snprintf(errstr, errlen, "%s: out of memory", path);
    return err;
}

static int order_cmp(const void *a, const void *b)
{
    const eval_order_t *x = a, *y = b;
    if (x->ts_ms != y->ts_ms) return x->ts_ms < y->ts_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static rr_err_t eval_sort(eval_t *ev)
{
    ev->order = malloc((ev->nevs + 1) * sizeof(*ev->order));
    if (!ev->order) return RR_E(NOMEM);
    for (size_t i = 0; i < ev->nevs; i++) ev->order[i] = (eval_order_t){ev->evs[i].ts_ms, i};
    qsort(ev->order, ev->nevs, sizeof(*ev->order), order_cmp);
    return RR_OK;
}

static size_t hist_slot(const eval_t *ev, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & ev->hist_mask;
}

/* Has user ever interacted with item? With add, records that it now has. */
static int hist_probe(eval_t *ev, uint32_t user, uint32_t item, int add)
{
    uint64_t key = ((uint64_t)user << 32 | item) + 1;
    size_t pos = hist_slot(ev, key);
    while (ev->hist[pos] && ev->hist[pos] != key) pos = (pos + 1) & ev->hist_mask;
    if (ev->hist[pos]) return 1;
    if (add) ev->hist[pos] = key;
    return 0;
}

/* The exclude set of every list: the items of the user being scored, marked in ev->own. */
static int skip_own(const void *opaque, uint32_t item)
{
    return ((const eval_t *)opaque)->own[item];
}

/* Marks (or unmarks) the user's items in ev->own: a list walk passes over a user's items many
 * times per target, and a byte is cheaper to read than the pair set. */
static void eval_mark_own(eval_t *ev, uint32_t user, uint8_t mark)
{
    size_t n;
    const uint32_t *items = rr_anchor_hist_user_items(rr_anchors_hist(ev->anchors), user, &n);
    for (size_t i = 0; i < n; i++) ev->own[items[i]] = mark;
}

/* One capture per instance when syncing; the merge rule and encoding from sync.*. */
static rr_err_t eval_sync_init(eval_t *ev, const rr_config_t *cfg)
{
    if (ev->sync_ms <= 0 && ev->sync_events <= 0) return RR_OK;
    int q = rr_sync_quant_parse(cfg->sync_quant);
    if (q < 0) return RR_E(CONFIG);
    if (rr_sync_merge_rule(cfg->sync_merge, ev->ninst, &ev->merge)) return RR_E(CONFIG);
    char errstr[128];
    for (int i = 0; i < ev->ninst; i++)
        if (!(ev->syncs[i] = rr_sync_new(&ev->pls[i], (rr_sync_quant_t)q, errstr, sizeof(errstr))))
            return RR_E(NOMEM);
    return RR_OK;
}

/* The user/item caps of the pipeline are raised to fit the file, so no event is refused. */
static rr_err_t eval_alloc(eval_t *ev, const rr_config_t *cfg)
{
    size_t n = ev->nevs + 1, hcap = 16;
    while (hcap < 2 * n) hcap *= 2;
    rr_config_t pcfg = *cfg;
    if ((size_t)pcfg.users_max < n + 16) pcfg.users_max = (int)(n + 16);
    if ((size_t)pcfg.items_max < n + 16) pcfg.items_max = (int)(n + 16);
    /* Recorded datasets span years and may batch a user's events into one second: expiry and
     * the flood cap protect a live engine, here they would only discard history. */
    pcfg.users_ttl_s = 0;
    pcfg.users_max_events_per_s = 0;
    ev->hist_mask = hcap - 1;
    ev->nslot = n;
    ev->items_max = (size_t)pcfg.items_max;
    size_t N = (size_t)ev->ninst;
    ev->hist = calloc(hcap, sizeof(*ev->hist));
    ev->user_events = calloc(n, sizeof(*ev->user_events));
    ev->puser = malloc(n * sizeof(*ev->puser));
    ev->inst = calloc(n, 1);
    ev->pitem = malloc(N * n * sizeof(*ev->pitem));
    ev->shown = calloc(N * ev->items_max, 1);
    ev->own = calloc(n, 1);
    ev->pls = calloc(N, sizeof(*ev->pls));
    ev->syncs = calloc(N, sizeof(*ev->syncs));
    if (!ev->hist || !ev->user_events || !ev->puser || !ev->inst || !ev->pitem || !ev->shown ||
        !ev->own || !ev->pls || !ev->syncs)
        return RR_E(NOMEM);
    memset(ev->puser, 0xff, n * sizeof(*ev->puser)); /* RR_INTERN_NONE */
    memset(ev->pitem, 0xff, N * n * sizeof(*ev->pitem));
    rr_err_t err = rr_intern_init(&ev->users, n);
    if (!err) err = rr_intern_init(&ev->covered, ev->items_max);
    if (!err) err = rr_intern_init(&ev->items, n);
    if (!err) err = rr_intern_init(&ev->cats, n);
    if (!err) err = rr_pop_init(&ev->pop, n);
    if (!err) err = rr_knn_init(&ev->knn, n, n, RR_EVAL_WINDOW);
    if (!err &&
        !(ev->anchors = rr_anchors_new(n, n, ev->has_cats, &ev->pop, &ev->knn, RR_EVAL_SEED)))
        err = RR_E(NOMEM);
    for (int i = 0; i < ev->ninst && !err; i++) {
        err = rr_pipeline_init(&ev->pls[i], &pcfg);
        ev->pl_ready += !err;
    }
    return err ? err : eval_sync_init(ev, cfg);
}

static void eval_free(eval_t *ev)
{
    free(ev->evs);
    free(ev->order);
    free(ev->hist);
    free(ev->user_events);
    free(ev->puser);
    free(ev->inst);
    free(ev->pitem);
    free(ev->shown);
    free(ev->own);
    rr_intern_free(&ev->users);
    rr_intern_free(&ev->items);
    rr_intern_free(&ev->cats);
    rr_intern_free(&ev->covered);
    rr_anchors_free(ev->anchors);
    rr_pop_free(&ev->pop);
    rr_knn_free(&ev->knn);
    for (int i = 0; ev->syncs && i < ev->ninst; i++) rr_sync_free(ev->syncs[i]);
    for (int i = 0; i < ev->pl_ready; i++) rr_pipeline_free(&ev->pls[i]);
    free(ev->syncs);
    free(ev->pls);
}

static void eval_hit(eval_t *ev, int method, const uint32_t *list, size_t n, uint32_t item)
{
    for (size_t r = 0; r < n && r < RR_EVAL_K; r++) {
        if (list[r] != item) continue;
        double gain = 1.0 / log2((double)r + 2.0);
        ev->res->hits[method]++;
        ev->res->ndcg_sum[method] += gain;
        if (ev->cold) ev->res->cold_hits[method]++, ev->res->cold_ndcg_sum[method] += gain;
        return;
    }
}

/* Coverage counts distinct item keys: each instance numbers items its own way. */
static void eval_cover(eval_t *ev, int inst, uint32_t iid)
{
    rr_pipeline_t *pl = &ev->pls[inst];
    uint8_t *shown = ev->shown + (size_t)inst * ev->items_max;
    if (iid >= pl->store.items_max || shown[iid]) return;
    shown[iid] = 1;
    const char *key = rr_intern_key(&pl->store.items, iid);
    uint32_t id;
    int is_new = 0;
    if (key && rr_intern_add(&ev->covered, key, &id, &is_new) == RR_OK && is_new)
        ev->res->covered++;
}

/* With FRESH lists rtrec's list is recomputed right before it is scored, so it reflects every
 * earlier event: the list the engine would publish with coalescing done (an upper bound on a
 * live run). With HELD lists it is the one recomputed after the user's previous event. The
 * user's own instance scores it. */
static void eval_score_rtrec(eval_t *ev, uint32_t user, uint32_t item)
{
    uint32_t puid = ev->puser[user];
    if (puid == RR_INTERN_NONE) return;
    int inst = ev->inst[user];
    rr_pipeline_t *pl = &ev->pls[inst];
    double t0 = now_s();
    if (ev->lists == RR_EVAL_LISTS_FRESH) rr_pipeline_refresh(pl, puid);
    ev->res->rtrec_s += now_s() - t0;
    const rr_list_entry_t *list = rr_store_list(&pl->store, puid);
    uint32_t ids[RR_EVAL_K];
    size_t n = pl->store.user[puid].nlist;
    if (n > RR_EVAL_K) n = RR_EVAL_K;
    for (size_t r = 0; r < n; r++) {
        ids[r] = list[r].item;
        eval_cover(ev, inst, ids[r]);
    }
    uint32_t *pitem = ev->pitem + (size_t)inst * ev->nslot;
    if (pitem[item] == RR_INTERN_NONE && ev->ninst > 1) /* a peer's events may have brought it */
        pitem[item] = rr_intern_find(&pl->store.items, rr_intern_key(&ev->items, item));
    eval_hit(ev, RR_EVAL_RTREC, ids, n, pitem[item]);
}

static void eval_score(eval_t *ev, uint32_t user, uint32_t item)
{
    uint32_t list[RR_EVAL_K];
    ev->res->targets++;
    ev->cold = ev->user_events[user] <= RR_EVAL_COLD;
    ev->res->cold_targets += (uint64_t)ev->cold;
    eval_mark_own(ev, user, 1);
    size_t n = rr_pop_top(&ev->pop, list, RR_EVAL_K, skip_own, ev);
    eval_hit(ev, RR_EVAL_POP, list, n, item);
    n = rr_knn_top(&ev->knn, &ev->pop, user, list, RR_EVAL_K, skip_own, ev);
    eval_hit(ev, RR_EVAL_KNN, list, n, item);
    double t0 = now_s();
    for (int a = 0; a < RR_ANCHOR__COUNT; a++) {
        if (!ev->res->ran[RR_EVAL_ANCHOR0 + a]) continue;
        n = rr_anchors_top(ev->anchors, a, user, list, RR_EVAL_K, skip_own, ev);
        eval_hit(ev, RR_EVAL_ANCHOR0 + a, list, n, item);
    }
    ev->res->anchors_s += now_s() - t0;
    eval_mark_own(ev, user, 0);
    eval_score_rtrec(ev, user, item);
}

/* The anchors learn the event after every method was scored on it. */
static rr_err_t eval_observe_anchors(eval_t *ev, const eval_ev_t *x, uint32_t user, uint32_t item,
                                     int first_touch)
{
    rr_anchor_ev_t aev = {user, item, RR_ANCHOR_NO_CAT, x->ts_ms, first_touch};
    int is_new;
    if (x->category[0]) {
        rr_err_t err = rr_intern_add(&ev->cats, x->category, &aev.category, &is_new);
        if (err) return err;
    }
    double t0 = now_s();
    rr_err_t err = rr_anchors_observe(ev->anchors, &aev);
    ev->res->anchors_s += now_s() - t0;
    return err;
}

static void eval_apply_rtrec(eval_t *ev, const eval_ev_t *x, uint32_t user, uint32_t item)
{
    rr_event_t e;
    memset(&e, 0, sizeof(e));
    e.type = x->type;
    e.flags = x->flags;
    e.ts_ms = x->ts_ms;
    e.value = x->value;
    e.price = x->price;
    memcpy(e.user_id, x->user, RR_ID_MAX);
    memcpy(e.item_id, x->item, RR_ID_MAX);
    memcpy(e.category, x->category, RR_ID_MAX);
    memcpy(e.brand, x->brand, RR_ID_MAX);
    if (ev->strip) {
        e.category[0] = e.brand[0] = '\0';
        e.price = 0;
        e.flags &= ~(uint32_t)RR_EVF_PRICE;
    }
    uint32_t puid;
    rr_pipeline_t *pl = &ev->pls[ev->inst[user]];
    double t0 = now_s();
    rr_err_t err = rr_pipeline_apply(pl, &e, &puid);
    /* HELD: the engine's refresh of the user it just applied an event of, with the engine's
     * call (a batch of one when the loop keeps up). */
    if (!err && ev->lists == RR_EVAL_LISTS_HELD) rr_pipeline_refresh_batch(pl, &puid, 1);
    ev->res->rtrec_s += now_s() - t0;
    if (err) {
        ev->res->dropped++;
        return;
    }
    ev->puser[user] = puid;
    uint32_t *pitem = ev->pitem + (size_t)ev->inst[user] * ev->nslot;
    if (pitem[item] == RR_INTERN_NONE) pitem[item] = rr_intern_find(&pl->store.items, x->item);
}

/* The instance that consumes the user's partition: partition p goes to instance p mod N, what
 * the round-robin hand-out of a fresh group gives (and range's count when N divides P), unless
 * the caller gave the group's actual hand-out. */
static int eval_instance(const eval_t *ev, const char *user_id)
{
    if (ev->ninst == 1) return 0;
    int p = rr_sync_partition_of(user_id, strlen(user_id), ev->partitions);
    return ev->assign ? ev->assign[p] : p % ev->ninst;
}

/* A sync point: every instance publishes what it learned, in instance order, then merges every
 * other's delta, in instance order. Each delta buffer stays valid until its owner's next
 * publication, so none is copied. */
static rr_err_t eval_sync_round(eval_t *ev)
{
    const uint8_t *buf[RR_EVAL_MAX_INSTANCES];
    size_t len[RR_EVAL_MAX_INSTANCES], total = 0;
    for (int i = 0; i < ev->ninst; i++) {
        rr_err_t err = rr_sync_publish(ev->syncs[i], &ev->merge, &buf[i], &len[i]);
        if (err) return err;
        total += len[i];
    }
    for (int j = 0; j < ev->ninst; j++)
        for (int i = 0; i < ev->ninst; i++) {
            if (i == j || !len[i]) continue;
            rr_err_t err = rr_sync_apply(ev->syncs[j], buf[i], len[i], &ev->merge);
            if (err) return err;
        }
    ev->res->sync_rounds += total > 0;
    ev->res->sync_bytes += total;
    return RR_OK;
}

/* Test, then train: targets are scored against every method's state before the event. */
static rr_err_t eval_step(eval_t *ev, const eval_ev_t *x)
{
    uint32_t user, item;
    int is_new;
    rr_err_t err = rr_intern_add(&ev->users, x->user, &user, &is_new);
    if (!err && is_new) ev->inst[user] = (uint8_t)eval_instance(ev, x->user);
    if (!err) err = rr_intern_add(&ev->items, x->item, &item, &is_new);
    if (err) return err;
    int first_touch = !hist_probe(ev, user, item, 0);
    if (ev->user_events[user] > 0 && first_touch) eval_score(ev, user, item);
    hist_probe(ev, user, item, 1);
    ev->user_events[user]++;
    rr_pop_add(&ev->pop, item);
    err = rr_knn_add(&ev->knn, user, item);
    if (!err) err = eval_observe_anchors(ev, x, user, item, first_touch);
    eval_apply_rtrec(ev, x, user, item);
    return err;
}

static void eval_progress(FILE *fp, const eval_t *ev, size_t done, double t0)
{
    fprintf(fp, "\reval: %zu/%zu events, %llu targets, %.0f s", done, ev->nevs,
            (unsigned long long)ev->res->targets, now_s() - t0);
    fflush(fp);
}

/* Sync points fall on multiples of sync_ms of event time; one with nothing new since the last
 * (a quiet stretch) sends nothing. */
static rr_err_t eval_sync_due(eval_t *ev, int64_t ts_ms)
{
    if (ev->sync_ms <= 0) return RR_OK;
    int64_t slot = ts_ms >= 0 ? ts_ms / ev->sync_ms : (ts_ms + 1) / ev->sync_ms - 1;
    if (ev->next_sync == INT64_MIN) {
        ev->next_sync = (slot + 1) * ev->sync_ms;
        return RR_OK;
    }
    if (ts_ms < ev->next_sync) return RR_OK;
    ev->next_sync = (slot + 1) * ev->sync_ms;
    return eval_sync_round(ev);
}

/* By event count: a sync point before event i when i is a multiple of sync_events. */
static rr_err_t eval_sync_due_events(eval_t *ev, size_t i)
{
    if (i == 0 || i % (uint64_t)ev->sync_events) return RR_OK;
    return eval_sync_round(ev);
}

static rr_err_t eval_replay(eval_t *ev, FILE *progress, double t0)
{
    double next_report = t0 + 1.0;
    int reported = 0;
    for (size_t i = 0; i < ev->nevs; i++) {
        const eval_ev_t *x = &ev->evs[ev->order[i].seq];
        rr_err_t err =
            ev->sync_events > 0 ? eval_sync_due_events(ev, i) : eval_sync_due(ev, x->ts_ms);
        if (!err) err = eval_step(ev, x);
        if (err) return err;
        ev->res->events++;
        if (progress && (i & 1023) == 0 && now_s() >= next_report) {
            eval_progress(progress, ev, i + 1, t0);
            next_report += 1.0;
            reported = 1;
        }
    }
    if (reported) {
        eval_progress(progress, ev, ev->nevs, t0);
        fputc('\n', progress);
    }
    return RR_OK;
}

static rr_err_t side_item(void *opaque, const rr_item_msg_t *item)
{
    eval_t *ev = opaque;
    uint32_t iid;
    rr_err_t err = RR_OK;
    for (int i = ev->ninst - 1; i >= 0; i--) { /* every instance reads the whole items topic */
        err = rr_pipeline_item_update(&ev->pls[i], item, &iid);
        if (err && err != RR_E(FULL)) return err;
    }
    ev->res->side_items += err == RR_OK; /* instance 0's count */
    return RR_OK;                        /* past items.max: the catalog is what fits */
}

static rr_err_t side_user(void *opaque, const rr_user_msg_t *user)
{
    eval_t *ev = opaque;
    uint32_t uid;
    rr_err_t err = RR_OK;
    for (int i = ev->ninst - 1; i >= 0 && !err; i--)
        err = rr_pipeline_user_update(&ev->pls[i], user, &uid);
    ev->res->side_users += err == RR_OK;
    return err;
}

/* Items, then users: the order replay produces them in, all before the first event. */
static rr_err_t eval_side(eval_t *ev, const rr_eval_side_t *side, char *errstr, size_t errlen)
{
    size_t n;
    rr_err_t err = RR_OK;
    if (side && side->items) err = rr_side_items(side->items, side_item, ev, &n, errstr, errlen);
    if (!err && side && side->users)
        err = rr_side_users(side->users, side_user, ev, &n, errstr, errlen);
    return err;
}

rr_err_t rr_eval_run(const rr_config_t *cfg, const char *const *files, size_t nfiles,
                     rr_format_t fmt, FILE *progress, rr_eval_result_t *res, char *errstr,
                     size_t errlen)
{
    return rr_eval_run_side(cfg, files, nfiles, fmt, NULL, progress, res, errstr, errlen);
}

rr_err_t rr_eval_run_side(const rr_config_t *cfg, const char *const *files, size_t nfiles,
                          rr_format_t fmt, const rr_eval_side_t *side, FILE *progress,
                          rr_eval_result_t *res, char *errstr, size_t errlen)
{
    return rr_eval_run_sync(cfg, files, nfiles, fmt, side, NULL, progress, res, errstr, errlen);
}

double rr_eval_sync_bytes_per_s(const rr_eval_result_t *res)
{
    return res->span_s > 0 ? (double)res->sync_bytes / res->span_s : 0.0;
}

/* Sums the instances' prequential log loss and AUC as one pipeline's would be. */
static void eval_model_metrics(const eval_t *ev, rr_eval_result_t *res)
{
    rr_preq_t sum;
    memset(&sum, 0, sizeof(sum));
    for (int i = 0; i < ev->pl_ready; i++) {
        const rr_preq_t *p = &ev->pls[i].preq;
        sum.logloss_sum += p->logloss_sum, sum.logloss_n += p->logloss_n;
        sum.auc_wins += p->auc_wins, sum.auc_pairs += p->auc_pairs;
    }
    for (int i = 0; i < ev->pl_ready; i++) {
        res->engine_targets += ev->pls[i].preq.targets;
        res->engine_hits10 += ev->pls[i].preq.hits10;
        res->engine_ndcg10 += ev->pls[i].preq.ndcg10;
    }
    res->logloss = sum.logloss_n ? sum.logloss_sum / (double)sum.logloss_n : NAN;
    res->auc = sum.auc_pairs ? sum.auc_wins / (double)sum.auc_pairs : NAN;
    res->bytes_per_user = ev->pl_ready ? rr_pipeline_bytes_per_user(&ev->pls[0]) : 0;
    for (int i = 0; i < ev->pl_ready; i++) { /* what rtrec's pipelines saw (--no-side: none) */
        size_t c = rr_intern_bound(&ev->pls[i].store.categories);
        size_t b = rr_intern_bound(&ev->pls[i].store.brands);
        if (c > res->categories) res->categories = c;
        if (b > res->brands) res->brands = b;
    }
    if (ev->nevs)
        res->span_s =
            (double)(ev->evs[ev->order[ev->nevs - 1].seq].ts_ms - ev->evs[ev->order[0].seq].ts_ms) /
            1000.0;
}

static rr_err_t eval_sync_check(const rr_config_t *cfg, const rr_eval_sync_t *sync, char *errstr,
                                size_t errlen)
{
    if (sync->instances < 1 || sync->instances > RR_EVAL_MAX_INSTANCES ||
        sync->instances > cfg->broker_partitions) {
        snprintf(errstr, errlen, "--instances %d: must be 1..%d and at most broker.partitions (%d)",
                 sync->instances, RR_EVAL_MAX_INSTANCES, cfg->broker_partitions);
        return RR_E(CONFIG);
    }
    if (sync->sync_ms < 0 || sync->sync_events < 0) {
        snprintf(errstr, errlen, "--sync-ms and --sync-events must be >= 0");
        return RR_E(CONFIG);
    }
    for (int p = 0; sync->assign && p < cfg->broker_partitions; p++)
        if (sync->assign[p] >= sync->instances) {
            snprintf(errstr, errlen, "--assign: partition %d to instance %d of %d", p,
                     sync->assign[p], sync->instances);
            return RR_E(CONFIG);
        }
    return RR_OK;
}

rr_err_t rr_eval_run_sync(const rr_config_t *cfg, const char *const *files, size_t nfiles,
                          rr_format_t fmt, const rr_eval_side_t *side, const rr_eval_sync_t *sync,
                          FILE *progress, rr_eval_result_t *res, char *errstr, size_t errlen)
{
    return rr_eval_run_lists(cfg, files, nfiles, fmt, side, sync, RR_EVAL_LISTS_FRESH, progress,
                             res, errstr, errlen);
}

rr_err_t rr_eval_run_lists(const rr_config_t *cfg, const char *const *files, size_t nfiles,
                           rr_format_t fmt, const rr_eval_side_t *side, const rr_eval_sync_t *sync,
                           rr_eval_lists_t lists, FILE *progress, rr_eval_result_t *res,
                           char *errstr, size_t errlen)
{
    double t0 = now_s();
    eval_t ev;
    memset(&ev, 0, sizeof(ev));
    memset(res, 0, sizeof(*res));
    rr_eval_sync_t one = {1, 0, 0, NULL};
    if (!sync) sync = &one;
    rr_err_t err = eval_sync_check(cfg, sync, errstr, errlen);
    if (err) return err;
    ev.res = res;
    ev.ninst = res->instances = sync->instances;
    ev.sync_events = res->sync_events = sync->sync_events;
    ev.sync_ms = res->sync_ms = sync->sync_events > 0 ? 0 : sync->sync_ms;
    ev.assign = sync->assign;
    ev.lists = res->lists = lists;
    ev.next_sync = INT64_MIN;
    ev.partitions = cfg->broker_partitions;
    ev.strip = side && side->strip;
    for (size_t f = 0; f < nfiles && !err; f++) err = eval_load(&ev, files[f], fmt, errstr, errlen);
    if (!err && (err = eval_sort(&ev)) != RR_OK) snprintf(errstr, errlen, "out of memory");
    for (int m = 0; m < RR_EVAL__METHODS; m++) res->ran[m] = 1;
    for (int a = RR_ANCHOR_CAT_TREND_5M; a <= RR_ANCHOR_CAT_TREND_365D; a++)
        res->ran[RR_EVAL_ANCHOR0 + a] = (uint8_t)ev.has_cats;
    if (!err && (err = eval_alloc(&ev, cfg)) != RR_OK)
        snprintf(errstr, errlen, "eval state: %s", rr_strerror(err));
    if (!err) err = eval_side(&ev, side, errstr, errlen);
    if (!err && (err = eval_replay(&ev, progress, t0)) != RR_OK)
        snprintf(errstr, errlen, "replay: %s", rr_strerror(err));
    res->users = rr_intern_bound(&ev.users);
    res->items = rr_intern_bound(&ev.items);
    for (int i = 0; i < ev.pl_ready; i++) rr_pipeline_train_flush(&ev.pls[i]); /* partial batch */
    eval_model_metrics(&ev, res);
    eval_free(&ev);
    res->wall_s = now_s() - t0;
    return err;
}
