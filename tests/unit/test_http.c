/* test_http: the transport against a tiny in-process HTTP/1.1 server: headers
 * kept, credentials sent, body cap, stall timeout, no redirects, connection
 * reuse, transport errno, streaming sinks, Range, POST (http.h). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "http.h"
#include "testsrv.h"

#define FILE_LEN 5000
static char file_bytes[FILE_LEN]; /* what /file serves; filled in main */

/* /file honours "Range: bytes=A-[B]"; /file?norange ignores it. */
static int serve_file(int fd, const char *path, const char *req)
{
    const char *rg = strstr(req, "\r\nRange: bytes=");
    long long a = 0, b = FILE_LEN - 1;
    char head[512];
    int n;

    if (rg && !strstr(path, "norange")) {
        char *end;
        a = strtoll(rg + 15, &end, 10);
        if (*end == '-' && end[1] >= '0' && end[1] <= '9')
            b = strtoll(end + 1, NULL, 10);
        if (b >= FILE_LEN)
            b = FILE_LEN - 1;
        if (a >= FILE_LEN) {
            testsrv_reply(fd, "416 Range Not Satisfiable", "Content-Range: bytes */5000\r\n", "");
            return 0;
        }
        n = snprintf(head, sizeof head,
                     "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %lld-%lld/%d\r\n"
                     "Content-Length: %lld\r\n\r\n", a, b, FILE_LEN, b - a + 1);
    } else {
        n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=r.csv\r\n"
                     "Content-Length: %d\r\n\r\n", FILE_LEN);
    }
    testsrv_send(fd, head, (size_t)n);
    testsrv_send(fd, file_bytes + a, (size_t)(b - a + 1));
    return 0;
}

/* Canned answers by path. */
static int handle(int fd, const char *path, const char *req)
{
    if (strncmp(path, "/file", 5) == 0)
        return serve_file(fd, path, req);
    if (strcmp(path, "/post") == 0) {
        const char *body = strstr(req, "\r\n\r\n") + 4;
        char echo[256];
        snprintf(echo, sizeof echo, "%s", body);
        testsrv_reply(fd, "201 Created", "Location: http://x.example/a/b/77\r\n", echo);
        return 0;
    }
    if (strcmp(path, "/chunkdrop") == 0) {
        const char *h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "a\r\n0123456789\r\n20\r\nabc";
        testsrv_send(fd, h, strlen(h));
        return -1;
    }
    if (strcmp(path, "/ok") == 0) {
        testsrv_reply(fd, "200 OK",
                      "Location: https://other.example/v1.0/accounts/1/reports/2/instances/789\r\n"
                      "content-disposition: attachment; filename=output.pdf\r\n"
                      "X-RateLimit-Reset: 1700000000\r\n",
                      "<r>hello</r>");
    } else if (strcmp(path, "/empty") == 0) {
        testsrv_reply(fd, "204 No Content", "", "");
    } else if (strcmp(path, "/notfound") == 0) {
        testsrv_reply(fd, "404 Not Found", "Content-Type: application/xml\r\n",
                      "<R><ResponseStatus><ErrorCode>19019</ErrorCode></ResponseStatus></R>");
    } else if (strcmp(path, "/redirect") == 0) {
        testsrv_reply(fd, "307 Temporary Redirect", "Location: http://127.0.0.1:1/signed?sig=x\r\n",
                      "");
    } else if (strcmp(path, "/big") == 0) {
        char body[3001];
        memset(body, 'x', 3000);
        body[3000] = '\0';
        testsrv_reply(fd, "200 OK", "", body);
    } else if (strcmp(path, "/bigchunked") == 0) {
        const char *h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        char chunk[512];
        memset(chunk, 'y', sizeof chunk);
        testsrv_send(fd, h, strlen(h));
        for (int i = 0; i < 10; i++) {
            testsrv_send(fd, "200\r\n", 5); /* 0x200 = 512 bytes */
            testsrv_send(fd, chunk, sizeof chunk);
            testsrv_send(fd, "\r\n", 2);
        }
        testsrv_send(fd, "0\r\n\r\n", 5);
    } else if (strcmp(path, "/stall") == 0) {
        /* headers and a few bytes, then silence */
        const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
        testsrv_send(fd, h, strlen(h));
        sleep(5);
        return -1;
    } else if (strcmp(path, "/stallheaders") == 0) {
        const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        testsrv_send(fd, h, strlen(h));
        sleep(5);
        return -1;
    } else if (strcmp(path, "/slowstart") == 0) {
        sleep(3); /* the server thinks longer than stall_timeout */
        testsrv_reply(fd, "200 OK", "", "late");
    } else if (strcmp(path, "/think") == 0) {
        usleep(500000); /* shorter than stall_timeout */
        testsrv_reply(fd, "200 OK", "", "soon");
    } else if (strcmp(path, "/drop") == 0) {
        const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
        testsrv_send(fd, h, strlen(h));
        return -1;
    } else {
        testsrv_reply(fd, "500 Internal Server Error", "", "");
    }
    return 0;
}

static int port;

static int get(struct bw_http *h, const char *path, const struct bw_http_auth *auth,
               size_t max_body, struct bw_http_response *r)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct bw_http_request req = {.url = url, .auth = auth, .max_body = max_body};
    return bw_http_get(h, &req, r);
}

/* A sink that records what it was given. */
struct rec {
    int headers_calls;
    long status;
    long long content_length, range_first, range_total;
    char disposition[128];
    char data[8192];
    size_t len;
    int fail_headers;      /* on_headers returns this */
    size_t fail_after;     /* on_data fails once len would pass this (0: never) */
};

static int rec_headers(void *ctx, const struct bw_http_response *r)
{
    struct rec *c = ctx;
    c->headers_calls++;
    c->status = r->status;
    c->content_length = r->content_length;
    c->range_first = r->range_first;
    c->range_total = r->range_total;
    snprintf(c->disposition, sizeof c->disposition, "%s",
             r->content_disposition ? r->content_disposition : "");
    return c->fail_headers;
}

static int rec_data(void *ctx, const char *buf, size_t len)
{
    struct rec *c = ctx;
    if (c->fail_after && c->len + len > c->fail_after)
        return -ECANCELED;
    if (len > sizeof c->data - 1 - c->len)
        return -EFBIG;
    memcpy(c->data + c->len, buf, len);
    c->len += len;
    return 0;
}

static int sget(struct bw_http *h, const char *path, struct rec *c, int range, long long a,
                long long b, size_t max_body, struct bw_http_response *r)
{
    char url[256];
    struct bw_http_sink sink = {.ctx = c, .on_headers = rec_headers, .on_data = rec_data};
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct bw_http_request req = {.url = url, .sink = &sink, .max_body = max_body,
                                  .range = range, .range_start = a, .range_end = b};
    return bw_http_get(h, &req, r);
}

static void test_streaming(struct bw_http *h)
{
    struct bw_http_response r;
    struct rec c;

    /* a whole 2xx body goes to the sink, past max_body, not to resp->body */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/file", &c, 0, 0, 0, 100, &r), 0);
    CHECK_INT(c.headers_calls, 1);
    CHECK_INT(c.status, 200);
    CHECK_INT(c.content_length, FILE_LEN);
    CHECK_INT(c.range_first, -1);
    CHECK_STR(c.disposition, "attachment; filename=r.csv");
    CHECK_INT(c.len, FILE_LEN);
    CHECK(memcmp(c.data, file_bytes, FILE_LEN) == 0);
    CHECK(r.body == NULL && r.len == 0);
    CHECK(!testsrv_last_has("Range:"));
    bw_http_response_free(&r);

    /* open-ended range: 206, Content-Range parsed, the tail streamed */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/file", &c, 1, 1234, -1, 0, &r), 0);
    CHECK(testsrv_last_has("\r\nRange: bytes=1234-\r\n"));
    CHECK_INT(c.status, 206);
    CHECK_INT(c.range_first, 1234);
    CHECK_INT(c.range_total, FILE_LEN);
    CHECK_INT(r.range_first, 1234);
    CHECK_INT(r.range_total, FILE_LEN);
    CHECK_INT(c.len, FILE_LEN - 1234);
    CHECK(memcmp(c.data, file_bytes + 1234, FILE_LEN - 1234) == 0);
    bw_http_response_free(&r);

    /* closed range (a probe's bytes=0-0) */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/file", &c, 1, 0, 0, 0, &r), 0);
    CHECK(testsrv_last_has("\r\nRange: bytes=0-0\r\n"));
    CHECK_INT(c.range_first, 0);
    CHECK_INT(c.range_total, FILE_LEN);
    CHECK_INT(c.len, 1);
    bw_http_response_free(&r);

    /* a server that ignores Range: 200, no Content-Range, the whole body */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/file?norange", &c, 1, 100, -1, 0, &r), 0);
    CHECK_INT(c.status, 200);
    CHECK_INT(c.range_first, -1);
    CHECK_INT(c.range_total, -1);
    CHECK_INT(c.len, FILE_LEN);
    bw_http_response_free(&r);

    /* 416 "bytes * /TOTAL": total known, first not */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/file", &c, 1, 9000, -1, 0, &r), 0);
    CHECK_INT(c.status, 416);
    CHECK_INT(c.range_first, -1);
    CHECK_INT(c.range_total, FILE_LEN);
    bw_http_response_free(&r);

    /* a bad range is refused before sending */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/file", &c, 1, 10, 5, 0, &r), -EINVAL);
    CHECK_INT(c.headers_calls, 0);
    bw_http_response_free(&r);

    /* non-2xx: headers to the sink, the body buffered for the error envelope */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/notfound", &c, 0, 0, 0, 0, &r), 0);
    CHECK_INT(c.headers_calls, 1);
    CHECK_INT(c.status, 404);
    CHECK_INT(c.len, 0);
    CHECK(r.body && strstr(r.body, "19019"));
    bw_http_response_free(&r);
    /* ... still capped by max_body */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/nothing-here", &c, 0, 0, 0, 0, &r), 0);
    CHECK_INT(c.status, 500);
    bw_http_response_free(&r);

    /* a callback's errno aborts the transfer and is returned */
    memset(&c, 0, sizeof c);
    c.fail_headers = -EPERM;
    CHECK_INT(sget(h, "/file", &c, 0, 0, 0, 0, &r), -EPERM);
    CHECK_INT(c.len, 0);
    CHECK_INT(r.status, 200);
    bw_http_response_free(&r);
    memset(&c, 0, sizeof c);
    c.fail_after = 100;
    CHECK_INT(sget(h, "/file", &c, 0, 0, 0, 0, &r), -ECANCELED);
    CHECK(c.len <= 100);
    bw_http_response_free(&r);

    /* cut short: Content-Length not reached, or a chunked body dropped */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/drop", &c, 0, 0, 0, 0, &r), -ECONNRESET);
    CHECK_INT(c.content_length, 100);
    CHECK_INT(c.len, 10);
    bw_http_response_free(&r);
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/chunkdrop", &c, 0, 0, 0, 0, &r), -ECONNRESET);
    CHECK_INT(c.content_length, -1);
    CHECK(c.len >= 10 && c.len < 42);
    bw_http_response_free(&r);
    /* without a sink too */
    CHECK_INT(get(h, "/chunkdrop", NULL, 0, &r), -ECONNRESET);
    bw_http_response_free(&r);

    /* a chunked body streamed whole */
    memset(&c, 0, sizeof c);
    CHECK_INT(sget(h, "/bigchunked", &c, 0, 0, 0, 100, &r), 0);
    CHECK_INT(c.len, 5120);
    CHECK_INT(c.content_length, -1);
    bw_http_response_free(&r);
}

static void test_post(struct bw_http *h, const struct bw_http_auth *auth)
{
    struct bw_http_response r;
    char url[256];
    const char *body = "<Instance><Name>x</Name></Instance>";

    snprintf(url, sizeof url, "http://127.0.0.1:%d/post", port);
    struct bw_http_request req = {.url = url, .auth = auth, .method = "POST", .body = body,
                                  .body_len = strlen(body), .content_type = "application/xml"};
    CHECK_INT(bw_http_get(h, &req, &r), 0);
    CHECK_INT(r.status, 201);
    CHECK_STR(r.body, body); /* the server echoes what it received */
    CHECK_STR(r.location, "http://x.example/a/b/77");
    CHECK(testsrv_last_has("POST /post HTTP/1.1\r\n"));
    CHECK(testsrv_last_has("\r\nContent-Type: application/xml\r\n"));
    CHECK(testsrv_last_has("\r\nContent-Length: 35\r\n"));
    CHECK(testsrv_last_has("\r\nAuthorization: Basic "));
    CHECK(!testsrv_last_has("Expect:"));
    bw_http_response_free(&r);

    /* a form body (the OAuth token call), content type as given */
    const char *form = "grant_type=client_credentials";
    struct bw_http_request f = {.url = url, .method = "POST", .body = form,
                                .body_len = strlen(form),
                                .content_type = "application/x-www-form-urlencoded",
                                .accept = "application/json"};
    CHECK_INT(bw_http_get(h, &f, &r), 0);
    CHECK_STR(r.body, form);
    CHECK(testsrv_last_has("\r\nAccept: application/json\r\n"));
    CHECK(testsrv_last_has("\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
    bw_http_response_free(&r);

    /* an empty POST */
    struct bw_http_request e = {.url = url, .method = "POST"};
    CHECK_INT(bw_http_get(h, &e, &r), 0);
    CHECK_INT(r.status, 201);
    CHECK(testsrv_last_has("\r\nContent-Length: 0\r\n"));
    bw_http_response_free(&r);

    /* and a GET after POSTs on the same pooled handles is a GET again */
    CHECK_INT(get(h, "/ok", NULL, 0, &r), 0);
    CHECK(testsrv_last_has("GET /ok HTTP/1.1\r\n"));
    bw_http_response_free(&r);
}


int main(void)
{
    struct bw_http *h;
    struct bw_http_response r;
    struct bw_http_config cfg = {.connect_timeout = 2, .stall_timeout = 1,
                                 .user_agent = "bwreportfs/test"};
    struct bw_http_auth basic = {.kind = BW_HTTP_AUTH_BASIC};

    for (int i = 0; i < FILE_LEN; i++)
        file_bytes[i] = (char)('a' + (i * 7 + i / 13) % 26);
    snprintf(basic.user, sizeof basic.user, "demo");
    snprintf(basic.secret, sizeof basic.secret, "demo-password");
    CHECK_INT(bw_http_global_init(), 0);
    port = testsrv_start(handle);
    CHECK(port > 0);
    CHECK_INT(bw_http_new(&cfg, &h), 0);

    CHECK_INT(get(h, "/ok", &basic, 0, &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "<r>hello</r>");
    CHECK_INT(r.len, 12);
    CHECK_STR(r.location, "https://other.example/v1.0/accounts/1/reports/2/instances/789");
    CHECK_STR(r.content_disposition, "attachment; filename=output.pdf");
    CHECK_INT(r.content_length, 12);
    CHECK_INT(r.ratelimit_reset, 1700000000);
    CHECK(testsrv_last_has("User-Agent: bwreportfs/test\r\n"));
    CHECK(testsrv_last_has("Accept: application/xml\r\n"));
    CHECK(testsrv_last_has("Authorization: Basic ZGVtbzpkZW1vLXBhc3N3b3Jk\r\n")); /* demo:demo-password */
    bw_http_response_free(&r);

    /* connections are reused */
    int before = testsrv_accepted();
    for (int i = 0; i < 3; i++) {
        CHECK_INT(get(h, "/ok", NULL, 0, &r), 0);
        bw_http_response_free(&r);
    }
    CHECK_INT(testsrv_accepted(), before);
    CHECK(!testsrv_last_has("Authorization:")); /* no credential, none sent */

    struct bw_http_auth bearer = {.kind = BW_HTTP_AUTH_BEARER};
    snprintf(bearer.secret, sizeof bearer.secret, "tok123");
    CHECK_INT(get(h, "/empty", &bearer, 0, &r), 0);
    CHECK_INT(r.status, 204);
    CHECK(r.body == NULL && r.len == 0);
    CHECK(testsrv_last_has("Authorization: Bearer tok123\r\n"));
    bw_http_response_free(&r);
    bw_http_auth_wipe(&bearer);
    CHECK(bearer.secret[0] == '\0' && bearer.kind == BW_HTTP_AUTH_NONE);

    CHECK_INT(get(h, "/notfound", &basic, 0, &r), 0);
    CHECK_INT(r.status, 404);
    CHECK(r.body && strstr(r.body, "19019"));
    bw_http_response_free(&r);

    /* redirects are not followed */
    CHECK_INT(get(h, "/redirect", &basic, 0, &r), 0);
    CHECK_INT(r.status, 307);
    CHECK_STR(r.location, "http://127.0.0.1:1/signed?sig=x");
    bw_http_response_free(&r);

    /* body cap: by Content-Length, and while streaming */
    CHECK_INT(get(h, "/big", &basic, 1000, &r), -EFBIG);
    CHECK(strstr(r.error, "1000") != NULL);
    bw_http_response_free(&r);
    CHECK_INT(get(h, "/big", &basic, 3000, &r), 0);
    CHECK_INT(r.len, 3000);
    bw_http_response_free(&r);
    CHECK_INT(get(h, "/bigchunked", &basic, 4096, &r), -EFBIG);
    CHECK_INT(r.status, 200);
    bw_http_response_free(&r);

    /* a stalled body times out after stall_timeout */
    time_t t0 = time(NULL);
    CHECK_INT(get(h, "/stall", &basic, 0, &r), -ETIMEDOUT);
    CHECK(time(NULL) - t0 <= 3);
    CHECK(strstr(r.error, "stall") != NULL);
    bw_http_response_free(&r);
    t0 = time(NULL);
    CHECK_INT(get(h, "/stallheaders", &basic, 0, &r), -ETIMEDOUT);
    CHECK(time(NULL) - t0 <= 3);
    bw_http_response_free(&r);
    /* waiting for the answer counts as a stall (as with curl's LOW_SPEED) */
    CHECK_INT(get(h, "/slowstart", &basic, 0, &r), -ETIMEDOUT);
    bw_http_response_free(&r);
    CHECK_INT(get(h, "/think", &basic, 0, &r), 0);
    CHECK_STR(r.body, "soon");
    bw_http_response_free(&r);
    /* a connection closed mid-body */
    CHECK_INT(get(h, "/drop", &basic, 0, &r), -ECONNRESET);
    bw_http_response_free(&r);

    test_streaming(h);
    test_post(h, &basic);

    /* nobody listening */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", testsrv_dead_port());
    struct bw_http_request req = {.url = url};
    CHECK_INT(bw_http_get(h, &req, &r), -ECONNREFUSED);
    CHECK(r.error[0] != '\0');
    bw_http_response_free(&r);

    struct bw_http_request bad = {.url = "ftp://127.0.0.1/x"};
    CHECK_INT(bw_http_get(h, &bad, &r), -EINVAL);
    bw_http_response_free(&r);

    bw_http_free(h);
    bw_http_global_cleanup();
    testsrv_stop();
    return check_done("test_http");
}
