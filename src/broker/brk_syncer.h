/*
 * brk_syncer.h - background fsync thread for --fsync interval (see brk_syncer.c).
 *
 * @locality start/request/stop are called by the broker's loop thread only.
 */
#ifndef BRK_SYNCER_H
#define BRK_SYNCER_H

#include <stddef.h>
#include <stdint.h>

typedef struct brk_syncer brk_syncer_t;

/* Starts the thread. NULL with errbuf if it cannot be created. */
brk_syncer_t *brk_syncer_start(char *errbuf, size_t errlen);
/* Queues dir (copied): its *.log and *.index files and the directory itself get synced. */
void brk_syncer_request(brk_syncer_t *s, const char *dir);
/* Directories synced so far. */
uint64_t brk_syncer_rounds(brk_syncer_t *s);
/* Finishes the queued work, stops and frees the thread (NULL is fine). */
void brk_syncer_stop(brk_syncer_t *s);

#endif
