/* rr_baseline.c — popularity and exact item-kNN baselines; see rr_baseline.h. */
#include <stdlib.h>
#include <string.h>
#include "rr_baseline.h"

/* Packs (count desc, id asc) into one key that orders by plain integer comparison. */
static uint64_t pop_key(uint32_t count, uint32_t item)
{
    return count ? ((uint64_t)count << 32) | (UINT32_MAX - item) : 0;
}

rr_err_t rr_pop_init(rr_pop_t *pop, size_t nitems)
{
    memset(pop, 0, sizeof(*pop));
    pop->nleaves = 1;
    while (pop->nleaves < nitems) pop->nleaves *= 2;
    pop->tree = calloc(2 * pop->nleaves, sizeof(*pop->tree));
    pop->heap = calloc(2 * pop->nleaves, sizeof(*pop->heap));
    if (!pop->tree || !pop->heap) {
        rr_pop_free(pop);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

void rr_pop_free(rr_pop_t *pop)
{
    free(pop->tree);
    free(pop->heap);
    memset(pop, 0, sizeof(*pop));
}

uint32_t rr_pop_count(const rr_pop_t *pop, uint32_t item)
{
    return item < pop->nleaves ? (uint32_t)(pop->tree[pop->nleaves + item] >> 32) : 0;
}

void rr_pop_add(rr_pop_t *pop, uint32_t item)
{
    if (item >= pop->nleaves) return;
    size_t node = pop->nleaves + item;
    pop->tree[node] = pop_key(rr_pop_count(pop, item) + 1, item);
    for (node /= 2; node >= 1; node /= 2) {
        uint64_t l = pop->tree[2 * node], r = pop->tree[2 * node + 1];
        pop->tree[node] = l > r ? l : r;
    }
}

/* Binary max-heap of tree nodes ordered by their key. */
static void heap_push(rr_pop_t *pop, size_t *n, uint32_t node)
{
    size_t i = (*n)++;
    while (i > 0 && pop->tree[pop->heap[(i - 1) / 2]] < pop->tree[node]) {
        pop->heap[i] = pop->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    pop->heap[i] = node;
}

static uint32_t heap_pop(rr_pop_t *pop, size_t *n)
{
    uint32_t top = pop->heap[0], last = pop->heap[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && pop->tree[pop->heap[c + 1]] > pop->tree[pop->heap[c]]) c++;
        if (pop->tree[pop->heap[c]] <= pop->tree[last]) break;
        pop->heap[i] = pop->heap[c];
        i = c;
    }
    pop->heap[i] = last;
    return top;
}

/* Best-first walk: a node's key is its best leaf's key, so leaves pop in exact rank order. */
size_t rr_pop_top(rr_pop_t *pop, uint32_t *out, size_t k, rr_baseline_skip_fn skip,
                  const void *opaque)
{
    size_t nheap = 0, nout = 0;
    if (pop->tree[1]) heap_push(pop, &nheap, 1);
    while (nout < k && nheap > 0) {
        uint32_t node = heap_pop(pop, &nheap);
        if (node >= pop->nleaves) {
            uint32_t item = node - (uint32_t)pop->nleaves;
            if (!skip || !skip(opaque, item)) out[nout++] = item;
            continue;
        }
        for (uint32_t c = 2 * node; c <= 2 * node + 1; c++)
            if (pop->tree[c]) heap_push(pop, &nheap, c);
    }
    return nout;
}

static uint64_t key_mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    return k ^ (k >> 33);
}

/* 1 if key was added, 0 if present, negative on allocation failure. */
static int keyset_add(rr_keyset_t *ks, uint64_t key)
{
    if ((ks->used + 1) * 2 > ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 1024;
        uint64_t *slots = calloc(cap, sizeof(*slots));
        if (!slots) return RR_E(NOMEM);
        for (size_t i = 0; i < ks->cap; i++) {
            if (!ks->slots[i]) continue;
            size_t pos = key_mix(ks->slots[i]) & (cap - 1);
            while (slots[pos]) pos = (pos + 1) & (cap - 1);
            slots[pos] = ks->slots[i];
        }
        free(ks->slots);
        ks->slots = slots;
        ks->cap = cap;
    }
    size_t pos = key_mix(key) & (ks->cap - 1);
    for (; ks->slots[pos]; pos = (pos + 1) & (ks->cap - 1))
        if (ks->slots[pos] == key) return 0;
    ks->slots[pos] = key;
    ks->used++;
    return 1;
}

rr_err_t rr_knn_init(rr_knn_t *knn, size_t nusers, size_t nitems, uint32_t window)
{
    memset(knn, 0, sizeof(*knn));
    knn->nusers = nusers;
    knn->nitems = nitems;
    knn->window = window ? window : 1;
    rr_err_t err = rr_cooc_init(&knn->co, nitems ? nitems : 1, UINT32_MAX);
    knn->ring = calloc(nusers * knn->window + 1, sizeof(*knn->ring));
    knn->nring = calloc(nusers + 1, sizeof(*knn->nring));
    knn->acc = calloc(nitems + 1, sizeof(*knn->acc));
    knn->touched = calloc(nitems + 1, sizeof(*knn->touched));
    if (!err && (!knn->ring || !knn->nring || !knn->acc || !knn->touched)) err = RR_E(NOMEM);
    if (err) rr_knn_free(knn);
    return err;
}

void rr_knn_free(rr_knn_t *knn)
{
    rr_cooc_free(&knn->co);
    free(knn->pairs.slots);
    free(knn->ring);
    free(knn->nring);
    free(knn->acc);
    free(knn->touched);
    memset(knn, 0, sizeof(*knn));
}

/* The user's last `window` interactions, oldest first. */
static size_t knn_recent(const rr_knn_t *knn, uint32_t user, uint32_t *out)
{
    uint32_t n = knn->nring[user], w = knn->window;
    size_t count = n < w ? n : w;
    const uint32_t *ring = &knn->ring[(size_t)user * w];
    for (size_t i = 0; i < count; i++) out[i] = ring[(n - count + i) % w];
    return count;
}

rr_err_t rr_knn_add(rr_knn_t *knn, uint32_t user, uint32_t item)
{
    if (user >= knn->nusers || item >= knn->nitems) return RR_E(INVAL);
    uint32_t prev[256];
    size_t nprev = knn_recent(knn, user, prev);
    rr_err_t err = RR_OK;
    /* A pair counts once per user, however often that user touches it again: the count is the
     * number of users who had both items within a window. (Counting every repeat instead
     * drifts 6-36% above the published baseline numbers on the taobao sets, which repeat views
     * a lot; sets without repeats, Amazon and MovieLens, give the same numbers either way.) */
    for (size_t i = 0; i < nprev && !err; i++) {
        if (prev[i] == item) continue;
        uint64_t lo = prev[i] < item ? prev[i] : item, hi = prev[i] < item ? item : prev[i];
        /* 64-bit hash of the triple, never 0: a false "counted" needs a 2^-64 collision. */
        uint64_t key = key_mix(key_mix(key_mix(user) + lo) + hi) | 1;
        int added = keyset_add(&knn->pairs, key);
        if (added < 0)
            err = added;
        else if (added)
            err = rr_cooc_add(&knn->co, item, &prev[i], 1);
    }
    knn->ring[(size_t)user * knn->window + knn->nring[user] % knn->window] = item;
    knn->nring[user]++;
    return err;
}

/* Sums the rows of the user's distinct recent items into acc; returns the touched count. */
static size_t knn_accumulate(rr_knn_t *knn, uint32_t user)
{
    uint32_t recent[256];
    size_t nrecent = knn_recent(knn, user, recent), ntouched = 0;
    for (size_t i = 0; i < nrecent; i++) {
        int dup = 0; /* an item seen twice in the window still speaks once */
        for (size_t j = 0; j < i && !dup; j++) dup = recent[j] == recent[i];
        const rr_cooc_row_t *row = dup ? NULL : rr_cooc_row(&knn->co, recent[i]);
        for (uint32_t s = 0; row && s < row->cap; s++) {
            const rr_cooc_nb_t *nb = &row->slots[s];
            if (!nb->item) continue;
            if (!knn->acc[nb->item - 1]) knn->touched[ntouched++] = nb->item - 1;
            knn->acc[nb->item - 1] += nb->count;
        }
    }
    return ntouched;
}

/* Does a sort candidate a outrank b: higher score, then the earlier (lower) id. */
static int knn_better(const rr_knn_t *knn, uint32_t a, uint32_t b)
{
    return knn->acc[a] != knn->acc[b] ? knn->acc[a] > knn->acc[b] : a < b;
}

typedef struct knn_fill_s {
    rr_baseline_skip_fn skip;
    const void *opaque;
    const uint32_t *listed;
    size_t nlisted;
} knn_fill_t;

static int knn_fill_skip(const void *opaque, uint32_t item)
{
    const knn_fill_t *f = opaque;
    for (size_t i = 0; i < f->nlisted; i++)
        if (f->listed[i] == item) return 1;
    return f->skip && f->skip(f->opaque, item);
}

size_t rr_knn_top(rr_knn_t *knn, rr_pop_t *pop, uint32_t user, uint32_t *out, size_t k,
                  rr_baseline_skip_fn skip, const void *opaque)
{
    if (k > 64) k = 64;
    size_t ntouched = user < knn->nusers ? knn_accumulate(knn, user) : 0, n = 0;
    for (size_t t = 0; t < ntouched; t++) {
        uint32_t item = knn->touched[t];
        if (skip && skip(opaque, item)) continue;
        if (n == k && !knn_better(knn, item, out[k - 1])) continue;
        size_t pos = n < k ? n++ : k - 1; /* insertion into the sorted top k */
        while (pos > 0 && knn_better(knn, item, out[pos - 1])) {
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = item;
    }
    for (size_t t = 0; t < ntouched; t++) knn->acc[knn->touched[t]] = 0;
    knn_fill_t fill = {skip, opaque, out, n};
    return n + rr_pop_top(pop, out + n, k - n, knn_fill_skip, &fill);
}
