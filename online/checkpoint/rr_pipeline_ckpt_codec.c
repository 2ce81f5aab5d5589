/* rr_pipeline_ckpt_codec.c — the codec's out-of-line parts: opening and closing a versioned
 * section, reporting why a load failed, and an intern table's id bookkeeping. */
#include "rr_pipeline_ckpt_codec.h"

rr_err_t rr_pckpt_fail(const rr_pckpt_dec_t *d, rr_err_t err, const char *what, const char *why)
{
    if (d->errstr && d->errlen) snprintf(d->errstr, d->errlen, "%s: %s", what, why);
    return err;
}

rr_err_t rr_pckpt_open(const rr_pckpt_dec_t *d, uint32_t tag, rr_ckpt_cursor_t *c)
{
    const void *data;
    size_t len;
    char name[5];
    rr_ckpt_tag_str(tag, name);
    if (rr_ckpt_find(d->r, tag, 0, &data, &len) != RR_OK)
        return rr_pckpt_fail(d, RR_E(DECODE), name, "section missing");
    rr_ckpt_cursor_init(c, data, len);
    if (rr_ckpt_read_u32(c) != RR_PCKPT_VERSION)
        return rr_pckpt_fail(d, RR_E(DECODE), name, "unsupported payload version");
    return RR_OK;
}

rr_err_t rr_pckpt_close(const rr_pckpt_dec_t *d, const rr_ckpt_cursor_t *c, const char *what)
{
    if (c->err == RR_E(TRUNCATED)) return rr_pckpt_fail(d, RR_E(DECODE), what, "truncated");
    if (c->err) return rr_pckpt_fail(d, RR_E(DECODE), what, "invalid content");
    if (c->left) return rr_pckpt_fail(d, RR_E(DECODE), what, "trailing bytes");
    return RR_OK;
}

void rr_pckpt_intern_meta(rr_pckpt_enc_t *e, const rr_intern_t *in)
{
    rr_pckpt_u64(e, in->next_id);
    rr_pckpt_u64(e, in->count);
    rr_pckpt_u64(e, in->free_count);
    /* in reuse order, so ids come back the same */
    for (uint32_t id = rr_intern_free_first(in); id != RR_INTERN_NONE;
         id = rr_intern_free_next(in, id))
        rr_pckpt_u32(e, id);
}

/* Starts restoring the table: keys follow (rr_intern_restore_key), then the rebuild. */
void rr_pckpt_read_intern_meta(rr_ckpt_cursor_t *c, rr_intern_t *in)
{
    uint64_t next = rr_ckpt_read_u64(c), count = rr_ckpt_read_u64(c);
    uint64_t nfree = rr_ckpt_read_u64(c);
    /* Every id below the bound is live or free; compared so that no sum can wrap. */
    if (c->err || next > in->cap || count > next || nfree != next - count ||
        rr_intern_restore_begin(in, (size_t)next, (size_t)count)) {
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    for (size_t k = 0; k < nfree && !c->err; k++) {
        uint32_t id = rr_ckpt_read_u32(c);
        if (!c->err && rr_intern_restore_free(in, id)) c->err = RR_E(DECODE);
    }
}

/* Free ids are keyless and distinct, live keys distinct, and the counts agree. */
rr_err_t rr_pckpt_intern_rebuild(rr_intern_t *in)
{
    return rr_intern_restore_end(in);
}
