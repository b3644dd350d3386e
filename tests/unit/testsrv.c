/* testsrv: the tiny HTTP/1.1 test server (see testsrv.h). */
#include "testsrv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_fd = -1;
static testsrv_handler handler;
static int accepted, requests;                 /* atomics */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_request[8192];                /* guarded by last_lock */

void testsrv_send(int fd, const void *data, size_t n)
{
    const char *s = data;
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

void testsrv_reply(int fd, const char *status, const char *headers, const char *body)
{
    char head[4096];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n", status,
                     headers, strlen(body));
    testsrv_send(fd, head, (size_t)n);
    testsrv_send(fd, body, strlen(body));
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[8192];

    for (;;) {
        size_t len = 0;
        req[0] = '\0';
        while (!strstr(req, "\r\n\r\n")) {
            if (len == sizeof req - 1)
                goto done;
            ssize_t r = recv(fd, req + len, sizeof req - 1 - len, 0);
            if (r <= 0)
                goto done;
            len += (size_t)r;
            req[len] = '\0';
        }
        /* A request body (POST) is read whole too, so the handler sees it
         * after the head and the next request starts clean. */
        size_t head = (size_t)(strstr(req, "\r\n\r\n") + 4 - req), want = head;
        const char *cl = strcasestr(req, "\r\nContent-Length:");
        if (cl && cl < req + head)
            want = head + strtoul(cl + 17, NULL, 10);
        while (len < want) {
            if (len == sizeof req - 1)
                goto done;
            ssize_t r = recv(fd, req + len, sizeof req - 1 - len, 0);
            if (r <= 0)
                goto done;
            len += (size_t)r;
            req[len] = '\0';
        }
        __atomic_add_fetch(&requests, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_lock(&last_lock);
        memcpy(last_request, req, len + 1);
        pthread_mutex_unlock(&last_lock);
        char path[1024] = "";
        sscanf(req, "%*s %1023s", path); /* any method */
        if (handler(fd, path, req) != 0)
            break;
    }
done:
    close(fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        __atomic_add_fetch(&accepted, 1, __ATOMIC_SEQ_CST);
        pthread_t th;
        if (pthread_create(&th, NULL, conn_main, (void *)(intptr_t)fd) == 0)
            pthread_detach(th);
        else
            close(fd);
    }
}

int testsrv_start(testsrv_handler h)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    pthread_t th;

    handler = h;
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(listen_fd, 64) != 0 || getsockname(listen_fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    pthread_create(&th, NULL, accept_main, NULL);
    pthread_detach(th);
    return ntohs(a.sin_port);
}

void testsrv_stop(void)
{
    shutdown(listen_fd, SHUT_RDWR);
    close(listen_fd);
}

int testsrv_accepted(void)
{
    return __atomic_load_n(&accepted, __ATOMIC_SEQ_CST);
}

int testsrv_requests(void)
{
    return __atomic_load_n(&requests, __ATOMIC_SEQ_CST);
}

int testsrv_last_has(const char *needle)
{
    pthread_mutex_lock(&last_lock);
    int found = strstr(last_request, needle) != NULL;
    pthread_mutex_unlock(&last_lock);
    return found;
}

int testsrv_dead_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd);
    return ntohs(a.sin_port);
}
