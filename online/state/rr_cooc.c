/* rr_cooc.c — bounded co-occurrence counts; see rr_cooc.h. */
#include <stdlib.h>
#include <string.h>
#include "rr_cooc.h"

#define ROW_CAP_MIN   8u
#define SPARE_CAP_MAX (1u << 24) /* above, the decrement allocates (max_neighbors > 2^23) */

/* A row grows while it holds fewer than max_neighbors and is over half full, so its capacity
 * ends at the first power of two >= 2·max_neighbors (and >= ROW_CAP_MIN). */
static uint32_t row_cap_max(uint32_t max_neighbors)
{
    uint32_t cap = ROW_CAP_MIN;
    while (cap < SPARE_CAP_MAX && cap < 2 * (uint64_t)max_neighbors) cap *= 2;
    return cap;
}

rr_err_t rr_cooc_init(rr_cooc_t *co, size_t max_items, uint32_t max_neighbors)
{
    memset(co, 0, sizeof(*co));
    co->rows = calloc(max_items, sizeof(*co->rows));
    if (!co->rows) return RR_E(NOMEM);
    co->max_items = max_items;
    co->max_neighbors = max_neighbors;
    if (2 * (uint64_t)max_neighbors <= SPARE_CAP_MAX) {
        co->spare_cap = row_cap_max(max_neighbors);
        co->spare = calloc(co->spare_cap, sizeof(*co->spare));
        if (!co->spare) {
            rr_cooc_free(co);
            return RR_E(NOMEM);
        }
    }
    return RR_OK;
}

void rr_cooc_free(rr_cooc_t *co)
{
    if (!co->rows) return;
    for (size_t i = 0; i < co->max_items; i++) free(co->rows[i].slots);
    free(co->rows);
    free(co->spare);
    memset(co, 0, sizeof(*co));
}

static uint32_t slot_of(uint32_t item, uint32_t mask)
{
    return (item * 2654435761u) & mask;
}

static rr_cooc_nb_t *row_find(const rr_cooc_row_t *row, uint32_t item)
{
    if (!row->cap) return NULL;
    uint32_t mask = row->cap - 1;
    for (uint32_t pos = slot_of(item, mask);; pos = (pos + 1) & mask) {
        if (row->slots[pos].item == item + 1) return &row->slots[pos];
        if (row->slots[pos].item == 0) return NULL;
    }
}

static void row_put(rr_cooc_row_t *row, uint32_t item, uint32_t count)
{
    uint32_t mask = row->cap - 1;
    uint32_t pos = slot_of(item, mask);
    while (row->slots[pos].item != 0) pos = (pos + 1) & mask;
    row->slots[pos].item = item + 1;
    row->slots[pos].count = count;
    row->used++;
}

/* Rebuilds the table at new_cap, keeping entries with count > drop_below. */
static rr_err_t row_rebuild(rr_cooc_row_t *row, uint32_t new_cap, uint32_t drop_below)
{
    rr_cooc_row_t fresh = {calloc(new_cap, sizeof(rr_cooc_nb_t)), new_cap, 0};
    if (!fresh.slots) return RR_E(NOMEM);
    for (uint32_t i = 0; i < row->cap; i++) {
        const rr_cooc_nb_t *nb = &row->slots[i];
        if (nb->item && nb->count > drop_below)
            row_put(&fresh, nb->item - 1, nb->count - drop_below);
    }
    free(row->slots);
    *row = fresh;
    return RR_OK;
}

/* Misra–Gries: every count down by one, zeros dropped. The same table as
 * row_rebuild(row, row->cap, 1), built in place from a copy in the spare row. */
static rr_err_t row_decrement(rr_cooc_t *co, rr_cooc_row_t *row)
{
    if (!row->cap || row->cap > co->spare_cap) return row_rebuild(row, row->cap, 1);
    memcpy(co->spare, row->slots, row->cap * sizeof(*row->slots));
    memset(row->slots, 0, row->cap * sizeof(*row->slots));
    row->used = 0;
    for (uint32_t i = 0; i < row->cap; i++) {
        const rr_cooc_nb_t *nb = &co->spare[i];
        if (nb->item && nb->count > 1) row_put(row, nb->item - 1, nb->count - 1);
    }
    return RR_OK;
}

/* Makes room for one more neighbour: grow while under the cap, else Misra–Gries decrement. */
static rr_err_t row_make_room(rr_cooc_t *co, rr_cooc_row_t *row)
{
    if (row->cap && (row->used + 1) * 2 <= row->cap) return RR_OK;
    if (row->used < co->max_neighbors)
        return row_rebuild(row, row->cap ? row->cap * 2 : ROW_CAP_MIN, 0);
    uint32_t before = row->used;
    rr_err_t err = row_decrement(co, row);
    co->evicted += before - row->used;
    return err;
}

static rr_err_t row_increment(rr_cooc_t *co, uint32_t a, uint32_t b, uint32_t by)
{
    rr_cooc_row_t *row = &co->rows[a];
    rr_cooc_nb_t *nb = row_find(row, b);
    if (nb) {
        nb->count += by;
        return RR_OK;
    }
    rr_err_t err = row_make_room(co, row);
    if (err) return err;
    row_put(row, b, by);
    return RR_OK;
}

void rr_cooc_weigh(rr_cooc_t *co, int on)
{
    co->weighted = on;
}

/* RR_COOC_UNIT·(p/n)² rounded to the nearest integer, at least 1 (integers: the same count on
 * every machine, which checkpoints and synced peers compare). */
static uint32_t pair_weight(size_t p, size_t n)
{
    uint64_t num = 2 * (uint64_t)RR_COOC_UNIT * p * p + (uint64_t)n * n, den = 2 * (uint64_t)n * n;
    uint32_t w = (uint32_t)(num / den);
    return w ? w : 1;
}

rr_err_t rr_cooc_add(rr_cooc_t *co, uint32_t item, const uint32_t *prev, size_t nprev)
{
    if (item >= co->max_items) return RR_E(INVAL);
    for (size_t i = 0; i < nprev; i++) {
        uint32_t other = prev[i];
        if (other == item || other >= co->max_items) continue;
        int seen = 0; /* a pair counts once per event even if prev repeats an item */
        for (size_t j = i + 1; j < nprev && !seen; j++) seen = prev[j] == other;
        if (seen) continue;
        uint32_t by = co->weighted ? pair_weight(i + 1, nprev) : 1;
        rr_err_t err = row_increment(co, item, other, by);
        if (!err) err = row_increment(co, other, item, by);
        if (err) return err;
        co->pairs++;
    }
    return RR_OK;
}

uint32_t rr_cooc_get(const rr_cooc_t *co, uint32_t a, uint32_t b)
{
    if (a >= co->max_items) return 0;
    const rr_cooc_nb_t *nb = row_find(&co->rows[a], b);
    return nb ? nb->count : 0;
}
