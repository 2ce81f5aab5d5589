/* rr_frame.c — length-delimited frame files (protobuf's writeDelimitedTo layout): a base-128
 * varint length, then that many bytes. Written by `rtrec record`, read by `replay --format pb`. */
#include "rr_codec.h"
#include "rr_varint.h"

rr_err_t rr_frame_write(FILE *fp, const void *buf, size_t len)
{
    unsigned char head[RR_VARINT_MAX];

    if (!fp || (!buf && len)) return RR_E(INVAL);
    size_t n = rr_varint_encode(len, head);
    if (fwrite(head, 1, n, fp) != n) return RR_E(IO);
    if (len > 0 && fwrite(buf, 1, len, fp) != len) return RR_E(IO);
    return RR_OK;
}

/* The input ended: a read error, or a file cut short. */
static rr_err_t end_of_input(FILE *fp, rr_err_t at_eof)
{
    return ferror(fp) ? RR_E(IO) : at_eof;
}

static rr_err_t read_length(FILE *fp, uint64_t *len)
{
    uint64_t v = 0;
    for (int i = 0; i < RR_VARINT_MAX; i++) {
        int c = getc(fp);
        if (c == EOF) return end_of_input(fp, i == 0 ? RR_E(EOF) : RR_E(TRUNCATED));
        if (i == RR_VARINT_MAX - 1 && c > 1) return RR_E(DECODE); /* beyond 64 bits */
        v |= (uint64_t)(c & 0x7F) << (7 * i);
        if (!(c & 0x80)) {
            *len = v;
            return RR_OK;
        }
    }
    return RR_E(DECODE);
}

/* Reads and drops len bytes (works on pipes too); TRUNCATED if the input ends first. */
static rr_err_t skip_bytes(FILE *fp, uint64_t len)
{
    unsigned char scratch[4096];
    while (len > 0) {
        size_t want = len < sizeof scratch ? (size_t)len : sizeof scratch;
        size_t got = fread(scratch, 1, want, fp);
        if (got < want) return end_of_input(fp, RR_E(TRUNCATED));
        len -= got;
    }
    return RR_OK;
}

rr_err_t rr_frame_read(FILE *fp, void *buf, size_t cap, size_t *out_len)
{
    uint64_t len;

    if (!fp || !out_len || (!buf && cap)) return RR_E(INVAL);
    rr_err_t err = read_length(fp, &len);
    if (err) return err;
    if (len > cap) {
        *out_len = len > SIZE_MAX ? SIZE_MAX : (size_t)len;
        err = skip_bytes(fp, len);
        return err == RR_E(IO) ? err : RR_E(TOO_LONG);
    }
    if (len > 0 && fread(buf, 1, (size_t)len, fp) != len) return end_of_input(fp, RR_E(TRUNCATED));
    *out_len = (size_t)len;
    return RR_OK;
}
