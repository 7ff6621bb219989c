/* sis_signal.c - see sis_signal.h. */
#include "sis_signal.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static struct timespec first_signal; /* when the first stop signal arrived */
static volatile sig_atomic_t stop_requested;
static int pipe_fds[2] = {-1, -1};

/* Milliseconds since first_signal (clock_gettime is async-signal-safe). */
static long ms_since_first(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - first_signal.tv_sec) * 1000 +
           (now.tv_nsec - first_signal.tv_nsec) / 1000000;
}

static void on_signal(int sig)
{
    if (stop_requested) {
        /* The same signal sent to a whole process group (timeout(1), a terminal and a
         * supervisor at once) arrives twice together: only a later one means "now". */
        if (ms_since_first() < SIS_SIGNAL_REPEAT_MS)
            return;
        static const char msg[] = "sismo: second signal, exiting now\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(130);
    }
    stop_signal = sig;
    clock_gettime(CLOCK_MONOTONIC, &first_signal);
    stop_requested = 1;
    if (pipe_fds[1] >= 0) {
        ssize_t w = write(pipe_fds[1], "x", 1);
        (void)w;
    }
}

void sis_signal_install(void)
{
    if (pipe_fds[0] < 0 && pipe(pipe_fds) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(pipe_fds[i], F_SETFL, fcntl(pipe_fds[i], F_GETFL) | O_NONBLOCK);
            fcntl(pipe_fds[i], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int sis_signal_stop_requested(void)
{
    return stop_requested;
}

int sis_signal_which(void)
{
    return stop_signal;
}

int sis_signal_fd(void)
{
    return pipe_fds[0];
}

void sis_signal_request_stop(void)
{
    if (!stop_requested) {
        clock_gettime(CLOCK_MONOTONIC, &first_signal);
        stop_requested = 1;
        if (pipe_fds[1] >= 0) {
            ssize_t w = write(pipe_fds[1], "x", 1);
            (void)w;
        }
    }
}
