/* rr_learner_fold.c — scoring many items for one user without redoing the user's part of the
 * first layer. Of an input row's columns (fill_row in rr_learner.c) the user's (u, demographic
 * rows, tu, ts, user features) are the same in every row of that user, and the products u⊙v,
 * tu⊙t, ts⊙t are linear in the item's v and t once u, tu and ts are fixed. So, once per user:
 *   base       = b_0 + Σ over the user's columns p of x_p · W_0[p]
 *   W_eff[v_k] = W_0[v_k] + u_k · W_0[(u⊙v)_k]
 *   W_eff[t_k] = W_0[t_k] + tu_k · W_0[(tu⊙t)_k] + ts_k · W_0[(ts⊙t)_k]
 *   W_eff[c]   = W_0[c] for the item's other columns (category, brand, pair features),
 * and per item only its own row [v ; cat ; brand ; t ; pair] times W_eff: 61 of the 179
 * columns at the default widths. The same sums as the full row's, grouped otherwise, so
 * rounding differs in the last bits; every score goes through here, so a pair's score does
 * not depend on the path. */
#include <string.h>
#include "rr_learner_internal.h"

int rr_learner_fold_cols(const rr_learner_t *lr)
{
    const rr_learner_config_t *c = &lr->cfg;
    return c->dim + c->cat_dim + c->brand_dim + c->text_dim + RR_PORTRAIT_NPAIR;
}

size_t rr_learner_fold_floats(const rr_learner_t *lr)
{
    return ((size_t)rr_learner_fold_cols(lr) + 1) * (size_t)lr->mlp.dim[1];
}

double rr_learner_score_flops_per_row(const rr_learner_t *lr)
{
    double skipped = 2.0 * (lr->in_dim - rr_learner_fold_cols(lr)) * lr->mlp.dim[1];
    return rr_mlp_flops_per_row(&lr->mlp) - skipped;
}

/* out += a · row (H floats). */
static void axpy(float *out, float a, const float *row, int H)
{
    for (int j = 0; j < H; j++) out[j] += a * row[j];
}

/* base += Σ_k x[k] · W rows [col, col + n). */
static void add_user_cols(float *base, const float *x, int n, const float *w, int col, int H)
{
    for (int k = 0; k < n; k++) axpy(base, x[k], w + (size_t)(col + k) * H, H);
}

/* W_eff rows [0, n) from the plain rows at col, plus each scale's rows at its column. */
static void fold_rows(float *we, int n, const float *w, int col, const float *const *scale,
                      const int *scale_col, int nscale, int H)
{
    for (int k = 0; k < n; k++) {
        float *out = we + (size_t)k * H;
        memcpy(out, w + (size_t)(col + k) * H, (size_t)H * sizeof(float));
        for (int s = 0; s < nscale; s++)
            axpy(out, scale[s][k], w + (size_t)(scale_col[s] + k) * H, H);
    }
}

void rr_learner_fold_user(const rr_learner_t *lr, const rr_learner_user_t *uc, float *fold)
{
    const rr_learner_config_t *c = &lr->cfg;
    int d = c->dim, dd = c->demo_dim, td = c->text_dim, H = lr->mlp.dim[1];
    int K = rr_learner_fold_cols(lr), dc = rr_learner_demo_col(lr), tc = rr_learner_text_col(lr);
    int fc = tc + 5 * td; /* the user features, then the pair features */
    const float *w = lr->mlp.params + lr->mlp.w_off[0];
    float *we = fold, *base = fold + (size_t)K * H;
    memcpy(base, lr->mlp.params + lr->mlp.b_off[0], (size_t)H * sizeof(float));
    add_user_cols(base, uc->u, d, w, 0, H);
    for (int k = 0; dd && k < RR_LEARNER_DEMO_KINDS; k++)
        add_user_cols(base, rr_embed_row(&lr->demo, uc->demo[k]), dd, w, dc + k * dd, H);
    add_user_cols(base, uc->tu, td, w, tc + td, H);
    add_user_cols(base, uc->ts, td, w, tc + 3 * td, H);
    add_user_cols(base, uc->ufeat, RR_PORTRAIT_NUSER, w, fc, H);
    const float *uv[1] = {uc->u}, *tt[2] = {uc->tu, uc->ts};
    int uv_col[1] = {2 * d}, tt_col[2] = {tc + 2 * td, tc + 4 * td};
    fold_rows(we, d, w, d, uv, uv_col, 1, H);
    fold_rows(we + (size_t)d * H, c->cat_dim + c->brand_dim, w, 3 * d, NULL, NULL, 0, H);
    we += (size_t)(d + c->cat_dim + c->brand_dim) * H;
    fold_rows(we, td, w, tc, tt, tt_col, 2, H);
    fold_rows(we + (size_t)td * H, RR_PORTRAIT_NPAIR, w, fc + RR_PORTRAIT_NUSER, NULL, NULL, 0, H);
}

void rr_learner_fold_item(const rr_learner_t *lr, const rr_store_t *st,
                          const rr_portrait_table_t *pt, uint32_t uid, uint32_t iid, const float *v,
                          uint32_t crow, uint32_t brow, float *xi)
{
    int d = lr->cfg.dim, cd = lr->cfg.cat_dim, bd = lr->cfg.brand_dim, td = lr->cfg.text_dim;
    memcpy(xi, v, (size_t)d * sizeof(float));
    memcpy(xi + d, rr_embed_row(&lr->cats, crow), (size_t)cd * sizeof(float));
    memcpy(xi + d + cd, rr_embed_row(&lr->brands, brow), (size_t)bd * sizeof(float));
    float *t = xi + d + cd + bd;
    if (td) rr_learner_text_vec(lr, iid, t);
    rr_portrait_pair_features(pt, st, uid, iid, t + td);
}
