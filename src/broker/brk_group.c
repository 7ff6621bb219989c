/*
 * brk_group.c - the group coordinator (Kafka's "classic" protocol): JoinGroup (key 11),
 * SyncGroup (14), Heartbeat (12), LeaveGroup (13), and the state machine behind them.
 *
 * States and their invariants (checked by assert_group_state()):
 *   EMPTY                 no members, no leader, no selected protocol. Entered when a group
 *                         is created or when a rebalance ends with nobody left.
 *   PREPARING_REBALANCE   join_timer armed. Left for COMPLETING_REBALANCE (or EMPTY) when
 *                         every member has a JoinGroup waiting and no MEMBER_ID_REQUIRED
 *                         member is outstanding, or when join_timer fires (members that
 *                         did not rejoin are removed). Entered when a member joins, leaves,
 *                         changes its protocols or its session expires.
 *   COMPLETING_REBALANCE  members >= 1, a leader and a protocol; no JoinGroup waiting.
 *                         Followers' SyncGroups wait for the leader's, which carries the
 *                         assignment and moves the group to STABLE.
 *   STABLE                members >= 1, a leader and a protocol, assignments known.
 *
 * Generation: incremented each time a join phase completes, persisted in the group's blob
 * in stor_offsets so that it keeps increasing across restarts. Membership itself is not
 * persisted: after a restart members get UNKNOWN_MEMBER_ID and join again.
 *
 * Sessions: each member's session timer is restarted by Heartbeat, SyncGroup, JoinGroup and
 * OffsetCommit; when it fires the member is removed, unless a JoinGroup or SyncGroup of it
 * is waiting (Kafka keeps such members alive). MEMBER_ID_REQUIRED members (JoinGroup v4+
 * with an empty MemberId get an id and must join again with it) expire after their session
 * timeout too.
 *
 * Waiting requests: a JoinGroup that must wait for the other members, or a follower's
 * SyncGroup, parks its connection (brk_conn_park); the member holds (connection, version,
 * correlation id) and the answer is written when the phase completes. If the connection
 * closes first, the wait is forgotten.
 *
 * Static membership (GroupInstanceId, v5+): a join with a known instance id replaces the
 * previous member with that id (whose waiting requests get FENCED_INSTANCE_ID) and triggers
 * a rebalance; unlike Apache Kafka, sismo does not skip that rebalance.
 *
 * Bounds (every structure a client can make grow):
 *   members per group    --group-max-size (Kafka's group.max.size), checked as Kafka's
 *                        acceptJoiningMember does: EMPTY accepts anyone; PREPARING_REBALANCE
 *                        accepts a member that already joined this phase, or anyone while
 *                        fewer than the maximum have joined (a member that has not rejoined
 *                        yet is removed if refused); COMPLETING_REBALANCE and STABLE accept
 *                        known members, and new ones while the group is smaller than the
 *                        maximum. Refused joins get GROUP_MAX_SIZE_REACHED with MemberId "".
 *                        A group thus holds at most twice the maximum (old members not yet
 *                        rejoined + members of the new phase).
 *   pending member ids   at most --group-max-size per group: a MEMBER_ID_REQUIRED answer
 *                        beyond that forgets the oldest pending id (its owner's rejoin gets
 *                        UNKNOWN_MEMBER_ID and it starts over with an empty id). Kafka keeps
 *                        them all until their session timeout.
 *   groups               at most --max-groups in memory. Only a JoinGroup with an empty
 *                        MemberId creates a group (a MemberId for an unknown group gets
 *                        UNKNOWN_MEMBER_ID, as in Kafka); at the limit, groups with no
 *                        members are dropped from memory first (their generation and
 *                        offsets stay in stor_offsets), and if none can be, the JoinGroup
 *                        gets COORDINATOR_NOT_AVAILABLE, which clients retry.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_str.h"
#include "stor_offsets.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const char *TAG = "group";

const char *brk_group_state_name(brk_group_state_t s)
{
    switch (s) {
    case BRK_GROUP_EMPTY:
        return "Empty";
    case BRK_GROUP_PREPARING_REBALANCE:
        return "PreparingRebalance";
    case BRK_GROUP_COMPLETING_REBALANCE:
        return "CompletingRebalance";
    case BRK_GROUP_STABLE:
        return "Stable";
    }
    return "Dead";
}

static void assert_group_state(const brk_group_t *g)
{
#ifndef NDEBUG
    int n = 0;
    for (const brk_member_t *m = g->pending; m; m = m->next)
        n++;
    assert(n == g->npending && n <= g->b->conf.group_max_size);
#endif
    switch (g->state) {
    case BRK_GROUP_EMPTY:
        assert(g->nmembers == 0 && !g->leader_id && !g->protocol_name);
        assert(!sis_timer_armed(&g->join_timer));
        break;
    case BRK_GROUP_PREPARING_REBALANCE:
        assert(sis_timer_armed(&g->join_timer));
        break;
    case BRK_GROUP_COMPLETING_REBALANCE:
    case BRK_GROUP_STABLE:
        assert(g->nmembers >= 1 && g->leader_id && g->protocol_name);
        assert(!sis_timer_armed(&g->join_timer));
        for (brk_member_t *m = g->members; m; m = m->next)
            assert(!m->join.conn);
        break;
    }
    (void)g;
}

/* ---- lookup and life cycle ---- */

static int str_is(const char *c, kp_str_t s)
{
    return c && kp_str_eq(s, c);
}

brk_group_t *brk_group_find(brk_broker_t *b, kp_str_t group_id)
{
    for (brk_group_t *g = b->groups; g; g = g->next)
        if (str_is(g->group_id, group_id))
            return g;
    return NULL;
}

brk_member_t *brk_group_member(brk_group_t *g, kp_str_t member_id)
{
    if (!g)
        return NULL;
    for (brk_member_t *m = g->members; m; m = m->next)
        if (str_is(m->member_id, member_id))
            return m;
    return NULL;
}

static brk_member_t *find_pending(brk_group_t *g, kp_str_t member_id)
{
    for (brk_member_t *m = g->pending; m; m = m->next)
        if (str_is(m->member_id, member_id))
            return m;
    return NULL;
}

static brk_member_t *find_instance(brk_group_t *g, kp_str_t instance_id)
{
    if (instance_id.len < 0)
        return NULL;
    for (brk_member_t *m = g->members; m; m = m->next)
        if (str_is(m->instance_id, instance_id))
            return m;
    return NULL;
}

static void on_join_timeout(sis_loop_t *loop, sis_timer_t *t, void *arg);

/* Group blob in stor_offsets: "1 <generation> <protocol type>". */
static void load_blob(brk_group_t *g)
{
    const void *data;
    size_t len;
    if (!g->b->offsets || !stor_offsets_get_group(g->b->offsets, g->group_id, &data, &len))
        return;
    char buf[512];
    if (len >= sizeof buf)
        return;
    if (len)
        memcpy(buf, data, len);
    buf[len] = '\0';
    int gen = 0;
    char ptype[256] = "";
    if (sscanf(buf, "1 %d %255s", &gen, ptype) >= 1 && gen > 0)
        g->generation = gen;
    if (ptype[0])
        g->protocol_type = sis_xstrdup(ptype);
}

static void save_blob(brk_group_t *g)
{
    if (!g->b->offsets)
        return;
    char buf[512], err[SIS_ERRLEN];
    int n = snprintf(buf, sizeof buf, "1 %d %s", (int)g->generation,
                     g->protocol_type && !strchr(g->protocol_type, ' ') &&
                             strlen(g->protocol_type) < 256
                         ? g->protocol_type
                         : "");
    if (stor_offsets_put_group(g->b->offsets, g->group_id, buf, (size_t)n, err, sizeof err) !=
        SIS_OK)
        sis_log_warn(TAG, "group '%s': cannot persist its generation: %s", g->group_id, err);
    else
        g->b->offsets_dirty = 1;
}

static void group_free(brk_group_t *g);

/* Frees the groups that hold no member and no pending member; with keep_offsets, only those
 * without committed offsets (their generation and offsets live on in stor_offsets anyway). */
static void groups_free_empty(brk_broker_t *b, int keep_offsets)
{
    for (brk_group_t **pp = &b->groups; *pp;) {
        brk_group_t *g = *pp;
        if (g->state == BRK_GROUP_EMPTY && !g->pending &&
            (!keep_offsets || !brk_offsets_group_has(b, g->group_id))) {
            *pp = g->next;
            b->ngroups--;
            group_free(g);
        } else {
            pp = &g->next;
        }
    }
}

/* A new group, or NULL if --max-groups groups with members are already in memory. */
static brk_group_t *group_create(brk_broker_t *b, kp_str_t group_id)
{
    if (b->ngroups >= b->conf.max_groups)
        groups_free_empty(b, 0);
    if (b->ngroups >= b->conf.max_groups) {
        uint64_t suppressed;
        static sis_ratelimit_t rl = {10000, 0, 0};
        if (sis_ratelimit_ok(&rl, &suppressed))
            sis_log_warn(TAG, "group '%.*s' not created: --max-groups %d groups have members "
                              "(%llu more refusals not shown)",
                         (int)group_id.len, group_id.ptr, (int)b->conf.max_groups,
                         (unsigned long long)suppressed);
        return NULL;
    }
    brk_group_t *g = SIS_NEW(brk_group_t);
    g->b = b;
    g->group_id = kp_str_dup(group_id);
    g->state = BRK_GROUP_EMPTY;
    sis_timer_init(&g->join_timer, on_join_timeout, g);
    load_blob(g);
    g->next = b->groups;
    b->groups = g;
    b->ngroups++;
    return g;
}

int brk_groups_count(const brk_broker_t *b)
{
    return b->ngroups;
}

static void protocols_free(brk_member_t *m)
{
    for (int i = 0; i < m->nprotocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].metadata);
    }
    free(m->protocols);
    m->protocols = NULL;
    m->nprotocols = 0;
}

static void member_free(brk_member_t *m)
{
    sis_timer_stop(m->g->b->loop, &m->session);
    protocols_free(m);
    free(m->member_id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m->assignment);
    free(m);
}

static const brk_protocol_t *member_protocol(const brk_member_t *m, const char *name)
{
    for (int i = 0; name && i < m->nprotocols; i++)
        if (!strcmp(m->protocols[i].name, name))
            return &m->protocols[i];
    return NULL;
}

/* ---- responses to waiting requests ---- */

static void write_join_response(kp_wr_t *w, int16_t v, const brk_group_t *g,
                                const brk_member_t *m, int16_t err, const char *member_id)
{
    int ok = err == KP_ERR_NONE;
    if (v >= 2)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_i16(w, err);   /* Response: ErrorCode */
    kp_wr_i32(w, ok ? g->generation : -1); /* Response: GenerationId */
    if (v >= 7)
        kp_wr_cstr(w, ok ? g->protocol_type : NULL); /* Response: ProtocolType */
    /* Response: ProtocolName (nullable from v7) */
    if (ok)
        kp_wr_cstr(w, g->protocol_name);
    else
        kp_wr_cstr(w, v >= 7 ? NULL : "");
    kp_wr_cstr(w, ok && g->leader_id ? g->leader_id : ""); /* Response: Leader */
    if (v >= 9)
        kp_wr_bool(w, 0); /* Response: SkipAssignment */
    kp_wr_cstr(w, member_id ? member_id : ""); /* Response: MemberId */
    int is_leader = ok && m && g->leader_id && !strcmp(g->leader_id, m->member_id);
    kp_wr_arraycnt(w, is_leader ? g->nmembers : 0); /* Response: Members */
    if (is_leader) {
        for (const brk_member_t *x = g->members; x; x = x->next) {
            const brk_protocol_t *p = member_protocol(x, g->protocol_name);
            kp_wr_cstr(w, x->member_id); /* Response: MemberId */
            if (v >= 5)
                kp_wr_cstr(w, x->instance_id); /* Response: GroupInstanceId */
            kp_wr_bytes(w, p ? p->metadata : NULL, p ? p->metadata_len : 0); /* Metadata */
            kp_wr_tags_none(w);
        }
    }
    kp_wr_tags_none(w);
}

static void write_sync_response(kp_wr_t *w, int16_t v, const brk_group_t *g,
                                const brk_member_t *m, int16_t err)
{
    int ok = err == KP_ERR_NONE;
    if (v >= 1)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_i16(w, err);   /* Response: ErrorCode */
    if (v >= 5) {
        kp_wr_cstr(w, ok ? g->protocol_type : NULL); /* Response: ProtocolType */
        kp_wr_cstr(w, ok ? g->protocol_name : NULL); /* Response: ProtocolName */
    }
    /* Response: Assignment */
    if (ok && m && m->assignment)
        kp_wr_bytes(w, m->assignment, m->assignment_len);
    else
        kp_wr_bytes(w, "", 0);
    kp_wr_tags_none(w);
}

/* Answers m's waiting JoinGroup (wt == &m->join) or SyncGroup (wt == &m->sync), if there
 * is one, with err, and resumes its connection. */
static void answer_wait(brk_member_t *m, brk_member_wait_t *wt, int16_t err)
{
    if (!wt->conn)
        return;
    brk_conn_t *c = wt->conn;
    wt->conn = NULL;
    int join = wt == &m->join;
    int16_t key = join ? KP_API_JoinGroup : KP_API_SyncGroup;
    kp_wr_t w;
    size_t start;
    brk_conn_unpark(c); /* first: an oversized answer closes c, which must not cancel wt */
    brk_resp_begin(c, key, wt->ApiVersion, wt->CorrelationId, &w, &start);
    if (join)
        write_join_response(&w, wt->ApiVersion, m->g, m, err, m->member_id);
    else
        write_sync_response(&w, wt->ApiVersion, m->g, m, err);
    brk_resp_end(c, &w, start, key, wt->ApiVersion);
}

static void answer_join(brk_member_t *m, int16_t err)
{
    answer_wait(m, &m->join, err);
}

static void answer_sync(brk_member_t *m, int16_t err)
{
    answer_wait(m, &m->sync, err);
}

/* The connection of a waiting request closed: forget the wait (the member stays). */
static void on_wait_cancel(void *owner)
{
    brk_member_wait_t *wt = owner;
    wt->conn = NULL;
}

static void park(brk_req_t *req, brk_member_wait_t *wt)
{
    wt->conn = req->conn;
    wt->ApiVersion = req->ApiVersion;
    wt->CorrelationId = req->hdr.CorrelationId;
    brk_conn_park(req->conn, wt, on_wait_cancel);
}

/* Parks m's JoinGroup: m has joined this phase (Kafka's isAwaitingJoin). */
static void park_join(brk_req_t *req, brk_member_t *m)
{
    m->awaiting = 1;
    park(req, &m->join);
}

/* ---- the state machine ---- */

static void complete_join(brk_group_t *g);

static int all_joined(const brk_group_t *g)
{
    if (g->pending)
        return 0;
    for (const brk_member_t *m = g->members; m; m = m->next)
        if (!m->join.conn)
            return 0;
    return 1;
}

static void try_complete_join(brk_group_t *g)
{
    if (g->state == BRK_GROUP_PREPARING_REBALANCE && !g->initial_delay && all_joined(g))
        complete_join(g);
}

static int32_t max_rebalance_timeout(const brk_group_t *g)
{
    int32_t t = 0;
    for (const brk_member_t *m = g->members; m; m = m->next)
        if (m->rebalance_timeout_ms > t)
            t = m->rebalance_timeout_ms;
    return t;
}

static void prepare_rebalance(brk_group_t *g, const char *why)
{
    brk_broker_t *b = g->b;
    if (g->state == BRK_GROUP_PREPARING_REBALANCE) {
        try_complete_join(g);
        return;
    }
    if (g->state == BRK_GROUP_COMPLETING_REBALANCE)
        for (brk_member_t *m = g->members; m; m = m->next)
            answer_sync(m, KP_ERR_REBALANCE_IN_PROGRESS);
    int from_empty = g->state == BRK_GROUP_EMPTY;
    g->state = BRK_GROUP_PREPARING_REBALANCE;
    int64_t delay = max_rebalance_timeout(g);
    g->initial_delay = 0;
    if (from_empty && b->conf.group_initial_rebalance_ms > 0) {
        g->initial_delay = 1;
        delay = b->conf.group_initial_rebalance_ms < delay ? b->conf.group_initial_rebalance_ms
                                                           : delay;
    }
    sis_timer_start(b->loop, &g->join_timer, delay);
    sis_log_info(TAG, "group '%s': preparing rebalance (generation %d, %d members): %s",
                 g->group_id, (int)g->generation, g->nmembers, why);
    try_complete_join(g);
}

/* Unlinks m from its group (members or pending) and frees it; answers its waiting
 * requests with err. Does not start a rebalance. */
static void member_remove(brk_member_t *m, int16_t err)
{
    brk_group_t *g = m->g;
    answer_join(m, err);
    answer_sync(m, err);
    brk_member_t **pp = m->pending ? &g->pending : &g->members;
    while (*pp && *pp != m)
        pp = &(*pp)->next;
    if (*pp)
        *pp = m->next;
    if (m->pending)
        g->npending--;
    else
        g->nmembers--;
    if (g->leader_id && !strcmp(g->leader_id, m->member_id)) {
        free(g->leader_id);
        g->leader_id = NULL;
    }
    member_free(m);
}

/* Removes a member and lets the group react (rebalance, or complete the join phase). */
static void member_leave(brk_member_t *m, int16_t err, const char *why)
{
    brk_group_t *g = m->g;
    int was_pending = m->pending;
    member_remove(m, err);
    if (was_pending) {
        try_complete_join(g);
        return;
    }
    prepare_rebalance(g, why);
}

static void on_session_timeout(sis_loop_t *loop, sis_timer_t *t, void *arg)
{
    (void)t;
    brk_member_t *m = arg;
    if (m->join.conn || m->sync.conn) {
        /* Kafka keeps members with a waiting JoinGroup/SyncGroup alive. */
        sis_timer_start(loop, &m->session, m->session_timeout_ms);
        return;
    }
    sis_log_info(TAG, "group '%s': member '%s' session expired after %d ms", m->g->group_id,
                 m->member_id, (int)m->session_timeout_ms);
    member_leave(m, KP_ERR_UNKNOWN_MEMBER_ID, "member session expired");
}

void brk_member_touch(brk_member_t *m)
{
    sis_timer_start(m->g->b->loop, &m->session, m->session_timeout_ms);
}

/* Selects the protocol every member supports that most members prefer (Kafka's vote). */
static const char *select_protocol(const brk_group_t *g)
{
    const brk_member_t *first = g->members;
    const char *best = NULL;
    int best_votes = -1;
    for (int i = 0; first && i < first->nprotocols; i++) {
        const char *cand = first->protocols[i].name;
        int everyone = 1;
        for (const brk_member_t *m = g->members; m && everyone; m = m->next)
            everyone = member_protocol(m, cand) != NULL;
        if (!everyone)
            continue;
        int votes = 0;
        for (const brk_member_t *m = g->members; m; m = m->next) {
            /* m votes for its most preferred protocol that everyone supports. */
            for (int j = 0; j < m->nprotocols; j++) {
                int all = 1;
                for (const brk_member_t *x = g->members; x && all; x = x->next)
                    all = member_protocol(x, m->protocols[j].name) != NULL;
                if (all) {
                    votes += !strcmp(m->protocols[j].name, cand);
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

static void complete_join(brk_group_t *g)
{
    sis_timer_stop(g->b->loop, &g->join_timer);
    g->initial_delay = 0;
    /* Members that did not rejoin in time are out; so are unconfirmed new member ids. */
    for (brk_member_t *m = g->members, *next; m; m = next) {
        next = m->next;
        if (!m->join.conn) {
            sis_log_info(TAG, "group '%s': member '%s' did not rejoin in time", g->group_id,
                         m->member_id);
            member_remove(m, KP_ERR_UNKNOWN_MEMBER_ID);
        }
    }
    while (g->pending)
        member_remove(g->pending, KP_ERR_UNKNOWN_MEMBER_ID);
    g->generation++;
    free(g->protocol_name);
    g->protocol_name = NULL;
    for (brk_member_t *m = g->members; m; m = m->next) {
        m->awaiting = 0;
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
    }
    if (g->nmembers == 0) {
        free(g->leader_id);
        g->leader_id = NULL;
        g->state = BRK_GROUP_EMPTY;
        save_blob(g);
        sis_log_info(TAG, "group '%s': empty at generation %d", g->group_id, (int)g->generation);
        assert_group_state(g);
        return;
    }
    const char *proto = select_protocol(g);
    g->protocol_name = sis_xstrdup(proto ? proto : "");
    if (!g->leader_id)
        g->leader_id = sis_xstrdup(g->members->member_id);
    g->state = BRK_GROUP_COMPLETING_REBALANCE;
    save_blob(g);
    sis_log_info(TAG, "group '%s': generation %d with %d members, protocol '%s', leader '%s'",
                 g->group_id, (int)g->generation, g->nmembers, g->protocol_name, g->leader_id);
    for (brk_member_t *m = g->members; m; m = m->next) {
        brk_member_touch(m);
        answer_join(m, KP_ERR_NONE);
    }
    assert_group_state(g);
}

static void on_join_timeout(sis_loop_t *loop, sis_timer_t *t, void *arg)
{
    (void)loop;
    (void)t;
    brk_group_t *g = arg;
    if (g->state == BRK_GROUP_PREPARING_REBALANCE)
        complete_join(g);
}

/* ---- JoinGroup ---- */

typedef struct join_req {
    kp_str_t GroupId;
    int32_t SessionTimeoutMs;
    int32_t RebalanceTimeoutMs;
    kp_str_t MemberId;
    kp_str_t GroupInstanceId;
    kp_str_t ProtocolType;
    int32_t ProtocolsCnt;
    kp_str_t *names;
    kp_str_t *metadata;
} join_req_t;

/* Replaces m's protocols with the request's; returns 1 if they changed. */
static int set_protocols(brk_member_t *m, const join_req_t *j)
{
    int changed = m->nprotocols != j->ProtocolsCnt;
    for (int i = 0; !changed && i < m->nprotocols; i++)
        changed = !kp_str_eq(j->names[i], m->protocols[i].name) ||
                  m->protocols[i].metadata_len != j->metadata[i].len ||
                  (j->metadata[i].len > 0 &&
                   memcmp(m->protocols[i].metadata, j->metadata[i].ptr,
                          (size_t)j->metadata[i].len) != 0);
    if (!changed)
        return 0;
    protocols_free(m);
    m->nprotocols = j->ProtocolsCnt;
    m->protocols = sis_xcalloc((size_t)j->ProtocolsCnt + 1, sizeof *m->protocols);
    for (int i = 0; i < j->ProtocolsCnt; i++) {
        m->protocols[i].name = kp_str_dup(j->names[i]);
        int32_t len = j->metadata[i].len > 0 ? j->metadata[i].len : 0;
        m->protocols[i].metadata = sis_xmalloc((size_t)len + 1);
        if (len)
            memcpy(m->protocols[i].metadata, j->metadata[i].ptr, (size_t)len);
        m->protocols[i].metadata_len = len;
    }
    return 1;
}

/* Kafka's supportsProtocols: same protocol type, and a protocol in common with everyone. */
static int protocols_compatible(const brk_group_t *g, const join_req_t *j)
{
    if (j->ProtocolType.len <= 0 || j->ProtocolsCnt <= 0)
        return 0;
    if (g->nmembers == 0)
        return 1;
    if (!g->protocol_type || !kp_str_eq(j->ProtocolType, g->protocol_type))
        return 0;
    for (int i = 0; i < j->ProtocolsCnt; i++) {
        int everyone = 1;
        for (const brk_member_t *m = g->members; m && everyone; m = m->next) {
            int has = 0;
            for (int k = 0; k < m->nprotocols && !has; k++)
                has = kp_str_eq(j->names[i], m->protocols[k].name);
            everyone = has;
        }
        if (everyone)
            return 1;
    }
    return 0;
}

static char *new_member_id(kp_str_t prefix)
{
    uint8_t r[16];
    if (getrandom(r, sizeof r, 0) != sizeof r)
        memset(r, 0x5a, sizeof r);
    char uuid[40];
    snprintf(uuid, sizeof uuid,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
             r[2], r[3], r[4], r[5], (r[6] & 0x0f) | 0x40, r[7], (r[8] & 0x3f) | 0x80, r[9],
             r[10], r[11], r[12], r[13], r[14], r[15]);
    int plen = prefix.len > 0 ? (prefix.len > 200 ? 200 : (int)prefix.len) : 0;
    size_t n = (size_t)plen + strlen(uuid) + 2;
    char *id = sis_xmalloc(n);
    snprintf(id, n, "%.*s-%s", plen, plen ? prefix.ptr : "", uuid);
    return id;
}

static brk_member_t *member_new(brk_group_t *g, brk_req_t *req, const join_req_t *j, char *id)
{
    brk_member_t *m = SIS_NEW(brk_member_t);
    m->g = g;
    m->member_id = id;
    m->instance_id = kp_str_dup(j->GroupInstanceId);
    m->client_id = req->hdr.ClientId.len >= 0 ? kp_str_dup(req->hdr.ClientId) : sis_xstrdup("");
    char host[80];
    snprintf(host, sizeof host, "/%s", req->conn->peer);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    m->client_host = sis_xstrdup(host);
    m->join.m = m->sync.m = m;
    sis_timer_init(&m->session, on_session_timeout, m);
    return m;
}

static void member_update(brk_member_t *m, const join_req_t *j)
{
    m->session_timeout_ms = j->SessionTimeoutMs;
    m->rebalance_timeout_ms = j->RebalanceTimeoutMs;
}

static void member_append(brk_group_t *g, brk_member_t *m)
{
    brk_member_t **pp = &g->members;
    while (*pp)
        pp = &(*pp)->next;
    *pp = m;
    m->next = NULL;
    m->pending = 0;
    g->nmembers++;
    if (!g->protocol_type || g->nmembers == 1) {
        free(g->protocol_type);
        g->protocol_type = NULL;
    }
}

/* Kafka's GroupCoordinator.acceptJoiningMember: whether the group has room for the member
 * (MemberId "" = a new one); see "Bounds" at the top. */
static int accept_joining_member(const brk_group_t *g, kp_str_t MemberId)
{
    const brk_member_t *m = brk_group_member((brk_group_t *)g, MemberId);
    int32_t max = g->b->conf.group_max_size;
    switch (g->state) {
    case BRK_GROUP_EMPTY:
        return 1;
    case BRK_GROUP_PREPARING_REBALANCE: {
        if (m && m->awaiting)
            return 1;
        int32_t awaiting = 0;
        for (const brk_member_t *x = g->members; x; x = x->next)
            awaiting += x->awaiting;
        return awaiting < max;
    }
    case BRK_GROUP_COMPLETING_REBALANCE:
    case BRK_GROUP_STABLE:
        return m || g->nmembers < max;
    }
    return 0;
}

/* Drops the oldest pending member id of g (the tail of g->pending) to make room. */
static void forget_oldest_pending(brk_group_t *g)
{
    brk_member_t *m = g->pending;
    while (m && m->next)
        m = m->next;
    if (!m)
        return;
    sis_log_debug(TAG, "group '%s': %d pending member ids, forgetting '%s'", g->group_id,
                  g->npending, m->member_id);
    member_remove(m, KP_ERR_UNKNOWN_MEMBER_ID);
}

int brk_handle_join_group(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    join_req_t j;
    memset(&j, 0, sizeof j);
    int ret = BRK_DONE;

    j.GroupId = kp_rd_str(r);
    j.SessionTimeoutMs = kp_rd_i32(r);
    j.RebalanceTimeoutMs = v >= 1 ? kp_rd_i32(r) : j.SessionTimeoutMs;
    j.MemberId = kp_rd_str(r);
    j.GroupInstanceId = v >= 5 ? kp_rd_nstr(r) : KP_STR_NULL;
    j.ProtocolType = kp_rd_str(r);
    j.ProtocolsCnt = kp_rd_arraycnt(r, 1000, 0);
    if (kp_rd_failed(r))
        goto err_parse;
    j.names = sis_xcalloc((size_t)j.ProtocolsCnt + 1, sizeof *j.names);
    j.metadata = sis_xcalloc((size_t)j.ProtocolsCnt + 1, sizeof *j.metadata);
    for (int32_t i = 0; i < j.ProtocolsCnt; i++) {
        j.names[i] = kp_rd_str(r);
        j.metadata[i] = kp_rd_nbytes(r);
        kp_rd_tags(r);
    }
    if (v >= 8)
        (void)kp_rd_nstr(r); /* Reason */
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        goto err_parse;
    if (j.RebalanceTimeoutMs <= 0)
        j.RebalanceTimeoutMs = j.SessionTimeoutMs;

    int16_t err = KP_ERR_NONE;
    char *assigned = NULL; /* MemberId for MEMBER_ID_REQUIRED */
    brk_group_t *g = NULL;
    if (j.GroupId.len <= 0) {
        err = KP_ERR_INVALID_GROUP_ID;
    } else if (j.SessionTimeoutMs < b->conf.group_min_session_ms ||
               j.SessionTimeoutMs > b->conf.group_max_session_ms) {
        err = KP_ERR_INVALID_SESSION_TIMEOUT;
    } else if (!(g = brk_group_find(b, j.GroupId)) && j.MemberId.len != 0) {
        err = KP_ERR_UNKNOWN_MEMBER_ID; /* a member id, but no such group: nothing created */
    } else if (!g && !(g = group_create(b, j.GroupId))) {
        err = KP_ERR_COORDINATOR_NOT_AVAILABLE; /* --max-groups: retried by clients */
    } else if (!accept_joining_member(g, j.MemberId)) {
        brk_member_t *refused = brk_group_member(g, j.MemberId);
        sis_log_info(TAG, "group '%s': join refused, --group-max-size %d reached", g->group_id,
                     (int)b->conf.group_max_size);
        if (refused) /* Kafka's group.remove(): a member that had not rejoined yet */
            member_leave(refused, KP_ERR_UNKNOWN_MEMBER_ID, "group is full");
        err = KP_ERR_GROUP_MAX_SIZE_REACHED;
    } else if (!protocols_compatible(g, &j)) {
        err = KP_ERR_INCONSISTENT_GROUP_PROTOCOL;
    }
    if (err != KP_ERR_NONE) {
        write_join_response(w, v, g, NULL, err, NULL);
        goto out;
    }

    brk_member_t *m = NULL;
    if (j.MemberId.len == 0) {
        /* A new member. */
        brk_member_t *old = find_instance(g, j.GroupInstanceId);
        char *id = new_member_id(j.GroupInstanceId.len >= 0 ? j.GroupInstanceId : req->hdr.ClientId);
        if (old) {
            sis_log_info(TAG, "group '%s': static member '%.*s' rejoined, replacing '%s'",
                         g->group_id, (int)j.GroupInstanceId.len, j.GroupInstanceId.ptr,
                         old->member_id);
            member_remove(old, KP_ERR_FENCED_INSTANCE_ID);
        }
        m = member_new(g, req, &j, id);
        member_update(m, &j);
        set_protocols(m, &j);
        if (v >= 4 && j.GroupInstanceId.len < 0) {
            /* KIP-394: hand out the id, let the client come back with it. */
            if (g->npending >= b->conf.group_max_size)
                forget_oldest_pending(g);
            m->pending = 1;
            m->next = g->pending;
            g->pending = m;
            g->npending++;
            brk_member_touch(m);
            assigned = m->member_id;
            write_join_response(w, v, g, NULL, KP_ERR_MEMBER_ID_REQUIRED, assigned);
            goto out;
        }
        member_append(g, m);
        if (!g->protocol_type)
            g->protocol_type = kp_str_dup(j.ProtocolType);
        park_join(req, m);
        ret = BRK_PARKED;
        prepare_rebalance(g, "new member joined");
        goto out;
    }

    m = brk_group_member(g, j.MemberId);
    brk_member_t *pend = m ? NULL : find_pending(g, j.MemberId);
    if (!m && !pend) {
        write_join_response(w, v, g, NULL, KP_ERR_UNKNOWN_MEMBER_ID, NULL);
        goto out;
    }
    if (m && m->instance_id && j.GroupInstanceId.len >= 0 &&
        !kp_str_eq(j.GroupInstanceId, m->instance_id)) {
        write_join_response(w, v, g, NULL, KP_ERR_FENCED_INSTANCE_ID, NULL);
        goto out;
    }
    if (pend) {
        /* Back with the id we assigned: now a member. */
        brk_member_t **pp = &g->pending;
        while (*pp != pend)
            pp = &(*pp)->next;
        *pp = pend->next;
        g->npending--;
        member_update(pend, &j);
        set_protocols(pend, &j);
        member_append(g, pend);
        if (!g->protocol_type)
            g->protocol_type = kp_str_dup(j.ProtocolType);
        park_join(req, pend);
        ret = BRK_PARKED;
        prepare_rebalance(g, "new member joined");
        goto out;
    }

    /* A known member joins again. */
    member_update(m, &j);
    int changed = set_protocols(m, &j);
    if (m->join.conn)
        answer_join(m, KP_ERR_REBALANCE_IN_PROGRESS); /* superseded by this request */
    int is_leader = g->leader_id && !strcmp(g->leader_id, m->member_id);
    if ((g->state == BRK_GROUP_COMPLETING_REBALANCE ||
         (g->state == BRK_GROUP_STABLE && !is_leader)) &&
        !changed) {
        /* Same metadata: the current generation stands; answer at once. */
        brk_member_touch(m);
        write_join_response(w, v, g, m, KP_ERR_NONE, m->member_id);
        goto out;
    }
    park_join(req, m);
    ret = BRK_PARKED;
    prepare_rebalance(g, changed ? "member changed its protocols" : "member rejoined");

out:
    free(j.names);
    free(j.metadata);
    return ret;

err_parse:
    free(j.names);
    free(j.metadata);
    return brk_parse_error(req);
}

/* ---- SyncGroup ---- */

/*
 * The member checks SyncGroup and Heartbeat share, in Kafka's order: INVALID_GROUP_ID (empty
 * id), UNKNOWN_MEMBER_ID (no such group or member), FENCED_INSTANCE_ID (the member belongs
 * to another GroupInstanceId), ILLEGAL_GENERATION. Sets *gp and *mp (NULL if unknown) in
 * every case, and returns KP_ERR_NONE or the error.
 */
static int16_t member_check(brk_broker_t *b, kp_str_t GroupId, int32_t GenerationId,
                            kp_str_t MemberId, kp_str_t GroupInstanceId, brk_group_t **gp,
                            brk_member_t **mp)
{
    brk_group_t *g = *gp = brk_group_find(b, GroupId);
    brk_member_t *m = *mp = brk_group_member(g, MemberId);
    if (GroupId.len <= 0)
        return KP_ERR_INVALID_GROUP_ID;
    if (!g || !m)
        return KP_ERR_UNKNOWN_MEMBER_ID;
    if (m->instance_id && GroupInstanceId.len >= 0 && !kp_str_eq(GroupInstanceId, m->instance_id))
        return KP_ERR_FENCED_INSTANCE_ID;
    if (GenerationId != g->generation)
        return KP_ERR_ILLEGAL_GENERATION;
    return KP_ERR_NONE;
}

int brk_handle_sync_group(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    kp_str_t GroupId = kp_rd_str(r);
    int32_t GenerationId = kp_rd_i32(r);
    kp_str_t MemberId = kp_rd_str(r);
    kp_str_t GroupInstanceId = v >= 3 ? kp_rd_nstr(r) : KP_STR_NULL;
    kp_str_t ProtocolType = KP_STR_NULL, ProtocolName = KP_STR_NULL;
    if (v >= 5) {
        ProtocolType = kp_rd_nstr(r);
        ProtocolName = kp_rd_nstr(r);
    }
    int32_t AssignmentsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        return brk_parse_error(req);
    /* Assignments are read only if this is the leader of a completing rebalance; check the
     * request's shape now, apply later. */
    const uint8_t *assign_start = r->p;
    for (int32_t i = 0; i < AssignmentsCnt; i++) {
        (void)kp_rd_str(r);
        (void)kp_rd_nbytes(r);
        kp_rd_tags(r);
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        return brk_parse_error(req);

    brk_group_t *g;
    brk_member_t *m;
    int16_t err = member_check(req->b, GroupId, GenerationId, MemberId, GroupInstanceId, &g, &m);
    if (err == KP_ERR_NONE) {
        if ((ProtocolType.len >= 0 && !str_is(g->protocol_type, ProtocolType)) ||
            (ProtocolName.len >= 0 && !str_is(g->protocol_name, ProtocolName)))
            err = KP_ERR_INCONSISTENT_GROUP_PROTOCOL;
        else if (g->state == BRK_GROUP_PREPARING_REBALANCE)
            err = KP_ERR_REBALANCE_IN_PROGRESS;
        else if (g->state == BRK_GROUP_EMPTY)
            err = KP_ERR_UNKNOWN_MEMBER_ID;
    }
    if (err != KP_ERR_NONE) {
        write_sync_response(w, v, g, NULL, err);
        return BRK_DONE;
    }
    brk_member_touch(m);
    if (g->state == BRK_GROUP_STABLE) {
        write_sync_response(w, v, g, m, KP_ERR_NONE);
        return BRK_DONE;
    }
    /* COMPLETING_REBALANCE */
    if (m->sync.conn)
        answer_sync(m, KP_ERR_REBALANCE_IN_PROGRESS); /* superseded */
    park(req, &m->sync);
    if (!strcmp(g->leader_id, m->member_id)) {
        kp_rd_t ar;
        kp_rd_init(&ar, assign_start, (size_t)(req->rd.end - assign_start), req->flex);
        for (int32_t i = 0; i < AssignmentsCnt; i++) {
            kp_str_t AssignedMemberId = kp_rd_str(&ar);
            kp_str_t Assignment = kp_rd_nbytes(&ar);
            kp_rd_tags(&ar);
            brk_member_t *x = brk_group_member(g, AssignedMemberId);
            if (!x)
                continue;
            free(x->assignment);
            int32_t len = Assignment.len > 0 ? Assignment.len : 0;
            x->assignment = sis_xmalloc((size_t)len + 1);
            if (len)
                memcpy(x->assignment, Assignment.ptr, (size_t)len);
            x->assignment_len = len;
        }
        g->state = BRK_GROUP_STABLE;
        sis_log_info(TAG, "group '%s': generation %d stable", g->group_id, (int)g->generation);
        assert_group_state(g);
        for (brk_member_t *x = g->members; x; x = x->next)
            answer_sync(x, KP_ERR_NONE);
    }
    return BRK_PARKED;
}

/* ---- Heartbeat ---- */

int brk_handle_heartbeat(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    kp_str_t GroupId = kp_rd_str(r);
    int32_t GenerationId = kp_rd_i32(r);
    kp_str_t MemberId = kp_rd_str(r);
    kp_str_t GroupInstanceId = v >= 3 ? kp_rd_nstr(r) : KP_STR_NULL;
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        return brk_parse_error(req);

    brk_group_t *g;
    brk_member_t *m;
    int16_t err = member_check(req->b, GroupId, GenerationId, MemberId, GroupInstanceId, &g, &m);
    if (err == KP_ERR_NONE && g->state == BRK_GROUP_PREPARING_REBALANCE)
        err = KP_ERR_REBALANCE_IN_PROGRESS;
    if (m && (err == KP_ERR_NONE || err == KP_ERR_REBALANCE_IN_PROGRESS))
        brk_member_touch(m);
    if (v >= 1)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_i16(w, err);   /* Response: ErrorCode */
    kp_wr_tags_none(w);
    return BRK_DONE;
}

/* ---- LeaveGroup ---- */

/* Removes one leaving member; returns the per-member error. */
static int16_t leave_one(brk_group_t *g, kp_str_t MemberId, kp_str_t GroupInstanceId)
{
    brk_member_t *m = NULL;
    if (GroupInstanceId.len >= 0) {
        m = find_instance(g, GroupInstanceId);
        if (!m)
            return KP_ERR_UNKNOWN_MEMBER_ID;
        if (MemberId.len > 0 && !kp_str_eq(MemberId, m->member_id))
            return KP_ERR_FENCED_INSTANCE_ID;
    } else {
        m = brk_group_member(g, MemberId);
        if (!m) {
            brk_member_t *p = find_pending(g, MemberId);
            if (!p)
                return KP_ERR_UNKNOWN_MEMBER_ID;
            member_leave(p, KP_ERR_UNKNOWN_MEMBER_ID, "pending member left");
            return KP_ERR_NONE;
        }
    }
    sis_log_info(TAG, "group '%s': member '%s' left", g->group_id, m->member_id);
    member_leave(m, KP_ERR_UNKNOWN_MEMBER_ID, "member left the group");
    return KP_ERR_NONE;
}

int brk_handle_leave_group(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    kp_str_t GroupId = kp_rd_str(r);
    brk_group_t *g = brk_group_find(req->b, GroupId);
    if (v <= 2) {
        kp_str_t MemberId = kp_rd_str(r);
        kp_rd_tags(r);
        if (kp_rd_failed(r))
            return brk_parse_error(req);
        int16_t err = g ? leave_one(g, MemberId, KP_STR_NULL) : KP_ERR_UNKNOWN_MEMBER_ID;
        if (v >= 1)
            kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
        kp_wr_i16(w, err);   /* Response: ErrorCode */
        return BRK_DONE;
    }
    int32_t MembersCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        return brk_parse_error(req);
    kp_str_t *ids = sis_xcalloc((size_t)MembersCnt + 1, sizeof *ids);
    kp_str_t *inst = sis_xcalloc((size_t)MembersCnt + 1, sizeof *inst);
    for (int32_t i = 0; i < MembersCnt; i++) {
        ids[i] = kp_rd_str(r);
        inst[i] = kp_rd_nstr(r);
        if (v >= 5)
            (void)kp_rd_nstr(r); /* Reason */
        kp_rd_tags(r);
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r)) {
        free(ids);
        free(inst);
        return brk_parse_error(req);
    }
    kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_i16(w, g ? KP_ERR_NONE : KP_ERR_UNKNOWN_MEMBER_ID); /* Response: ErrorCode */
    kp_wr_arraycnt(w, g ? MembersCnt : 0); /* Response: Members */
    for (int32_t i = 0; g && i < MembersCnt; i++) {
        int16_t err = leave_one(g, ids[i], inst[i]);
        kp_wr_kstr(w, ids[i]);  /* Response: MemberId */
        kp_wr_kstr(w, inst[i]); /* Response: GroupInstanceId */
        kp_wr_i16(w, err);      /* Response: ErrorCode */
        kp_wr_tags_none(w);
    }
    kp_wr_tags_none(w);
    free(ids);
    free(inst);
    return BRK_DONE;
}

/* ---- housekeeping ---- */

static void group_free(brk_group_t *g)
{
    while (g->members)
        member_remove(g->members, KP_ERR_COORDINATOR_NOT_AVAILABLE);
    while (g->pending)
        member_remove(g->pending, KP_ERR_COORDINATOR_NOT_AVAILABLE);
    sis_timer_stop(g->b->loop, &g->join_timer);
    free(g->group_id);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader_id);
    free(g);
}

void brk_groups_tick(brk_broker_t *b)
{
    groups_free_empty(b, 1);
}

void brk_groups_close(brk_broker_t *b)
{
    while (b->groups) {
        brk_group_t *g = b->groups;
        b->groups = g->next;
        group_free(g);
    }
    b->ngroups = 0;
}
