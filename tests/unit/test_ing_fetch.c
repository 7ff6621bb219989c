/* test_ing_fetch.c - the libcurl fetcher against a forked canned-response server on
 * 127.0.0.1: 200 with validators, conditional requests and 304, validators kept only when
 * accepted (and then replaced as a whole), HTTP errors, a truncated transfer, a server that never answers (timeout),
 * connection refused, and file:// URLs. */
#include "ing_fetch.h"
#include "sis_err.h"
#include "sis_time.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char reqlog[64]; /* the child appends every request head here */

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8) ||
        getsockname(fd, (struct sockaddr *)&a, &len))
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

/* Child: answers one connection per canned response, in order, then exits. */
static void serve(int lfd, const char *const *responses)
{
    for (size_t i = 0; responses[i]; i++) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            _exit(1);
        char req[8192];
        size_t n = 0;
        while (n < sizeof req - 1) {
            ssize_t r = read(c, req + n, sizeof req - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
            req[n] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        FILE *f = fopen(reqlog, "a");
        fprintf(f, "%s----\n", req);
        fclose(f);
        if (write(c, responses[i], strlen(responses[i])) < 0)
            _exit(1);
        close(c);
    }
    _exit(0);
}

/* The request head of the i-th request (0-based) in the log, into buf. */
static void request(int i, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(reqlog, "r");
    if (!f)
        return;
    char all[65536];
    size_t n = fread(all, 1, sizeof all - 1, f);
    all[n] = '\0';
    fclose(f);
    char *p = all;
    for (int k = 0; k < i && p; k++) {
        p = strstr(p, "----\n");
        if (p)
            p += 5;
    }
    if (!p)
        return;
    char *end = strstr(p, "----\n");
    size_t l = end ? (size_t)(end - p) : strlen(p);
    if (l >= len)
        l = len - 1;
    memcpy(buf, p, l);
    buf[l] = '\0';
}

static void test_http(void)
{
    static const char *const responses[] = {
        "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nLast-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
        "Content-Length: 5\r\nConnection: close\r\n\r\nhello",
        "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops",
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly ten b",
        "HTTP/1.1 200 OK\r\nETag: \"v2\"\r\nContent-Length: 5\r\nConnection: close\r\n\r\nworld",
        "HTTP/1.1 200 OK\r\nETag: \"v3\"\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\ny",
        NULL,
    };
    int port, lfd = listen_any(&port);
    TEST_ASSERT(lfd >= 0);
    if (lfd < 0)
        return;
    /* The child must not write the parent's buffered output again: glibc's exit-time
     * cleanup, which valgrind runs even after _exit, would flush it. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        serve(lfd, responses);
    close(lfd);

    char url[64], err[SIS_ERRLEN], req[8192];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/feed.geojson", port);
    ing_fetch_conf_t conf = {.connect_timeout_ms = 2000, .timeout_ms = 5000};
    ing_fetch_t *f = ing_fetch_new(&conf);
    sis_buf_t body = SIS_BUF_INIT;
    ing_fetch_status_t st;
    long code;

    /* 1: plain GET, gzip offered, no validators yet */
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_OK);
    TEST_EQ_INT(st, ING_FETCH_OK);
    TEST_EQ_INT(code, 200);
    TEST_EQ_STR(sis_buf_cstr(&body), "hello");
    request(0, req, sizeof req);
    TEST_ASSERT(strstr(req, "GET /feed.geojson HTTP/1.1") && strstr(req, "Accept-Encoding: ") &&
                    strstr(req, "gzip") && strstr(req, "User-Agent: sismo/"),
                "%s", req);
    TEST_ASSERT(!strstr(req, "If-None-Match"), "%s", req);
    ing_fetch_accept(f);

    /* 2: conditional, 304 */
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_OK);
    TEST_EQ_INT(st, ING_FETCH_NOT_MODIFIED);
    TEST_EQ_INT(body.len, 0);
    request(1, req, sizeof req);
    TEST_ASSERT(strstr(req, "If-None-Match: \"v1\"") &&
                    strstr(req, "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT"),
                "%s", req);

    /* 3: HTTP 500 is an error naming the URL and the status */
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(code, 500);
    TEST_ASSERT(strstr(err, url) && strstr(err, "HTTP 500"), "%s", err);

    /* 4: connection closed before Content-Length bytes */
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "GET '") && (strstr(err, "bytes remaining") || strstr(err, "transfer")),
                "%s", err);

    /* 5: a new body whose processing the caller does not accept... */
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_OK);
    TEST_EQ_STR(sis_buf_cstr(&body), "world");
    /* 6: ...so the next request still sends v1 */
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_OK);
    request(5, req, sizeof req);
    TEST_ASSERT(strstr(req, "If-None-Match: \"v1\""), "%s", req);
    /* 7: accepting 6 replaces both validators: v3, and no Last-Modified (6 had none) */
    ing_fetch_accept(f);
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_OK);
    request(6, req, sizeof req);
    TEST_ASSERT(strstr(req, "If-None-Match: \"v3\"") && !strstr(req, "If-Modified-Since"), "%s",
                req);

    int status = 0;
    waitpid(pid, &status, 0);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sis_buf_release(&body);
    ing_fetch_destroy(f);
}

static void test_errors(void)
{
    char url[128], err[SIS_ERRLEN];
    ing_fetch_conf_t conf = {.connect_timeout_ms = 1000, .timeout_ms = 300};
    ing_fetch_t *f = ing_fetch_new(&conf);
    sis_buf_t body = SIS_BUF_INIT;
    ing_fetch_status_t st;
    long code;

    /* a server that accepts (the kernel does) but never answers: the total timeout */
    int port, lfd = listen_any(&port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    int64_t t0 = sis_mono_ms();
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_ERR);
    int64_t took = sis_mono_ms() - t0;
    TEST_ASSERT(strstr(err, "timed out"), "%s", err);
    TEST_ASSERT(took >= 250 && took < 3000, "took %lld ms", (long long)took);
    close(lfd);

    /* nothing listening any more on that port: refused */
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, url) != NULL, "%s", err);
    TEST_EQ_INT(code, 0);

    /* file:// URLs */
    char path[64];
    snprintf(path, sizeof path, "/tmp/sismo-unit-fetch-%d.json", (int)getpid());
    FILE *fp = fopen(path, "w");
    fputs("{\"features\":[]}", fp);
    fclose(fp);
    snprintf(url, sizeof url, "file://%s", path);
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_OK);
    TEST_EQ_STR(sis_buf_cstr(&body), "{\"features\":[]}");
    unlink(path);
    TEST_EQ_INT(ing_fetch_get(f, url, &body, &st, &code, err, sizeof err), SIS_ERR);
    sis_buf_release(&body);
    ing_fetch_destroy(f);
}

int test_ing_fetch(void)
{
    snprintf(reqlog, sizeof reqlog, "/tmp/sismo-unit-fetch-%d.log", (int)getpid());
    unlink(reqlog);
    test_http();
    test_errors();
    unlink(reqlog);
    return test_failures;
}
