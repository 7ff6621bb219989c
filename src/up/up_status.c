/* up_status.c - see up_status.h. */
#include "up_status.h"

#include "sis_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Connects with a deadline; returns the socket (blocking mode) or -1. */
static int connect_timeout(const char *host, int port, int timeout_ms)
{
    struct addrinfo hints, *ai = NULL;
    char ports[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(ports, sizeof ports, "%d", port);
    if (getaddrinfo(host, ports, &hints, &ai) != 0 || !ai)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            fd = -1;
        } else {
            struct pollfd p = {fd, POLLOUT, 0};
            int err = 0;
            socklen_t len = sizeof err;
            if (poll(&p, 1, timeout_ms) != 1 ||
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(ai);
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int up_port_open(const char *host, int port, int timeout_ms)
{
    int fd = connect_timeout(host, port, timeout_ms);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

int up_http_get(const char *host, int port, const char *path, int timeout_ms, char *body,
                size_t bodylen)
{
    int64_t deadline = sis_mono_ms() + timeout_ms;
    int fd = connect_timeout(host, port, timeout_ms);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", path, host,
                     port);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    char buf[65536];
    size_t got = 0;
    for (;;) {
        int64_t left = deadline - sis_mono_ms();
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) != 1)
            break;
        ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == sizeof buf - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    int status;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    const char *b = strstr(buf, "\r\n\r\n");
    if (body && bodylen) {
        snprintf(body, bodylen, "%s", b ? b + 4 : "");
    }
    return status;
}

/* Value of the first line starting with `name` (a metric name plus optional labels). */
static long long metric(const char *text, const char *name, int *found)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (!strncmp(p, name, n) && (p[n] == ' ')) {
            *found = 1;
            return strtoll(p + n + 1, NULL, 10);
        }
    }
    return 0;
}

void up_figures_from_metrics(up_figures_t *f, const char *m)
{
    int found = 0;
    f->quakes = metric(m, "sismo_dashboard_quakes", &found);
    f->clients = metric(m, "sismo_dashboard_sse_clients", &found);
    f->lag = metric(m, "sismo_dashboard_consumer_lag{topic=\"sismos\"}", &found);
    f->consumed = metric(m, "sismo_dashboard_messages_consumed_total{topic=\"sismos\"}", &found);
    f->dashboard_ok = found;
}

void up_count_lines(const char *path, off_t *pos, long long *count)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return;
    if (st.st_size < *pos) { /* replaced by a shorter file: start over */
        *pos = 0;
        *count = 0;
    }
    if (st.st_size == *pos)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[65536];
    ssize_t r;
    while ((r = pread(fd, buf, sizeof buf, *pos)) > 0) {
        for (ssize_t i = 0; i < r; i++)
            *count += buf[i] == '\n';
        *pos += r;
    }
    close(fd);
}
