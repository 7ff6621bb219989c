/*
 * sis_heartbeat.h - liveness reports from a supervised child to `sismo up`.
 *
 * Protocol: the supervisor passes the write end of a pipe in the environment variable
 * SISMO_HEARTBEAT_FD. A child's main loop calls sis_heartbeat() often (it is cheap: at most
 * one one-byte write per second); the supervisor restarts a child whose pipe stays silent
 * for longer than its heartbeat timeout. Without the variable (a process started by hand)
 * every call is a no-op.
 */
#ifndef SIS_HEARTBEAT_H
#define SIS_HEARTBEAT_H

/* Writes one byte to the heartbeat pipe if a second has passed since the last one. */
void sis_heartbeat(void);

#endif
