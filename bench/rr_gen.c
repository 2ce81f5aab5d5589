/* rr_gen.c — synthetic clickstream; see rr_gen.h. Everything derives from one splitmix64
 * stream, so a seed names a stream exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_gen.h"

typedef struct session_s {
    uint32_t user, category;
    int steps_left;
} session_t;

struct rr_gen_s {
    rr_gen_opts_t o;
    uint64_t rng, produced;
    int64_t ts_ms;
    double *zipf_cdf;   /* [items_per_cat] cumulative popularity inside a category */
    uint32_t per_cat;   /* items per category */
    uint32_t *taste;    /* [users][2]: favourite categories */
    session_t live[64]; /* concurrent sessions, interleaved like a real stream */
};

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) * 0x1.0p-53;
}

static uint32_t below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(uniform(s) * n);
}

static uint32_t zipf_rank(rr_gen_t *g)
{
    double u = uniform(&g->rng);
    uint32_t lo = 0, hi = g->per_cat - 1;
    while (lo < hi) { /* first rank whose cumulative share reaches u */
        uint32_t mid = (lo + hi) / 2;
        if (g->zipf_cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void new_session(rr_gen_t *g, session_t *s)
{
    s->user = below(&g->rng, g->o.users);
    /* 80% of sessions browse one of the user's two favourite categories. */
    s->category = uniform(&g->rng) < 0.8 ? g->taste[2 * s->user + below(&g->rng, 2)]
                                         : below(&g->rng, g->o.categories);
    s->steps_left = 2 + (int)below(&g->rng, 8);
}

rr_gen_t *rr_gen_new(const rr_gen_opts_t *opts)
{
    rr_gen_t *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->o = *opts;
    if (g->o.categories == 0) g->o.categories = 1;
    g->per_cat = g->o.items / g->o.categories ? g->o.items / g->o.categories : 1;
    g->rng = opts->seed;
    g->ts_ms = opts->start_ts_ms ? opts->start_ts_ms : 1700000000000LL;
    g->zipf_cdf = malloc(g->per_cat * sizeof(*g->zipf_cdf));
    g->taste = malloc(2 * (size_t)g->o.users * sizeof(*g->taste));
    if (!g->zipf_cdf || !g->taste) {
        rr_gen_free(g);
        return NULL;
    }
    double sum = 0;
    for (uint32_t r = 0; r < g->per_cat; r++) sum += 1.0 / pow(r + 1.0, opts->zipf_s);
    double acc = 0;
    for (uint32_t r = 0; r < g->per_cat; r++) {
        acc += 1.0 / pow(r + 1.0, opts->zipf_s) / sum;
        g->zipf_cdf[r] = acc;
    }
    for (size_t u = 0; u < 2 * (size_t)g->o.users; u++)
        g->taste[u] = below(&g->rng, g->o.categories);
    for (int i = 0; i < 64; i++) new_session(g, &g->live[i]);
    return g;
}

static rr_event_type_t funnel_step(rr_gen_t *g)
{
    double u = uniform(&g->rng);
    if (u < 0.04) return RR_EV_PURCHASE;
    if (u < 0.12) return RR_EV_ADD_TO_CART;
    if (u < 0.15) return RR_EV_FAVORITE;
    if (u < 0.30) return RR_EV_CLICK;
    return RR_EV_VIEW;
}

int rr_gen_next(rr_gen_t *g, rr_event_t *ev)
{
    if (g->produced >= g->o.events) return 0;
    session_t *s = &g->live[below(&g->rng, 64)];
    if (s->steps_left-- <= 0) new_session(g, s);
    uint32_t item = s->category * g->per_cat + zipf_rank(g);
    memset(ev, 0, sizeof(*ev));
    ev->type = funnel_step(g);
    g->ts_ms += 1 + below(&g->rng, 200);
    ev->ts_ms = g->ts_ms;
    ev->flags = RR_EVF_TS | RR_EVF_PRICE;
    ev->price = 5.0f + (float)((item * 2654435761u) % 20000) / 100.0f;
    /* The seed is part of the id: streams generated with different seeds never collide in
     * the engine's de-duplication window. */
    snprintf(ev->event_id, sizeof(ev->event_id), "e%llu-%llu", (unsigned long long)g->o.seed,
             (unsigned long long)g->produced);
    snprintf(ev->user_id, sizeof(ev->user_id), "u%u", s->user);
    snprintf(ev->item_id, sizeof(ev->item_id), "i%u", item);
    snprintf(ev->category, sizeof(ev->category), "c%u", s->category);
    snprintf(ev->brand, sizeof(ev->brand), "b%u", item % 97);
    snprintf(ev->session_id, sizeof(ev->session_id), "s%u-%llu", s->user,
             (unsigned long long)(g->ts_ms / 1800000));
    g->produced++;
    return 1;
}

void rr_gen_free(rr_gen_t *g)
{
    if (!g) return;
    free(g->zipf_cdf);
    free(g->taste);
    free(g);
}
