/* rr_cmd_inspect.c — `rtrec inspect CHECKPOINT [--json]`: verifies a checkpoint and prints each
 * section's tag/sub, size and XXH64 digest, so two runs' states can be diffed by eye or script.
 * created_ms is on the header line only, so section lines of equal states compare equal.
 * `--model [-c FILE] [-X k=v]` instead restores the checkpoint under that configuration and
 * prints rr_sync_digest's fingerprints (GET /sync's model_digest, items_digest, cooc_digest),
 * which synced instances share while section digests cannot (item ids are local). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_ckpt.h"
#include "rr_cli.h"
#include "rr_pipeline_ckpt.h"
#include "rr_sync.h"

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_text(const rr_ckpt_reader_t *r)
{
    const rr_ckpt_info_t *info = rr_ckpt_info(r);
    uint64_t total = 0;
    printf("checkpoint %s  format %" PRIu32 "  flags %" PRIu32 "  seq %" PRIu64
           "  created_ms %" PRIu64 "\n",
           info->path, info->version, info->flags, info->seq, info->created_ms);
    for (size_t i = 0; i < info->count; i++) {
        const rr_ckpt_section_t *s = rr_ckpt_section(r, i);
        char tag[5];
        rr_ckpt_tag_str(s->tag, tag);
        printf("%s/%-8" PRIu32 " %14" PRIu64 " bytes  digest %016" PRIx64 "\n", tag, s->sub, s->len,
               s->digest);
        total += s->len;
    }
    printf("total %zu sections  %" PRIu64 " bytes  file %" PRIu64 " bytes\n", info->count, total,
           info->file_size);
}

static void print_json(const rr_ckpt_reader_t *r)
{
    const rr_ckpt_info_t *info = rr_ckpt_info(r);
    uint64_t total = 0;
    printf("{\"path\":");
    json_string(info->path);
    printf(",\"format\":%" PRIu32 ",\"flags\":%" PRIu32 ",\"seq\":%" PRIu64
           ",\"created_ms\":%" PRIu64 ",\"file_bytes\":%" PRIu64 ",\"sections\":[",
           info->version, info->flags, info->seq, info->created_ms, info->file_size);
    for (size_t i = 0; i < info->count; i++) {
        const rr_ckpt_section_t *s = rr_ckpt_section(r, i);
        char tag[5]; /* tags are [A-Za-z0-9_ ]: no escaping needed */
        rr_ckpt_tag_str(s->tag, tag);
        printf("%s{\"tag\":\"%s\",\"sub\":%" PRIu32 ",\"offset\":%" PRIu64 ",\"bytes\":%" PRIu64
               ",\"digest\":\"%016" PRIx64 "\"}",
               i ? "," : "", tag, s->sub, s->offset, s->len, s->digest);
        total += s->len;
    }
    printf("],\"total_bytes\":%" PRIu64 "}\n", total);
}

/* The pipeline the checkpoint holds, restored under cfg, fingerprinted as GET /sync does. */
static int print_model(const rr_ckpt_reader_t *r, const rr_config_t *cfg, int json)
{
    char errstr[512];
    rr_pipeline_t pl;
    rr_sync_t *sy = NULL;
    rr_sync_digest_t d;
    int status = 1;
    if (rr_pipeline_init(&pl, cfg) != RR_OK) {
        fprintf(stderr, "rtrec inspect: cannot build the pipeline of this configuration\n");
        return 1;
    }
    if (rr_pipeline_load(&pl, r, errstr, sizeof(errstr)) != RR_OK ||
        !(sy = rr_sync_new(&pl, RR_SYNC_F32, errstr, sizeof(errstr))))
        fprintf(stderr, "rtrec inspect: %s\n", errstr);
    else if (rr_sync_digest(sy, &d) != RR_OK)
        fprintf(stderr, "rtrec inspect: out of memory\n");
    else {
        printf(json ? "{\"model_digest\":\"%016" PRIx64 "\",\"items_digest\":\"%016" PRIx64
                      "\",\"cooc_digest\":\"%016" PRIx64 "\"}\n"
                    : "model_digest %016" PRIx64 "  items_digest %016" PRIx64
                      "  cooc_digest %016" PRIx64 "\n",
               d.model, d.items, d.cooc);
        status = 0;
    }
    rr_sync_free(sy);
    rr_pipeline_free(&pl);
    return status;
}

int rr_cmd_inspect(int argc, char **argv)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    char **rest = malloc((size_t)argc * sizeof(*rest));
    int nrest = 0;
    if (!rest || rr_cli_config(argc, argv, &cfg, rest, &nrest)) {
        free(rest);
        return 2;
    }
    const char *path = NULL;
    int json = 0, model = 0, bad = 0;
    for (int i = 0; i < nrest; i++) {
        if (strcmp(rest[i], "--json") == 0)
            json = 1;
        else if (strcmp(rest[i], "--model") == 0)
            model = 1;
        else if (rest[i][0] != '-' && !path)
            path = rest[i];
        else
            bad = 1; /* an unknown option or a second path */
    }
    free(rest);
    if (!path || bad) {
        fprintf(stderr, "usage: rtrec inspect CHECKPOINT [--json] [--model [-c FILE] [-X k=v]]\n");
        return 2;
    }
    char errstr[512];
    rr_ckpt_reader_t *r = rr_ckpt_open(path, errstr, sizeof(errstr));
    if (!r) {
        fprintf(stderr, "rtrec inspect: %s\n", errstr);
        return 1;
    }
    int status = 0;
    if (model)
        status = print_model(r, &cfg, json);
    else if (json)
        print_json(r);
    else
        print_text(r);
    rr_ckpt_close(r);
    return status;
}
