/* rr_dash.h — the dashboard's files (page, script, style, Chart.js), embedded in the binary at
 * build time. Read-only data with static lifetime: the HTTP server sends it without copying. */
#ifndef RR_DASH_H
#define RR_DASH_H

#include <stddef.h>

typedef struct rr_dash_file_s {
    const char *url;           /* "/", "/assets/dash.js", ... */
    const unsigned char *data; /* followed by a NUL not counted in len */
    size_t len;
} rr_dash_file_t;

/* The generated table (rr_dash_files.c in the build tree). */
extern const rr_dash_file_t rr_dash_files[];
extern const unsigned rr_dash_nfiles;

/* The file served at url, or NULL. */
const rr_dash_file_t *rr_dash_find(const char *url);
/* Its Content-Type, from the name's extension. */
const char *rr_dash_type(const rr_dash_file_t *f);

#endif
