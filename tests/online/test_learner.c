/* test_learner.c — the online learner on a synthetic stream where each user likes two categories:
 * prequential AUC well above chance and falling loss, bit-identical parameters for the same seed
 * and event order, negatives that are never the positive, and retrieval against brute force. */
#include <stdint.h>
#include <stdio.h>
#include "rr_learner.h"
#include "rr_learner_internal.h"
#include "rr_test.h"

enum { NU = 100, NI = 300, NC = 10 };
#define T0 1700000000000LL

typedef struct sim_s {
    rr_store_t st;
    rr_portrait_table_t pt;
    rr_learner_t lr;
    uint64_t s; /* LCG state of the stream */
} sim_t;

static uint32_t lcg(sim_t *sim, uint32_t n)
{
    sim->s = sim->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((sim->s >> 33) % n);
}

static int likes(uint32_t u, uint32_t cat)
{
    return cat == u % NC || cat == (u * 3 + 1) % NC;
}

static void sim_init(sim_t *sim, const rr_learner_config_t *cfg)
{
    char err[128];
    memset(sim, 0, sizeof(*sim));
    sim->s = 42;
    CHECK_INT(rr_store_init(&sim->st, NU, NI, 8, 10), RR_OK);
    CHECK_INT(rr_portrait_init(&sim->pt, NU, 7 * 86400.0), RR_OK);
    CHECK_INT(rr_learner_init(&sim->lr, cfg, NU, NI, err, sizeof(err)), RR_OK);
    for (uint32_t u = 0; u < NU; u++) {
        char id[16];
        uint32_t uid;
        int is_new;
        snprintf(id, sizeof(id), "u%u", u);
        CHECK_INT(rr_store_user(&sim->st, id, &uid, &is_new), RR_OK);
    }
    for (uint32_t i = 0; i < NI; i++) {
        rr_event_t ev;
        uint32_t iid;
        memset(&ev, 0, sizeof(ev));
        snprintf(ev.item_id, sizeof(ev.item_id), "i%u", i);
        snprintf(ev.category, sizeof(ev.category), "c%u", i % NC);
        snprintf(ev.brand, sizeof(ev.brand), "b%u", i % 7);
        ev.price = (float)(5 + (i * 37) % 500);
        ev.flags = RR_EVF_PRICE;
        CHECK_INT(rr_store_item(&sim->st, &ev, &iid), RR_OK);
    }
}

static void sim_free(sim_t *sim)
{
    rr_learner_free(&sim->lr);
    rr_portrait_free(&sim->pt);
    rr_store_free(&sim->st);
}

/* An item of a liked category (90%) or any item. */
static uint32_t sim_pick(sim_t *sim, uint32_t u)
{
    if (lcg(sim, 10) == 0) return lcg(sim, NI);
    uint32_t cat = lcg(sim, 2) ? u % NC : (u * 3 + 1) % NC;
    return cat + NC * lcg(sim, NI / NC);
}

static uint32_t sim_disliked(sim_t *sim, uint32_t u)
{
    for (;;) {
        uint32_t i = lcg(sim, NI);
        if (!likes(u, i % NC)) return i;
    }
}

/* One event in the engine's order: train (test first), then portrait, then store. Records the
 * positive's probability and that of a disliked item scored just before. */
static float sim_event(sim_t *sim, int e, int use_pt, float *pos_prob, float *neg_prob)
{
    uint32_t u = lcg(sim, NU), i = sim_pick(sim, u);
    rr_event_type_t type = lcg(sim, 20) == 0 ? RR_EV_PURCHASE : RR_EV_VIEW;
    int64_t ts = T0 + (int64_t)e * 10000;
    const rr_portrait_table_t *pt = use_pt ? &sim->pt : NULL;
    uint32_t neg = sim_disliked(sim, u);
    if (neg_prob) rr_learner_score(&sim->lr, &sim->st, pt, u, ts, &neg, 1, neg_prob);
    float loss = rr_learner_train(&sim->lr, &sim->st, pt, u, i, type, ts, NULL, 0, pos_prob);
    const rr_learner_t *lr = &sim->lr;
    CHECK(lr->nbatch == 1 + lr->cfg.negatives);
    for (int k = 1; k < lr->nbatch; k++) {
        if (lr->batch[k] == i) CHECK(lr->batch[k] != i);
        if (rr_store_is_recent(&sim->st, u, lr->batch[k])) CHECK(!"negative is a recent item");
        for (int j = 0; j < k; j++)
            if (lr->batch[j] == lr->batch[k]) CHECK(!"duplicate in batch");
    }
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.ts_ms = ts;
    rr_portrait_update(&sim->pt, &sim->st, u, i, type == RR_EV_PURCHASE ? 5.0f : 1.0f, ts);
    rr_store_touch(&sim->st, u, i, &ev);
    return loss;
}

/* Mann-Whitney AUC of pos vs neg scores (ties count half), O(n·m) is fine at this size. */
static double auc(const float *pos, const float *neg, int n)
{
    double wins = 0;
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b += 7) wins += pos[a] > neg[b] ? 1.0 : pos[a] == neg[b] ? 0.5 : 0;
    return wins / ((double)n * (double)((n + 6) / 7));
}

/* The stream is seeded, so the thresholds are not flaky; the portrait run starts lower (its
 * category-affinity feature is learned within a few hundred events), hence its looser ratio. */
static void run_quality(int use_pt, const char *name, double max_loss_ratio)
{
    enum { NEV = 30000, FIRST = 300, LAST = 3000 };
    static float pos[NEV], neg[NEV];
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.sampler_size = 4096;
    cfg.sampler_every = 500;
    sim_t sim;
    sim_init(&sim, &cfg);
    double loss_first = 0, loss_last = 0;
    for (int e = 0; e < NEV; e++) {
        float loss = sim_event(&sim, e, use_pt, &pos[e], &neg[e]);
        if (e < FIRST) loss_first += loss;
        if (e >= NEV - LAST) loss_last += loss;
    }
    double a1 = auc(pos, neg, NEV / 2), a2 = auc(pos + NEV / 2, neg + NEV / 2, NEV / 2);
    printf("%s: loss first %.4f last %.4f; prequential AUC first half %.4f second half %.4f\n",
           name, loss_first / FIRST, loss_last / LAST, a1, a2);
    CHECK(loss_last / LAST < max_loss_ratio * loss_first / FIRST);
    CHECK(a2 > 0.7);
    sim_free(&sim);
}

static void test_learns_with_portrait(void)
{
    run_quality(1, "with portrait", 0.9);
}

static void test_learns_embeddings_only(void)
{
    run_quality(0, "embeddings only", 0.8);
}

static void run_stream(sim_t *sim, uint64_t seed, int nev)
{
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.seed = seed;
    cfg.sampler_size = 4096;
    cfg.sampler_every = 100;
    cfg.optim = RR_OPTIM_ADAM;
    cfg.lr_mlp = cfg.lr_embed = 0.01f;
    sim_init(sim, &cfg);
    for (int e = 0; e < nev; e++) sim_event(sim, e, 1, NULL, NULL);
}

static void test_determinism(void)
{
    static sim_t a, b, c;
    run_stream(&a, 7, 2000);
    run_stream(&b, 7, 2000);
    run_stream(&c, 8, 2000);
    CHECK_INT(a.lr.nparams, b.lr.nparams);
    CHECK(memcmp(a.lr.params, b.lr.params, a.lr.nparams * sizeof(float)) == 0);
    CHECK(memcmp(a.lr.state, b.lr.state, a.lr.nstate * sizeof(float)) == 0);
    CHECK(memcmp(&a.lr.rng, &b.lr.rng, sizeof(a.lr.rng)) == 0);
    CHECK(memcmp(a.lr.params, c.lr.params, a.lr.nparams * sizeof(float)) != 0);
    sim_free(&a);
    sim_free(&b);
    sim_free(&c);
}

static void test_impressions_first(void)
{
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.sampler_size = 1024;
    sim_t sim;
    sim_init(&sim, &cfg);
    uint32_t impr[] = {5, 17, 5, 40, NI + 3};
    float p = -1;
    float loss = rr_learner_train(&sim.lr, &sim.st, &sim.pt, 3, 17, RR_EV_CLICK, T0, impr, 5, &p);
    CHECK(loss > 0);
    CHECK(p > 0 && p < 1);
    CHECK_INT(sim.lr.nbatch, 5);
    CHECK_INT(sim.lr.batch[0], 17);
    CHECK_INT(sim.lr.batch[1], 5); /* the positive, a duplicate and an unknown id are dropped */
    CHECK_INT(sim.lr.batch[2], 40);
    for (int k = 3; k < 5; k++) CHECK(sim.lr.batch[k] != 17 && sim.lr.batch[k] < NI);
    CHECK_NEAR(
        rr_learner_train(&sim.lr, &sim.st, &sim.pt, 3, 17, RR_EV_IMPRESSION, T0, NULL, 0, &p), -1.0,
        0);
    CHECK_NEAR(rr_learner_train(&sim.lr, &sim.st, &sim.pt, NU, 17, RR_EV_VIEW, T0, NULL, 0, &p),
               -1.0, 0);
    sim_free(&sim);
}

/* The batch's loss with the current parameters (rows, and the user vector, rebuilt from the
 * tables; pt may be NULL). */
static float batch_loss_pt(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                           uint32_t uid, float wpos)
{
    rr_learner_user_t uc;
    rr_learner_user_ctx(lr, st, pt, uid, T0, &uc);
    for (int b = 0; b < lr->nbatch; b++) {
        rr_learner_build_row(lr, st, pt, uid, &uc, lr->batch[b], lr->x + b * lr->in_dim);
        lr->labels[b] = b == 0 ? 1.0f : 0.0f;
        lr->weights[b] = b == 0 ? wpos : 1.0f;
    }
    rr_mlp_forward(&lr->mlp, lr->x, lr->nbatch, lr->ws, NULL);
    return rr_mlp_backward(&lr->mlp, lr->x, lr->nbatch, lr->ws, lr->labels, lr->weights, lr->grads,
                           NULL);
}

static float batch_loss(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, float wpos)
{
    return batch_loss_pt(lr, st, NULL, uid, wpos);
}

/* With plain SGD and no clipping a row moves by exactly -lr·grad, so the rows of the user's two
 * recent items (averaged into u) and of the positive item must move as central finite
 * differences of the batch loss say (which checks the u⊙v split of dx and the spread of du over
 * the recent items). */
static void test_embedding_gradients(void)
{
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.optim = RR_OPTIM_SGD;
    cfg.clip = 0;
    cfg.lr_embed = 1e-3f;
    cfg.embed_scale = 0.5f;
    cfg.sampler_size = 1024;
    sim_t sim;
    sim_init(&sim, &cfg);
    rr_learner_t *lr = &sim.lr;
    uint32_t uid = 2, pos = 12, seen[2] = {3, 5};
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = RR_EV_VIEW;
    ev.ts_ms = T0 - 1000;
    for (int k = 0; k < 2; k++) rr_store_touch(&sim.st, uid, seen[k], &ev);
    enum { NR = 3 };
    float *rows[NR] = {rr_learner_item_row(lr, seen[0]), rr_learner_item_row(lr, seen[1]),
                       rr_learner_item_row(lr, pos)};
    int d = cfg.dim;
    float r0[NR][64], r1[NR][64];
    for (uint32_t i = 0; i < NI; i++) rr_learner_item_row(lr, i); /* rows the negatives use */
    float *before = malloc(lr->nparams * sizeof(float));
    memcpy(before, lr->params, lr->nparams * sizeof(float));
    for (int r = 0; r < NR; r++) memcpy(r0[r], rows[r], d * sizeof(float));
    rr_learner_train(lr, &sim.st, NULL, uid, pos, RR_EV_CLICK, T0, NULL, 0, NULL);
    for (int r = 0; r < NR; r++) memcpy(r1[r], rows[r], d * sizeof(float));
    for (int b = 1; b < lr->nbatch; b++) CHECK(lr->batch[b] != seen[0] && lr->batch[b] != seen[1]);
    /* Finite differences at the parameters the step saw. */
    memcpy(lr->params, before, lr->nparams * sizeof(float));
    double moved = 0;
    const float h = 1e-3f;
    for (int k = 0; k < d; k++) {
        for (int r = 0; r < NR; r++) {
            float step = (r0[r][k] - r1[r][k]) / cfg.lr_embed, keep = rows[r][k];
            rows[r][k] = keep + h;
            float lp = batch_loss(lr, &sim.st, uid, cfg.weight[RR_EV_CLICK]);
            rows[r][k] = keep - h;
            float lm = batch_loss(lr, &sim.st, uid, cfg.weight[RR_EV_CLICK]);
            rows[r][k] = keep;
            double fd = ((double)lp - lm) / (2 * h);
            CHECK_NEAR(step, fd, 1e-3 + 0.02 * fabs(fd));
            moved += fabs(step);
        }
    }
    CHECK(moved > 1e-2); /* the check is not vacuous */
    free(before);
    sim_free(&sim);
}

static void set_title(rr_text_table_t *tt, uint32_t iid, const char *title)
{
    rr_item_msg_t m;
    memset(&m, 0, sizeof(m));
    snprintf(m.item_id, sizeof(m.item_id), "i%u", iid);
    snprintf(m.title, sizeof(m.title), "%s", title);
    rr_text_item_set(tt, iid, &m);
}

static void set_demographics(rr_portrait_table_t *pt, uint32_t uid, int age, const char *occ)
{
    rr_user_msg_t m;
    memset(&m, 0, sizeof(m));
    m.age = age;
    snprintf(m.user_id, sizeof(m.user_id), "u%u", uid);
    snprintf(m.gender, sizeof(m.gender), "F");
    snprintf(m.occupation, sizeof(m.occupation), "%s", occ);
    snprintf(m.region, sizeof(m.region), "north");
    rr_portrait_set_user(pt, uid, &m);
}

/* Distinct ids of rows[0..n) in place; returns their count. */
static int distinct(uint32_t *rows, int n)
{
    int m = 0;
    for (int k = 0; k < n; k++) {
        int dup = 0;
        for (int j = 0; j < m; j++) dup |= rows[j] == rows[k];
        if (!dup) rows[m++] = rows[k];
    }
    return m;
}

/* The new rows of the MLP input against central finite differences, as for the item rows: the
 * user's four demographic rows (the same in all of an event's rows) and the positive's token
 * rows (its text vector is their mean, also multiplied into tu⊙t and ts⊙t). The recent items
 * carry text of their own and the user has searched (so tu and ts are not 0 and tu⊙t, ts⊙t are
 * exercised), in rows the positive does not use. */
static void test_side_gradients(void)
{
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.optim = RR_OPTIM_SGD;
    cfg.clip = 0;
    cfg.lr_embed = 1e-3f;
    cfg.embed_scale = 0.5f;
    cfg.sampler_size = 1024;
    sim_t sim;
    sim_init(&sim, &cfg);
    rr_text_table_t tt;
    CHECK_INT(rr_text_init(&tt, NU, NI), RR_OK);
    rr_learner_t *lr = &sim.lr;
    rr_learner_set_text(lr, &tt);
    uint32_t uid = 2, pos = 12, seen[2] = {3, 5};
    set_title(&tt, seen[0], "alpha beta");
    set_title(&tt, seen[1], "beta kappa");
    set_title(&tt, pos, "gamma delta epsilon");
    set_demographics(&sim.pt, uid, 30, "writer");
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = RR_EV_VIEW;
    ev.ts_ms = T0 - 1000;
    for (int k = 0; k < 2; k++) rr_store_touch(&sim.st, uid, seen[k], &ev);
    rr_text_search(&tt, uid, "omega zeta", T0 - 500);
    /* The rows under test: the demographic ones, then the positive's tokens. */
    rr_learner_user_t uc;
    rr_learner_user_ctx(lr, &sim.st, &sim.pt, uid, T0, &uc);
    uint32_t drows[RR_LEARNER_DEMO_KINDS], trows[RR_TEXT_ITEM_TOKENS],
        urows[2 * RR_TEXT_ITEM_TOKENS + RR_TEXT_TERMS];
    memcpy(drows, uc.demo, sizeof(drows));
    int nd = distinct(drows, RR_LEARNER_DEMO_KINDS);
    int nt = distinct(trows, rr_learner_token_rows(lr, pos, trows));
    CHECK_INT(nt, 3);
    int nu = rr_learner_token_rows(lr, seen[0], urows);
    nu += rr_learner_token_rows(lr, seen[1], urows + nu);
    uint32_t qhash[RR_TEXT_TERMS];
    float qw[RR_TEXT_TERMS], ts_norm = 0;
    size_t nq = rr_text_intent(&tt, uid, T0, qhash, qw, NULL);
    CHECK_INT(nq, 2);
    for (size_t q = 0; q < nq; q++) urows[nu++] = rr_embed_bucket(qhash[q], lr->text.nrows);
    for (int j = 0; j < nt; j++)
        for (int k = 0; k < nu; k++) CHECK(trows[j] != urows[k]);
    for (int k = 0; k < cfg.text_dim; k++) ts_norm += fabsf(uc.ts[k]);
    CHECK(ts_norm > 0);
    enum { NR = RR_LEARNER_DEMO_KINDS + RR_TEXT_ITEM_TOKENS };
    float *rows[NR], r0[NR][64], r1[NR][64];
    int dims[NR], nr = 0;
    for (int k = 0; k < nd; k++, nr++) rows[nr] = rr_embed_row(&lr->demo, drows[k]);
    for (int k = 0; k < nd; k++) dims[k] = cfg.demo_dim;
    for (int k = 0; k < nt; k++, nr++) rows[nr] = rr_embed_row(&lr->text, trows[k]);
    for (int k = nd; k < nr; k++) dims[k] = cfg.text_dim;
    for (uint32_t i = 0; i < NI; i++) rr_learner_item_row(lr, i);
    float *before = malloc(lr->nparams * sizeof(float));
    memcpy(before, lr->params, lr->nparams * sizeof(float));
    for (int r = 0; r < nr; r++) memcpy(r0[r], rows[r], dims[r] * sizeof(float));
    rr_learner_train(lr, &sim.st, &sim.pt, uid, pos, RR_EV_CLICK, T0, NULL, 0, NULL);
    for (int r = 0; r < nr; r++) memcpy(r1[r], rows[r], dims[r] * sizeof(float));
    memcpy(lr->params, before, lr->nparams * sizeof(float));
    double moved[2] = {0, 0};
    const float h = 1e-3f;
    for (int r = 0; r < nr; r++) {
        for (int k = 0; k < dims[r]; k++) {
            float step = (r0[r][k] - r1[r][k]) / cfg.lr_embed, keep = rows[r][k];
            rows[r][k] = keep + h;
            float lp = batch_loss_pt(lr, &sim.st, &sim.pt, uid, cfg.weight[RR_EV_CLICK]);
            rows[r][k] = keep - h;
            float lm = batch_loss_pt(lr, &sim.st, &sim.pt, uid, cfg.weight[RR_EV_CLICK]);
            rows[r][k] = keep;
            double fd = ((double)lp - lm) / (2 * h);
            CHECK_NEAR(step, fd, 1e-3 + 0.02 * fabs(fd));
            moved[r >= nd] += fabs(step);
        }
    }
    CHECK(moved[0] > 1e-3 && moved[1] > 1e-3); /* neither check is vacuous */
    free(before);
    rr_text_free(&tt);
    sim_free(&sim);
}

/* The text vector against a naive mean of the token rows, and the text cosine against one
 * computed in double from those means. */
static void test_text_vector_reference(void)
{
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.sampler_size = 1024;
    sim_t sim;
    sim_init(&sim, &cfg);
    rr_text_table_t tt;
    CHECK_INT(rr_text_init(&tt, NU, NI), RR_OK);
    rr_learner_t *lr = &sim.lr;
    rr_learner_set_text(lr, &tt);
    set_title(&tt, 3, "red running shoes");
    set_title(&tt, 4, "blue running shirt");
    set_title(&tt, 7, "跑步鞋");
    int td = cfg.text_dim;
    double ref[3][64] = {{0}};
    uint32_t items[4] = {3, 4, 7, 9};
    for (int i = 0; i < 3; i++) {
        const uint32_t *tok = rr_text_item_tokens(&tt, items[i]);
        int n = 0;
        for (; n < RR_TEXT_ITEM_TOKENS && tok[n]; n++) {
            const float *row = rr_embed_row(&lr->text, rr_embed_bucket(tok[n], cfg.text_rows));
            for (int k = 0; k < td; k++) ref[i][k] += row[k];
        }
        CHECK(n >= 2);
        float t[64];
        CHECK_INT(rr_learner_text_vec(lr, items[i], t), n);
        for (int k = 0; k < td; k++) CHECK_NEAR(t[k], ref[i][k] / n, 1e-6);
        for (int k = 0; k < td; k++) ref[i][k] /= n;
    }
    float t9[64];
    CHECK_INT(rr_learner_text_vec(lr, 9, t9), 0);
    for (int k = 0; k < td; k++) CHECK_NEAR(t9[k], 0, 0);
    /* A user whose recent items are 3 and 4 (their mean text vector) against 7, 3 and 9. */
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = RR_EV_VIEW;
    ev.ts_ms = T0;
    rr_store_touch(&sim.st, 1, 3, &ev);
    rr_store_touch(&sim.st, 1, 4, &ev);
    double tu[64], nu = 0;
    for (int k = 0; k < td; k++) {
        tu[k] = (ref[0][k] + ref[1][k]) / 2;
        nu += tu[k] * tu[k];
    }
    uint32_t cand[3] = {7, 3, 9};
    int ref_of[3] = {2, 0, -1};
    float cos[3];
    rr_learner_text_cos(lr, &sim.st, 1, cand, 3, cos);
    for (int c = 0; c < 3; c++) {
        double dot = 0, nt = 0;
        for (int k = 0; ref_of[c] >= 0 && k < td; k++) {
            dot += tu[k] * ref[ref_of[c]][k];
            nt += ref[ref_of[c]][k] * ref[ref_of[c]][k];
        }
        CHECK_NEAR(cos[c], nt > 0 ? dot / sqrt(nu * nt) : 0.0, 1e-5);
    }
    CHECK(cos[1] > cos[0]); /* sharing "running" beats sharing nothing (random rows) */
    rr_text_free(&tt);
    sim_free(&sim);
}

/* Demographics, item text and searches reach the score: a User message, an item's title or a
 * search changes the learner's probability for the pair, and with their widths at 0 they do not. */
static void test_side_changes_score(void)
{
    for (int on = 0; on < 2; on++) {
        rr_learner_config_t cfg = rr_learner_config_default();
        cfg.sampler_size = 1024;
        if (!on) cfg.demo_dim = cfg.text_dim = 0;
        sim_t sim;
        sim_init(&sim, &cfg);
        rr_text_table_t tt;
        CHECK_INT(rr_text_init(&tt, NU, NI), RR_OK);
        rr_learner_set_text(&sim.lr, &tt);
        for (int e = 0; e < 500; e++) sim_event(&sim, e, 1, NULL, NULL);
        uint32_t uid = 4, item = 20;
        float p0, p1, p2;
        rr_learner_score(&sim.lr, &sim.st, &sim.pt, uid, T0, &item, 1, &p0);
        set_demographics(&sim.pt, uid, 45, "engineer");
        rr_learner_score(&sim.lr, &sim.st, &sim.pt, uid, T0, &item, 1, &p1);
        set_title(&tt, item, "waterproof hiking boots");
        rr_learner_score(&sim.lr, &sim.st, &sim.pt, uid, T0, &item, 1, &p2);
        float p3;
        rr_text_search(&tt, uid, "hiking boots", T0);
        rr_learner_score(&sim.lr, &sim.st, &sim.pt, uid, T0, &item, 1, &p3);
        CHECK(p0 > 0 && p0 < 1);
        if (on) {
            CHECK(fabsf(p1 - p0) > 1e-6f);
            CHECK(fabsf(p2 - p1) > 1e-6f);
            CHECK(fabsf(p3 - p2) > 1e-6f); /* the search intent reaches the score */
        } else {
            CHECK_NEAR(p1, p0, 0);
            CHECK_NEAR(p2, p1, 0);
            CHECK_NEAR(p3, p2, 0);
        }
        rr_text_free(&tt);
        sim_free(&sim);
    }
}

/* Scoring folds the user's columns of the first layer into a bias and the item columns' weights
 * (rr_learner_fold.c); the probability must be the full input row's through rr_mlp_forward, the
 * naive path, with demographics, titles and a search in play, whatever batch the item is in. */
static void test_folded_score_vs_full_row(void)
{
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.sampler_size = 1024;
    cfg.score_batch = 8; /* 20 items: two full passes and a short one */
    sim_t sim;
    sim_init(&sim, &cfg);
    rr_text_table_t tt;
    CHECK_INT(rr_text_init(&tt, NU, NI), RR_OK);
    rr_learner_set_text(&sim.lr, &tt);
    set_title(&tt, 20, "waterproof hiking boots");
    set_title(&tt, 21, "hiking socks");
    for (int e = 0; e < 600; e++) sim_event(&sim, e, 1, NULL, NULL);
    set_demographics(&sim.pt, 4, 45, "engineer");
    rr_text_search(&tt, 4, "hiking boots", T0);
    uint32_t items[20];
    float folded[20], one, *x = calloc((size_t)sim.lr.in_dim, sizeof(float));
    float *ws = calloc(rr_mlp_workspace_floats(&sim.lr.mlp.cfg, 1), sizeof(float));
    for (uint32_t uid = 3; uid < 6; uid++) {
        for (int i = 0; i < 20; i++) items[i] = (uint32_t)(11 + 3 * i) % NI;
        rr_learner_score(&sim.lr, &sim.st, &sim.pt, uid, T0, items, 20, folded);
        rr_learner_user_t uc;
        rr_learner_user_ctx(&sim.lr, &sim.st, &sim.pt, uid, T0, &uc);
        for (int i = 0; i < 20; i++) {
            rr_learner_build_row(&sim.lr, &sim.st, &sim.pt, uid, &uc, items[i], x);
            float full;
            rr_mlp_forward(&sim.lr.mlp, x, 1, ws, &full);
            CHECK(full > 0 && full < 1);
            CHECK_NEAR(folded[i], full, 1e-5 * full);
            rr_learner_score(&sim.lr, &sim.st, &sim.pt, uid, T0, &items[i], 1, &one);
            CHECK(one == folded[i]); /* alone or in a pass of eight: the same bits */
        }
    }
    free(x);
    free(ws);
    rr_text_free(&tt);
    sim_free(&sim);
}

/* A batch across users where a user's items end with an id out of range: that id scores 0 and
 * every other item what it scores alone, the last user's included. */
static void test_score_batch_skips_unknown_ids(void)
{
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.sampler_size = 1024;
    sim_t sim;
    sim_init(&sim, &cfg);
    for (int e = 0; e < 300; e++) sim_event(&sim, e, 1, NULL, NULL);
    uint32_t uids[2] = {3, 4}, bad = (uint32_t)sim.lr.items_max;
    uint32_t items[6] = {11, 14, bad, 17, 20, bad};
    size_t first[3] = {0, 3, 6};
    float batch[6], one;
    rr_learner_score_batch(&sim.lr, &sim.st, &sim.pt, T0, uids, 2, items, first, batch);
    for (int i = 0; i < 6; i++) {
        if (items[i] == bad) {
            CHECK_NEAR(batch[i], 0, 0);
            continue;
        }
        rr_learner_score(&sim.lr, &sim.st, &sim.pt, uids[i / 3], T0, &items[i], 1, &one);
        CHECK(one > 0);
        CHECK(one == batch[i]);
    }
    sim_free(&sim);
}

static int skip_odd(void *ctx, int user, uint32_t item)
{
    (void)ctx, (void)user;
    return item % 2 == 1;
}

static void test_retrieve_vs_brute_force(void)
{
    enum { K = 10 };
    static sim_t sim;
    run_stream(&sim, 3, 3000);
    rr_learner_t *lr = &sim.lr;
    uint64_t exclude[(NI + 63) / 64] = {0};
    exclude[0] = 1ULL << 4; /* item 4 */
    rr_topn_filter_t filter = {.exclude = exclude, .skip = skip_odd, .ctx = NULL};
    for (uint32_t u = 0; u < 5; u++) {
        uint32_t ids[K];
        float scores[K];
        int n = rr_learner_retrieve(lr, &sim.st, u, K, &filter, ids, scores);
        CHECK_INT(n, K);
        /* Brute force: the best K of the allowed items by a double-precision dot product. */
        float uv[RR_LEARNER_MAX_DIM];
        uint32_t used[RR_LEARNER_USER_ITEMS];
        CHECK(rr_learner_user_vec(lr, &sim.st, u, uv, used) > 0);
        double best[K];
        uint32_t best_id[K];
        int nb = 0;
        for (uint32_t i = 0; i < NI; i++) {
            if (i == 4 || i % 2 == 1) continue;
            const float *v = rr_embed_row(&lr->items, i);
            double s = 0;
            for (int k = 0; k < lr->cfg.dim; k++) s += (double)uv[k] * v[k];
            int j = nb < K ? nb++ : K;
            for (; j > 0 && best[j - 1] < s; j--)
                if (j < K) best[j] = best[j - 1], best_id[j] = best_id[j - 1];
            if (j < K) best[j] = s, best_id[j] = i;
        }
        for (int k = 0; k < n && k < nb; k++) {
            CHECK_NEAR(scores[k], best[k], 1e-5);
            if (fabs(best[k] - scores[k]) < 1e-6 && ids[k] != best_id[k])
                CHECK(fabs(best[k] - best[k + (k + 1 < K)]) < 1e-6); /* only a near tie */
        }
    }
    sim_free(&sim);
}

/* Nothing is held per user: the parameters and optimiser state do not grow with users_max. */
static void test_no_state_per_user(void)
{
    rr_learner_config_t cfg = rr_learner_config_default();
    cfg.sampler_size = 1024;
    rr_learner_t a, b;
    char err[128];
    CHECK_INT(rr_learner_init(&a, &cfg, 10, NI, err, sizeof(err)), RR_OK);
    CHECK_INT(rr_learner_init(&b, &cfg, 1000000, NI, err, sizeof(err)), RR_OK);
    CHECK_INT(a.nparams, b.nparams);
    CHECK_INT(a.nstate, b.nstate);
    rr_learner_free(&a);
    rr_learner_free(&b);
}

RR_TEST_MAIN(RR_TEST(test_learns_with_portrait), RR_TEST(test_learns_embeddings_only),
             RR_TEST(test_determinism), RR_TEST(test_impressions_first),
             RR_TEST(test_embedding_gradients), RR_TEST(test_retrieve_vs_brute_force),
             RR_TEST(test_no_state_per_user), RR_TEST(test_side_gradients),
             RR_TEST(test_text_vector_reference), RR_TEST(test_side_changes_score),
             RR_TEST(test_folded_score_vs_full_row), RR_TEST(test_score_batch_skips_unknown_ids))
