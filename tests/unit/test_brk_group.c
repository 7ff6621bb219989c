/*
 * test_brk_group.c - the group coordinator's bounds (brk_group.c, "Bounds"): members per
 * group as Kafka's acceptJoiningMember counts them (GROUP_MAX_SIZE_REACHED, the member that
 * had not rejoined removed), pending member ids from MEMBER_ID_REQUIRED, the number of
 * groups (COORDINATOR_NOT_AVAILABLE, empty groups reclaimed), and a MemberId for an unknown
 * group creating nothing.
 */
#include "brk_testlib.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_log.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

static sis_buf_t req = SIS_BUF_INIT, body = SIS_BUF_INIT;

/* JoinGroup v3 (new members join at once) or v5 (MEMBER_ID_REQUIRED first). */
static int join(brk_conn_t *c, int16_t v, int32_t corr, const char *group, const char *member)
{
    kp_wr_t w;
    brt_req_begin(&req, &w, KP_API_JoinGroup, v, corr);
    kp_wr_cstr(&w, group);
    kp_wr_i32(&w, 10000); /* SessionTimeoutMs */
    kp_wr_i32(&w, 10000); /* RebalanceTimeoutMs */
    kp_wr_cstr(&w, member);
    if (v >= 5)
        kp_wr_cstr(&w, NULL); /* GroupInstanceId */
    kp_wr_cstr(&w, "consumer");
    kp_wr_arraycnt(&w, 1);
    kp_wr_cstr(&w, "range");
    kp_wr_bytes(&w, "m", 1);
    return brt_send(c, &req);
}

typedef struct jr {
    int16_t ErrorCode;
    int32_t GenerationId;
    char MemberId[128];
} jr_t;

/* Decodes the JoinGroup answer for corr waiting in c->out. */
static int join_resp(brk_conn_t *c, int16_t v, int32_t corr, jr_t *j)
{
    kp_rd_t r;
    memset(j, 0, sizeof *j);
    j->ErrorCode = -1;
    if (brt_resp(c, KP_API_JoinGroup, v, corr, &body, &r) != 0)
        return -1;
    (void)kp_rd_i32(&r); /* ThrottleTimeMs */
    j->ErrorCode = kp_rd_i16(&r);
    j->GenerationId = kp_rd_i32(&r);
    (void)kp_rd_str(&r); /* ProtocolName */
    (void)kp_rd_str(&r); /* Leader */
    kp_str_t id = kp_rd_str(&r);
    snprintf(j->MemberId, sizeof j->MemberId, "%.*s", id.len > 0 ? (int)id.len : 0,
             id.len > 0 ? id.ptr : "");
    int32_t n = kp_rd_arraycnt(&r, 1000, 0);
    for (int32_t i = 0; i < n; i++) {
        (void)kp_rd_str(&r);
        if (v >= 5)
            (void)kp_rd_nstr(&r);
        (void)kp_rd_nbytes(&r);
    }
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "JoinGroup v%d answer decodes",
                (int)v);
    return kp_rd_failed(&r) ? -1 : 0;
}

static int16_t leave(brk_conn_t *c, int32_t corr, const char *group, const char *member)
{
    kp_wr_t w;
    kp_rd_t r;
    brt_req_begin(&req, &w, KP_API_LeaveGroup, 0, corr);
    kp_wr_cstr(&w, group);
    kp_wr_cstr(&w, member);
    TEST_EQ_INT(brt_send(c, &req), BRK_DONE);
    if (brt_resp(c, KP_API_LeaveGroup, 0, corr, &body, &r) != 0)
        return -1;
    return kp_rd_i16(&r);
}

static void max_size_2(brk_conf_t *conf)
{
    conf->group_max_size = 2;
}

/* --group-max-size 2, as Kafka counts: the join phase admits 2 members that joined in it; the
 * old member that had not rejoined yet is refused and removed; a stable group of 2 refuses a
 * third member but not a known one. */
static void test_max_size(void)
{
    brk_broker_t *b = brt_broker_open("brk-group-size", max_size_2);
    if (!b)
        return;
    brk_conn_t *a = brt_conn_new(b), *bc = brt_conn_new(b), *cc = brt_conn_new(b),
               *dc = brt_conn_new(b);
    const char *g = "full";
    jr_t j, ja;
    /* A alone: the join phase completes within its own request. */
    TEST_EQ_INT(join(a, 3, 1, g, ""), BRK_PARKED);
    TEST_EQ_INT(join_resp(a, 3, 1, &ja), 0);
    TEST_ASSERT(ja.ErrorCode == 0 && ja.GenerationId == 1, "A: err %d gen %d", ja.ErrorCode,
                ja.GenerationId);
    /* B and C join (a new phase); A has not rejoined yet. */
    TEST_EQ_INT(join(bc, 3, 2, g, ""), BRK_PARKED);
    TEST_EQ_INT(join(cc, 3, 3, g, ""), BRK_PARKED);
    /* A rejoins: 2 members already joined this phase, so A is refused and removed, which
     * completes the phase for B and C. */
    TEST_EQ_INT(join(a, 3, 4, g, ja.MemberId), BRK_DONE);
    TEST_EQ_INT(join_resp(a, 3, 4, &j), 0);
    TEST_EQ_INT(j.ErrorCode, KP_ERR_GROUP_MAX_SIZE_REACHED);
    TEST_EQ_STR(j.MemberId, "");
    brk_group_t *grp = brk_group_find(b, (kp_str_t){g, (int32_t)strlen(g)});
    TEST_ASSERT(grp && grp->nmembers == 2, "2 members left");
    jr_t jb, jc;
    TEST_EQ_INT(join_resp(bc, 3, 2, &jb), 0);
    TEST_EQ_INT(join_resp(cc, 3, 3, &jc), 0);
    TEST_ASSERT(jb.ErrorCode == 0 && jb.GenerationId == 2 && jc.ErrorCode == 0,
                "B and C in generation 2: %d/%d %d", jb.ErrorCode, jb.GenerationId, jc.ErrorCode);
    /* A completing group of 2: a new member is refused, a known one is not. */
    TEST_EQ_INT(join(dc, 3, 5, g, ""), BRK_DONE);
    TEST_EQ_INT(join_resp(dc, 3, 5, &j), 0);
    TEST_EQ_INT(j.ErrorCode, KP_ERR_GROUP_MAX_SIZE_REACHED);
    TEST_EQ_INT(join(cc, 3, 6, g, jc.MemberId), BRK_DONE); /* same metadata: current generation */
    TEST_EQ_INT(join_resp(cc, 3, 6, &j), 0);
    TEST_ASSERT(j.ErrorCode == 0 && j.GenerationId == 2, "C rejoins: err %d gen %d", j.ErrorCode,
                j.GenerationId);
    TEST_ASSERT(grp->nmembers == 2, "still 2 members");
    brt_broker_close(b, 0);
}

static void max_size_3(brk_conf_t *conf)
{
    conf->group_max_size = 3;
}

/* MEMBER_ID_REQUIRED hands out ids; only --group-max-size of them are remembered. */
static void test_pending(void)
{
    brk_broker_t *b = brt_broker_open("brk-group-pending", max_size_3);
    if (!b)
        return;
    brk_conn_t *c = brt_conn_new(b);
    const char *g = "pending";
    char ids[10][128];
    for (int i = 0; i < 10; i++) {
        jr_t j;
        TEST_EQ_INT(join(c, 5, 10 + i, g, ""), BRK_DONE);
        TEST_EQ_INT(join_resp(c, 5, 10 + i, &j), 0);
        TEST_EQ_INT(j.ErrorCode, KP_ERR_MEMBER_ID_REQUIRED);
        snprintf(ids[i], sizeof ids[i], "%s", j.MemberId);
    }
    brk_group_t *grp = brk_group_find(b, (kp_str_t){g, (int32_t)strlen(g)});
    TEST_ASSERT(grp && grp->npending == 3, "3 pending ids kept, not %d", grp ? grp->npending : -1);
    /* The oldest id was forgotten: its owner starts over. */
    jr_t j;
    TEST_EQ_INT(join(c, 5, 30, g, ids[0]), BRK_DONE);
    TEST_EQ_INT(join_resp(c, 5, 30, &j), 0);
    TEST_EQ_INT(j.ErrorCode, KP_ERR_UNKNOWN_MEMBER_ID);
    /* The newest is still known: it becomes a member and waits for the other two. */
    TEST_EQ_INT(join(c, 5, 31, g, ids[9]), BRK_PARKED);
    TEST_ASSERT(grp->nmembers == 1 && grp->npending == 2, "1 member, 2 pending");
    brt_broker_close(b, 0);
}

static void max_groups_3(brk_conf_t *conf)
{
    conf->max_groups = 3;
}

/* --max-groups 3: a fourth group is refused with COORDINATOR_NOT_AVAILABLE until a group has
 * no members left; a MemberId for an unknown group creates nothing. */
static void test_max_groups(void)
{
    brk_broker_t *b = brt_broker_open("brk-group-count", max_groups_3);
    if (!b)
        return;
    brk_conn_t *c = brt_conn_new(b);
    jr_t j, j1;
    char name[16];
    for (int i = 1; i <= 3; i++) {
        snprintf(name, sizeof name, "g%d", i);
        TEST_EQ_INT(join(c, 3, i, name, ""), BRK_PARKED);
        TEST_EQ_INT(join_resp(c, 3, i, i == 1 ? &j1 : &j), 0);
    }
    TEST_EQ_INT(brk_groups_count(b), 3);
    TEST_EQ_INT(join(c, 3, 4, "g4", ""), BRK_DONE);
    TEST_EQ_INT(join_resp(c, 3, 4, &j), 0);
    TEST_EQ_INT(j.ErrorCode, KP_ERR_COORDINATOR_NOT_AVAILABLE);
    TEST_EQ_INT(join(c, 3, 5, "g5", "someone"), BRK_DONE);
    TEST_EQ_INT(join_resp(c, 3, 5, &j), 0);
    TEST_EQ_INT(j.ErrorCode, KP_ERR_UNKNOWN_MEMBER_ID);
    TEST_EQ_INT(brk_groups_count(b), 3);
    /* g1's only member leaves: g1 is empty, so g4 may take its place. */
    TEST_EQ_INT(leave(c, 6, "g1", j1.MemberId), KP_ERR_NONE);
    TEST_EQ_INT(join(c, 3, 7, "g4", ""), BRK_PARKED);
    TEST_EQ_INT(join_resp(c, 3, 7, &j), 0);
    TEST_EQ_INT(j.ErrorCode, KP_ERR_NONE);
    TEST_EQ_INT(brk_groups_count(b), 3);
    brt_broker_close(b, 0);
}

int test_brk_group(void)
{
    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR);
    test_max_size();
    test_pending();
    test_max_groups();
    sis_log_set_level(level);
    sis_buf_release(&req);
    sis_buf_release(&body);
    return test_failures;
}
