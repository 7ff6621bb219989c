/* sis_net.c - see sis_net.h. */
#define _GNU_SOURCE
#include "sis_net.h"

#include "sis_err.h"
#include "sis_str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sis_net_split_hostport(const char *hostport, char *host, size_t hostlen, int *port,
                           char *errbuf, size_t errlen)
{
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport)
        return sis_seterr(errbuf, errlen, "'%s' is not of the form HOST:PORT", hostport);
    const char *h = hostport;
    size_t hl = (size_t)(colon - hostport);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    long long p;
    if (sis_parse_ll(colon + 1, &p) != 0 || p < 0 || p > 65535)
        return sis_seterr(errbuf, errlen, "'%s': port must be a number in 0..65535", hostport);
    if (hl + 1 > hostlen)
        return sis_seterr(errbuf, errlen, "'%s': host name too long", hostport);
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return SIS_OK;
}

int sis_net_listen_host(const char *host, int port, int backlog, int *gai_err)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    *gai_err = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &res);
    if (*gai_err != 0)
        return -1;
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        errno = err;
    return fd;
}

int sis_net_listen(const char *hostport, int backlog, char *errbuf, size_t errlen)
{
    char host[256];
    int port, gai;
    if (sis_net_split_hostport(hostport, host, sizeof host, &port, errbuf, errlen) != SIS_OK)
        return -1;
    int fd = sis_net_listen_host(host, port, backlog, &gai);
    if (fd < 0 && gai)
        sis_seterr(errbuf, errlen, "cannot resolve '%s': %s", hostport, gai_strerror(gai));
    else if (fd < 0)
        sis_seterr(errbuf, errlen, "cannot listen on '%s': %s", hostport, strerror(errno));
    return fd;
}

int sis_net_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

int sis_net_accept(int lfd, char *peer, size_t peerlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (peer && peerlen) {
        char ip[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
            port = ntohs(sin->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
            port = ntohs(sin6->sin6_port);
        }
        snprintf(peer, peerlen, "%s:%d", ip, port);
    }
    return fd;
}
