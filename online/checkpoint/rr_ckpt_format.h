/* rr_ckpt_format.h — what the checkpoint writer, reader and directory share and nobody else
 * needs: the sizes and magic of the layout in rr_ckpt.h, tag rules, file names, error text; not
 * API. */
#ifndef RR_CKPT_FORMAT_H
#define RR_CKPT_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "rr_ckpt.h"

#define RR_CKPT_MAGIC       "RTRECKPT" /* the first 8 bytes (no NUL in the file) */
#define RR_CKPT_HDR_LEN     40
#define RR_CKPT_SEC_HDR_LEN 32

/* Zero bytes after a payload of len bytes, so the next section header is 8-byte aligned. */
static inline size_t rr_ckpt_pad8(uint64_t len)
{
    return (size_t)((8 - len % 8) % 8);
}

/* 1 if all 4 characters of tag are in [A-Za-z0-9_ ]. */
int rr_ckpt_tag_valid(uint32_t tag);

/* "dir/ckpt-<seq>.<ext>", malloc'd; NULL when out of memory. */
char *rr_ckpt_path(const char *dir, uint64_t seq, const char *ext);

/* printf into errstr[errlen]; a NULL errstr or a zero errlen is a no-op. */
void rr_ckpt_set_err(char *errstr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets the caller's errstr and errlen and evaluates to code. */
#define RR_CKPT_FAIL(code, ...) (rr_ckpt_set_err(errstr, errlen, __VA_ARGS__), (code))

/* qsort order of uint64_t, ascending. */
int rr_ckpt_cmp_u64(const void *a, const void *b);

/* rr_ckpt_open with its error code, which open_latest returns when every candidate fails. */
rr_err_t rr_ckpt_open_checked(const char *path, rr_ckpt_reader_t **out, char *errstr,
                              size_t errlen);

#endif
