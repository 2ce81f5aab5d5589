/* part_move.c — see part_move.h. */
#include "part_move.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "rr_pipeline_ckpt_part.h"
#include "rr_test.h"

size_t part_move(const rr_pipeline_t *src, rr_pipeline_t *dst, int32_t partition)
{
    char dir[] = "/tmp/rr_part_move.XXXXXX", path[512], errstr[256] = "";
    size_t nusers = 0;
    CHECK(mkdtemp(dir) != NULL);
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, 1, errstr, sizeof(errstr));
    CHECK(w != NULL);
    if (!w) return 0;
    CHECK_INT(rr_pipeline_save_part(src, partition, w), RR_OK);
    CHECK_INT(rr_ckpt_commit(w), RR_OK);
    snprintf(path, sizeof(path), "%s/ckpt-1.rrc", dir);
    rr_ckpt_reader_t *r = rr_ckpt_open(path, errstr, sizeof(errstr));
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(rr_pipeline_load_part(dst, r, partition, &nusers, errstr, sizeof(errstr)), RR_OK);
        rr_ckpt_close(r);
    }
    unlink(path);
    rmdir(dir);
    return nusers;
}
