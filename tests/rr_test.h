/* rr_test.h — a minimal test harness: each test binary is its own process (ctest adds the
 * timeout), each CHECK prints file:line and the values on failure, main() runs a table. */
#ifndef RR_TEST_H
#define RR_TEST_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

/* One counter for the whole binary: a helper file's CHECKs (sync_pair.c, part_move.c) fail the
 * test as its own do (each file including this defines it weak; the linker keeps one). */
__attribute__((weak)) int rr_test_failures_;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            rr_test_failures_++;                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,  \
                    a_, b_);                                                                       \
            rr_test_failures_++;                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a,  \
                    #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                   \
            rr_test_failures_++;                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        if (!(fabs(a_ - b_) <= (tol))) {                                                           \
            fprintf(stderr, "%s:%d: |%s - %s| <= %g failed: %.9g vs %.9g\n", __FILE__, __LINE__,   \
                    #a, #b, (double)(tol), a_, b_);                                                \
            rr_test_failures_++;                                                                   \
        }                                                                                          \
    } while (0)

typedef struct {
    const char *name;
    void (*fn)(void);
} rr_test_case_t;

#define RR_TEST(fn)                                                                                \
    {                                                                                              \
#fn, fn                                                                                    \
    }

/* Removes a flat temporary directory (a test's checkpoints): 0, or -1 if anything stayed. */
static inline int rr_test_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    char path[512];
    int rc = d ? 0 : -1;
    for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (unlink(path) != 0) rc = -1;
    }
    if (d) closedir(d);
    return rmdir(dir) == 0 ? rc : -1;
}

/* Runs the cases named on the command line, or all; exit status 1 if any check failed. */
static inline int rr_test_main(int argc, char **argv, const rr_test_case_t *cases, size_t n)
{
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
        int before = rr_test_failures_;
        cases[i].fn();
        printf("%s %s\n", rr_test_failures_ == before ? "ok  " : "FAIL", cases[i].name);
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(any)");
        return 1;
    }
    return rr_test_failures_ ? 1 : 0;
}

#define RR_TEST_MAIN(...)                                                                          \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const rr_test_case_t cases_[] = {__VA_ARGS__};                                      \
        return rr_test_main(argc, argv, cases_, sizeof(cases_) / sizeof(cases_[0]));               \
    }

#endif
