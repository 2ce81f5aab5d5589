/* bench_micro.h — the micro benchmark cases of bench_micro, one function per case family, each
 * in its own file. A case validates its result first, then (unless smoke) times it. */
#ifndef BENCH_MICRO_H
#define BENCH_MICRO_H

#include "rr_bench.h"

void bench_decode(void);    /* bench_micro.c: protobuf and JSON decode per event */
void bench_portrait(void);  /* bench_micro.c: portrait update per event, bytes per user */
double bench_sgemm(void);   /* bench_model.c: OpenBLAS sgemm reference; returns GFLOP/s */
void bench_sgd(double ref); /* bench_model.c: one SGD step, GFLOP/s next to ref */
void bench_topn(void);      /* bench_topn.c: rr_topn_batch retrieval, 10k..1M items, both kernels */
void bench_refresh(void);   /* bench_topn.c: rr_pipeline_refresh_batch, 10k..1M items */
void bench_redis(void);     /* bench_redis.c: publisher lists/s vs a pipelined SET loop */

#endif
