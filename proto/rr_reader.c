/* rr_reader.c — streams rr_event_t out of a recorded file of any rr_format_t. Buffers are
 * allocated at open; a text line longer than the buffer grows it (getline), off the hot path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rr_codec.h"

#define READER_LINE_INIT 4096
#define READER_FRAME_CAP 65536 /* an Event is well under 1 KiB; longer frames are errors */

struct rr_reader_s {
    FILE *fp;
    int own_fp; /* 0 for stdin */
    rr_format_t fmt;
    long pos;
    char *line;
    size_t line_cap;
    unsigned char *frame;
};

static void set_err(char *errstr, size_t errlen, const char *what, const char *path, int errnum)
{
    if (errstr && errlen) {
        snprintf(errstr, errlen, "%s %s: %s", what, path ? path : "(null)",
                 errnum ? strerror(errnum) : "unsupported format");
    }
}

static int reader_alloc(rr_reader_t *rd)
{
    if (rd->fmt == RR_FMT_PB) {
        rd->frame = malloc(READER_FRAME_CAP);
        return rd->frame ? 0 : -1;
    }
    rd->line_cap = READER_LINE_INIT;
    rd->line = malloc(rd->line_cap);
    return rd->line ? 0 : -1;
}

rr_reader_t *rr_reader_open(const char *path, rr_format_t fmt, char *errstr, size_t errlen)
{
    if (!path || fmt <= RR_FMT_NONE || fmt >= RR_FMT__COUNT) {
        set_err(errstr, errlen, "open", path, path ? 0 : EINVAL);
        return NULL;
    }
    rr_reader_t *rd = calloc(1, sizeof *rd);
    if (!rd) {
        set_err(errstr, errlen, "open", path, ENOMEM);
        return NULL;
    }
    rd->fmt = fmt;
    rd->own_fp = strcmp(path, "-") != 0;
    rd->fp = rd->own_fp ? fopen(path, "rb") : stdin;
    if (!rd->fp) {
        set_err(errstr, errlen, "open", path, errno);
        free(rd);
        return NULL;
    }
    if (reader_alloc(rd) != 0) {
        set_err(errstr, errlen, "open", path, ENOMEM);
        rr_reader_free(rd);
        return NULL;
    }
    return rd;
}

static rr_err_t next_frame(rr_reader_t *rd, rr_event_t *ev)
{
    size_t len;
    rr_err_t err = rr_frame_read(rd->fp, rd->frame, READER_FRAME_CAP, &len);
    if (err == RR_E(EOF)) return err;
    rd->pos++;
    if (err) return err;
    return rr_event_decode_pb(rd->frame, len, ev);
}

static rr_err_t next_line(rr_reader_t *rd, rr_event_t *ev)
{
    for (;;) {
        errno = 0;
        ssize_t n = getline(&rd->line, &rd->line_cap, rd->fp);
        if (n < 0 && errno == ENOMEM) return RR_E(NOMEM);
        if (n < 0) return ferror(rd->fp) ? RR_E(IO) : RR_E(EOF);
        rd->pos++;
        rr_err_t err = rr_line_decode(rd->fmt, rd->line, (size_t)n, ev);
        if (err != RR_E(NOT_FOUND)) return err;
    }
}

rr_err_t rr_reader_next(rr_reader_t *rd, rr_event_t *ev)
{
    if (!rd || !ev) return RR_E(INVAL);
    return rd->fmt == RR_FMT_PB ? next_frame(rd, ev) : next_line(rd, ev);
}

long rr_reader_position(const rr_reader_t *rd)
{
    return rd ? rd->pos : 0;
}

void rr_reader_free(rr_reader_t *rd)
{
    if (!rd) return;
    if (rd->fp && rd->own_fp) fclose(rd->fp);
    free(rd->line);
    free(rd->frame);
    free(rd);
}
