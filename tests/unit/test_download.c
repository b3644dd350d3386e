/* test_download: bw_api_download against the in-process server: direct and
 * redirected downloads (no credentials to another origin), ranges and probes,
 * error envelopes to errno, capped retries, cut-short transfers; plus the
 * Content-Disposition and origin helpers (api.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "api.h"
#include "check.h"
#include "log.h"
#include "testsrv.h"
#include "xml.h"

static int port;
static int signed_auth = -1;  /* did the other origin's request carry Authorization? (atomic) */
static int signed_host_ok;    /* ...and was it addressed to that other host? (atomic) */
static int same_auth = -1;    /* did the same-origin hop carry it? (atomic) */
static int flaky;             /* calls of the 503-then-200 file (atomic) */
static int tokens;            /* access tokens handed out (atomic) */

#define BODY "0123456789abcdefghijklmnopqrstuvwxyz"

static char big[1 << 20]; /* 'x' * 1 MiB, filled in main() before the server starts */

static void set(int *v, int x)
{
    __atomic_store_n(v, x, __ATOMIC_SEQ_CST);
}

static int get(int *v)
{
    return __atomic_load_n(v, __ATOMIC_SEQ_CST);
}

static const char *err_doc(int code, const char *desc)
{
    static __thread char buf[512];
    snprintf(buf, sizeof buf,
             "<?xml version=\"1.0\"?><ReportInstanceResponse><ResponseStatus><ErrorCode>%d</ErrorCode>"
             "<Description>%s</Description></ResponseStatus></ReportInstanceResponse>",
             code, desc);
    return buf;
}

/* "Range: bytes=A-" or "bytes=A-B" of the request, or -1. */
static long range_of(const char *req, long *end)
{
    const char *r = strstr(req, "Range: bytes=");
    *end = -1;
    if (!r)
        return -1;
    long a = -1;
    if (sscanf(r + 13, "%ld-%ld", &a, end) < 1)
        return -1;
    return a;
}

static int handle(int fd, const char *path, const char *req)
{
    char hdr[1024];
    const char *f = "/api/accounts/1/reports/4/instances/";

    if (strncmp(req, "POST /token ", 12) == 0) { /* OAuth2 token endpoint */
        char json[128];
        snprintf(json, sizeof json,
                 "{\"access_token\": \"tok-%d\", \"token_type\": \"Bearer\", \"expires_in\": 3600}",
                 __atomic_add_fetch(&tokens, 1, __ATOMIC_SEQ_CST));
        testsrv_reply(fd, "200 OK", "Content-Type: application/json\r\n", json);
        return -1; /* the form body may still be in the socket: start afresh */
    }
    if (strncmp(path, f, strlen(f)) != 0) {
        if (strncmp(path, "/signed/", 8) == 0) {
            set(&signed_auth, strstr(req, "Authorization:") != NULL);
            char host[64];
            snprintf(host, sizeof host, "Host: localhost:%d", port);
            set(&signed_host_ok, strstr(req, host) != NULL);
            if (strstr(req, "Authorization:")) {
                testsrv_reply(fd, "400 Bad Request", "",
                              "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism "
                              "allowed</Message></Error>");
                return 0;
            }
            if (strstr(path, "Signature=expired")) {
                testsrv_reply(fd, "403 Forbidden", "",
                              "<Error><Code>AccessDenied</Code><Message>Request has expired</Message>"
                              "</Error>");
                return 0;
            }
            testsrv_reply(fd, "200 OK",
                          "Content-Type: text/csv\r\nContent-Disposition: attachment; "
                          "filename=\"Signed Report.csv\"\r\n",
                          BODY);
            return 0;
        }
        if (strncmp(path, "/api/accounts/1/moved/", 22) == 0) {
            set(&same_auth, strstr(req, "Authorization: Basic ") != NULL);
            testsrv_reply(fd, "200 OK", "Content-Disposition: attachment; filename=moved.csv\r\n", BODY);
            return 0;
        }
        testsrv_reply(fd, "404 Not Found", "", "");
        return 0;
    }
    int id = atoi(path + strlen(f));
    long end, a = range_of(req, &end);
    switch (id) {
    case 100: /* direct, quoted name with spaces */
        testsrv_reply(fd, "200 OK",
                      "Content-Type: text/csv\r\nContent-Disposition: attachment; "
                      "filename=\"Report Name 100.csv\"\r\n",
                      BODY);
        return 0;
    case 101: /* 307 to another origin (another host name: localhost) */
        snprintf(hdr, sizeof hdr,
                 "Location: http://localhost:%d/signed/1/101/r.csv?Expires=9&KeyId=k&Signature=s3cr3t\r\n",
                 port);
        testsrv_reply(fd, "307 Temporary Redirect", hdr, "");
        return 0;
    case 102: /* 302 to the same origin: credentials go along */
        snprintf(hdr, sizeof hdr, "Location: http://127.0.0.1:%d/api/accounts/1/moved/102\r\n", port);
        testsrv_reply(fd, "302 Found", hdr, "");
        return 0;
    case 103: /* a relative Location, same origin */
        testsrv_reply(fd, "307 Temporary Redirect", "Location: /api/accounts/1/moved/103\r\n", "");
        return 0;
    case 104: { /* honours ranges */
        size_t total = strlen(BODY);
        if (a < 0) {
            testsrv_reply(fd, "200 OK", "Content-Disposition: attachment; filename=ranged.csv\r\n", BODY);
            return 0;
        }
        if ((size_t)a >= total) {
            snprintf(hdr, sizeof hdr, "Content-Range: bytes */%zu\r\n", total);
            testsrv_reply(fd, "416 Range Not Satisfiable", hdr, "");
            return 0;
        }
        if (end < 0 || (size_t)end >= total)
            end = (long)total - 1;
        snprintf(hdr, sizeof hdr,
                 "HTTP/1.1 206 Partial Content\r\nContent-Disposition: attachment; filename=ranged.csv\r\n"
                 "Content-Range: bytes %ld-%ld/%zu\r\nContent-Length: %ld\r\n\r\n",
                 a, end, total, end - a + 1);
        testsrv_send(fd, hdr, strlen(hdr));
        testsrv_send(fd, BODY + a, (size_t)(end - a + 1));
        return 0;
    }
    case 105: { /* ignores ranges; a big body of 'x' */
        snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", sizeof big);
        testsrv_send(fd, hdr, strlen(hdr));
        testsrv_send(fd, big, sizeof big);
        return 0;
    }
    case 140: /* an empty report on a server that honours ranges */
        if (a >= 0)
            testsrv_reply(fd, "416 Range Not Satisfiable", "Content-Range: bytes */0\r\n", "");
        else
            testsrv_reply(fd, "200 OK", "Content-Disposition: attachment; filename=empty.csv\r\n", "");
        return 0;
    case 106: /* chunked: no Content-Length */
        snprintf(hdr, sizeof hdr,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Disposition: attachment; "
                 "filename*=UTF-8''na%%C3%%AFve%%20r%%C3%%A9sum%%C3%%A9.csv; filename=\"fallback.csv\"\r\n\r\n"
                 "a\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n");
        testsrv_send(fd, hdr, strlen(hdr));
        return 0;
    case 107:
        testsrv_reply(fd, "202 Accepted", "", err_doc(19048, "Report instance 107 is not ready yet"));
        return 0;
    case 108:
        testsrv_reply(fd, "404 Not Found", "", err_doc(19049, "Report instance 108 has expired"));
        return 0;
    case 109:
        testsrv_reply(fd, "400 Bad Request", "", err_doc(19050, "Report instance 109 failed"));
        return 0;
    case 110:
        testsrv_reply(fd, "403 Forbidden", "", err_doc(1001, "Access Denied"));
        return 0;
    case 111:
        testsrv_reply(fd, "404 Not Found", "", err_doc(19019, "No report instance found with id 111"));
        return 0;
    case 112: /* 503 once, then the file */
        if (__atomic_add_fetch(&flaky, 1, __ATOMIC_SEQ_CST) == 1)
            testsrv_reply(fd, "503 Service Unavailable", "", "");
        else
            testsrv_reply(fd, "200 OK", "", BODY);
        return 0;
    case 113: /* cut short: promises 100 bytes, sends 10, closes */
        snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        testsrv_send(fd, hdr, strlen(hdr));
        return -1;
    case 114: /* redirects to itself forever */
        snprintf(hdr, sizeof hdr, "Location: http://127.0.0.1:%d%s\r\n", port, path);
        testsrv_reply(fd, "307 Temporary Redirect", hdr, "");
        return 0;
    case 115:
        testsrv_reply(fd, "307 Temporary Redirect", "", "");
        return 0;
    case 116: /* the other origin refuses an expired signature */
        snprintf(hdr, sizeof hdr, "Location: http://localhost:%d/signed/x?Signature=expired\r\n", port);
        testsrv_reply(fd, "307 Temporary Redirect", hdr, "");
        return 0;
    case 117: /* stalls after a few bytes */
        snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123");
        testsrv_send(fd, hdr, strlen(hdr));
        sleep(3);
        return -1;
    case 118: /* 401 */
        testsrv_reply(fd, "401 Unauthorized", "WWW-Authenticate: Basic realm=\"x\"\r\n", "");
        return 0;
    case 119: /* a redirect to a non-HTTP scheme */
        testsrv_reply(fd, "307 Temporary Redirect", "Location: file:///etc/passwd\r\n", "");
        return 0;
    case 120: /* 206 without Content-Range */
        testsrv_reply(fd, "206 Partial Content", "", "abc");
        return 0;
    case 130: /* OAuth2: the first token is refused, the next one works */
        if (strstr(req, "Authorization: Bearer tok-1\r\n"))
            testsrv_reply(fd, "401 Unauthorized", "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n", "");
        else if (strstr(req, "Authorization: Bearer tok-"))
            testsrv_reply(fd, "200 OK", "", BODY);
        else
            testsrv_reply(fd, "401 Unauthorized", "", "");
        return 0;
    case 121: /* billing: still building */
        testsrv_reply(fd, "400 Bad Request", "",
                      "<BillingReportsResponse><ResponseStatus><ErrorCode>15602</ErrorCode><Description>"
                      "not ready</Description></ResponseStatus></BillingReportsResponse>");
        return 0;
    default:
        testsrv_reply(fd, "404 Not Found", "", "");
        return 0;
    }
}

/* A sink that keeps what it gets. */
struct got {
    int metas;
    struct bw_api_file_meta meta;
    char data[1 << 21];
    size_t len;
    int fail_with; /* on_data returns this when set */
};

static int got_meta(void *ctx, const struct bw_api_file_meta *m)
{
    struct got *g = ctx;
    g->metas++;
    g->meta = *m;
    return 0;
}

static int got_data(void *ctx, const char *buf, size_t len)
{
    struct got *g = ctx;
    if (g->fail_with)
        return g->fail_with;
    if (len > sizeof g->data - g->len)
        return -EFBIG;
    memcpy(g->data + g->len, buf, len);
    g->len += len;
    return 0;
}

static struct got g;

static int dl(struct bw_api *api, const char *iid, long long offset, int probe,
              struct bw_api_status *st, int *requests)
{
    char *url = bw_api_instance_file_url(api, "1", "4", iid);
    struct bw_api_sink sink = {.ctx = &g, .on_meta = got_meta, .on_data = got_data};
    int before = testsrv_requests(), fail = g.fail_with;

    memset(&g, 0, sizeof g);
    g.fail_with = fail;
    int rc = bw_api_download(api, url, offset, probe, &sink, st);
    *requests = testsrv_requests() - before;
    free(url);
    return rc;
}

static void test_downloads(struct bw_api *api)
{
    struct bw_api_status st;
    int n;

    /* direct */
    CHECK_INT(dl(api, "100", 0, 0, &st, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(g.metas, 1);
    CHECK_INT(g.meta.size, strlen(BODY));
    CHECK_INT(g.meta.offset, 0);
    CHECK_STR(g.meta.name, "Report Name 100.csv");
    CHECK_INT(g.len, strlen(BODY));
    CHECK(memcmp(g.data, BODY, g.len) == 0);
    CHECK_INT(st.http_status, 200);
    CHECK(testsrv_last_has("Authorization: Basic "));
    CHECK(!testsrv_last_has("Range:"));

    /* 307 to another origin: followed WITHOUT credentials */
    set(&signed_auth, -1);
    CHECK_INT(dl(api, "101", 0, 0, &st, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(get(&signed_auth), 0);
    CHECK_INT(get(&signed_host_ok), 1);
    CHECK_STR(g.meta.name, "Signed Report.csv");
    CHECK_INT(g.len, strlen(BODY));
    CHECK(strstr(st.url, "localhost") && !strstr(st.url, "s3cr3t")); /* redacted */

    /* same-origin redirects keep them; relative Location too */
    set(&same_auth, -1);
    CHECK_INT(dl(api, "102", 0, 0, &st, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(get(&same_auth), 1);
    CHECK_STR(g.meta.name, "moved.csv");
    set(&same_auth, -1);
    CHECK_INT(dl(api, "103", 0, 0, &st, &n), 0);
    CHECK_INT(get(&same_auth), 1);
    CHECK_INT(g.len, strlen(BODY));

    /* ranges */
    CHECK_INT(dl(api, "104", 10, 0, &st, &n), 0);
    CHECK(testsrv_last_has("Range: bytes=10-\r\n"));
    CHECK_INT(g.meta.offset, 10);
    CHECK_INT(g.meta.size, strlen(BODY));
    CHECK_INT(g.len, strlen(BODY) - 10);
    CHECK(memcmp(g.data, BODY + 10, g.len) == 0);
    CHECK_INT(st.http_status, 206);

    /* probe: Range 0-0, meta only */
    CHECK_INT(dl(api, "104", 0, 1, &st, &n), 0);
    CHECK(testsrv_last_has("Range: bytes=0-0\r\n"));
    CHECK_INT(g.metas, 1);
    CHECK_INT(g.meta.size, strlen(BODY));
    CHECK_INT(g.meta.offset, 0);
    CHECK_STR(g.meta.name, "ranged.csv");
    CHECK_INT(g.len, 0);
    /* a 416 naming the total we asked from: the file ends there (empty, or resumed at its end) */
    CHECK_INT(dl(api, "140", 0, 1, &st, &n), 0);
    CHECK_INT(g.metas, 1);
    CHECK_INT(g.meta.size, 0);
    CHECK_INT(g.len, 0);
    CHECK_INT(dl(api, "140", 0, 0, &st, &n), 0);
    CHECK_INT(g.meta.size, 0);
    CHECK_INT(dl(api, "104", (long long)strlen(BODY), 0, &st, &n), 0);
    CHECK_INT(g.meta.offset, strlen(BODY));
    CHECK_INT(g.meta.size, strlen(BODY));
    CHECK_INT(g.len, 0);
    CHECK(dl(api, "104", (long long)strlen(BODY) + 5, 0, &st, &n) < 0); /* past the end: an error */
    /* a probe of a server that ignores Range: size from Content-Length, no body read */
    CHECK_INT(dl(api, "105", 0, 1, &st, &n), 0);
    CHECK_INT(g.meta.size, 1 << 20);
    CHECK_INT(g.len, 0);
    /* an offset the server ignores: a 200 from byte 0 */
    CHECK_INT(dl(api, "105", 5, 0, &st, &n), 0);
    CHECK_INT(g.meta.offset, 0);
    CHECK_INT(g.len, 1 << 20);
    /* a probe through a redirect to the other origin */
    set(&signed_auth, -1);
    CHECK_INT(dl(api, "101", 0, 1, &st, &n), 0);
    CHECK_INT(get(&signed_auth), 0);
    CHECK_INT(g.meta.size, strlen(BODY));
    CHECK_STR(g.meta.name, "Signed Report.csv");

    /* chunked: size unknown; filename* wins */
    CHECK_INT(dl(api, "106", 0, 0, &st, &n), 0);
    CHECK_INT(g.meta.size, -1);
    CHECK_STR(g.meta.name, "na\xc3\xafve r\xc3\xa9sum\xc3\xa9.csv");
    CHECK_INT(g.len, 13);

    /* API errors, through bw_api_errno */
    CHECK_INT(dl(api, "107", 0, 0, &st, &n), -EAGAIN);
    CHECK_INT(st.http_status, 202);
    CHECK_INT(st.api_code, 19048);
    CHECK_STR(st.description, "Report instance 107 is not ready yet");
    CHECK_INT(g.metas, 0);
    CHECK_INT(g.len, 0);
    CHECK_INT(dl(api, "108", 0, 0, &st, &n), -ENOENT);
    CHECK_INT(st.api_code, 19049);
    CHECK_INT(dl(api, "109", 0, 0, &st, &n), -EIO);
    CHECK_INT(st.api_code, 19050);
    CHECK_INT(dl(api, "110", 0, 0, &st, &n), -EACCES);
    CHECK_INT(st.api_code, 1001);
    CHECK_INT(dl(api, "111", 0, 0, &st, &n), -ENOENT);
    CHECK_INT(n, 1);
    CHECK_INT(dl(api, "121", 0, 0, &st, &n), -EAGAIN);
    CHECK_INT(st.api_code, 15602);
    CHECK_INT(dl(api, "999", 0, 0, &st, &n), -ENOENT);
    CHECK_INT(dl(api, "118", 0, 0, &st, &n), -EACCES); /* Basic: no retry */
    CHECK_INT(n, 1);
    /* the other origin's own error (S3 style, no numeric code) */
    CHECK_INT(dl(api, "116", 0, 0, &st, &n), -EACCES);
    CHECK_INT(st.http_status, 403);
    CHECK(strstr(st.url, "localhost") != NULL);

    /* retried before any byte; not after */
    CHECK_INT(dl(api, "112", 0, 0, &st, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(g.metas, 1);
    CHECK_INT(g.len, strlen(BODY));
    CHECK_INT(dl(api, "113", 0, 0, &st, &n), -ECONNRESET);
    CHECK_INT(n, 1);
    CHECK_INT(g.metas, 1);
    CHECK_INT(g.meta.size, 100);
    CHECK_INT(g.len, 10);

    /* redirects that cannot be followed */
    CHECK_INT(dl(api, "114", 0, 0, &st, &n), -EIO);
    CHECK_INT(n, 1 + BW_API_MAX_REDIRECTS);
    CHECK(strstr(st.detail, "too many redirects") != NULL);
    CHECK_INT(dl(api, "115", 0, 0, &st, &n), -EIO);
    CHECK(strstr(st.detail, "without Location") != NULL);
    CHECK_INT(dl(api, "119", 0, 0, &st, &n), -EIO);
    CHECK_INT(n, 1);
    CHECK_INT(dl(api, "120", 0, 0, &st, &n), -EIO);
    CHECK_INT(g.metas, 0);

    /* the reader stops the transfer */
    g.fail_with = -ENOSPC;
    CHECK_INT(dl(api, "100", 0, 0, &st, &n), -ENOSPC);
    CHECK_INT(n, 1);
    g.fail_with = 0;

    /* a stall */
    CHECK_INT(dl(api, "117", 0, 0, &st, &n), -ETIMEDOUT);
    CHECK_INT(n, 1);
    CHECK_INT(g.len, 4);

    /* bad arguments never reach the network */
    struct bw_api_sink sink = {.ctx = &g, .on_meta = got_meta, .on_data = got_data};
    CHECK_INT(bw_api_download(api, NULL, 0, 0, &sink, &st), -EINVAL);
    CHECK_INT(bw_api_download(api, "http://127.0.0.1:1/x", -1, 0, &sink, &st), -EINVAL);
    /* without st the failure is logged; same errno */
    char *url = bw_api_instance_file_url(api, "1", "4", "110");
    CHECK_INT(bw_api_download(api, url, 0, 0, &sink, NULL), -EACCES);
    free(url);
}

static void test_disposition(void)
{
    char out[256];

    CHECK_INT(bw_api_disposition_filename("attachment; filename=output.pdf", out, sizeof out), 0);
    CHECK_STR(out, "output.pdf");
    CHECK_INT(bw_api_disposition_filename("attachment; filename=\"Report Name 100002.csv\"", out,
                                          sizeof out),
              0);
    CHECK_STR(out, "Report Name 100002.csv");
    CHECK_INT(bw_api_disposition_filename("attachment;filename=\"a\\\"b\\\\c.csv\";size=3", out,
                                          sizeof out),
              0);
    CHECK_STR(out, "a\"b\\c.csv");
    CHECK_INT(bw_api_disposition_filename("ATTACHMENT; FileName = x.csv ; creation-date=\"x;y\"", out,
                                          sizeof out),
              0);
    CHECK_STR(out, "x.csv");
    CHECK_INT(bw_api_disposition_filename("attachment; filename*=UTF-8''%e2%82%ac%20rates.csv", out,
                                          sizeof out),
              0);
    CHECK_STR(out, "\xe2\x82\xac rates.csv");
    CHECK_INT(bw_api_disposition_filename("attachment; filename*=iso-8859-1'en'%A3%20rates.csv", out,
                                          sizeof out),
              0);
    CHECK_STR(out, "\xc2\xa3 rates.csv");
    /* filename* wins whatever the order; a broken one falls back */
    CHECK_INT(bw_api_disposition_filename("attachment; filename=\"a.csv\"; filename*=UTF-8''b.csv", out,
                                          sizeof out),
              0);
    CHECK_STR(out, "b.csv");
    CHECK_INT(bw_api_disposition_filename("attachment; filename*=UTF-8''bad%zz; filename=a.csv", out,
                                          sizeof out),
              0);
    CHECK_STR(out, "a.csv");
    CHECK_INT(bw_api_disposition_filename("attachment; filename*=KOI8-R''x; filename=a.csv", out,
                                          sizeof out),
              0);
    CHECK_STR(out, "a.csv");
    CHECK_INT(bw_api_disposition_filename("attachment; filename*=UTF-8''a%00b", out, sizeof out),
              -ENOENT);
    CHECK_INT(bw_api_disposition_filename("attachment; filename*=UTF-8''a%4", out, sizeof out), -ENOENT);
    /* raw: hostile names are passed on as they are (tree makes them safe) */
    CHECK_INT(bw_api_disposition_filename("attachment; filename=\"../../etc/passwd\"", out, sizeof out),
              0);
    CHECK_STR(out, "../../etc/passwd");
    /* no disposition type in front */
    CHECK_INT(bw_api_disposition_filename("filename=\"lone.csv\"", out, sizeof out), 0);
    CHECK_STR(out, "lone.csv");
    CHECK_INT(bw_api_disposition_filename("filename*=UTF-8''x%2Fy; a=b", out, sizeof out), 0);
    CHECK_STR(out, "x/y");
    /* none */
    CHECK_INT(bw_api_disposition_filename(NULL, out, sizeof out), -ENOENT);
    CHECK_STR(out, "");
    CHECK_INT(bw_api_disposition_filename("attachment", out, sizeof out), -ENOENT);
    CHECK_INT(bw_api_disposition_filename("attachment; filename=", out, sizeof out), -ENOENT);
    CHECK_INT(bw_api_disposition_filename("attachment; filename=\"\"", out, sizeof out), -ENOENT);
    CHECK_INT(bw_api_disposition_filename("inline; name=x", out, sizeof out), -ENOENT);
    /* long names are cut at a character boundary */
    char h[1200], small[8];
    snprintf(h, sizeof h, "attachment; filename=\"abcdef\xc3\xa9\"");
    CHECK_INT(bw_api_disposition_filename(h, small, sizeof small), 0);
    CHECK_STR(small, "abcdef");
    memset(h, 0, sizeof h);
    strcpy(h, "attachment; filename=");
    memset(h + strlen(h), 'n', 1100);
    CHECK_INT(bw_api_disposition_filename(h, out, sizeof out), 0);
    CHECK_INT(strlen(out), 255);
}

static void test_origins(void)
{
    CHECK(bw_api_same_origin("https://api.bandwidth.com/api", "https://api.bandwidth.com/x?y"));
    CHECK(bw_api_same_origin("https://api.bandwidth.com/api", "HTTPS://API.Bandwidth.com:443/v1.0"));
    CHECK(bw_api_same_origin("http://127.0.0.1:8080/api", "http://127.0.0.1:8080"));
    CHECK(!bw_api_same_origin("https://api.bandwidth.com/api", "http://api.bandwidth.com/api"));
    CHECK(!bw_api_same_origin("https://api.bandwidth.com/api", "https://api.bandwidth.com:8443/api"));
    CHECK(!bw_api_same_origin("https://api.bandwidth.com/api", "https://api.bandwidth.com.evil.example/"));
    CHECK(!bw_api_same_origin("https://api.bandwidth.com/api", "https://evil.example/?https://api.bandwidth.com"));
    CHECK(!bw_api_same_origin("http://127.0.0.1:8080/api", "http://localhost:8080/api"));
    CHECK(!bw_api_same_origin("http://127.0.0.1:8080/api", "not a url"));
    CHECK(!bw_api_same_origin(NULL, "http://x/"));
}

static void test_urls(struct bw_api *api)
{
    char want[256], *u;

    u = bw_api_instance_file_url(api, "9900001", "14", "100003");
    snprintf(want, sizeof want, "http://127.0.0.1:%d/api/accounts/9900001/reports/14/instances/100003/file", port);
    CHECK_STR(u, want);
    free(u);
    u = bw_api_billing_file_url(api, "9900001", "04d7b250-3b6d-44a2-b23d-a074f0cdc93e");
    snprintf(want, sizeof want,
             "http://127.0.0.1:%d/api/accounts/9900001/billingreports/04d7b250-3b6d-44a2-b23d-a074f0cdc93e/file",
             port);
    CHECK_STR(u, want);
    free(u);
    CHECK(bw_api_instance_file_url(api, "1", "../4", "1") == NULL);
    CHECK(bw_api_instance_file_url(api, "1", "4", NULL) == NULL);
    CHECK(bw_api_instance_file_url(api, "1/2", "4", "1") == NULL);
    CHECK(bw_api_billing_file_url(api, "1", "a?b") == NULL);
    CHECK(bw_api_billing_file_url(api, "1", NULL) == NULL);
}

/* Concurrent downloads share nothing but http's pool and auth: each thread
 * gets its whole file (direct or through the other origin). */
struct par {
    struct bw_api *api;
    const char *iid;
    int ok;
};

static int par_data(void *ctx, const char *buf, size_t len)
{
    struct got *p = ctx;
    if (len > sizeof p->data - p->len)
        return -EFBIG;
    memcpy(p->data + p->len, buf, len);
    p->len += len;
    return 0;
}

static void *par_main(void *arg)
{
    struct par *p = arg;
    struct got *mine = calloc(1, sizeof *mine);
    struct bw_api_sink sink = {.ctx = mine, .on_meta = got_meta, .on_data = par_data};
    char *url = bw_api_instance_file_url(p->api, "1", "4", p->iid);
    struct bw_api_status st;

    p->ok = 1;
    for (int i = 0; i < 10 && mine; i++) {
        mine->len = 0;
        if (bw_api_download(p->api, url, 0, 0, &sink, &st) != 0 || mine->len != strlen(BODY) ||
            memcmp(mine->data, BODY, mine->len) != 0)
            p->ok = 0;
    }
    free(url);
    free(mine);
    return NULL;
}

static void test_parallel(struct bw_api *api)
{
    pthread_t th[8];
    struct par ps[8];

    for (int i = 0; i < 8; i++) {
        ps[i] = (struct par){.api = api, .iid = i % 2 ? "101" : "100"};
        pthread_create(&th[i], NULL, par_main, &ps[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(ps[i].ok, 1);
    }
    CHECK_INT(get(&signed_auth), 0);
}

/* Bearer tokens: a 401 gets one retry with a new token; the other origin
 * gets no Authorization header of any kind. */
static void test_oauth(struct bw_http *http)
{
    struct bw_auth *auth;
    struct bw_api *api;
    struct bw_api_status st;
    char err[256], base[128], token_url[128];
    int n;

    setenv("BW_CLIENT_ID", "demo-client", 1);
    setenv("BW_CLIENT_SECRET", "demo-secret", 1);
    snprintf(token_url, sizeof token_url, "http://127.0.0.1:%d/token", port);
    struct bw_auth_config ac = {.http = http, .token_url = token_url};
    CHECK_INT(bw_auth_new(&ac, &auth, err, sizeof err), 0);
    unsetenv("BW_CLIENT_ID");
    unsetenv("BW_CLIENT_SECRET");
    if (!auth)
        return;
    CHECK_INT(get(&tokens), 1);
    snprintf(base, sizeof base, "http://127.0.0.1:%d/api", port);
    struct bw_api_config pc = {.base_url = base};
    CHECK_INT(bw_api_new(&pc, http, auth, &api), 0);

    CHECK_INT(dl(api, "130", 0, 0, &st, &n), 0);
    CHECK_INT(get(&tokens), 2);
    CHECK_INT(n, 3); /* file (401), token, file (200) */
    CHECK_INT(g.len, strlen(BODY));

    set(&signed_auth, -1);
    CHECK_INT(dl(api, "101", 0, 0, &st, &n), 0);
    CHECK_INT(get(&signed_auth), 0);
    CHECK_INT(g.len, strlen(BODY));

    bw_api_free(api);
    bw_auth_free(auth);
}

int main(void)
{
    struct bw_http *http;
    struct bw_auth *auth;
    struct bw_api *api;
    char err[256], base[128];

    bw_log_init(BW_LOG_STDERR, BW_LOG_ERR);
    bw_xml_init();
    CHECK_INT(bw_http_global_init(), 0);
    memset(big, 'x', sizeof big);
    port = testsrv_start(handle);
    CHECK(port > 0);
    setenv("BW_USERNAME", "demo", 1);
    setenv("BW_PASSWORD", "demo-password", 1);
    unsetenv("BW_CLIENT_ID");
    unsetenv("BW_CLIENT_SECRET");

    struct bw_http_config hc = {.connect_timeout = 2, .stall_timeout = 1, .user_agent = "t/1"};
    CHECK_INT(bw_http_new(&hc, &http), 0);
    struct bw_auth_config ac = {.http = http};
    CHECK_INT(bw_auth_new(&ac, &auth, err, sizeof err), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%d/api", port);
    struct bw_api_config pc = {.base_url = base};
    CHECK_INT(bw_api_new(&pc, http, auth, &api), 0);

    test_disposition();
    test_origins();
    test_urls(api);
    test_downloads(api);
    set(&signed_auth, -1);
    test_parallel(api);
    test_oauth(http);

    bw_api_free(api);
    bw_auth_free(auth);
    bw_http_free(http);
    testsrv_stop();
    bw_http_global_cleanup();
    bw_xml_cleanup();
    return check_done("test_download");
}
