/*
 * kp_proto.h - Kafka protocol constants: API keys, request limits.
 *
 * API keys and names are Apache Kafka 3.8's (../shared/reference/kafka-protocol/api-index.md).
 * Which versions sismo accepts is decided in one place only, the broker's dispatch table
 * (brk_dispatch.c); this file knows the protocol, not the broker.
 */
#ifndef KP_PROTO_H
#define KP_PROTO_H

#include <stdint.h>

/* Request API keys (int16 on the wire). */
enum {
    KP_API_Produce = 0,
    KP_API_Fetch = 1,
    KP_API_ListOffsets = 2,
    KP_API_Metadata = 3,
    KP_API_LeaderAndIsr = 4,
    KP_API_StopReplica = 5,
    KP_API_UpdateMetadata = 6,
    KP_API_ControlledShutdown = 7,
    KP_API_OffsetCommit = 8,
    KP_API_OffsetFetch = 9,
    KP_API_FindCoordinator = 10,
    KP_API_JoinGroup = 11,
    KP_API_Heartbeat = 12,
    KP_API_LeaveGroup = 13,
    KP_API_SyncGroup = 14,
    KP_API_DescribeGroups = 15,
    KP_API_ListGroups = 16,
    KP_API_SaslHandshake = 17,
    KP_API_ApiVersions = 18,
    KP_API_CreateTopics = 19,
    KP_API_DeleteTopics = 20,
    KP_API_DeleteRecords = 21,
    KP_API_InitProducerId = 22,
    KP_API__CNT = 76 /* one past the highest key known to Kafka 3.8 (75) */
};

/* Name of an API key ("Produce"), or "Unknown" for keys outside [0, KP_API__CNT). */
const char *kp_api_name(int key);

/*
 * Request limits. Sizes and counts that come from the network are checked against these
 * before anything is allocated (habit: bounded reads).
 */
#define KP_FRAME_MIN 8               /* ApiKey + ApiVersion + CorrelationId = 8 bytes */
#define KP_MAX_ARRAY 100000          /* elements in any one request array */
#define KP_MAX_STRING 32767          /* a classic string's int16 length limit */

/* Special offsets and timestamps of ListOffsets. */
#define KP_OFFSET_LATEST (-1)
#define KP_OFFSET_EARLIEST (-2)
#define KP_OFFSET_MAX_TIMESTAMP (-3)

#endif
