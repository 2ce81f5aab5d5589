/* rtrec_gen.c — `rtrec-gen`: writes a synthetic clickstream as JSON lines or protobuf frames,
 * ready for `rtrec replay --format jsonl|pb`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_codec.h"
#include "rr_gen.h"

static int usage(void)
{
    fprintf(stderr, "usage: rtrec-gen [--users N] [--items N] [--categories N] [--events N]\n"
                    "                 [--seed S] [--zipf S] [--format jsonl|pb] [--out FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    rr_gen_opts_t o = {300, 400, 8, 5000, 1, 0, 1.1};
    const char *format = "jsonl", *out = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--users") == 0)
            o.users = (uint32_t)atol(v);
        else if (strcmp(a, "--items") == 0)
            o.items = (uint32_t)atol(v);
        else if (strcmp(a, "--categories") == 0)
            o.categories = (uint32_t)atol(v);
        else if (strcmp(a, "--events") == 0)
            o.events = strtoull(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            o.seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--zipf") == 0)
            o.zipf_s = atof(v);
        else if (strcmp(a, "--format") == 0)
            format = v;
        else if (strcmp(a, "--out") == 0)
            out = v;
        else
            return usage();
    }
    int pb = strcmp(format, "pb") == 0;
    if ((argc % 2) == 0 || (!pb && strcmp(format, "jsonl") != 0) || o.users == 0 || o.items == 0)
        return usage();
    FILE *fp = out ? fopen(out, "wb") : stdout;
    if (!fp) {
        perror(out);
        return 1;
    }
    rr_gen_t *g = rr_gen_new(&o);
    rr_event_t ev;
    char buf[4096];
    size_t len;
    int status = g ? 0 : 1;
    while (status == 0 && rr_gen_next(g, &ev)) {
        if (pb) {
            status =
                rr_event_encode_pb(&ev, buf, sizeof(buf), &len) || rr_frame_write(fp, buf, len);
        } else {
            status = rr_event_encode_json(&ev, buf, sizeof(buf), &len) != RR_OK;
            if (!status) fprintf(fp, "%.*s\n", (int)len, buf);
        }
    }
    rr_gen_free(g);
    if (out && fclose(fp) != 0) status = 1;
    return status;
}
