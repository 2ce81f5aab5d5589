/* rr_dash.c — lookup of the embedded dashboard files; see rr_dash.h. */
#include <string.h>
#include "rr_dash.h"

const rr_dash_file_t *rr_dash_find(const char *url)
{
    for (unsigned i = 0; i < rr_dash_nfiles; i++)
        if (strcmp(rr_dash_files[i].url, url) == 0) return &rr_dash_files[i];
    return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

const char *rr_dash_type(const rr_dash_file_t *f)
{
    if (ends_with(f->url, ".js")) return "text/javascript; charset=utf-8";
    if (ends_with(f->url, ".css")) return "text/css; charset=utf-8";
    if (ends_with(f->url, ".svg")) return "image/svg+xml";
    return "text/html; charset=utf-8";
}
