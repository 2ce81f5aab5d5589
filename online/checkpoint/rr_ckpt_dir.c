/* rr_ckpt_dir.c — a directory of checkpoints: listing them by sequence number, opening the
 * newest valid one (falling back past invalid ones) and pruning all but the newest few. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rr_ckpt.h"
#include "rr_ckpt_format.h"
#include "rr_log.h"

/* Parses "ckpt-<digits>.<ext>"; 1 and *seq on a match. */
static int parse_name(const char *name, const char *ext, uint64_t *seq)
{
    if (strncmp(name, "ckpt-", 5) != 0) return 0;
    const char *p = name + 5, *q = p;
    uint64_t v = 0;
    for (; *q >= '0' && *q <= '9'; q++) {
        if (v > (UINT64_MAX - (uint64_t)(*q - '0')) / 10) return 0;
        v = v * 10 + (uint64_t)(*q - '0');
    }
    if (q == p || *q != '.' || strcmp(q + 1, ext) != 0) return 0;
    *seq = v;
    return 1;
}

static int cmp_u64_desc(const void *a, const void *b)
{
    return rr_ckpt_cmp_u64(b, a);
}

/* Sequence numbers of dir's files with extension ext, newest first. *seqs is malloc'd. */
static rr_err_t list_seqs(const char *dir, const char *ext, uint64_t **seqs, size_t *n)
{
    *seqs = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return RR_E(IO);
    size_t cap = 0;
    rr_err_t err = RR_OK;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        uint64_t seq;
        if (!parse_name(de->d_name, ext, &seq)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            uint64_t *grown = realloc(*seqs, cap * sizeof(**seqs));
            if (!grown) {
                err = RR_E(NOMEM);
                break;
            }
            *seqs = grown;
        }
        (*seqs)[(*n)++] = seq;
    }
    closedir(d);
    if (*n) qsort(*seqs, *n, sizeof(**seqs), cmp_u64_desc);
    return err;
}

static void unlink_seq(const char *dir, uint64_t seq, const char *ext)
{
    char *path = rr_ckpt_path(dir, seq, ext);
    if (path && unlink(path) != 0 && errno != ENOENT)
        RR_WARN("checkpoint prune: %s: %s", path, strerror(errno));
    free(path);
}

rr_err_t rr_ckpt_prune(const char *dir, unsigned keep)
{
    if (keep < 2) keep = 2;
    uint64_t *seqs, *tmps = NULL;
    size_t n, ntmp;
    rr_err_t err = list_seqs(dir, "rrc", &seqs, &n);
    if (!err) err = list_seqs(dir, "tmp", &tmps, &ntmp);
    if (err) {
        free(seqs);
        free(tmps);
        return err;
    }
    for (size_t i = keep; i < n; i++) unlink_seq(dir, seqs[i], "rrc");
    /* A temp not newer than a committed checkpoint is a crashed writer's leftover. */
    for (size_t i = 0; n > 0 && i < ntmp; i++)
        if (tmps[i] <= seqs[0]) unlink_seq(dir, tmps[i], "tmp");
    free(seqs);
    free(tmps);
    return RR_OK;
}

static void append_err(char *errstr, size_t errlen, const char *why)
{
    if (!errstr || errlen == 0) return;
    size_t used = strlen(errstr);
    if (used + 1 >= errlen) return;
    snprintf(errstr + used, errlen - used, "%s%s", used ? "; " : "", why);
}

rr_err_t rr_ckpt_open_latest(const char *dir, rr_ckpt_reader_t **out, rr_ckpt_skip_fn on_skip,
                             void *opaque, char *errstr, size_t errlen)
{
    *out = NULL;
    uint64_t *seqs;
    size_t n;
    if (errstr && errlen) errstr[0] = '\0';
    if (list_seqs(dir, "rrc", &seqs, &n) != RR_OK) {
        free(seqs);
        return RR_CKPT_FAIL(RR_E(IO), "%s: cannot list: %s", dir, strerror(errno));
    }
    if (n == 0) {
        free(seqs);
        return RR_CKPT_FAIL(RR_E(NOT_FOUND), "%s: no checkpoint", dir);
    }
    rr_err_t err = RR_OK;
    char why[512];
    for (size_t i = 0; i < n && !*out; i++) {
        char *path = rr_ckpt_path(dir, seqs[i], "rrc");
        err = path ? rr_ckpt_open_checked(path, out, why, sizeof(why)) : RR_E(NOMEM);
        if (!path) snprintf(why, sizeof(why), "out of memory");
        if (err && on_skip) on_skip(opaque, path ? path : dir, why);
        if (err && !on_skip) RR_WARN("skipping checkpoint: %s", why);
        if (err) append_err(errstr, errlen, why);
        free(path);
    }
    free(seqs);
    if (*out && errstr && errlen) errstr[0] = '\0';
    return *out ? RR_OK : err;
}

rr_err_t rr_ckpt_newest_seq(const char *dir, uint64_t *seq)
{
    uint64_t *seqs;
    size_t n;
    rr_err_t err = list_seqs(dir, "rrc", &seqs, &n);
    if (err == RR_E(IO) && errno == ENOENT) err = RR_E(NOT_FOUND);
    if (!err && n == 0) err = RR_E(NOT_FOUND);
    if (!err) *seq = seqs[0];
    free(seqs);
    return err;
}
