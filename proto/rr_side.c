/* rr_side.c — side-file dialects -> rr_item_msg_t / rr_user_msg_t; see rr_side.h. A command-line
 * reader: it allocates per file, never on an engine path. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_codec.h"
#include "rr_side.h"

#define MAX_FIELDS 32

/* ml-100k u.genre, in the order of u.item's flags. */
static const char *const ml100k_genres[19] = {
    "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
    "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
    "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};

typedef struct side_file_s {
    FILE *fp;
    const char *path;
    char *line;
    size_t cap;
    long lineno;
    char *errstr;
    size_t errlen;
} side_file_t;

static rr_err_t side_fail(side_file_t *sf, rr_err_t err, const char *why)
{
    snprintf(sf->errstr, sf->errlen, "%s:%ld: %s", sf->path, sf->lineno, why);
    return err;
}

static rr_err_t side_open(side_file_t *sf, const char *path, char *errstr, size_t errlen)
{
    memset(sf, 0, sizeof(*sf));
    sf->path = path, sf->errstr = errstr, sf->errlen = errlen;
    sf->fp = fopen(path, "rb");
    if (!sf->fp) {
        snprintf(errstr, errlen, "%s: %s", path, strerror(errno));
        return RR_E(IO);
    }
    return RR_OK;
}

static void side_close(side_file_t *sf)
{
    if (sf->fp) fclose(sf->fp);
    free(sf->line);
}

/* The next line without its line end; NULL at the end of the file. */
static char *side_line(side_file_t *sf)
{
    ssize_t len = getline(&sf->line, &sf->cap, sf->fp);
    if (len < 0) return NULL;
    sf->lineno++;
    while (len > 0 && (sf->line[len - 1] == '\n' || sf->line[len - 1] == '\r')) len--;
    sf->line[len] = '\0';
    return sf->line;
}

/* Splits line in place at sep; a field in double quotes may hold sep, and "" is one quote.
 * Returns the field count, or -1 past max fields or for an unterminated quote. */
static int split(char *line, char sep, char **f, int max)
{
    int n = 0;
    char *r = line;
    for (;;) {
        if (n == max) return -1;
        char *w = r;
        f[n++] = w;
        if (*r == '"') {
            for (r++;; r++) {
                if (!*r) return -1;
                if (*r == '"' && r[1] == '"')
                    *w++ = '"', r++;
                else if (*r == '"')
                    break;
                else
                    *w++ = *r;
            }
            r++;
            if (*r && *r != sep) return -1;
        } else {
            while (*r && *r != sep) *w++ = *r++;
        }
        int more = *r == sep;
        *w = '\0';
        if (!more) return n;
        r++;
    }
}

static int copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* ml-100k is latin-1: each byte above 0x7f is two bytes of UTF-8. Cut at whole characters. */
static void latin1_to_utf8(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        size_t need = *p < 0x80 ? 1 : 2;
        if (o + need >= cap) break;
        if (*p < 0x80) {
            dst[o++] = (char)*p;
        } else {
            dst[o++] = (char)(0xc0 | *p >> 6);
            dst[o++] = (char)(0x80 | (*p & 0x3f));
        }
    }
    dst[o] = '\0';
}

/* Appends tag to the comma-joined list unless present or it does not fit whole. Commas inside a
 * tag would split it: they become spaces. */
static void add_tag(char *list, size_t cap, const char *tag, int lower)
{
    char t[RR_TEXT_MAX];
    size_t n = 0;
    for (const char *p = tag; *p && n + 1 < sizeof(t); p++)
        t[n++] = *p == ',' ? ' ' : lower ? (char)tolower((unsigned char)*p) : *p;
    while (n > 0 && t[n - 1] == ' ') n--;
    t[n] = '\0';
    if (!n) return;
    size_t len = strlen(list);
    for (const char *p = list; *p;) { /* already there? */
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && memcmp(p, t, n) == 0) return;
        p += l + (e ? 1 : 0);
    }
    if (len + (len ? 1 : 0) + n >= cap) return;
    if (len) list[len++] = ',';
    memcpy(list + len, t, n + 1);
}

/* ---- MovieLens tags.csv beside movies.csv: movieId -> tags ---------------------------------- */

typedef struct movie_tag_s {
    long movie;
    size_t seq; /* file order among one movie's tags */
    char tag[RR_ID_MAX];
} movie_tag_t;

typedef struct movie_tags_s {
    movie_tag_t *v;
    size_t n, cap;
} movie_tags_t;

static int tag_cmp(const void *a, const void *b)
{
    const movie_tag_t *x = a, *y = b;
    if (x->movie != y->movie) return x->movie < y->movie ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Loads dir(path)/tags.csv (userId,movieId,tag,timestamp) when it exists. */
static rr_err_t load_movie_tags(const char *movies_path, movie_tags_t *mt, char *errstr,
                                size_t errlen)
{
    char path[4096];
    const char *slash = strrchr(movies_path, '/');
    int dir = slash ? (int)(slash - movies_path + 1) : 0;
    snprintf(path, sizeof(path), "%.*stags.csv", dir, movies_path);
    side_file_t sf;
    if (side_open(&sf, path, errstr, errlen)) {
        errstr[0] = '\0';
        return RR_OK; /* no tags file: genres alone */
    }
    rr_err_t err = RR_OK;
    char *f[MAX_FIELDS];
    for (char *line; !err && (line = side_line(&sf)) != NULL;) {
        if (sf.lineno == 1 && strncmp(line, "userId,", 7) == 0) continue;
        if (!line[0]) continue;
        if (split(line, ',', f, MAX_FIELDS) != 4) {
            err = side_fail(&sf, RR_E(DECODE), "expected userId,movieId,tag,timestamp");
            break;
        }
        if (mt->n == mt->cap) {
            size_t cap = mt->cap ? mt->cap * 2 : 1024;
            movie_tag_t *v = realloc(mt->v, cap * sizeof(*v));
            if (!v) {
                err = RR_E(NOMEM);
                break;
            }
            mt->v = v, mt->cap = cap;
        }
        movie_tag_t *t = &mt->v[mt->n];
        t->movie = strtol(f[1], NULL, 10);
        t->seq = mt->n;
        snprintf(t->tag, sizeof(t->tag), "%s", f[2]);
        mt->n++;
    }
    side_close(&sf);
    qsort(mt->v, mt->n, sizeof(*mt->v), tag_cmp);
    return err;
}

static void movie_add_tags(const movie_tags_t *mt, long movie, char *tags, size_t cap)
{
    size_t lo = 0, hi = mt->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (mt->v[mid].movie < movie)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < mt->n && mt->v[i].movie == movie; i++)
        add_tag(tags, cap, mt->v[i].tag, 1);
}

/* ---- item dialects ------------------------------------------------------------------------ */

typedef enum { ITEMS_JSON, ITEMS_MOVIES, ITEMS_ML100K, ITEMS_AMAZON, ITEMS_CAIXIN } items_dialect_t;

static rr_err_t item_movies(char **f, int n, const movie_tags_t *mt, rr_item_msg_t *it)
{
    if (n != 3) return RR_E(DECODE);
    if (copy(it->item_id, sizeof(it->item_id), f[0]) || copy(it->title, sizeof(it->title), f[1]))
        return RR_E(TOO_LONG);
    char *g[MAX_FIELDS];
    int ng = strcmp(f[2], "(no genres listed)") == 0 ? 0 : split(f[2], '|', g, MAX_FIELDS);
    for (int k = 0; k < ng; k++) add_tag(it->tags, sizeof(it->tags), g[k], 0);
    if (ng > 0 && copy(it->category, sizeof(it->category), g[0])) return RR_E(TOO_LONG);
    movie_add_tags(mt, strtol(it->item_id, NULL, 10), it->tags, sizeof(it->tags));
    return RR_OK;
}

static rr_err_t item_ml100k(char **f, int n, rr_item_msg_t *it)
{
    if (n != 24) return RR_E(DECODE);
    if (copy(it->item_id, sizeof(it->item_id), f[0])) return RR_E(TOO_LONG);
    latin1_to_utf8(it->title, sizeof(it->title), f[1]);
    for (int k = 0; k < 19; k++) {
        if (strcmp(f[5 + k], "1") != 0) continue;
        if (k > 0 && !it->category[0])
            snprintf(it->category, sizeof(it->category), "%s", ml100k_genres[k]);
        add_tag(it->tags, sizeof(it->tags), ml100k_genres[k], 0);
    }
    return RR_OK;
}

static rr_err_t item_amazon(char **f, int n, rr_item_msg_t *it)
{
    if (n < 2) return RR_E(DECODE);
    if (copy(it->item_id, sizeof(it->item_id), f[0]) ||
        copy(it->category, sizeof(it->category), f[1]))
        return RR_E(TOO_LONG);
    return RR_OK;
}

#define CAIXIN_MARCH_1_MS 1393603200000LL /* 2014-03-01 00:00 Beijing time (UTC+8) */

/* Caixin items.tsv (item_id, title, publish_day of March 2014): the headline, available from the
 * start of its publish day. The day is wrong for some older articles (its SOURCE.md); a click
 * before it makes the article available anyway (rr_store_touch). */
static rr_err_t item_caixin(char **f, int n, rr_item_msg_t *it)
{
    if (n < 2) return RR_E(DECODE);
    if (copy(it->item_id, sizeof(it->item_id), f[0])) return RR_E(TOO_LONG);
    snprintf(it->title, sizeof(it->title), "%s", f[1]); /* cut at RR_TEXT_MAX like the others */
    char *end;
    long day = n > 2 ? strtol(f[2], &end, 10) : 0;
    if (n > 2 && (*end || day < 1 || day > 31)) return RR_E(DECODE);
    if (day) it->available_from_ms = CAIXIN_MARCH_1_MS + (day - 1) * 86400000LL;
    return RR_OK;
}

static items_dialect_t items_dialect(const char *first)
{
    if (first[0] == '{') return ITEMS_JSON;
    if (strncmp(first, "movieId,", 8) == 0) return ITEMS_MOVIES;
    if (strncmp(first, "item_id\ttitle", 13) == 0) return ITEMS_CAIXIN;
    if (strncmp(first, "item_id\t", 8) == 0) return ITEMS_AMAZON;
    return ITEMS_ML100K;
}

static rr_err_t item_line(items_dialect_t d, char *line, const movie_tags_t *mt, rr_item_msg_t *it)
{
    char *f[MAX_FIELDS];
    if (d == ITEMS_JSON) return rr_item_decode_json(line, strlen(line), it);
    memset(it, 0, sizeof(*it));
    it->available = 1;
    int n = split(line, d == ITEMS_MOVIES ? ',' : d == ITEMS_ML100K ? '|' : '\t', f, MAX_FIELDS);
    if (n < 0) return RR_E(DECODE);
    if (d == ITEMS_MOVIES) return item_movies(f, n, mt, it);
    if (d == ITEMS_AMAZON) return item_amazon(f, n, it);
    if (d == ITEMS_CAIXIN) return item_caixin(f, n, it);
    return item_ml100k(f, n, it);
}

rr_err_t rr_side_items(const char *path, rr_side_item_fn fn, void *opaque, size_t *n, char *errstr,
                       size_t errlen)
{
    side_file_t sf;
    movie_tags_t mt = {NULL, 0, 0};
    *n = 0;
    rr_err_t err = side_open(&sf, path, errstr, errlen);
    items_dialect_t d = ITEMS_ML100K;
    for (char *line; !err && (line = side_line(&sf)) != NULL;) {
        if (sf.lineno == 1) {
            d = items_dialect(line);
            if (d == ITEMS_MOVIES) err = load_movie_tags(path, &mt, errstr, errlen);
            if (err || (d != ITEMS_JSON && d != ITEMS_ML100K)) continue; /* a header */
        }
        if (!line[0]) continue;
        rr_item_msg_t it;
        err = item_line(d, line, &mt, &it);
        if (!err && !it.item_id[0]) err = RR_E(NO_ITEM);
        if (err) {
            err = side_fail(&sf, err, rr_strerror(err));
            break;
        }
        if ((err = fn(opaque, &it)) != RR_OK) break;
        (*n)++;
    }
    side_close(&sf);
    free(mt.v);
    return err;
}

/* ---- users -------------------------------------------------------------------------------- */

static rr_err_t user_ml100k(char *line, rr_user_msg_t *u)
{
    char *f[MAX_FIELDS];
    memset(u, 0, sizeof(*u));
    if (split(line, '|', f, MAX_FIELDS) != 5) return RR_E(DECODE);
    char *end;
    long age = strtol(f[1], &end, 10);
    if (*end || age < 0 || age > 200) return RR_E(DECODE);
    u->age = (int32_t)age;
    if (copy(u->user_id, sizeof(u->user_id), f[0]) || copy(u->gender, sizeof(u->gender), f[2]) ||
        copy(u->occupation, sizeof(u->occupation), f[3]))
        return RR_E(TOO_LONG);
    if (f[4][0]) u->region[0] = f[4][0], u->region[1] = '\0';
    return RR_OK;
}

rr_err_t rr_side_users(const char *path, rr_side_user_fn fn, void *opaque, size_t *n, char *errstr,
                       size_t errlen)
{
    side_file_t sf;
    *n = 0;
    rr_err_t err = side_open(&sf, path, errstr, errlen);
    int json = 0;
    for (char *line; !err && (line = side_line(&sf)) != NULL;) {
        if (sf.lineno == 1) json = line[0] == '{';
        if (!line[0]) continue;
        rr_user_msg_t u;
        err = json ? rr_user_decode_json(line, strlen(line), &u) : user_ml100k(line, &u);
        if (!err && !u.user_id[0]) err = RR_E(NO_USER);
        if (err) {
            err = side_fail(&sf, err, rr_strerror(err));
            break;
        }
        if ((err = fn(opaque, &u)) != RR_OK) break;
        (*n)++;
    }
    side_close(&sf);
    return err;
}
