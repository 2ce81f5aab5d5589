/* rr_eval_print.c — the metrics of an `rtrec eval` run and their two renderings: a table for
 * people and one JSON object for scripts (bench/eval_datasets). */
#include <math.h>
#include <string.h>
#include "rr_eval.h"

double rr_eval_hr(const rr_eval_result_t *res, int method)
{
    return res->targets ? (double)res->hits[method] / (double)res->targets : 0.0;
}

double rr_eval_ndcg(const rr_eval_result_t *res, int method)
{
    return res->targets ? res->ndcg_sum[method] / (double)res->targets : 0.0;
}

double rr_eval_cold_hr(const rr_eval_result_t *res, int method)
{
    return res->cold_targets ? (double)res->cold_hits[method] / (double)res->cold_targets : 0.0;
}

double rr_eval_cold_ndcg(const rr_eval_result_t *res, int method)
{
    return res->cold_targets ? res->cold_ndcg_sum[method] / (double)res->cold_targets : 0.0;
}

double rr_eval_engine_hr(const rr_eval_result_t *res)
{
    return res->engine_targets ? (double)res->engine_hits10 / (double)res->engine_targets : 0.0;
}

double rr_eval_engine_ndcg(const rr_eval_result_t *res)
{
    return res->engine_targets ? res->engine_ndcg10 / (double)res->engine_targets : 0.0;
}

double rr_eval_coverage(const rr_eval_result_t *res)
{
    return res->items ? (double)res->covered / (double)res->items : 0.0;
}

double rr_eval_events_per_s(const rr_eval_result_t *res)
{
    return res->rtrec_s > 0 ? (double)res->events / res->rtrec_s : 0.0;
}

int rr_eval_best_of_family(const rr_eval_result_t *res, const char *family)
{
    int best = -1;
    for (int a = 0; a < RR_ANCHOR__COUNT; a++) {
        int m = RR_EVAL_ANCHOR0 + a;
        if (!res->ran[m] || (family && strcmp(rr_anchor_family(a), family) != 0)) continue;
        if (best < 0 || res->hits[m] > res->hits[RR_EVAL_ANCHOR0 + best]) best = a;
    }
    return best;
}

int rr_eval_best_anchor(const rr_eval_result_t *res)
{
    return rr_eval_best_of_family(res, NULL);
}

/* rtrec's HR@K over the best anchor's; 0 when no anchor ran or the best scored 0. */
static double eval_anchor_ratio(const rr_eval_result_t *res)
{
    int best = rr_eval_best_anchor(res);
    double hr = best < 0 ? 0.0 : rr_eval_hr(res, RR_EVAL_ANCHOR0 + best);
    return hr > 0 ? rr_eval_hr(res, RR_EVAL_RTREC) / hr : 0.0;
}

/* rtrec's HR@K over the better of the two baselines; 0 when both are 0. */
static double eval_ratio(const rr_eval_result_t *res, int method)
{
    double pop = rr_eval_hr(res, RR_EVAL_POP), knn = rr_eval_hr(res, RR_EVAL_KNN);
    double best = pop > knn ? pop : knn;
    return best > 0 ? rr_eval_hr(res, method) / best : 0.0;
}

/* The anchors' table, each family's best half-life, the best anchor and rtrec over it. */
static void eval_print_anchors(FILE *fp, const rr_eval_result_t *res)
{
    fprintf(fp, "\n%-16s %8s %8s %8s %8s   (same targets; ran in %.2f s)\n", "anchor", "HR@10",
            "NDCG@10", "cold HR", "cold NDCG", res->anchors_s);
    for (int a = 0; a < RR_ANCHOR__COUNT; a++) {
        int m = RR_EVAL_ANCHOR0 + a;
        if (res->ran[m])
            fprintf(fp, "%-16s %8.4f %8.4f %8.4f %8.4f\n", rr_anchor_name(a), rr_eval_hr(res, m),
                    rr_eval_ndcg(res, m), rr_eval_cold_hr(res, m), rr_eval_cold_ndcg(res, m));
    }
    const char *families[] = {"trend", "cat_trend"};
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        int best = rr_eval_best_of_family(res, families[f]);
        if (best >= 0)
            fprintf(fp, "best %-11s h = %s (HR@10 %.4f)\n", families[f], rr_anchor_half_life(best),
                    rr_eval_hr(res, RR_EVAL_ANCHOR0 + best));
    }
    int best = rr_eval_best_anchor(res);
    if (best >= 0)
        fprintf(fp, "best anchor      %s (HR@10 %.4f, NDCG@10 %.4f)   rtrec / best anchor %.2fx\n",
                rr_anchor_name(best), rr_eval_hr(res, RR_EVAL_ANCHOR0 + best),
                rr_eval_ndcg(res, RR_EVAL_ANCHOR0 + best), eval_anchor_ratio(res));
}

void rr_eval_print_text(FILE *fp, const rr_eval_result_t *res, const char *const *files,
                        size_t nfiles, rr_format_t fmt)
{
    static const char *names[RR_EVAL_ANCHOR0] = {"rtrec", "popularity", "item-kNN"};
    fprintf(fp, "dataset    (%s)", rr_format_name(fmt));
    for (size_t f = 0; f < nfiles; f++) fprintf(fp, "%s%s", f ? "\n             " : " ", files[f]);
    fprintf(fp, "\nevents     %llu (skipped records %llu, refused by rtrec %llu)\n",
            (unsigned long long)res->events, (unsigned long long)res->skipped,
            (unsigned long long)res->dropped);
    fprintf(fp, "users      %llu   items %llu   targets %llu (new-item events of known users)\n",
            (unsigned long long)res->users, (unsigned long long)res->items,
            (unsigned long long)res->targets);
    fprintf(fp, "cold start %llu targets (after a user's 1st to %d. event)\n",
            (unsigned long long)res->cold_targets, RR_EVAL_COLD);
    if (res->side_items || res->side_users)
        fprintf(fp, "side files %llu items, %llu users (rtrec only)\n",
                (unsigned long long)res->side_items, (unsigned long long)res->side_users);
    fprintf(fp, "\n%-12s %8s %8s %10s %8s %9s\n", "method", "HR@10", "NDCG@10", "vs best bl",
            "cold HR", "cold NDCG");
    for (int m = 0; m < RR_EVAL_ANCHOR0; m++)
        fprintf(fp, "%-12s %8.4f %8.4f %9.2fx %8.4f %9.4f\n", names[m], rr_eval_hr(res, m),
                rr_eval_ndcg(res, m), eval_ratio(res, m), rr_eval_cold_hr(res, m),
                rr_eval_cold_ndcg(res, m));
    eval_print_anchors(fp, res);
    if (isnan(res->logloss))
        fprintf(fp, "\nlogloss    n/a   auc n/a   (model.enabled=0)\n");
    else
        fprintf(
            fp,
            "\nlogloss    %.4f   auc %.4f   (the MLP, prequential: each batch before its step)\n",
            res->logloss, res->auc);
    fprintf(fp, "rtrec      %.0f events/s (apply + refresh %s, %.2f s)   wall %.2f s\n",
            rr_eval_events_per_s(res),
            res->lists == RR_EVAL_LISTS_HELD ? "after each event" : "at targets", res->rtrec_s,
            res->wall_s);
    /* n bytes per user is n MB per million users. */
    fprintf(fp, "memory     %zu bytes per user slot (%zu MB at 1M users)\n", res->bytes_per_user,
            res->bytes_per_user);
    fprintf(fp, "coverage   %.4f (%llu of %llu items in some rtrec top-10 at a target)\n",
            rr_eval_coverage(res), (unsigned long long)res->covered,
            (unsigned long long)res->items);
    if (res->sync_events > 0)
        fprintf(fp, "scale-out  %d instances, sync every %lld events: %llu rounds, %llu bytes\n",
                res->instances, (long long)res->sync_events, (unsigned long long)res->sync_rounds,
                (unsigned long long)res->sync_bytes);
    else if (res->instances > 1 || res->sync_ms > 0)
        fprintf(fp,
                "scale-out  %d instances, sync every %lld ms of event time%s: %llu rounds, "
                "%llu bytes (%.1f B/s of event time over %.0f s)\n",
                res->instances, (long long)res->sync_ms, res->sync_ms ? "" : " (never)",
                (unsigned long long)res->sync_rounds, (unsigned long long)res->sync_bytes,
                rr_eval_sync_bytes_per_s(res), res->span_s);
    if (res->lists == RR_EVAL_LISTS_HELD)
        fprintf(fp,
                "engine     HR@10 %.4f  NDCG@10 %.4f over %llu targets (%llu hits; the "
                "pipelines' own counters, lists held)\n",
                rr_eval_engine_hr(res), rr_eval_engine_ndcg(res),
                (unsigned long long)res->engine_targets, (unsigned long long)res->engine_hits10);
}

static void json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

/* A family's best anchor's name as a JSON string, or null when none of it ran. */
static void json_best(FILE *fp, const char *key, int anchor)
{
    fprintf(fp, "\"%s\":", key);
    if (anchor < 0)
        fprintf(fp, "null,");
    else
        fprintf(fp, "\"%s\",", rr_anchor_name(anchor));
}

static void eval_json_anchors(FILE *fp, const rr_eval_result_t *res)
{
    fprintf(fp, "\"anchors\":{");
    for (int a = 0, first = 1; a < RR_ANCHOR__COUNT; a++) {
        int m = RR_EVAL_ANCHOR0 + a;
        if (!res->ran[m]) continue;
        fprintf(fp,
                "%s\"%s\":{\"hr10\":%.6f,\"ndcg10\":%.6f,\"cold_hr10\":%.6f,\"cold_ndcg10\":%.6f}",
                first ? "" : ",", rr_anchor_name(a), rr_eval_hr(res, m), rr_eval_ndcg(res, m),
                rr_eval_cold_hr(res, m), rr_eval_cold_ndcg(res, m));
        first = 0;
    }
    fprintf(fp, "},");
    json_best(fp, "best_trend", rr_eval_best_of_family(res, "trend"));
    json_best(fp, "best_cat_trend", rr_eval_best_of_family(res, "cat_trend"));
    int best = rr_eval_best_anchor(res);
    json_best(fp, "best_anchor", best);
    int m = best < 0 ? RR_EVAL_RTREC : RR_EVAL_ANCHOR0 + best;
    fprintf(fp, "\"best_anchor_hr10\":%.6f,\"best_anchor_ndcg10\":%.6f,",
            best < 0 ? 0.0 : rr_eval_hr(res, m), best < 0 ? 0.0 : rr_eval_ndcg(res, m));
    fprintf(fp, "\"ratio_vs_best_anchor\":%.4f,\"anchors_s\":%.4f", eval_anchor_ratio(res),
            res->anchors_s);
}

void rr_eval_print_json(FILE *fp, const rr_eval_result_t *res, const char *const *files,
                        size_t nfiles, rr_format_t fmt)
{
    fprintf(fp, "{\"files\":[");
    for (size_t f = 0; f < nfiles; f++) {
        if (f) fputc(',', fp);
        json_string(fp, files[f]);
    }
    fprintf(fp, "],\"format\":\"%s\",\"events\":%llu,\"skipped\":%llu,\"dropped\":%llu,",
            rr_format_name(fmt), (unsigned long long)res->events, (unsigned long long)res->skipped,
            (unsigned long long)res->dropped);
    fprintf(fp, "\"users\":%llu,\"items\":%llu,\"targets\":%llu,", (unsigned long long)res->users,
            (unsigned long long)res->items, (unsigned long long)res->targets);
    fprintf(fp, "\"hr10\":%.6f,\"ndcg10\":%.6f,\"pop_hr10\":%.6f,\"pop_ndcg10\":%.6f,",
            rr_eval_hr(res, RR_EVAL_RTREC), rr_eval_ndcg(res, RR_EVAL_RTREC),
            rr_eval_hr(res, RR_EVAL_POP), rr_eval_ndcg(res, RR_EVAL_POP));
    fprintf(fp, "\"cold_targets\":%llu,\"cold_hr10\":%.6f,\"cold_ndcg10\":%.6f,",
            (unsigned long long)res->cold_targets, rr_eval_cold_hr(res, RR_EVAL_RTREC),
            rr_eval_cold_ndcg(res, RR_EVAL_RTREC));
    fprintf(fp, "\"pop_cold_hr10\":%.6f,\"knn_cold_hr10\":%.6f,", rr_eval_cold_hr(res, RR_EVAL_POP),
            rr_eval_cold_hr(res, RR_EVAL_KNN));
    fprintf(fp, "\"side_items\":%llu,\"side_users\":%llu,", (unsigned long long)res->side_items,
            (unsigned long long)res->side_users);
    fprintf(fp, "\"knn_hr10\":%.6f,\"knn_ndcg10\":%.6f,\"ratio_vs_best_baseline\":%.4f,",
            rr_eval_hr(res, RR_EVAL_KNN), rr_eval_ndcg(res, RR_EVAL_KNN),
            eval_ratio(res, RR_EVAL_RTREC));
    if (isnan(res->logloss))
        fprintf(fp, "\"logloss\":null,\"auc\":null,");
    else
        fprintf(fp, "\"logloss\":%.6f,\"auc\":%.6f,", res->logloss, res->auc);
    fprintf(fp, "\"events_per_s\":%.1f,\"rtrec_s\":%.4f,", rr_eval_events_per_s(res), res->rtrec_s);
    fprintf(fp, "\"wall_s\":%.4f,\"coverage\":%.6f,\"bytes_per_user\":%zu,", res->wall_s,
            rr_eval_coverage(res), res->bytes_per_user);
    fprintf(fp,
            "\"instances\":%d,\"sync_ms\":%lld,\"sync_rounds\":%llu,\"sync_bytes\":%llu,"
            "\"sync_bytes_per_s\":%.3f,\"span_s\":%.3f,",
            res->instances, (long long)res->sync_ms, (unsigned long long)res->sync_rounds,
            (unsigned long long)res->sync_bytes, rr_eval_sync_bytes_per_s(res), res->span_s);
    fprintf(fp,
            "\"sync_events\":%lld,\"lists\":\"%s\",\"engine_targets\":%llu,\"engine_hits10\":%llu,"
            "\"engine_hr10\":%.6f,\"engine_ndcg10\":%.6f,",
            (long long)res->sync_events, res->lists == RR_EVAL_LISTS_HELD ? "held" : "fresh",
            (unsigned long long)res->engine_targets, (unsigned long long)res->engine_hits10,
            rr_eval_engine_hr(res), rr_eval_engine_ndcg(res));
    eval_json_anchors(fp, res);
    fprintf(fp, "}\n");
}
