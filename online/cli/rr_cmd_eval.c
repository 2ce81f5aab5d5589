/* rr_cmd_eval.c — `rtrec eval FILE... --format F [--items FILE] [--users FILE] [--no-side]
 * [--instances N [--sync-ms T | --sync-events K] [--assign I,I,...]] [--lists fresh|held]
 * [--json] [-X key=value]...`: the prequential evaluation of rr_eval.h, printed as a table or
 * one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_cli.h"
#include "rr_eval.h"

static int eval_usage(void)
{
    fprintf(stderr,
            "usage: rtrec eval FILE... --format "
            "taobao|rees46|movielens|ml100k|amazon|caixin|jsonl|pb [--items FILE] "
            "[--users FILE] [--no-side] [--instances N [--sync-ms T | --sync-events K] "
            "[--assign I,I,...]] [--lists fresh|held] [--json] [-c FILE] [-X key=value]...\n"
            "  --instances N     N pipelines, a user's events to the instance of its partition\n"
            "  --sync-ms T       a sync round every T ms of event time (default sync.interval_ms)\n"
            "  --sync-events K   a sync round after every K events instead (a paced replay at R\n"
            "                    events/s into engines syncing every T ms: K = R*T/1000)\n"
            "  --assign I,I,...  the instance of each partition (broker.partitions of them), as\n"
            "                    the group handed them out; default partition p to p mod N\n"
            "  --lists fresh     rtrec's list recomputed right before each target (default)\n"
            "  --lists held      the list `rtrec run` holds: recomputed right after each of the\n"
            "                    user's events; adds the pipelines' own prequential counters\n"
            "                    (engine_targets, engine_hr10: what GET /sync counts)\n");
    return 2;
}

/* "0,1,1,0": one instance per partition, exactly broker.partitions of them. */
static int parse_assign(const char *text, int partitions, uint8_t *assign)
{
    int n = 0;
    for (const char *p = text; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v >= RR_EVAL_MAX_INSTANCES || n >= partitions) return -1;
        assign[n++] = (uint8_t)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n == partitions ? 0 : -1;
}

int rr_cmd_eval(int argc, char **argv)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    const char **files = calloc((size_t)argc + 1, sizeof(*files));
    int nrest = 0, json = 0, status = 2;
    size_t nfiles = 0;
    rr_format_t fmt = RR_FMT_NONE;
    rr_eval_side_t side = {NULL, NULL, 0};
    rr_eval_sync_t sync = {1, -1, 0, NULL}; /* --sync-ms unset: sync.interval_ms */
    rr_eval_lists_t lists = RR_EVAL_LISTS_FRESH;
    const char *assign_text = NULL;
    static uint8_t assign[1024]; /* broker.partitions' maximum */
    if (!rest || !files || rr_cli_config(argc, argv, &cfg, rest, &nrest)) goto out;
    rr_cli_log_level(&cfg);
    for (int i = 0; i < nrest; i++) {
        if (strcmp(rest[i], "--format") == 0 && i + 1 < nrest)
            fmt = rr_format_parse(rest[++i]);
        else if (strcmp(rest[i], "--items") == 0 && i + 1 < nrest)
            side.items = rest[++i];
        else if (strcmp(rest[i], "--users") == 0 && i + 1 < nrest)
            side.users = rest[++i];
        else if (strcmp(rest[i], "--instances") == 0 && i + 1 < nrest)
            sync.instances = atoi(rest[++i]);
        else if (strcmp(rest[i], "--sync-ms") == 0 && i + 1 < nrest)
            sync.sync_ms = atoll(rest[++i]);
        else if (strcmp(rest[i], "--sync-events") == 0 && i + 1 < nrest)
            sync.sync_events = atoll(rest[++i]);
        else if (strcmp(rest[i], "--assign") == 0 && i + 1 < nrest)
            assign_text = rest[++i];
        else if (strcmp(rest[i], "--lists") == 0 && i + 1 < nrest &&
                 (strcmp(rest[i + 1], "fresh") == 0 || strcmp(rest[i + 1], "held") == 0))
            lists = strcmp(rest[++i], "held") == 0 ? RR_EVAL_LISTS_HELD : RR_EVAL_LISTS_FRESH;
        else if (strcmp(rest[i], "--no-side") == 0)
            side.strip = 1;
        else if (strcmp(rest[i], "--json") == 0)
            json = 1;
        else if (rest[i][0] != '-' || strcmp(rest[i], "-") == 0)
            files[nfiles++] = rest[i];
        else
            goto usage;
    }
    if (fmt == RR_FMT_NONE || nfiles == 0) goto usage;
    if (assign_text) {
        if (parse_assign(assign_text, cfg.broker_partitions, assign)) {
            fprintf(stderr,
                    "rtrec eval: --assign %s: one instance per partition (%d), comma-separated\n",
                    assign_text, cfg.broker_partitions);
            goto out;
        }
        sync.assign = assign;
    }
    if (sync.sync_ms < 0) sync.sync_ms = sync.instances > 1 ? cfg.sync_interval_ms : 0;
    rr_eval_result_t res;
    char errstr[512];
    if (rr_eval_run_lists(&cfg, files, nfiles, fmt, &side, &sync, lists, stderr, &res, errstr,
                          sizeof(errstr))) {
        fprintf(stderr, "rtrec eval: %s\n", errstr);
        status = 1;
        goto out;
    }
    if (json)
        rr_eval_print_json(stdout, &res, files, nfiles, fmt);
    else
        rr_eval_print_text(stdout, &res, files, nfiles, fmt);
    status = 0;
    goto out;
usage:
    status = eval_usage();
out:
    free(rest);
    free(files);
    return status;
}
