/* test_demographics.c — User messages through the pipeline: before and after a user's first
 * event, the portrait's text fields, forget_user erasing them, the TTL not dropping a user known
 * only from a User message, and a partition snapshot carrying the names into a pipeline whose
 * name vocabulary numbers them differently. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include "part_move.h"
#include "rr_segpop.h"
#include "rr_test.h"

#define T0 1700000000000LL

static rr_config_t small_config(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 16;
    cfg.items_max = 64;
    cfg.users_ttl_s = 3600;
    cfg.model_enabled = 0;
    return cfg;
}

static uint32_t user_msg(rr_pipeline_t *pl, const char *id, int age, const char *gender,
                         const char *occupation, const char *region)
{
    rr_user_msg_t m;
    memset(&m, 0, sizeof(m));
    snprintf(m.user_id, sizeof(m.user_id), "%s", id);
    m.age = age;
    snprintf(m.gender, sizeof(m.gender), "%s", gender);
    snprintf(m.occupation, sizeof(m.occupation), "%s", occupation);
    snprintf(m.region, sizeof(m.region), "%s", region);
    uint32_t uid = RR_INTERN_NONE;
    CHECK_INT(rr_pipeline_user_update(pl, &m, &uid), RR_OK);
    return uid;
}

static uint32_t view(rr_pipeline_t *pl, const char *user, const char *item, int64_t ts)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = RR_EV_VIEW;
    ev.ts_ms = ts;
    ev.flags = RR_EVF_TS;
    snprintf(ev.user_id, sizeof(ev.user_id), "%s", user);
    snprintf(ev.item_id, sizeof(ev.item_id), "%s", item);
    uint32_t uid = RR_INTERN_NONE;
    CHECK_INT(rr_pipeline_apply(pl, &ev, &uid), RR_OK);
    return uid;
}

/* The value of one field of the user's portrait hash. */
static const char *field(rr_pipeline_t *pl, uint32_t uid, const char *name)
{
    static rr_portrait_text_t text;
    const char *fields[RR_PORTRAIT_NFIELDS], *values[RR_PORTRAIT_NFIELDS];
    size_t n = rr_pipeline_portrait(pl, uid, &text, fields, values);
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0) return values[i];
    return "(missing)";
}

static void test_before_and_after_events(void)
{
    rr_config_t cfg = small_config();
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    /* Before the first event: the user exists with no events and keeps them through it. */
    uint32_t a = user_msg(&pl, "a", 24, "M", "technician", "8");
    CHECK_INT(pl.store.user[a].nevents, 0);
    CHECK_INT(view(&pl, "a", "i1", T0), a);
    CHECK_STR(field(&pl, a, "age_band"), "18-24");
    CHECK_STR(field(&pl, a, "gender"), "male");
    CHECK_STR(field(&pl, a, "occupation"), "technician");
    CHECK_STR(field(&pl, a, "region"), "8");
    CHECK_STR(field(&pl, a, "events"), "1");
    /* After: a later message replaces them; an empty field is unknown. */
    uint32_t b = view(&pl, "b", "i2", T0 + 1000);
    CHECK_STR(field(&pl, b, "age_band"), "unknown");
    CHECK_STR(field(&pl, b, "occupation"), "");
    CHECK_INT(user_msg(&pl, "b", 61, "F", "retired", "9"), b);
    CHECK_STR(field(&pl, b, "age_band"), "56+");
    CHECK_STR(field(&pl, b, "gender"), "female");
    CHECK_INT(user_msg(&pl, "b", 0, "", "technician", ""), b);
    CHECK_STR(field(&pl, b, "age_band"), "unknown");
    CHECK_STR(field(&pl, b, "gender"), "unknown");
    CHECK_STR(field(&pl, b, "occupation"), "technician");
    CHECK_STR(field(&pl, b, "region"), "");
    /* Shared names are held once. */
    CHECK_INT(pl.portrait.user[a].occupation, pl.portrait.user[b].occupation);
    CHECK_INT(pl.portrait.names.count, 4); /* technician, 8, retired, 9 */
    rr_pipeline_free(&pl);
}

static void test_forget_and_ttl(void)
{
    rr_config_t cfg = small_config();
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    uint32_t a = user_msg(&pl, "a", 30, "F", "writer", "0");
    /* Hours of other users' events: "a" has no event time to expire from. */
    for (int k = 0; k < 40; k++) view(&pl, k % 2 ? "x" : "y", "i1", T0 + k * 600000LL);
    CHECK_INT(rr_intern_find(&pl.store.users, "a"), a);
    CHECK_INT(view(&pl, "a", "i2", T0 + 41 * 600000LL), a);
    CHECK_STR(field(&pl, a, "occupation"), "writer");
    CHECK_INT(rr_pipeline_forget(&pl, "a"), 1);
    const rr_portrait_t *p = &pl.portrait.user[a];
    CHECK(p->age == 0 && p->gender == 0 && p->occupation == 0 && p->region == 0);
    /* The id comes back clean for the next user. */
    uint32_t c = view(&pl, "c", "i2", T0 + 42 * 600000LL);
    CHECK_STR(field(&pl, c, "occupation"), "");
    CHECK_STR(field(&pl, c, "age_band"), "unknown");
    rr_pipeline_free(&pl);
}

static void test_partition_snapshot(void)
{
    rr_config_t cfg = small_config();
    cfg.users_ttl_s = 0;
    rr_pipeline_t src, dst;
    CHECK_INT(rr_pipeline_init(&src, &cfg), RR_OK);
    CHECK_INT(rr_pipeline_init(&dst, &cfg), RR_OK);
    uint32_t a = view(&src, "a", "i1", T0);
    user_msg(&src, "a", 40, "F", "lawyer", "2");
    uint32_t n = user_msg(&src, "n", 19, "M", "student", "7"); /* no events yet */
    uint32_t other = user_msg(&src, "o", 50, "M", "doctor", "1");
    src.store.user[a].partition = src.store.user[n].partition = 3;
    src.store.user[other].partition = 1;
    /* The reader already holds other names, so its ids differ from the writer's. */
    user_msg(&dst, "z", 33, "F", "student", "2");
    user_msg(&dst, "y", 33, "F", "artist", "5");
    size_t nusers = part_move(&src, &dst, 3);
    CHECK_INT(nusers, 2);
    uint32_t da = rr_intern_find(&dst.store.users, "a"), dn = rr_intern_find(&dst.store.users, "n");
    CHECK(da != RR_INTERN_NONE && dn != RR_INTERN_NONE);
    CHECK_STR(field(&dst, da, "occupation"), "lawyer");
    CHECK_STR(field(&dst, da, "region"), "2");
    CHECK_STR(field(&dst, da, "age_band"), "35-44");
    CHECK_STR(field(&dst, dn, "occupation"), "student");
    CHECK_STR(field(&dst, dn, "region"), "7");
    CHECK_STR(field(&dst, dn, "gender"), "male");
    CHECK_INT(rr_intern_find(&dst.store.users, "o"), RR_INTERN_NONE); /* partition 1 stayed */
    rr_pipeline_free(&src);
    rr_pipeline_free(&dst);
}

/* An item the students pick and the retirees do not: lifted for a student, lowered for a
 * retiree; nothing said for a user without demographics, little about an item nobody has seen. */
static void test_segment_lift(void)
{
    rr_segpop_t sp;
    CHECK_INT(rr_segpop_init(&sp), RR_OK);
    rr_portrait_t student, retiree, unknown;
    memset(&student, 0, sizeof(student));
    memset(&retiree, 0, sizeof(retiree));
    memset(&unknown, 0, sizeof(unknown));
    student.age = 20, student.gender = 1, student.occupation = 1;
    retiree.age = 70, retiree.gender = 2, retiree.occupation = 2;
    uint32_t s[RR_SEGPOP_KINDS], r[RR_SEGPOP_KINDS], u[RR_SEGPOP_KINDS];
    rr_segpop_segments(&student, s);
    rr_segpop_segments(&retiree, r);
    rr_segpop_segments(&unknown, u);
    CHECK(s[0] != r[0] && s[1] != r[1] && s[2] != r[2] && !u[0] && !u[1] && !u[2]);
    for (int k = 0; k < 200; k++) {
        rr_segpop_add(&sp, s, k % 4 == 0 ? 7 : 100 + (uint32_t)k);
        rr_segpop_add(&sp, r, k % 4 == 0 ? 8 : 400 + (uint32_t)k);
    }
    CHECK(rr_segpop_lift(&sp, s, 7) > 0.5f);
    CHECK(rr_segpop_lift(&sp, r, 7) < -0.5f);
    CHECK(rr_segpop_lift(&sp, r, 8) > 0.5f);
    CHECK(rr_segpop_lift(&sp, u, 7) == 0.0f);
    CHECK(fabsf(rr_segpop_lift(&sp, s, 99999)) < 0.3f); /* never seen: near 0, not -3 */
    rr_segpop_free(&sp);
}

RR_TEST_MAIN(RR_TEST(test_segment_lift), RR_TEST(test_before_and_after_events),
             RR_TEST(test_forget_and_ttl), RR_TEST(test_partition_snapshot))
