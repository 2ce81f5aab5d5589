/* rr_cmd_record.c — `rtrec record --topic T --out FILE`: every message of a topic, from the
 * first offset to the high watermark at start, as length-delimited frames (values only;
 * tombstones are skipped). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include "rr_cli.h"
#include "rr_codec.h"

typedef struct record_state_s {
    rd_kafka_topic_partition_list_t *parts;
    int64_t *high; /* per partition: stop when reached */
    int remaining; /* partitions not yet at their high watermark */
} record_state_t;

static rd_kafka_t *record_client(const rr_config_t *cfg)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rr_cli_kafka_conf(cfg);
    if (!conf) return NULL;
    /* Assign-only consumer: a group id is required by librdkafka but never joined. */
    rd_kafka_conf_set(conf, "group.id", "rtrec-record", NULL, 0);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "rtrec record: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

static int plan(rd_kafka_t *rk, const char *topic, record_state_t *rs)
{
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "rtrec record: no metadata for %s: %s\n", topic,
                rd_kafka_err2str(err ? err : md->topics[0].err));
        if (!err) rd_kafka_metadata_destroy(md);
        return -1;
    }
    int np = md->topics[0].partition_cnt;
    rs->parts = rd_kafka_topic_partition_list_new(np);
    rs->high = calloc((size_t)np, sizeof(*rs->high));
    for (int p = 0; p < np; p++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
        rd_kafka_topic_partition_list_add(rs->parts, topic, p)->offset = lo;
        rs->high[p] = hi;
        rs->remaining += hi > lo;
    }
    rd_kafka_metadata_destroy(md);
    return 0;
}

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

static uint64_t drain(rd_kafka_t *rk, record_state_t *rs, FILE *fp)
{
    uint64_t written = 0;
    int idle_polls = 0;
    while (rs->remaining > 0 && idle_polls < 100) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 100);
        if (!msg) {
            idle_polls++;
            continue;
        }
        idle_polls = 0;
        if (!msg->err) {
            if (msg->payload && rr_frame_write(fp, msg->payload, msg->len) == RR_OK) written++;
            if (msg->offset + 1 >= rs->high[msg->partition]) {
                rs->remaining--;
                rs->high[msg->partition] = INT64_MAX; /* count each partition once */
            }
        }
        rd_kafka_message_destroy(msg);
    }
    return written;
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
    rd_kafka_t *rk = record_client(&cfg);
    if (!rk) return 1;
    record_state_t rs = {0};
    FILE *fp = NULL;
    int status = 1;
    if (plan(rk, topic, &rs) == 0 && (fp = fopen(out, "wb")) != NULL) {
        rd_kafka_assign(rk, rs.parts);
        uint64_t n = drain(rk, &rs, fp);
        status = rs.remaining > 0 || fclose(fp) != 0;
        fp = NULL;
        fprintf(stderr, "record: %llu messages from %s to %s%s\n", (unsigned long long)n, topic,
                out, status ? " (incomplete)" : "");
    } else if (rs.parts) {
        perror(out);
    }
    if (fp) fclose(fp);
    if (rs.parts) rd_kafka_topic_partition_list_destroy(rs.parts);
    free(rs.high);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return status;
}
