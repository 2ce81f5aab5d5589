/* rr_cmd_record.c — `rtrec record --topic T --out FILE`: every message of a topic, from the
 * first offset to the high watermark at start, as length-delimited frames (values only;
 * tombstones are skipped). */
#include <stdio.h>
#include <string.h>
#include "rr_cli.h"
#include "rr_codec.h"
#include "rr_topic_dump.h"

static int record_args(char **rest, int nrest, const char **topic, const char **out)
{
    *topic = *out = NULL;
    for (int i = 0; i + 1 < nrest; i += 2) {
        if (strcmp(rest[i], "--topic") == 0)
            *topic = rest[i + 1];
        else if (strcmp(rest[i], "--out") == 0)
            *out = rest[i + 1];
    }
    if (*topic && *out && nrest == 4) return 0;
    fprintf(stderr, "usage: rtrec record --topic T --out FILE [-X kafka.bootstrap.servers=H:P]\n");
    return 2;
}

/* Returns RR_E(EOF) once the whole topic is written. */
static rr_err_t drain(rr_topic_dump_t *td, FILE *fp, uint64_t *written)
{
    rr_msg_t msg;
    rr_err_t err;
    while ((err = rr_topic_dump_next(td, &msg)) == RR_OK)
        if (msg.value && rr_frame_write(fp, msg.value, msg.len) == RR_OK) (*written)++;
    return err;
}

int rr_cmd_record(int argc, char **argv)
{
    rr_config_t cfg;
    char *rest[64];
    int nrest;
    const char *topic, *out;
    rr_config_init(&cfg);
    if (argc > 64 || rr_cli_config(argc, argv, &cfg, rest, &nrest)) return 2;
    if (record_args(rest, nrest, &topic, &out)) return 2;
    const char *kv[2 * RR_CONFIG_KAFKA_MAX + 4];
    size_t nkv = rr_config_kafka(&cfg, kv, sizeof(kv) / sizeof(kv[0]));
    char errstr[512];
    rr_topic_dump_t *td = rr_topic_dump_new(kv, nkv, topic, errstr, sizeof(errstr));
    if (!td) {
        fprintf(stderr, "rtrec record: %s\n", errstr);
        return 1;
    }
    FILE *fp = fopen(out, "wb");
    if (!fp) {
        perror(out);
        rr_topic_dump_free(td);
        return 1;
    }
    uint64_t n = 0;
    int complete = drain(td, fp, &n) == RR_E(EOF);
    int status = fclose(fp) != 0 || !complete;
    fprintf(stderr, "record: %llu messages from %s to %s%s\n", (unsigned long long)n, topic, out,
            status ? " (incomplete)" : "");
    rr_topic_dump_free(td);
    return status;
}
