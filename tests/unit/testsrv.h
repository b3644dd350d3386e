/* testsrv: a tiny threaded HTTP/1.1 server on 127.0.0.1 for unit tests of
 * http and api. One thread per connection; keep-alive; the test's handler
 * answers each request. */
#ifndef BW_TESTSRV_H
#define BW_TESTSRV_H

#include <stddef.h>

/* Answer one request on fd. Return 0 to keep the connection, -1 to close it.
 * request holds the head and, when it has a Content-Length, the body. */
typedef int (*testsrv_handler)(int fd, const char *path, const char *request);

/* Start listening; returns the port. */
int testsrv_start(testsrv_handler handler);
void testsrv_stop(void);

void testsrv_send(int fd, const void *data, size_t n);
/* "HTTP/1.1 STATUS", extra header lines (each ending in \r\n), Content-Length, body. */
void testsrv_reply(int fd, const char *status, const char *headers, const char *body);

int testsrv_accepted(void);  /* connections accepted so far */
int testsrv_requests(void);  /* requests received so far */
int testsrv_last_has(const char *needle); /* last request's head contains needle */

/* A port on which nobody listens (bound, then closed). */
int testsrv_dead_port(void);

#endif
