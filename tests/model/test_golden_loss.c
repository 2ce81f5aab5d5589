/* test_golden_loss — the fixed-seed toy task (train_toy.h) must reproduce its held-out loss
 * curve, every TOY_EVERY steps, within 1e-4 of tests/model/golden_loss.txt, and learn.
 * After an intended change of the math, regenerate the file and review the diff:
 *   RTREC_REGEN_GOLDEN=1 ./model_golden_loss   (writes RR_GOLDEN_LOSS_PATH) */
#include <stdio.h>

#include "rr_test.h"
#include "train_toy.h"

#define NPOINTS (TOY_STEPS / TOY_EVERY + 1)

static void test_golden_curve(void)
{
    toy_t toy;
    toy_init(&toy, 42);
    double curve[NPOINTS], train = 0.0;
    curve[0] = toy_eval(&toy);
    for (int s = 1; s <= TOY_STEPS; s++) {
        train += toy_step(&toy);
        if (s % TOY_EVERY == 0) {
            curve[s / TOY_EVERY] = toy_eval(&toy);
            printf("step %3d  eval %.6f  train(avg of %d) %.6f\n", s, curve[s / TOY_EVERY],
                   TOY_EVERY, train / TOY_EVERY);
            train = 0.0;
        }
    }
    toy_free(&toy);
    /* Sanity, independent of the golden file: the held-out loss falls substantially. */
    printf("eval loss %.4f -> %.4f\n", curve[0], curve[NPOINTS - 1]);
    CHECK(curve[NPOINTS - 1] < 0.8 * curve[0]);

    const char *regen = getenv("RTREC_REGEN_GOLDEN");
    if (regen && strcmp(regen, "1") == 0) {
        FILE *f = fopen(RR_GOLDEN_LOSS_PATH, "w");
        CHECK(f != NULL);
        if (!f) return;
        fprintf(f, "# step eval_loss: tests/model/test_golden_loss.c, RTREC_REGEN_GOLDEN=1\n");
        for (int k = 0; k < NPOINTS; k++) fprintf(f, "%d %.6f\n", k * TOY_EVERY, curve[k]);
        fclose(f);
        printf("wrote %s\n", RR_GOLDEN_LOSS_PATH);
        return;
    }
    FILE *f = fopen(RR_GOLDEN_LOSS_PATH, "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[256];
    int n = 0, step;
    double want;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#') continue;
        if (sscanf(line, "%d %lf", &step, &want) != 2) continue;
        CHECK(n < NPOINTS && step == n * TOY_EVERY);
        if (n < NPOINTS) CHECK_NEAR(curve[n], want, 1e-4);
        n++;
    }
    fclose(f);
    CHECK_INT(n, NPOINTS);
}

RR_TEST_MAIN(RR_TEST(test_golden_curve))
