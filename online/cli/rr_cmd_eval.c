/* rr_cmd_eval.c — `rtrec eval FILE... --format F [--items FILE] [--users FILE] [--no-side]
 * [--instances N [--sync-ms T]] [--json] [-X key=value]...`: the prequential evaluation of
 * rr_eval.h, printed as a table or one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_cli.h"
#include "rr_eval.h"

static int eval_usage(void)
{
    fprintf(stderr, "usage: rtrec eval FILE... --format "
                    "taobao|rees46|movielens|ml100k|amazon|caixin|jsonl|pb [--items FILE] "
                    "[--users FILE] [--no-side] [--instances N [--sync-ms T]] [--json] [-c FILE] "
                    "[-X key=value]...\n");
    return 2;
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
    rr_eval_sync_t sync = {1, -1}; /* --sync-ms unset: sync.interval_ms */
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
    if (sync.sync_ms < 0) sync.sync_ms = sync.instances > 1 ? cfg.sync_interval_ms : 0;
    rr_eval_result_t res;
    char errstr[512];
    if (rr_eval_run_sync(&cfg, files, nfiles, fmt, &side, &sync, stderr, &res, errstr,
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
