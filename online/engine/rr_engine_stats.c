/* rr_engine_stats.c — freshness window; see rr_engine_stats.h. */
#include <stdlib.h>
#include <string.h>
#include "rr_engine_stats.h"

void rr_fresh_add(rr_fresh_t *fr, uint64_t us)
{
    fr->us[fr->next] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    fr->next = (fr->next + 1) % RR_FRESH_SAMPLES;
    if (fr->n < RR_FRESH_SAMPLES) fr->n++;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

double rr_fresh_quantile_ms(const rr_fresh_t *fr, double q)
{
    if (fr->n == 0) return 0.0;
    uint32_t sorted[RR_FRESH_SAMPLES];
    memcpy(sorted, fr->us, fr->n * sizeof(sorted[0]));
    qsort(sorted, fr->n, sizeof(sorted[0]), cmp_u32);
    size_t idx = (size_t)(q * (double)(fr->n - 1) + 0.5);
    return sorted[idx] / 1000.0;
}
