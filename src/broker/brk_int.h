/*
 * brk_int.h - broker-private structures; included by the src/broker C files only.
 *
 * Threading: the whole broker runs on one thread, the sis_loop of brk_broker_t. Nothing
 * here is locked.
 *
 * Request life cycle (one connection):
 *   read -> frame assembled in conn->in -> brk_dispatch() -> handler
 *     BRK_DONE    response written into conn->out (sent in the loop's before-sleep step,
 *                 after the fsync policy has run)
 *     BRK_NORESP  nothing to send (Produce with acks=0)
 *     BRK_PARKED  the handler keeps the request (Fetch long-poll, JoinGroup, SyncGroup) and
 *                 answers later with brk_resp_begin()/brk_resp_end(); until then the
 *                 connection reads no further request, so responses stay in request order
 *                 (Kafka's broker mutes a channel the same way)
 *     BRK_CLOSE   malformed request: the connection is closed
 */
#ifndef BRK_INT_H
#define BRK_INT_H

#include "brk_broker.h"
#include "kp_buf.h"
#include "kp_header.h"
#include "kp_record.h"
#include "sis_buf.h"
#include "sis_log.h"
#include "sis_loop.h"
#include "stor_log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct brk_conn brk_conn_t;
typedef struct brk_req brk_req_t;
typedef struct brk_topic brk_topic_t;
typedef struct brk_partition brk_partition_t;
typedef struct brk_group brk_group_t;
typedef struct brk_fetch_wait brk_fetch_wait_t;
typedef struct brk_pid_table brk_pid_table_t;

/* ---- handlers and dispatch (brk_dispatch.c) ---- */

enum { BRK_DONE = 0, BRK_NORESP, BRK_PARKED, BRK_CLOSE };

typedef int (*brk_handler_t)(brk_req_t *req);

typedef struct brk_api {
    int16_t ApiKey;
    int16_t MinVersion;
    int16_t MaxVersion;
    int16_t FlexibleFrom; /* first flexible version (Kafka's flexibleVersions), -1 = none */
    brk_handler_t handler;
    const char *notes; /* one line for docs/PROTOCOL.md */
} brk_api_t;

/* The dispatch table entry for key, or NULL if sismo does not implement the API. */
const brk_api_t *brk_api_lookup(int key);
/* Iterates the table: returns entry i, or NULL past the end. */
const brk_api_t *brk_api_at(size_t i);

/* Handles one complete frame (size prefix removed). Returns BRK_DONE/NORESP/PARKED/CLOSE. */
int brk_dispatch(brk_conn_t *c, uint8_t *frame, size_t len);

/* A request being handled. The frame bytes (and so every kp_str_t read from rd) are valid
 * only during the handler call; a handler that parks copies what it needs. */
struct brk_req {
    brk_conn_t *conn;
    brk_broker_t *b;
    kp_reqhdr_t hdr;
    int16_t ApiVersion; /* == hdr.RequestApiVersion */
    int flex;           /* the request (and response) version is flexible */
    kp_rd_t rd;         /* the request body */
    uint8_t *frame;     /* the request frame (writable: Produce assigns offsets in place) */
    kp_wr_t w;          /* the response body, appended to conn->out after its header */
    size_t frame_start; /* response frame start in conn->out */
};

/*
 * For parked requests: starts a response on c for (api key, version, correlation id),
 * initialising *w to write its body; brk_resp_end() closes the frame and schedules the
 * write. The connection must be the parked one (its output is in request order).
 */
void brk_resp_begin(brk_conn_t *c, int16_t ApiKey, int16_t ApiVersion, int32_t CorrelationId,
                    kp_wr_t *w, size_t *frame_start);
void brk_resp_end(brk_conn_t *c, kp_wr_t *w, size_t frame_start, int16_t ApiKey,
                  int16_t ApiVersion);
/* A response outgrew conf.response_max_bytes (w->overflow): drops what was written of it
 * from c->out, logs, and closes the connection (the client sees it closed, as after any
 * error it cannot be told about). Every writer into c->out carries that limit. */
void brk_resp_overflow(brk_conn_t *c, kp_wr_t *w, size_t frame_start, int16_t ApiKey,
                       int16_t ApiVersion);

/* Logs a parse failure of req (API, version, byte offset, what) and returns BRK_CLOSE. */
int brk_parse_error(brk_req_t *req);

/* Handlers, one per API (file named after the API). */
int brk_handle_api_versions(brk_req_t *req);
int brk_handle_metadata(brk_req_t *req);
int brk_handle_produce(brk_req_t *req);
int brk_handle_fetch(brk_req_t *req);
int brk_handle_list_offsets(brk_req_t *req);
int brk_handle_find_coordinator(brk_req_t *req);
int brk_handle_join_group(brk_req_t *req);
int brk_handle_sync_group(brk_req_t *req);
int brk_handle_heartbeat(brk_req_t *req);
int brk_handle_leave_group(brk_req_t *req);
int brk_handle_offset_commit(brk_req_t *req);
int brk_handle_offset_fetch(brk_req_t *req);
int brk_handle_describe_groups(brk_req_t *req);
int brk_handle_list_groups(brk_req_t *req);
int brk_handle_create_topics(brk_req_t *req);
int brk_handle_delete_topics(brk_req_t *req);
int brk_handle_init_producer_id(brk_req_t *req);

/* ---- connections (brk_server.c) ---- */

struct brk_conn {
    brk_broker_t *b;
    int fd;
    uint64_t id;
    char peer[64];
    sis_buf_t in;     /* received bytes; unparsed ones start at in_off */
    size_t in_off;
    sis_buf_t out;    /* responses; unsent ones start at out_off */
    size_t out_off;
    void *parked;     /* the parked request's owner object (fetch wait, group member) */
    void (*parked_cancel)(void *parked); /* called if the connection closes while parked */
    int closing;      /* no more reads; reaped in before-sleep (habit: deferred close) */
    int events;       /* events currently watched */
    int on_ready;     /* in b->ready (has input to process in before-sleep) */
    int on_flush;     /* in b->flush (has output to write in before-sleep) */
    brk_conn_t *next, *prev;         /* b->conns */
    brk_conn_t *ready_next;          /* b->ready */
    brk_conn_t *flush_next;          /* b->flush */
};

/* Makes a connection of an accepted (non-blocking) socket; NULL if it cannot be watched
 * (fd closed then). Also used by tests and the fuzz target with one end of a socketpair. */
brk_conn_t *brk_conn_adopt(brk_broker_t *b, int fd, const char *peer);
/* Closes and frees c at once. Never from inside c's own callbacks or handlers: the loop
 * uses brk_conn_close() and reaps in before-sleep; this is for shutdown and tests. */
void brk_conn_destroy(brk_conn_t *c);
/* Parks c on `owner` (see BRK_PARKED); cancel() runs if c closes first. */
void brk_conn_park(brk_conn_t *c, void *owner, void (*cancel)(void *owner));
/* Ends the park; buffered requests are processed in the next before-sleep step. */
void brk_conn_unpark(brk_conn_t *c);
/* Marks c for closing (reaped in before-sleep). */
void brk_conn_close(brk_conn_t *c, const char *why);

/* ---- topics and partitions (brk_topics.c) ---- */

#define BRK_MAX_PARTITIONS 1000 /* per topic: each partition keeps files open and is created
                                 * synchronously on the loop */

struct brk_partition {
    brk_topic_t *topic;
    int32_t index;
    stor_log_t *log;
    int64_t hw;                 /* high watermark: offsets below it are visible to fetchers */
    int dirty;                  /* appended since the last fsync (on b->dirty) */
    brk_partition_t *dirty_next;
    brk_pid_table_t *pids;      /* idempotent producers' state (brk_idempotence.c), NULL
                                 * until the first idempotent batch */
    char *dir;                  /* <data-dir>/<topic>-<partition> */
    stor_fsync_t fsync;         /* this partition's policy (broker's, or the topic's flush.*) */
    int64_t fsync_interval_ms;
    int64_t last_sync_ms;       /* monotonic */
};

struct brk_topic {
    char *name;
    uint8_t id[16]; /* TopicId (uuid), stable across restarts */
    int32_t max_message_bytes; /* topic's max.message.bytes, -1 = the broker's */
    int log_append_time;       /* message.timestamp.type=LogAppendTime */
    int32_t npart;
    brk_partition_t *parts;
    brk_topic_t *next; /* b->topics, in creation order */
};

int brk_topics_open(brk_broker_t *b, char *errbuf, size_t errlen);
void brk_topics_close(brk_broker_t *b);
brk_topic_t *brk_topic_find(brk_broker_t *b, const char *name, size_t len);
brk_topic_t *brk_topic_find_id(brk_broker_t *b, const uint8_t id[16]);
brk_partition_t *brk_partition_get(brk_broker_t *b, kp_str_t topic, int32_t partition);
/* Kafka's topic name rule: 1..249 chars of [a-zA-Z0-9._-], not "." or "..". */
int brk_topic_name_valid(const char *name, size_t len);
/* Checks topic configs (n name/value pairs). Returns KP_ERR_NONE or INVALID_CONFIG. */
int16_t brk_topic_config_check(int32_t n, const kp_str_t *names, const kp_str_t *values,
                               char *errbuf, size_t errlen);
/* Creates a topic. Returns KP_ERR_NONE and *out, or a Kafka error code (TOPIC_ALREADY_EXISTS,
 * INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS, INVALID_CONFIG, KAFKA_STORAGE_ERROR) with
 * errbuf. */
int16_t brk_topic_create(brk_broker_t *b, const char *name, size_t len, int32_t npart,
                         int32_t nconfigs, const kp_str_t *config_names,
                         const kp_str_t *config_values, brk_topic_t **out, char *errbuf,
                         size_t errlen);
/* Deletes a topic and its data. Returns KP_ERR_NONE or a Kafka error code. */
int16_t brk_topic_delete(brk_broker_t *b, brk_topic_t *t, char *errbuf, size_t errlen);
/* Looks a topic up, creating it with the default partition count if auto-creation is on and
 * `allow` is set. Returns NULL with *kerr set (UNKNOWN_TOPIC_OR_PARTITION...). */
brk_topic_t *brk_topic_get_or_create(brk_broker_t *b, kp_str_t name, int allow, int16_t *kerr);
/* Appends validated batches to p's log; marks it dirty and moves the high watermark per the
 * fsync policy. Returns SIS_OK with *base_offset, or SIS_ERR with errbuf. */
int brk_partition_append(brk_broker_t *b, brk_partition_t *p, uint8_t *batches, size_t len,
                         int64_t *base_offset, char *errbuf, size_t errlen);
/* fsyncs every dirty partition and publishes their new high watermarks. */
void brk_partitions_sync(brk_broker_t *b);

/* ---- repeated partitions in a request (brk_dedup.c) ---- */

/* A request entry's key: a topic (name bytes, or the 16 bytes of a TopicId) and a
 * partition. Borrowed bytes. */
typedef struct brk_dedup_key {
    const void *bytes;
    size_t len;
    int32_t partition;
} brk_dedup_key_t;

/*
 * Groups equal keys of keys[0..n): first[i] is the index of the first key equal to keys[i]
 * (i itself for a first occurrence), next[i] the index of the next equal key after i, or
 * -1. Following next from first[i] visits every occurrence in request order. Returns the
 * number of distinct keys. O(n log n); first and next hold n entries each.
 */
int32_t brk_dedup(const brk_dedup_key_t *keys, int32_t n, int32_t *first, int32_t *next);

/* ---- fetch long-poll (brk_fetch.c) ---- */
/* Re-checks parked fetches after appends; answers those that have enough data. */
void brk_fetch_wake(brk_broker_t *b);
/* Answers nothing and frees every parked fetch (shutdown). */
void brk_fetch_cancel_all(brk_broker_t *b);
/* Drops references to t's partitions from parked fetches (before t is deleted). */
void brk_fetch_forget_topic(brk_broker_t *b, brk_topic_t *t);

/* ---- idempotent producers (brk_idempotence.c) ---- */
/* stor_log_open() recovery callback (opaque = the brk_partition_t): rebuilds producer state
 * from the batches of the log's tail. */
void brk_idempotence_recovered(void *opaque, const stor_batch_info_t *bi);
/* Frees p's producer state. */
void brk_idempotence_release(brk_partition_t *p);
/* Checks an idempotent batch (producerId >= 0) before it is appended. Returns KP_ERR_NONE
 * or OUT_OF_ORDER_SEQUENCE_NUMBER / INVALID_PRODUCER_EPOCH / INVALID_RECORD; a duplicate
 * of a retained batch returns KP_ERR_NONE with *dup_offset = its original base offset. */
int16_t brk_idempotence_check(brk_partition_t *p, const kp_batch_t *bt, int64_t *dup_offset);
/* Records an appended batch. */
void brk_idempotence_update(brk_partition_t *p, const kp_batch_t *bt, int64_t base_offset);
/* Highest producer id with state in p, or -1. */
int64_t brk_idempotence_max_pid(const brk_partition_t *p);
/* Sets b->next_producer_id after the logs are open (brk_init_producer_id.c). */
void brk_producer_ids_init(brk_broker_t *b);
#define BRK_PID_EXPIRE_MS (24LL * 3600 * 1000)
#define BRK_PID_MAX 10000 /* producer states per partition; the least recently used goes */
/* Producers with state in p. */
size_t brk_idempotence_count(const brk_partition_t *p);
/* Drops state of producers idle for BRK_PID_EXPIRE_MS. */
void brk_idempotence_expire(brk_partition_t *p, int64_t now_ms);

/* ---- consumer groups (brk_group.c) ---- */

typedef enum {
    BRK_GROUP_EMPTY,                /* no members (committed offsets may exist) */
    BRK_GROUP_PREPARING_REBALANCE,  /* join phase: waiting for members to (re)join */
    BRK_GROUP_COMPLETING_REBALANCE, /* joins answered: waiting for the leader's SyncGroup */
    BRK_GROUP_STABLE,               /* assignment distributed; members heartbeat */
} brk_group_state_t;

/* Kafka's names for the states ("Empty", "PreparingRebalance", ...). */
const char *brk_group_state_name(brk_group_state_t s);

typedef struct brk_member brk_member_t;

/* A request of a member waiting for the group (JoinGroup or SyncGroup). */
typedef struct brk_member_wait {
    brk_member_t *m;
    brk_conn_t *conn;      /* NULL = no request waiting */
    int16_t ApiVersion;
    int32_t CorrelationId;
} brk_member_wait_t;

typedef struct brk_protocol {
    char *name;
    uint8_t *metadata;
    int32_t metadata_len;
} brk_protocol_t;

struct brk_member {
    brk_group_t *g;
    char *member_id;
    char *instance_id;        /* GroupInstanceId (static membership) or NULL */
    char *client_id;
    char *client_host;        /* "/127.0.0.1" like Kafka */
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    int nprotocols;
    brk_protocol_t *protocols;
    uint8_t *assignment;      /* from the leader's SyncGroup */
    int32_t assignment_len;
    brk_member_wait_t join;   /* a parked JoinGroup */
    brk_member_wait_t sync;   /* a parked SyncGroup */
    sis_timer_t session;      /* session expiry (restarted by heartbeats) */
    int pending;              /* 1: got MEMBER_ID_REQUIRED, has not rejoined yet */
    int awaiting;             /* has joined in the current join phase (Kafka's
                               * isAwaitingJoin), even if its connection closed since */
    brk_member_t *next;       /* g->members (join order) or g->pending */
};

struct brk_group {
    brk_broker_t *b;
    char *group_id;
    brk_group_state_t state;
    int32_t generation;
    char *protocol_type;      /* "consumer" ...; NULL before the first member */
    char *protocol_name;      /* selected protocol ("range"...), NULL unless a generation runs */
    char *leader_id;          /* member id of the leader, NULL if none */
    brk_member_t *members;
    int nmembers;
    brk_member_t *pending;    /* MEMBER_ID_REQUIRED members (JoinGroup v4+), newest first */
    int npending;
    sis_timer_t join_timer;   /* rebalance deadline in PREPARING_REBALANCE */
    int initial_delay;        /* first rebalance of an empty group: wait the full delay */
    brk_group_t *next;        /* b->groups */
};

/* The group, or NULL. */
brk_group_t *brk_group_find(brk_broker_t *b, kp_str_t group_id);
brk_member_t *brk_group_member(brk_group_t *g, kp_str_t member_id);
void brk_groups_close(brk_broker_t *b);
/* Groups in memory (members, pending members, or an empty group kept for its offsets). */
int brk_groups_count(const brk_broker_t *b);
/* Periodic: frees empty groups that hold nothing. */
void brk_groups_tick(brk_broker_t *b);
/* Restarts a member's session timer (heartbeat, commit). */
void brk_member_touch(brk_member_t *m);

/* ---- committed offsets (brk_offsets.c) ---- */
int brk_offsets_open(brk_broker_t *b, char *errbuf, size_t errlen);
void brk_offsets_close(brk_broker_t *b);
/* 1 if the group has committed offsets. */
int brk_offsets_group_has(brk_broker_t *b, const char *group_id);

/* ---- the broker ---- */

struct brk_broker {
    brk_conf_t conf;
    sis_loop_t *loop;
    int listen_fd;
    int port;                 /* bound port */
    char adv_host[256];       /* host advertised in Metadata */
    int adv_port;
    uint64_t next_conn_id;
    brk_conn_t *conns;        /* all connections */
    brk_conn_t *ready;        /* connections with buffered requests to process */
    brk_conn_t *flush;        /* connections with output to write */
    int nconns;
    brk_topic_t *topics;
    int ntopics;
    brk_partition_t *dirty;   /* partitions appended since the last fsync */
    uint64_t appends;         /* appends so far (fetch waiters compare it) */
    uint64_t appends_seen;    /* value of appends when fetch waiters were last checked */
    brk_fetch_wait_t *fetch_waits; /* parked fetches */
    sis_timer_t tick;         /* once a second: retention, interval fsync */
    int64_t last_sync_ms;
    int64_t next_producer_id; /* InitProducerId: next id to hand out */
    struct stor_meta *meta;   /* topic catalogue and data-directory lock */
    struct brk_syncer *syncer; /* background fsyncs of --fsync interval */
    int64_t tick_ms;          /* period of the housekeeping timer */
    sis_timer_t accept_timer; /* re-arms the listener after accept() ran out of resources */
    sis_ratelimit_t accept_log; /* one "out of descriptors" warning per 10 s */
    sis_ratelimit_t refuse_log; /* one --max-connections warning per 10 s */
    uint64_t refused;         /* connections closed at once because of --max-connections */
    sis_buf_t scratch;        /* reusable buffer for fetch reads */
    char cluster_id[64];
    brk_group_t *groups;
    int ngroups;
    struct stor_offsets *offsets; /* committed offsets (stor_offsets.h) */
    int offsets_dirty;            /* committed since the last fsync */
};

#endif
