/* rr_segpop.c — per-segment item popularity; see rr_segpop.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_segpop.h"

rr_err_t rr_segpop_init(rr_segpop_t *sp)
{
    memset(sp, 0, sizeof(*sp));
    sp->count = calloc((size_t)(RR_SEGPOP_KINDS + 1) * RR_SEGPOP_SLOTS, sizeof(uint32_t));
    return sp->count ? RR_OK : RR_E(NOMEM);
}

void rr_segpop_free(rr_segpop_t *sp)
{
    free(sp->count);
    memset(sp, 0, sizeof(*sp));
}

void rr_segpop_segments(const rr_portrait_t *p, uint32_t seg[RR_SEGPOP_KINDS])
{
    seg[0] = (uint32_t)rr_portrait_age_band_index(p->age);
    seg[1] = p->gender;
    seg[2] = p->occupation ? 1u + (p->occupation - 1u) % (RR_SEGPOP_SEGS - 1) : 0;
}

static uint32_t *slot(const rr_segpop_t *sp, int kind, uint32_t seg, uint32_t item)
{
    uint64_t h = ((uint64_t)seg << 32 | item) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 31;
    return &sp->count[(size_t)kind * RR_SEGPOP_SLOTS + (h >> 16) % RR_SEGPOP_SLOTS];
}

static void bump(uint32_t *c)
{
    if (*c < UINT32_MAX) (*c)++;
}

void rr_segpop_add(rr_segpop_t *sp, const uint32_t seg[RR_SEGPOP_KINDS], uint32_t item)
{
    sp->total++;
    bump(slot(sp, RR_SEGPOP_KINDS, 0, item));
    for (int k = 0; k < RR_SEGPOP_KINDS; k++) {
        if (!seg[k] || seg[k] >= RR_SEGPOP_SEGS) continue;
        bump(&sp->seg_total[k][seg[k]]);
        bump(slot(sp, k, seg[k], item));
    }
}

float rr_segpop_lift(const rr_segpop_t *sp, const uint32_t seg[RR_SEGPOP_KINDS], uint32_t item)
{
    /* Observed over expected counts, each with two pseudo-counts: a segment that could not yet
     * have seen the item (expected << 1) says nothing (lift ~ 0) instead of swinging on one
     * count. */
    double all = *slot(sp, RR_SEGPOP_KINDS, 0, item), n = (double)sp->total;
    double p_item = (all + 1.0) / (n + 1.0);
    double sum = 0;
    int known = 0;
    for (int k = 0; k < RR_SEGPOP_KINDS; k++) {
        if (!seg[k] || seg[k] >= RR_SEGPOP_SEGS || !sp->seg_total[k][seg[k]]) continue;
        double c = *slot(sp, k, seg[k], item), ns = sp->seg_total[k][seg[k]];
        double lift = log((c + 2.0) / (ns * p_item + 2.0));
        sum += lift < -3 ? -3 : lift > 3 ? 3 : lift;
        known++;
    }
    return known ? (float)(sum / known) : 0.0f;
}
