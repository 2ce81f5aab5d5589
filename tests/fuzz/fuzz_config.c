/* fuzz_config.c — libFuzzer target: the config parser on arbitrary text, both as -X entries
 * (one per line) and as a -c file. Whatever it accepts must read back as a valid table. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_config.h"

static void each_line(const uint8_t *data, size_t size, rr_config_t *cfg)
{
    char line[1024], errstr[256];
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n') continue;
        size_t len = i - start < sizeof(line) - 1 ? i - start : sizeof(line) - 1;
        memcpy(line, data + start, len);
        line[len] = '\0';
        rr_config_set_kv(cfg, line, errstr, sizeof(errstr));
        start = i + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rr_config_t cfg;
    char errstr[256];
    rr_config_init(&cfg);
    each_line(data, size, &cfg);
    /* Invariants the engine relies on, whatever was accepted: every key still passes the
     * table's own check (choices, ranges, terminated strings). */
    if (rr_config_check(&cfg, errstr, sizeof(errstr)) != RR_OK) abort();
    if (cfg.recs_n < 1 || cfg.recs_n > 100 || cfg.users_max < 16 || cfg.nkafka < 0 ||
        cfg.nkafka > RR_CONFIG_KAFKA_MAX)
        abort();
    if (memchr(cfg.topic_events, '\0', sizeof(cfg.topic_events)) == NULL) abort();
    const char *kv[2 * RR_CONFIG_KAFKA_MAX + 4];
    size_t n = rr_config_kafka(&cfg, kv, sizeof(kv) / sizeof(kv[0]));
    for (size_t i = 0; i < n; i++)
        if (!kv[i] || strlen(kv[i]) >= RR_CONFIG_STR_MAX) abort();

    FILE *fp = tmpfile(); /* the same bytes as a -c file */
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fflush(fp);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fileno(fp));
    rr_config_init(&cfg);
    rr_config_load(&cfg, path, errstr, sizeof(errstr));
    fclose(fp);
    return 0;
}
