/* test_anchors.c — each strong anchor of rr_anchor.h against a naive reference that recomputes
 * its scores from the whole event history before every event (plain loops, no incremental
 * state): on a generated stream with repeats, equal timestamps, items without a category and
 * gaps that make trend[5m] rescale, every list of every anchor, for every user, at every step,
 * must be identical. Then tie-breaking and the flush of long-dead trend scores, worked by hand. */
#include <stdint.h>
#include "rr_anchors.h"
#include "rr_rank_tree.h"
#include "rr_test.h"

#define NU    14
#define NI    48
#define NC    5
#define NEV   700
#define K     10
#define NH    7
#define NOCAT RR_ANCHOR_NO_CAT

static const int64_t half_life_ms[NH] = {300000LL,    3600000LL,    21600000LL,   86400000LL,
                                         604800000LL, 2592000000LL, 31536000000LL};

static rr_anchor_ev_t evs[NEV];

static uint64_t rng_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Users and items get dense ids in first-seen order, as `rtrec eval` gives them. */
static void gen_stream(uint64_t seed)
{
    uint32_t item_cat[NI], umap[NU], imap[NI], nu = 0, ni = 0;
    for (uint32_t i = 0; i < NI; i++) item_cat[i] = i % 7 == 6 ? NOCAT : (uint32_t)(i * 3 % NC);
    memset(umap, 0xff, sizeof(umap));
    memset(imap, 0xff, sizeof(imap));
    int64_t ts = 1500000000000LL, gap[NEV];
    for (size_t e = 0; e < NEV; e++) { /* equal times, seconds, minutes */
        uint64_t r = rng_next(&seed) % 100;
        gap[e] = r < 30   ? 0
                 : r < 85 ? 1000 * (int64_t)(rng_next(&seed) % 120)
                          : 1000 * (int64_t)(rng_next(&seed) % 1800);
        ts += gap[e];
    }
    /* four long gaps bring the stream to 79 h: past trend[5m]'s rescale point (900 half-lives,
     * 75 h), while every decayed score stays far above underflow (1000 half-lives is 83 h) */
    for (size_t e = 140; e < NEV; e += 140) gap[e] += (79 * 3600000LL - (ts - 1500000000000LL)) / 4;
    ts = 1500000000000LL;
    for (size_t e = 0; e < NEV; e++) {
        ts += gap[e];
        uint32_t u = (uint32_t)(rng_next(&seed) % NU), i;
        if (e > 0 && rng_next(&seed) % 4 == 0)
            i = evs[e - 1 - rng_next(&seed) % (e < 8 ? e : 8)].item; /* raw id kept below */
        else
            i = (uint32_t)((rng_next(&seed) % NI) * (rng_next(&seed) % NI) / NI); /* skewed */
        evs[e] = (rr_anchor_ev_t){u, i, item_cat[i], ts, 0};
    }
    for (size_t e = 0; e < NEV; e++) { /* raw ids -> first-seen order */
        if (umap[evs[e].user] == UINT32_MAX) umap[evs[e].user] = nu++;
        if (imap[evs[e].item] == UINT32_MAX) imap[evs[e].item] = ni++;
    }
    for (size_t e = 0; e < NEV; e++) {
        evs[e].user = umap[evs[e].user];
        evs[e].item = imap[evs[e].item];
        evs[e].first_touch = 1;
        for (size_t p = 0; p < e; p++)
            if (evs[p].user == evs[e].user && evs[p].item == evs[e].item) evs[e].first_touch = 0;
    }
}

/* ---- the reference: everything from evs[0..t) ---- */

typedef struct ctx_s {
    size_t t;
    uint32_t user;
} ctx_t;

static int owns(size_t t, uint32_t user, uint32_t item)
{
    for (size_t e = 0; e < t; e++)
        if (evs[e].user == user && evs[e].item == item) return 1;
    return 0;
}

static int seen(size_t t, uint32_t item)
{
    for (size_t e = 0; e < t; e++)
        if (evs[e].item == item) return 1;
    return 0;
}

static int skip_own(const void *opaque, uint32_t item)
{
    const ctx_t *c = opaque;
    return owns(c->t, c->user, item);
}

static int listed(const uint32_t *list, size_t n, uint32_t item)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == item) return 1;
    return 0;
}

/* Appends to out[n..k) the best of the items with cand[i] set, not listed yet, by score desc
 * then id asc: a selection sort over all items. */
static size_t ref_rank(const double *score, const int *cand, uint32_t *out, size_t n, size_t k)
{
    while (n < k) {
        uint32_t best = UINT32_MAX;
        for (uint32_t i = 0; i < NI; i++) {
            if (!cand[i] || listed(out, n, i)) continue;
            if (best == UINT32_MAX || score[i] > score[best]) best = i;
        }
        if (best == UINT32_MAX) break;
        out[n++] = best;
    }
    return n;
}

/* Items seen before t that the user does not own: every list's candidates. */
static void ref_candidates(size_t t, uint32_t user, int *cand)
{
    for (uint32_t i = 0; i < NI; i++) cand[i] = seen(t, i) && !owns(t, user, i);
}

static size_t ref_pop_fill(size_t t, uint32_t user, uint32_t *out, size_t n)
{
    double count[NI] = {0};
    int cand[NI];
    for (size_t e = 0; e < t; e++) count[evs[e].item] += 1;
    ref_candidates(t, user, cand);
    return ref_rank(count, cand, out, n, K);
}

static void ref_trend_scores(size_t t, int h, double *score)
{
    int64_t now = evs[t].ts_ms;
    for (uint32_t i = 0; i < NI; i++) score[i] = 0;
    for (size_t e = 0; e < t; e++)
        score[evs[e].item] += exp2(-(double)(now - evs[e].ts_ms) / (double)half_life_ms[h]);
}

static size_t ref_trend(size_t t, int h, uint32_t user, uint32_t *out)
{
    double score[NI];
    int cand[NI];
    ref_trend_scores(t, h, score);
    ref_candidates(t, user, cand);
    return ref_rank(score, cand, out, 0, K);
}

/* The user's last RR_ANCHOR_WINDOW events before t, oldest first, as event indexes. */
static size_t ref_window(size_t t, uint32_t user, size_t *win)
{
    size_t n = 0;
    for (size_t e = t; e-- > 0 && n < RR_ANCHOR_WINDOW;)
        if (evs[e].user == user) win[n++] = e;
    for (size_t i = 0; i < n / 2; i++) {
        size_t x = win[i];
        win[i] = win[n - 1 - i];
        win[n - 1 - i] = x;
    }
    return n;
}

static size_t ref_cattrend(size_t t, int h, uint32_t user, uint32_t *out)
{
    size_t win[RR_ANCHOR_WINDOW], len = ref_window(t, user, win);
    double cw[NC] = {0}, score[NI], trend[NI];
    for (size_t p = 1; p <= len; p++)
        if (evs[win[p - 1]].category != NOCAT) cw[evs[win[p - 1]].category] += (double)p / len;
    int top[NC] = {0};
    for (int r = 0; r < 3; r++) { /* the 3 strongest, ties to the lower category */
        int best = -1;
        for (int c = 0; c < NC; c++)
            if (cw[c] > 0 && !top[c] && (best < 0 || cw[c] > cw[best])) best = c;
        if (best >= 0) top[best] = 1;
    }
    int cand[NI], fill[NI];
    ref_trend_scores(t, h, trend);
    ref_candidates(t, user, fill);
    for (uint32_t i = 0; i < NI; i++) {
        uint32_t c = NOCAT; /* the category the item was first observed with */
        for (size_t e = 0; e < t && c == NOCAT; e++)
            if (evs[e].item == i) c = evs[e].category;
        cand[i] = fill[i] && c != NOCAT && top[c];
        score[i] = cand[i] ? cw[c] * trend[i] : 0;
    }
    size_t n = ref_rank(score, cand, out, 0, K);
    return ref_rank(trend, fill, out, n, K);
}

static uint64_t ref_last_seen(size_t t, uint32_t user)
{
    for (size_t e = t; e-- > 0;)
        if (evs[e].user == user) return e + 1;
    return 0;
}

static size_t ref_sknn(size_t t, uint32_t user, size_t sample, size_t k_nb, uint32_t *out)
{
    size_t win[RR_ANCHOR_WINDOW], len = ref_window(t, user, win), nd = 0;
    uint32_t ditems[RR_ANCHOR_WINDOW];
    double w[NI] = {0}, sim[NU] = {0}, acc[NI] = {0};
    for (size_t p = 1; p <= len; p++) { /* an item's weight is that of its last position */
        uint32_t item = evs[win[p - 1]].item;
        if (w[item] == 0) ditems[nd++] = item;
        w[item] = (double)p / len;
    }
    int cand[NU] = {0}, ncand = 0;
    for (uint32_t v = 0; v < NU; v++) {
        for (size_t d = 0; v != user && d < nd; d++)
            if (owns(t, v, ditems[d])) sim[v] += w[ditems[d]], cand[v] = 1;
        ncand += cand[v];
    }
    while ((size_t)ncand > sample) { /* drop the least recently active */
        uint32_t worst = UINT32_MAX;
        for (uint32_t v = 0; v < NU; v++)
            if (cand[v] && (worst == UINT32_MAX || ref_last_seen(t, v) < ref_last_seen(t, worst)))
                worst = v;
        cand[worst] = 0, ncand--;
    }
    for (size_t r = 0; r < k_nb; r++) { /* most similar first, ties to the more recent */
        uint32_t best = UINT32_MAX;
        for (uint32_t v = 0; v < NU; v++)
            if (cand[v] && (best == UINT32_MAX || sim[v] > sim[best] ||
                            (sim[v] == sim[best] && ref_last_seen(t, v) > ref_last_seen(t, best))))
                best = v;
        if (best == UINT32_MAX) break;
        for (uint32_t i = 0; i < NI; i++)
            if (owns(t, best, i)) acc[i] += sim[best];
        cand[best] = 0;
    }
    int rank[NI];
    ref_candidates(t, user, rank);
    for (uint32_t i = 0; i < NI; i++) rank[i] = rank[i] && acc[i] > 0;
    size_t n = ref_rank(acc, rank, out, 0, K);
    return ref_pop_fill(t, user, out, n);
}

/* c(i,j) for all pairs: the users who had i and j (distinct) within reach of each other, an
 * event pairing with each of its user's 20 previous events (the item-kNN baseline's counts). */
static void ref_cooc(size_t t, double (*c)[NI])
{
    memset(c, 0, sizeof(double) * NI * NI);
    for (uint32_t u = 0; u < NU; u++) {
        static uint32_t hist[NEV];
        static uint8_t pair[NI][NI];
        size_t n = 0;
        memset(pair, 0, sizeof(pair));
        for (size_t e = 0; e < t; e++)
            if (evs[e].user == u) hist[n++] = evs[e].item;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p >= 20 ? p - 20 : 0; q < p; q++)
                pair[hist[p]][hist[q]] = pair[hist[q]][hist[p]] = hist[p] != hist[q];
        for (uint32_t i = 0; i < NI; i++)
            for (uint32_t j = 0; j < NI; j++) c[i][j] += pair[i][j];
    }
}

static double ref_item_users(size_t t, uint32_t item)
{
    double n = 0;
    for (uint32_t u = 0; u < NU; u++) n += owns(t, u, item);
    return n;
}

static size_t ref_iknn(size_t t, uint32_t user, uint32_t *out)
{
    size_t win[RR_ANCHOR_WINDOW], len = ref_window(t, user, win), nd = 0;
    uint32_t ditems[RR_ANCHOR_WINDOW];
    double w[NI] = {0}, acc[NI] = {0};
    for (size_t p = 1; p <= len; p++) {
        uint32_t item = evs[win[p - 1]].item;
        if (w[item] == 0) ditems[nd++] = item;
        w[item] = (double)p / len;
    }
    static double c[NI][NI];
    ref_cooc(t, c);
    /* the anchor's association: sum_i (w_i / sqrt n_i) c(i,j), then / sqrt n_j */
    for (size_t d = 0; d < nd; d++) {
        double wi = w[ditems[d]] / sqrt(ref_item_users(t, ditems[d]));
        for (uint32_t j = 0; j < NI; j++) acc[j] += wi * c[ditems[d]][j];
    }
    int cand[NI];
    ref_candidates(t, user, cand);
    for (uint32_t j = 0; j < NI; j++) {
        if (acc[j] > 0) acc[j] /= sqrt(ref_item_users(t, j));
        cand[j] = cand[j] && acc[j] > 0;
    }
    size_t n = ref_rank(acc, cand, out, 0, K);
    return ref_pop_fill(t, user, out, n);
}

/* ISGD replayed from the first event, with the anchor's seeded draws (splitmix64, Box-Muller). */
static uint64_t sm_state;
static uint64_t sm_next(void)
{
    uint64_t z = (sm_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float sm_normal(void)
{
    double u1 = ((double)(sm_next() >> 11) + 1.0) / 9007199254740992.0;
    double u2 = (double)(sm_next() >> 11) / 9007199254740992.0;
    return (float)(0.1 * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

static size_t ref_isgd(size_t t, uint32_t user, uint64_t seed, uint32_t *out)
{
    float a[NU][RR_ISGD_FACTORS], b[NI][RR_ISGD_FACTORS];
    int ha[NU] = {0}, hb[NI] = {0};
    sm_state = seed;
    for (size_t e = 0; e < t; e++) {
        uint32_t u = evs[e].user, i = evs[e].item;
        for (int f = 0; f < RR_ISGD_FACTORS && !ha[u]; f++) a[u][f] = sm_normal();
        for (int f = 0; f < RR_ISGD_FACTORS && !hb[i]; f++) b[i][f] = sm_normal();
        ha[u] = hb[i] = 1;
        float dot = 0;
        for (int f = 0; f < RR_ISGD_FACTORS; f++) dot += a[u][f] * b[i][f];
        float err = 1.0f - dot;
        for (int f = 0; f < RR_ISGD_FACTORS; f++)
            a[u][f] += RR_ISGD_LR * (err * b[i][f] - RR_ISGD_L2 * a[u][f]);
        for (int f = 0; f < RR_ISGD_FACTORS; f++)
            b[i][f] += RR_ISGD_LR * (err * a[u][f] - RR_ISGD_L2 * b[i][f]);
    }
    if (!ha[user]) return 0;
    double score[NI];
    int cand[NI];
    ref_candidates(t, user, cand);
    for (uint32_t i = 0; i < NI; i++) {
        float dot = 0;
        for (int f = 0; f < RR_ISGD_FACTORS && cand[i]; f++) dot += a[user][f] * b[i][f];
        score[i] = -(double)fabsf(1.0f - dot); /* closest to 1 first */
    }
    return ref_rank(score, cand, out, 0, K);
}

/* ---- the comparison ---- */

static int lists_equal(const char *what, size_t t, const uint32_t *got, size_t ngot,
                       const uint32_t *want, size_t nwant)
{
    int same = ngot == nwant && memcmp(got, want, ngot * sizeof(*got)) == 0;
    if (!same) {
        fprintf(stderr, "%s at event %zu (user %u):\n  got ", what, t, evs[t].user);
        for (size_t i = 0; i < ngot; i++) fprintf(stderr, " %u", got[i]);
        fprintf(stderr, "\n  want");
        for (size_t i = 0; i < nwant; i++) fprintf(stderr, " %u", want[i]);
        fprintf(stderr, "\n");
    }
    return same;
}

/* Every anchor of the set, and a V-SKNN small enough to exercise both neighbour cuts, against
 * its reference for the user of each event, before the event is learned. */
static void test_against_reference(void)
{
    const uint64_t seed = 7;
    gen_stream(11);
    rr_pop_t pop;
    rr_knn_t knn;
    CHECK_INT(rr_pop_init(&pop, NI), RR_OK);
    CHECK_INT(rr_knn_init(&knn, NU, NI, 20), RR_OK);
    rr_anchors_t *anchors = rr_anchors_new(NU, NI, 1, &pop, &knn, seed);
    rr_anchor_hist_t *hist = rr_anchor_hist_new(NU, NI);
    rr_sknn_t *small = rr_sknn_new(NU, NI, 6, 3, hist, &pop);
    CHECK(anchors && hist && small);
    if (!anchors || !hist || !small) return;
    int failures = 0;
    for (size_t t = 0; t < NEV && failures < 5; t++) {
        ctx_t ctx = {t, evs[t].user};
        uint32_t got[K], want[K];
        for (int a = 0; a < RR_ANCHOR__COUNT; a++) {
            size_t ngot = rr_anchors_top(anchors, a, ctx.user, got, K, skip_own, &ctx), nwant;
            int h = a - (a >= RR_ANCHOR_CAT_TREND_5M ? RR_ANCHOR_CAT_TREND_5M : RR_ANCHOR_TREND_5M);
            if (a <= RR_ANCHOR_TREND_365D)
                nwant = ref_trend(t, h, ctx.user, want);
            else if (a == RR_ANCHOR_VSKNN)
                nwant = ref_sknn(t, ctx.user, RR_SKNN_SAMPLE, RR_SKNN_K, want);
            else if (a == RR_ANCHOR_IKNN_COS)
                nwant = ref_iknn(t, ctx.user, want);
            else if (a == RR_ANCHOR_ISGD)
                nwant = ref_isgd(t, ctx.user, seed, want);
            else
                nwant = ref_cattrend(t, h, ctx.user, want);
            failures += !lists_equal(rr_anchor_name(a), t, got, ngot, want, nwant);
        }
        size_t ngot = rr_sknn_top(small, ctx.user, got, K, skip_own, &ctx);
        size_t nwant = ref_sknn(t, ctx.user, 6, 3, want);
        failures += !lists_equal("vsknn(5, 2)", t, got, ngot, want, nwant);
        rr_pop_add(&pop, evs[t].item);
        CHECK_INT(rr_knn_add(&knn, evs[t].user, evs[t].item), RR_OK);
        CHECK_INT(rr_anchors_observe(anchors, &evs[t]), RR_OK);
        CHECK_INT(rr_anchor_hist_observe(hist, &evs[t]), RR_OK);
    }
    CHECK_INT(failures, 0);
    rr_sknn_free(small);
    rr_anchor_hist_free(hist);
    rr_anchors_free(anchors);
    rr_knn_free(&knn);
    rr_pop_free(&pop);
}

/* The generator makes what the comparison needs: repeats, ties in time, a 5m rescale. */
static void test_stream_shape(void)
{
    gen_stream(11);
    size_t repeats = 0, ties = 0, gaps = 0;
    for (size_t e = 1; e < NEV; e++) {
        repeats += !evs[e].first_touch;
        ties += evs[e].ts_ms == evs[e - 1].ts_ms;
        gaps += evs[e].ts_ms - evs[e - 1].ts_ms >= 36000000LL;
    }
    CHECK(repeats > 50 && ties > 100 && gaps >= 3);
    CHECK((evs[NEV - 1].ts_ms - evs[0].ts_ms) / half_life_ms[0] > 900);  /* rescales */
    CHECK((evs[NEV - 1].ts_ms - evs[0].ts_ms) / half_life_ms[0] < 1000); /* never underflows */
}

/* ---- by hand ---- */

static int list_is(const uint32_t *got, size_t n, const uint32_t *want, size_t nwant)
{
    return lists_equal("list", 0, got, n, want, nwant);
}

static int skip_id(const void *opaque, uint32_t id)
{
    return id == *(const uint32_t *)opaque;
}

/* Ties go to the lower id; top() leaves the tree as it found it; push grows past the cap. */
static void test_rank_tree(void)
{
    double score[12] = {0};
    rr_rank_tree_t t;
    uint32_t scratch[64], out[12], pos;
    CHECK_INT(rr_rank_tree_init(&t, score, 2), RR_OK);
    for (uint32_t id = 11; id >= 4; id--) {
        score[id] = id % 3; /* 2, 1, 0, 2, 1, 0, 2, 1 for ids 11..4 */
        CHECK_INT(rr_rank_tree_push(&t, id, &pos), RR_OK);
        CHECK_INT(pos, 11 - id);
    }
    CHECK(t.cap == 8);
    uint32_t all[] = {5, 8, 11, 4, 7, 10, 6, 9}, skip = 8, no8[] = {5, 11, 4};
    for (int round = 0; round < 2; round++)
        CHECK(list_is(out, rr_rank_tree_top(&t, scratch, out, 12, NULL, NULL), all, 8));
    CHECK(list_is(out, rr_rank_tree_top(&t, scratch, out, 3, skip_id, &skip), no8, 3));
    score[9] = 5;
    rr_rank_tree_update(&t, 11 - 9);
    CHECK_INT(rr_rank_tree_top(&t, scratch, out, 1, NULL, NULL), 1);
    CHECK_INT(out[0], 9);
    rr_rank_tree_free(&t);
    rr_rank_tree_free(&t); /* a zeroed tree is a no-op */
}

/* Equal scores rank the item first seen earlier; a gap of thousands of half-lives rescales and
 * flushes the old sums to zero, so long-dead items fall back to that order too (their decayed
 * scores are below the smallest double). cat_trend follows the rescale. */
static void test_trend_ties_and_flush(void)
{
    const int64_t h5m = 300000LL, t0 = 1500000000000LL;
    rr_trend_t *trend = rr_trend_new(8, &h5m, 1);
    rr_anchor_hist_t *hist = rr_anchor_hist_new(2, 8);
    rr_cattrend_t *ct = trend && hist ? rr_cattrend_new(8, trend, hist) : NULL;
    CHECK(ct != NULL);
    if (!ct) return;
    const rr_anchor_ev_t stream[] = {
        {0, 0, 0, t0, 1},         {0, 1, 0, t0, 1}, /* a tie: 0 before 1 */
        {0, 2, 0, t0 + 60000, 1},                   /* later: first */
        {1, 3, 1, t0 + 90000, 1}, {1, 3, 1, t0 + 90000, 0},
    };
    uint32_t out[8];
    for (size_t e = 0; e < sizeof(stream) / sizeof(stream[0]); e++) {
        CHECK_INT(rr_trend_observe(trend, &stream[e]), RR_OK);
        CHECK_INT(rr_anchor_hist_observe(hist, &stream[e]), RR_OK);
        CHECK_INT(rr_cattrend_observe(ct, &stream[e]), RR_OK);
    }
    uint32_t live[] = {3, 2, 0, 1}, cat0_first[] = {2, 0, 1, 3};
    CHECK(list_is(out, rr_trend_top(trend, 0, out, 8, NULL, NULL), live, 4));
    CHECK(list_is(out, rr_cattrend_top(ct, 0, 0, out, 8, NULL, NULL), cat0_first, 4));
    CHECK_INT(rr_trend_rescales(trend, 0), 0);
    /* 200 days later (57600 half-lives): item 4 is all that is alive */
    rr_anchor_ev_t late = {1, 4, 1, t0 + 200 * 86400000LL, 1};
    CHECK_INT(rr_trend_observe(trend, &late), RR_OK);
    CHECK_INT(rr_anchor_hist_observe(hist, &late), RR_OK);
    CHECK_INT(rr_cattrend_observe(ct, &late), RR_OK);
    CHECK_INT(rr_trend_rescales(trend, 0), 1);
    uint32_t dead[] = {4, 0, 1, 2, 3}, cat1[] = {4, 3, 0, 1, 2}, skip = 0, no0[] = {4, 1};
    CHECK(list_is(out, rr_trend_top(trend, 0, out, 8, NULL, NULL), dead, 5));
    CHECK(list_is(out, rr_trend_top(trend, 0, out, 2, skip_id, &skip), no0, 2));
    CHECK(list_is(out, rr_cattrend_top(ct, 0, 1, out, 8, NULL, NULL), cat1, 5));
    rr_cattrend_free(ct);
    rr_anchor_hist_free(hist);
    rr_trend_free(trend);
}

/* V-SKNN: of two neighbours as similar as each other, the more recently active one is kept
 * (k_nb = 1); iknn_cos: equal scores rank the lower id first. */
static void test_sknn_iknn_ties(void)
{
    rr_pop_t pop;
    rr_knn_t knn;
    CHECK_INT(rr_pop_init(&pop, 8), RR_OK);
    CHECK_INT(rr_knn_init(&knn, 4, 8, 20), RR_OK);
    rr_anchor_hist_t *hist = rr_anchor_hist_new(4, 8);
    rr_sknn_t *sknn = rr_sknn_new(4, 8, 10, 1, hist, &pop);
    rr_iknn_t *iknn = rr_iknn_new(8, &knn, hist, &pop);
    CHECK(hist && sknn && iknn);
    if (!hist || !sknn || !iknn) return;
    /* user 0 touched 0; users 1 and 2 touched 0 and one more item each; 2 is more recent */
    const rr_anchor_ev_t stream[] = {{0, 0, NOCAT, 1, 1},
                                     {1, 0, NOCAT, 2, 1},
                                     {1, 1, NOCAT, 3, 1},
                                     {2, 0, NOCAT, 4, 1},
                                     {2, 2, NOCAT, 5, 1}};
    for (size_t e = 0; e < sizeof(stream) / sizeof(stream[0]); e++) {
        rr_pop_add(&pop, stream[e].item);
        CHECK_INT(rr_knn_add(&knn, stream[e].user, stream[e].item), RR_OK);
        CHECK_INT(rr_anchor_hist_observe(hist, &stream[e]), RR_OK);
    }
    uint32_t out[8], by_recent[] = {2, 1}, by_id[] = {1, 2};
    /* skip item 0 (the user's own): user 2's item first, then popularity fills item 1 */
    uint32_t own = 0;
    CHECK(list_is(out, rr_sknn_top(sknn, 0, out, 8, skip_id, &own), by_recent, 2));
    /* item 0 co-occurs once with 1 and with 2, both with 1 user: a tie, the lower id first */
    CHECK(list_is(out, rr_iknn_top(iknn, 0, out, 8, skip_id, &own), by_id, 2));
    rr_iknn_free(iknn);
    rr_sknn_free(sknn);
    rr_anchor_hist_free(hist);
    rr_knn_free(&knn);
    rr_pop_free(&pop);
}

/* ISGD: the same seed gives the same factors, hence the same lists; another seed does not. */
static void test_isgd_seeded(void)
{
    gen_stream(3);
    rr_isgd_t *a = rr_isgd_new(NU, NI, 42), *b = rr_isgd_new(NU, NI, 42),
              *c = rr_isgd_new(NU, NI, 43);
    CHECK(a && b && c);
    if (!a || !b || !c) return;
    for (size_t t = 0; t < NEV; t++) {
        CHECK_INT(rr_isgd_observe(a, &evs[t]), RR_OK);
        CHECK_INT(rr_isgd_observe(b, &evs[t]), RR_OK);
        CHECK_INT(rr_isgd_observe(c, &evs[t]), RR_OK);
    }
    size_t differ = 0;
    for (uint32_t u = 0; u < NU; u++) {
        uint32_t la[K], lb[K], lc[K];
        size_t na = rr_isgd_top(a, u, la, K, NULL, NULL), nb = rr_isgd_top(b, u, lb, K, NULL, NULL);
        size_t nc = rr_isgd_top(c, u, lc, K, NULL, NULL);
        CHECK(na == K && list_is(la, na, lb, nb));
        differ += nc != na || memcmp(la, lc, sizeof(la)) != 0;
    }
    CHECK(differ > 0);
    rr_isgd_free(a);
    rr_isgd_free(b);
    rr_isgd_free(c);
    rr_isgd_free(NULL);
}

RR_TEST_MAIN(RR_TEST(test_stream_shape), RR_TEST(test_against_reference), RR_TEST(test_rank_tree),
             RR_TEST(test_trend_ties_and_flush), RR_TEST(test_sknn_iknn_ties),
             RR_TEST(test_isgd_seeded))
