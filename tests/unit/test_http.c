/* test_http: the transport against a tiny in-process HTTP/1.1 server: headers
 * kept, credentials sent, body cap, stall timeout, no redirects, connection
 * reuse, transport errno (http.h). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "http.h"
#include "testsrv.h"

/* Canned answers by path. */
static int handle(int fd, const char *path, const char *req)
{
    (void)req;
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

int main(void)
{
    struct bw_http *h;
    struct bw_http_response r;
    struct bw_http_config cfg = {.connect_timeout = 2, .stall_timeout = 1,
                                 .user_agent = "bwreportfs/test"};
    struct bw_http_auth basic = {.kind = BW_HTTP_AUTH_BASIC};

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
