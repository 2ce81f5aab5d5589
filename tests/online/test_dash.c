/* test_dash.c — the dashboard's embedded files: each one the build embedded is byte for byte the
 * file in online/dash/assets (or Debian's Chart.js), looked up by URL with its content type;
 * the page names only files that are embedded, so it loads with nothing from the network. */
#include <stdio.h>
#include "rr_dash.h"
#include "rr_test.h"

/* The file on disk, NUL-terminated; NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, fp);
    buf[*len] = '\0';
    fclose(fp);
    return buf;
}

static void test_embedded_equals_sources(void)
{
    static const struct {
        const char *url, *path, *type;
    } files[] = {
        {"/", RR_DASH_ASSETS "/index.html", "text/html; charset=utf-8"},
        {"/assets/dash.js", RR_DASH_ASSETS "/dash.js", "text/javascript; charset=utf-8"},
        {"/assets/dash.css", RR_DASH_ASSETS "/dash.css", "text/css; charset=utf-8"},
        {"/assets/favicon.svg", RR_DASH_ASSETS "/favicon.svg", "image/svg+xml"},
        {"/assets/chart.min.js", RR_CHARTJS, "text/javascript; charset=utf-8"},
    };
    CHECK_INT(rr_dash_nfiles, sizeof(files) / sizeof(files[0]));
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        const rr_dash_file_t *f = rr_dash_find(files[i].url);
        size_t len = 0;
        char *disk = slurp(files[i].path, &len);
        CHECK(f != NULL && disk != NULL);
        if (!f || !disk) continue;
        CHECK_INT(f->len, len);
        CHECK(memcmp(f->data, disk, len) == 0);
        CHECK_INT(f->data[f->len], 0);
        CHECK_STR(rr_dash_type(f), files[i].type);
        free(disk);
    }
    CHECK(strstr((const char *)rr_dash_find("/assets/chart.min.js")->data, "Chart.js v") != NULL);
    CHECK(rr_dash_find("/index.html") == NULL);
    CHECK(rr_dash_find("/assets/../index.html") == NULL);
    CHECK(rr_dash_find("") == NULL);
}

/* Every src= and href= of the page names an embedded file: nothing else is fetched. */
static void test_page_refers_to_embedded_files(void)
{
    const char *page = (const char *)rr_dash_find("/")->data;
    int refs = 0;
    for (const char *p = page; (p = strpbrk(p, "sh")) != NULL; p++) {
        const char *q = NULL;
        if (!strncmp(p, "src=\"", 5)) q = p + 5;
        if (!strncmp(p, "href=\"", 6)) q = p + 6;
        if (!q) continue;
        char url[128];
        size_t n = strcspn(q, "\"");
        CHECK(n < sizeof(url));
        snprintf(url, sizeof(url), "%.*s", (int)n, q);
        if (rr_dash_find(url) == NULL) fprintf(stderr, "page refers to %s\n", url);
        CHECK(rr_dash_find(url) != NULL);
        refs++;
    }
    CHECK_INT(refs, 4);
}

RR_TEST_MAIN(RR_TEST(test_embedded_equals_sources), RR_TEST(test_page_refers_to_embedded_files))
