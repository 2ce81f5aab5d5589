/* raw_consume.c — the reference rate for bench/e2e: a bare librdkafka consume loop that assigns
 * every partition of a topic from the beginning and counts messages (decodes nothing) until N
 * have arrived. Prints one `bench name=raw_consume ...` line; the clock starts at the first
 * message, so connection set-up and metadata are excluded. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

#define RAW_BATCH 1000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: raw_consume -b BOOTSTRAP -t TOPIC -n MESSAGES [-T TIMEOUT_S]"
                    " [-X key=value]...\n");
    return 2;
}

static rd_kafka_t *consumer_new(const char *bootstrap, char **props, int nprops)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *fixed[][2] = {{"bootstrap.servers", bootstrap},
                              {"group.id", "rtrec-bench-raw"},
                              {"enable.auto.commit", "false"},
                              {"enable.partition.eof", "false"}};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (rd_kafka_conf_set(conf, fixed[i][0], fixed[i][1], errstr, sizeof(errstr))) goto fail;
    for (int i = 0; i < nprops; i++) {
        char *eq = strchr(props[i], '=');
        if (!eq) {
            snprintf(errstr, sizeof(errstr), "-X %s: expected key=value", props[i]);
            goto fail;
        }
        *eq = '\0';
        if (rd_kafka_conf_set(conf, props[i], eq + 1, errstr, sizeof(errstr))) goto fail;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (rk) return rk;
    fprintf(stderr, "raw_consume: %s\n", errstr);
    return NULL;
fail:
    fprintf(stderr, "raw_consume: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Assigns every partition of topic at OFFSET_BEGINNING; returns the partition count or -1. */
static int assign_all(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "raw_consume: metadata for %s: %s\n", topic,
                rd_kafka_err2str(err             ? err
                                 : md->topic_cnt ? md->topics[0].err
                                                 : err));
        if (md) rd_kafka_metadata_destroy(md);
        return -1;
    }
    int nparts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(nparts);
    for (int p = 0; p < nparts; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    err = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (err) {
        fprintf(stderr, "raw_consume: assign: %s\n", rd_kafka_err2str(err));
        return -1;
    }
    return nparts;
}

/* Counts messages until want arrived or timeout_s passed; first and last get the clock at the
 * first and the last message. Returns the count. */
static uint64_t consume_count(rd_kafka_t *rk, uint64_t want, double timeout_s, uint64_t *bytes,
                              double *first, double *last)
{
    rd_kafka_queue_t *rkqu = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *batch[RAW_BATCH];
    uint64_t got = 0;
    double start = now_s();
    *bytes = 0;
    *first = *last = 0;
    while (got < want && now_s() - start < timeout_s) {
        ssize_t n = rd_kafka_consume_batch_queue(rkqu, 100, batch, RAW_BATCH);
        for (ssize_t i = 0; i < n; i++) {
            if (!batch[i]->err) {
                if (got++ == 0) *first = now_s();
                *bytes += batch[i]->len;
            }
            rd_kafka_message_destroy(batch[i]);
        }
        if (n > 0) *last = now_s();
    }
    rd_kafka_queue_destroy(rkqu);
    return got;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL;
    uint64_t want = 0;
    double timeout_s = 60;
    char *props[32];
    int nprops = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-b") == 0)
            bootstrap = argv[i + 1];
        else if (strcmp(argv[i], "-t") == 0)
            topic = argv[i + 1];
        else if (strcmp(argv[i], "-n") == 0)
            want = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-T") == 0)
            timeout_s = atof(argv[i + 1]);
        else if (strcmp(argv[i], "-X") == 0 && nprops < 32)
            props[nprops++] = argv[i + 1];
        else
            return usage();
    }
    if ((argc % 2) == 0 || !bootstrap || !topic || want == 0) return usage();
    rd_kafka_t *rk = consumer_new(bootstrap, props, nprops);
    if (!rk) return 1;
    double assigned = now_s();
    int nparts = assign_all(rk, topic);
    uint64_t bytes = 0, got = 0;
    double first = 0, last = 0;
    if (nparts > 0) got = consume_count(rk, want, timeout_s, &bytes, &first, &last);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (nparts < 0) return 1;
    if (got != want) {
        fprintf(stderr, "raw_consume: got %" PRIu64 " of %" PRIu64 " messages\n", got, want);
        return 1;
    }
    double secs = last > first ? last - first : 1e-9;
    printf("bench name=raw_consume value=%.0f unit=msg/s messages=%" PRIu64 " partitions=%d "
           "secs=%.3f secs_from_assign=%.3f bytes_per_msg=%.1f\n",
           (double)(got - 1) / secs, got, nparts, secs, last - assigned,
           (double)bytes / (double)got);
    return 0;
}
