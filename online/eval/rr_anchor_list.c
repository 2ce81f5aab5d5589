/* rr_anchor_list.c — what the anchors' lists share: the top k of scored candidates, and the
 * skip that fills a list up from another ranking without repeating what it holds. */
#include "rr_anchor.h"

int rr_anchor_fill_skip(const void *opaque, uint32_t item)
{
    const rr_anchor_fill_t *fill = opaque;
    for (size_t i = 0; i < fill->nlisted; i++)
        if (fill->listed[i] == item) return 1;
    return fill->skip && fill->skip(fill->opaque, item);
}

static int score_better(const double *score, uint32_t a, uint32_t b)
{
    return score[a] != score[b] ? score[a] > score[b] : a < b;
}

size_t rr_anchor_select(const double *score, const uint32_t *ids, size_t n, uint32_t *out, size_t k,
                        rr_baseline_skip_fn skip, const void *opaque)
{
    size_t nout = 0;
    for (size_t t = 0; t < n && k > 0; t++) {
        uint32_t id = ids[t];
        if (nout == k && !score_better(score, id, out[k - 1])) continue;
        if (skip && skip(opaque, id)) continue;
        size_t pos = nout < k ? nout++ : k - 1; /* insertion into the sorted top k */
        while (pos > 0 && score_better(score, id, out[pos - 1])) {
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = id;
    }
    return nout;
}
