/* rr_pipeline_ckpt_codec.h — the payload codec every pipeline section is written with: versioned
 * sections, sticky-error encoders, checked decoders, intern tables' id bookkeeping. Shared by
 * rr_pipeline_ckpt.c and rr_pipeline_ckpt_users.c, and depends on neither; not API. */
#ifndef RR_PIPELINE_CKPT_CODEC_H
#define RR_PIPELINE_CKPT_CODEC_H

#include <stdio.h>
#include "rr_ckpt.h"
#include "rr_pipeline.h"

/* Payload version. 2: lists and clock stamps moved from USRS to LIST; 3: MODL stage; 4: compact
 * user records (first-event gap, purchases), list entries (strength in hundredths), row-wise
 * Adagrad state for embedding rows; 5: 32-bit trigger gap and clock stamps, block-scaled portrait
 * weights with 24-bit ids and no reference time of its own; no learner row per user (the user
 * vector is the mean of the recent items' rows); 6: the learned ranker's section RANK; 7: the
 * learner's demographic and token tables in MODL and OPTS, each staged row's demographic and
 * token rows; TEXT/0 each item's first-listed time; an item's release time
 * (Item.available_from_ms); 8: the ranker's linear part after its MLP's weights in RANK; 9: a
 * user's grown seen filter after its 512 bits; 10: co-occurrence counts weighted by closeness
 * (cooc.weighted, in eighths of a pair); 11: seen filters of k = 4 bits per item, a count of
 * grown blocks after the 512 bits, 8 bought items a user; 12: each category's leader by the
 * 30 d trend in RANK, after the item clocks. Older payloads are refused. */
#define RR_PCKPT_VERSION 12u
#define RR_PCKPT_UIDX    RR_CKPT_TAG('U', 'I', 'D', 'X') /* users intern: bound, free ids */
#define RR_PCKPT_DDUP    RR_CKPT_TAG('D', 'D', 'U', 'P') /* event id de-duplication */
#define RR_PCKPT_RANK    RR_CKPT_TAG('R', 'A', 'N', 'K') /* the learned ranker */
#define RR_PCKPT_TS_MAX  (INT64_C(1) << 53) /* a stored event time past this is corrupt */

/* A writer with a sticky error, so encoders chain without checks (the writer latches too). */
typedef struct rr_pckpt_enc_s {
    rr_ckpt_writer_t *w;
    rr_err_t err;
} rr_pckpt_enc_t;

static inline void rr_pckpt_u32(rr_pckpt_enc_t *e, uint32_t v)
{
    if (!e->err) e->err = rr_ckpt_write_u32(e->w, v);
}
static inline void rr_pckpt_u64(rr_pckpt_enc_t *e, uint64_t v)
{
    if (!e->err) e->err = rr_ckpt_write_u64(e->w, v);
}
static inline void rr_pckpt_f32s(rr_pckpt_enc_t *e, const float *v, size_t n)
{
    if (!e->err) e->err = rr_ckpt_write_f32s(e->w, v, n);
}
static inline void rr_pckpt_f64(rr_pckpt_enc_t *e, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8); /* raw IEEE bits: restores bit-exactly */
    rr_pckpt_u64(e, u);
}
static inline void rr_pckpt_str(rr_pckpt_enc_t *e, const char *s)
{
    size_t n = strlen(s);
    rr_pckpt_u32(e, (uint32_t)n);
    if (!e->err && n) e->err = rr_ckpt_write(e->w, s, n);
}
static inline void rr_pckpt_begin(rr_pckpt_enc_t *e, uint32_t tag, uint32_t sub)
{
    if (!e->err) e->err = rr_ckpt_section_begin(e->w, tag, sub);
    rr_pckpt_u32(e, RR_PCKPT_VERSION);
}
static inline void rr_pckpt_end(rr_pckpt_enc_t *e)
{
    if (!e->err) e->err = rr_ckpt_section_end(e->w);
}

static inline double rr_pckpt_read_f64(rr_ckpt_cursor_t *c)
{
    uint64_t u = rr_ckpt_read_u64(c);
    double v;
    memcpy(&v, &u, 8);
    return v;
}
/* A string into dst[cap]; a length >= cap is an error (err set, dst ""). */
static inline void rr_pckpt_read_str(rr_ckpt_cursor_t *c, char *dst, size_t cap)
{
    uint32_t n = rr_ckpt_read_u32(c);
    const char *p = n < cap ? rr_ckpt_read_bytes(c, n) : NULL;
    if (!p) {
        if (!c->err) c->err = RR_E(DECODE);
        dst[0] = '\0';
        return;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* Decoding context: the reason of the first failure lands in errstr. */
typedef struct rr_pckpt_dec_s {
    rr_pipeline_t *pl;
    const rr_ckpt_reader_t *r;
    char *errstr;
    size_t errlen;
} rr_pckpt_dec_t;

/* Fails with errstr "what: why" (returns err for tail calls). */
rr_err_t rr_pckpt_fail(const rr_pckpt_dec_t *d, rr_err_t err, const char *what, const char *why);
/* Opens section (tag, 0) and checks its version; RR_E(NOT_FOUND) is reported as missing. */
rr_err_t rr_pckpt_open(const rr_pckpt_dec_t *d, uint32_t tag, rr_ckpt_cursor_t *c);
/* The end of a decoded section: truncated or trailing bytes are errors. */
rr_err_t rr_pckpt_close(const rr_pckpt_dec_t *d, const rr_ckpt_cursor_t *c, const char *what);

/* An intern table's id bookkeeping (bound, count, free ring in reuse order); keys go apart. */
void rr_pckpt_intern_meta(rr_pckpt_enc_t *e, const rr_intern_t *in);
void rr_pckpt_read_intern_meta(rr_ckpt_cursor_t *c, rr_intern_t *in);
/* Re-inserts every key < bound into the empty hash slots; ids are those of the keys array.
 * Fails on duplicates or a count that disagrees with the keys. */
rr_err_t rr_pckpt_intern_rebuild(rr_intern_t *in);

#endif
