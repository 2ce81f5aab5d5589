/* rr_bench.h — a tiny benchmark harness, header-only: time a closure over N repetitions, take the
 * median of R runs (these machines are noisy), print one `bench name=... value=...` line per case.
 * Smoke mode (rr_bench_smoke) validates results but never times anything. */
#ifndef RR_BENCH_H
#define RR_BENCH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Runs the measured operation reps times. */
typedef void (*rr_bench_fn)(void *ctx, long reps);

extern int rr_bench_smoke; /* set by main: --smoke */
extern int rr_bench_failed;

static inline double rr_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int rr_bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define RR_BENCH_MAX_RUNS 32

/* Median seconds per repetition over runs runs of reps repetitions each. reps 0 = calibrate:
 * double from 1 until one run takes >= target_s. */
static inline double rr_bench_median(rr_bench_fn fn, void *ctx, long reps, int runs,
                                     double target_s)
{
    double t[RR_BENCH_MAX_RUNS];
    if (runs > RR_BENCH_MAX_RUNS) runs = RR_BENCH_MAX_RUNS;
    if (reps <= 0) {
        for (reps = 1;; reps *= 2) {
            double t0 = rr_bench_now();
            fn(ctx, reps);
            if (rr_bench_now() - t0 >= target_s) break;
        }
    }
    for (int r = 0; r < runs; r++) {
        double t0 = rr_bench_now();
        fn(ctx, reps);
        t[r] = (rr_bench_now() - t0) / (double)reps;
    }
    qsort(t, (size_t)runs, sizeof(double), rr_bench_cmp_double);
    return runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
}

/* One parseable line: `bench name=N value=V unit=U median_of=R` then extra key=value pairs. */
static inline void rr_bench_print(const char *name, double value, const char *unit, int runs,
                                  const char *extra_fmt, ...)
{
    printf("bench name=%s value=%.6g unit=%s median_of=%d", name, value, unit, runs);
    if (extra_fmt && extra_fmt[0]) {
        va_list ap;
        va_start(ap, extra_fmt);
        putchar(' ');
        vprintf(extra_fmt, ap);
        va_end(ap);
    }
    putchar('\n');
    fflush(stdout);
}

/* Validation outcome of a case; a failure is fatal for the case (it is not timed). */
static inline int rr_bench_check(const char *name, int ok, const char *why)
{
    if (!ok) {
        printf("bench name=%s valid=0 error=\"%s\"\n", name, why);
        fflush(stdout);
        rr_bench_failed++;
    } else if (rr_bench_smoke) {
        printf("bench name=%s valid=1 smoke=1\n", name);
        fflush(stdout);
    }
    return ok;
}

#endif
