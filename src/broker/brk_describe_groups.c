/*
 * brk_describe_groups.c - DescribeGroups (key 15, v0-v5) and ListGroups (key 16, v0-v5).
 *
 * A group exists while it has members or committed offsets; a group known only by its
 * committed offsets is "Empty". Describing an unknown group answers state "Dead" with no
 * error, as Apache Kafka does before v6. Member metadata and assignments are shown only for
 * a "Stable" group (Kafka's summary rule). All groups are of the classic type; ListGroups'
 * TypesFilter (v5) matches "classic" and StatesFilter (v4) the state names, both
 * case-insensitively.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "stor_offsets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* AclOperation bits of a group: READ 3, DELETE 6, DESCRIBE 8. */
#define GROUP_OPS ((1 << 3) | (1 << 6) | (1 << 8))

/* Protocol type remembered in the group's blob (see brk_group.c), or "". */
static void blob_protocol_type(brk_broker_t *b, const char *group, char *out, size_t len)
{
    const void *data;
    size_t n;
    out[0] = '\0';
    if (!stor_offsets_get_group(b->offsets, group, &data, &n) || n >= 512)
        return;
    char buf[512], ptype[256] = "";
    if (n)
        memcpy(buf, data, n);
    buf[n] = '\0';
    int gen;
    if (sscanf(buf, "1 %d %255s", &gen, ptype) == 2)
        snprintf(out, len, "%s", ptype);
}

int brk_handle_describe_groups(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    int32_t GroupsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        return brk_parse_error(req);
    kp_str_t *ids = sis_xcalloc((size_t)GroupsCnt + 1, sizeof *ids);
    for (int32_t i = 0; i < GroupsCnt; i++)
        ids[i] = kp_rd_str(r);
    int IncludeAuthorizedOperations = v >= 3 ? kp_rd_bool(r) : 0;
    kp_rd_tags(r);
    if (kp_rd_failed(r)) {
        free(ids);
        return brk_parse_error(req);
    }
    if (v >= 1)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_arraycnt(w, GroupsCnt); /* Response: Groups */
    for (int32_t i = 0; i < GroupsCnt; i++) {
        brk_group_t *g = brk_group_find(b, ids[i]);
        char *id = kp_str_dup(ids[i]);
        int16_t err = ids[i].len <= 0 ? KP_ERR_INVALID_GROUP_ID : KP_ERR_NONE;
        const char *state = "Dead", *ptype = "";
        char blob_type[256] = "";
        if (g && (g->state != BRK_GROUP_EMPTY || brk_offsets_group_has(b, id))) {
            state = brk_group_state_name(g->state);
            ptype = g->protocol_type ? g->protocol_type : "";
        } else if (err == KP_ERR_NONE && brk_offsets_group_has(b, id)) {
            state = "Empty";
            blob_protocol_type(b, id, blob_type, sizeof blob_type);
            ptype = blob_type;
        }
        int stable = g && g->state == BRK_GROUP_STABLE;
        int with_members = g && g->state != BRK_GROUP_EMPTY;
        kp_wr_i16(w, err);    /* Response: ErrorCode */
        kp_wr_kstr(w, ids[i]); /* Response: GroupId */
        kp_wr_cstr(w, state);  /* Response: GroupState */
        kp_wr_cstr(w, ptype);  /* Response: ProtocolType */
        kp_wr_cstr(w, stable && g->protocol_name ? g->protocol_name : ""); /* ProtocolData */
        kp_wr_arraycnt(w, with_members ? g->nmembers : 0); /* Response: Members */
        for (brk_member_t *m = with_members ? g->members : NULL; m; m = m->next) {
            const brk_protocol_t *p = NULL;
            for (int k = 0; stable && k < m->nprotocols; k++)
                if (!strcmp(m->protocols[k].name, g->protocol_name))
                    p = &m->protocols[k];
            kp_wr_cstr(w, m->member_id); /* Response: MemberId */
            if (v >= 4)
                kp_wr_cstr(w, m->instance_id); /* Response: GroupInstanceId */
            kp_wr_cstr(w, m->client_id);   /* Response: ClientId */
            kp_wr_cstr(w, m->client_host); /* Response: ClientHost */
            kp_wr_bytes(w, p ? p->metadata : NULL, p ? p->metadata_len : 0); /* MemberMetadata */
            kp_wr_bytes(w, stable ? m->assignment : NULL,
                        stable && m->assignment ? m->assignment_len : 0); /* MemberAssignment */
            kp_wr_tags_none(w);
        }
        if (v >= 3) /* Response: AuthorizedOperations */
            kp_wr_i32(w, IncludeAuthorizedOperations ? GROUP_OPS : INT32_MIN);
        kp_wr_tags_none(w);
        free(id);
    }
    kp_wr_tags_none(w);
    free(ids);
    return BRK_DONE;
}

typedef struct listed {
    char *id;
    const char *state;
    char ptype[256];
} listed_t;

typedef struct listed_set {
    brk_broker_t *b;
    listed_t *v;
    size_t n, cap;
} listed_set_t;

static void listed_add(listed_set_t *s, const char *id, const char *state, const char *ptype)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].id, id))
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = sis_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    listed_t *l = &s->v[s->n++];
    l->id = sis_xstrdup(id);
    l->state = state;
    snprintf(l->ptype, sizeof l->ptype, "%s", ptype ? ptype : "");
}

static int add_stored(void *opaque, const char *group)
{
    listed_set_t *s = opaque;
    if (brk_offsets_group_has(s->b, group)) {
        char ptype[256];
        blob_protocol_type(s->b, group, ptype, sizeof ptype);
        listed_add(s, group, "Empty", ptype);
    }
    return 0;
}

/* 1 if filter (strings read from r, n of them) is empty or contains s (case-insensitive). */
static int filter_match(const kp_str_t *filter, int32_t n, const char *s)
{
    if (n <= 0)
        return 1;
    for (int32_t i = 0; i < n; i++)
        if (filter[i].len == (int32_t)strlen(s) && strncasecmp(filter[i].ptr, s, strlen(s)) == 0)
            return 1;
    return 0;
}

int brk_handle_list_groups(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    int32_t nstates = 0, ntypes = 0;
    kp_str_t *states = NULL, *types = NULL;
    if (v >= 4) {
        nstates = kp_rd_arraycnt(r, 100, 0);
        states = sis_xcalloc((size_t)nstates + 1, sizeof *states);
        for (int32_t i = 0; i < nstates; i++)
            states[i] = kp_rd_str(r);
    }
    if (v >= 5) {
        ntypes = kp_rd_arraycnt(r, 100, 0);
        types = sis_xcalloc((size_t)ntypes + 1, sizeof *types);
        for (int32_t i = 0; i < ntypes; i++)
            types[i] = kp_rd_str(r);
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r)) {
        free(states);
        free(types);
        return brk_parse_error(req);
    }
    listed_set_t s = {b, NULL, 0, 0};
    for (brk_group_t *g = b->groups; g; g = g->next)
        if (g->state != BRK_GROUP_EMPTY || g->pending)
            listed_add(&s, g->group_id, brk_group_state_name(g->state), g->protocol_type);
    stor_offsets_iterate_groups(b->offsets, add_stored, &s);
    int32_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        n += filter_match(states, nstates, s.v[i].state) && filter_match(types, ntypes, "classic");
    if (v >= 1)
        kp_wr_i32(w, 0);          /* Response: ThrottleTimeMs */
    kp_wr_i16(w, KP_ERR_NONE); /* Response: ErrorCode */
    kp_wr_arraycnt(w, n);      /* Response: Groups */
    for (size_t i = 0; i < s.n; i++) {
        if (filter_match(states, nstates, s.v[i].state) && filter_match(types, ntypes, "classic")) {
            kp_wr_cstr(w, s.v[i].id);    /* Response: GroupId */
            kp_wr_cstr(w, s.v[i].ptype); /* Response: ProtocolType */
            if (v >= 4)
                kp_wr_cstr(w, s.v[i].state); /* Response: GroupState */
            if (v >= 5)
                kp_wr_cstr(w, "classic"); /* Response: GroupType */
            kp_wr_tags_none(w);
        }
        free(s.v[i].id);
    }
    kp_wr_tags_none(w);
    free(s.v);
    free(states);
    free(types);
    return BRK_DONE;
}
