/*
 * sis_signal.h - graceful shutdown on SIGINT/SIGTERM.
 *
 * sis_signal_install() makes the first SIGINT or SIGTERM set a stop flag (polled by loops
 * with sis_signal_stop_requested()) and write one byte to a self-pipe whose read end,
 * sis_signal_fd(), an event loop may watch. A second signal at least SIS_SIGNAL_REPEAT_MS
 * after the first exits at once with status 130, for users whose clean shutdown is stuck;
 * repeats closer together are one event delivered twice (a process-group kill) and ignored. SIGPIPE is ignored so that a
 * closed socket or pipe surfaces as EPIPE where it happened.
 */
#ifndef SIS_SIGNAL_H
#define SIS_SIGNAL_H

#define SIS_SIGNAL_REPEAT_MS 1000

void sis_signal_install(void);
int sis_signal_stop_requested(void);
/* Number of the signal that requested the stop (0 if none). */
int sis_signal_which(void);
/* Read end of the self-pipe (non-blocking), or -1 before sis_signal_install(). */
int sis_signal_fd(void);
/* Requests a stop from inside the program (same effect as a signal). */
void sis_signal_request_stop(void);

#endif
