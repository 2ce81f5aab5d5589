/* rr_cmd_inspect.c — `rtrec inspect CHECKPOINT [--json]`: verifies a checkpoint and prints each
 * section's tag/sub, size and XXH64 digest, so two runs' states can be diffed by eye or script.
 * created_ms is on the header line only, so section lines of equal states compare equal. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "rr_ckpt.h"
#include "rr_cli.h"

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

int rr_cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            bad = 1; /* an unknown option or a second path */
    }
    if (!path || bad) {
        fprintf(stderr, "usage: rtrec inspect CHECKPOINT [--json]\n");
        return 2;
    }
    char errstr[512];
    rr_ckpt_reader_t *r = rr_ckpt_open(path, errstr, sizeof(errstr));
    if (!r) {
        fprintf(stderr, "rtrec inspect: %s\n", errstr);
        return 1;
    }
    if (json)
        print_json(r);
    else
        print_text(r);
    rr_ckpt_close(r);
    return 0;
}
