/*
 * sis_net.h - TCP listen/accept helpers (non-blocking, close-on-exec), errors in the
 * caller's buffer.
 */
#ifndef SIS_NET_H
#define SIS_NET_H

#include <stddef.h>

/* Splits "HOST:PORT" ("[::1]:9092" for IPv6) into host and port. Returns SIS_OK or SIS_ERR
 * with errbuf. */
int sis_net_split_hostport(const char *hostport, char *host, size_t hostlen, int *port,
                           char *errbuf, size_t errlen);

/* Listens on HOST:PORT (SO_REUSEADDR, non-blocking). Port 0 picks a free port. Returns the
 * fd, or -1 with errbuf ("cannot listen on '127.0.0.1:9092': Address already in use"). */
int sis_net_listen(const char *hostport, int backlog, char *errbuf, size_t errlen);

/* sis_net_listen with host and port given apart (host "" = every local address) and the
 * error message left to the caller: listens on the first address host resolves to that can
 * be bound. Returns the fd, or -1 with *gai_err = getaddrinfo's error when host did not
 * resolve, else with *gai_err = 0 and errno = the last socket/bind/listen error. */
int sis_net_listen_host(const char *host, int port, int backlog, int *gai_err);

/* The port a socket is bound to, or -1. */
int sis_net_local_port(int fd);

/* Accepts one connection: non-blocking, close-on-exec, TCP_NODELAY. Returns the fd, or -1
 * with errno (EAGAIN when none is pending). peer receives "IP:PORT" if non-NULL. */
int sis_net_accept(int lfd, char *peer, size_t peerlen);

#endif
