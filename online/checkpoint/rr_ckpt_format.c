/* rr_ckpt_format.c — what the checkpoint writer, reader and directory share: tag rules, file
 * names, error text and ordering of (tag, sub) keys and sequence numbers. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "rr_ckpt.h"
#include "rr_ckpt_format.h"

void rr_ckpt_tag_str(uint32_t tag, char buf[5])
{
    for (int i = 0; i < 4; i++) buf[i] = (char)(tag >> (8 * i));
    buf[4] = '\0';
}

int rr_ckpt_tag_valid(uint32_t tag)
{
    for (int i = 0; i < 4; i++) {
        int c = (int)(uint8_t)(tag >> (8 * i));
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == ' ';
        if (!ok) return 0;
    }
    return 1;
}

void rr_ckpt_set_err(char *errstr, size_t errlen, const char *fmt, ...)
{
    if (!errstr || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}

char *rr_ckpt_path(const char *dir, uint64_t seq, const char *ext)
{
    int n = snprintf(NULL, 0, "%s/ckpt-%" PRIu64 ".%s", dir, seq, ext);
    char *p = malloc((size_t)n + 1);
    if (p) snprintf(p, (size_t)n + 1, "%s/ckpt-%" PRIu64 ".%s", dir, seq, ext);
    return p;
}

int rr_ckpt_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
