/* test_api: typed calls against the in-process server: pagination (same
 * origin only), error envelopes to errno and status, capped retries (api.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "api.h"
#include "check.h"
#include "log.h"
#include "testsrv.h"
#include "xml.h"

static int port;
static int flaky_calls, ratelimit_calls; /* atomics */

static const char *page(const char *next, int first_id)
{
    static __thread char buf[1024];
    char links[512] = "";
    if (next)
        snprintf(links, sizeof links, "<Links><next>Link=&lt;%s&gt;;rel=\"next\";</next></Links>", next);
    snprintf(buf, sizeof buf,
             "<ReportsResponse>%s<Reports><Report><Id>%d</Id><Name>Report %d</Name></Report>"
             "<Report><Id>%d</Id><Name>Report %d</Name></Report></Reports></ReportsResponse>",
             links, first_id, first_id, first_id + 1, first_id + 1);
    return buf;
}

static int handle(int fd, const char *path, const char *req)
{
    char next[256], hdr[128];
    (void)req;

    if (strcmp(path, "/api/accounts/1/reports") == 0) {
        snprintf(next, sizeof next, "http://127.0.0.1:%d/api/accounts/1/reports?page=2", port);
        testsrv_reply(fd, "200 OK", "", page(next, 10));
    } else if (strcmp(path, "/api/accounts/1/reports?page=2") == 0) {
        testsrv_reply(fd, "200 OK", "", page(NULL, 20));
    } else if (strcmp(path, "/api/accounts/2/reports") == 0) {
        testsrv_reply(fd, "200 OK", "", page("http://evil.example/api/accounts/2/reports?page=2", 1));
    } else if (strcmp(path, "/api/accounts/3/reports") == 0) {
        testsrv_reply(fd, "403 Forbidden", "",
                      "<ReportsResponse><ResponseStatus><ErrorCode>1001</ErrorCode>"
                      "<Description>Access Denied</Description></ResponseStatus></ReportsResponse>");
    } else if (strcmp(path, "/api/accounts/4/reports") == 0) {
        testsrv_reply(fd, "503 Service Unavailable", "", "");
    } else if (strcmp(path, "/api/accounts/5/reports") == 0) {
        if (__atomic_add_fetch(&flaky_calls, 1, __ATOMIC_SEQ_CST) == 1)
            testsrv_reply(fd, "503 Service Unavailable", "", "");
        else
            testsrv_reply(fd, "200 OK", "", page(NULL, 50));
    } else if (strcmp(path, "/api/accounts/6/reports") == 0) {
        testsrv_reply(fd, "200 OK", "", "<ReportsResponse><Reports><Report><Id>1</Id>");
    } else if (strcmp(path, "/api/accounts/7/reports") == 0) {
        testsrv_reply(fd, "404 Not Found", "",
                      "<Errors><Error><Code>19000</Code><Description>no such report</Description>"
                      "</Error></Errors>");
    } else if (strcmp(path, "/api/accounts/8/reports") == 0) {
        if (__atomic_add_fetch(&ratelimit_calls, 1, __ATOMIC_SEQ_CST) == 1) {
            snprintf(hdr, sizeof hdr, "X-RateLimit-Reset: %lld\r\n", (long long)time(NULL) + 1);
            testsrv_reply(fd, "429 Too Many Requests", hdr, "");
        } else {
            testsrv_reply(fd, "200 OK", "", page(NULL, 80));
        }
    } else if (strcmp(path, "/api/accounts/9/reports") == 0) {
        testsrv_reply(fd, "401 Unauthorized", "WWW-Authenticate: Basic realm=\"x\"\r\n", "");
    } else if (strcmp(path, "/api/accounts/10/reports") == 0) {
        snprintf(hdr, sizeof hdr, "X-RateLimit-Reset: %lld\r\n", (long long)time(NULL) + 3600);
        testsrv_reply(fd, "429 Too Many Requests", hdr, "");
    } else {
        testsrv_reply(fd, "404 Not Found", "", "");
    }
    return 0;
}

static int list(struct bw_api *api, const char *acct, struct bw_report_list *l,
                struct bw_api_status *st, int *requests)
{
    int before = testsrv_requests();
    int rc = bw_api_list_reports(api, acct, l, st);
    *requests = testsrv_requests() - before;
    return rc;
}

int main(void)
{
    struct bw_http *http;
    struct bw_auth *auth;
    struct bw_api *api;
    struct bw_report_list l;
    struct bw_api_status st;
    char err[256], base[128];
    int n;

    bw_log_init(BW_LOG_STDERR, BW_LOG_ERR);
    bw_xml_init();
    CHECK_INT(bw_http_global_init(), 0);
    port = testsrv_start(handle);
    CHECK(port > 0);
    setenv("BW_USERNAME", "demo", 1);
    setenv("BW_PASSWORD", "demo-password", 1);

    struct bw_http_config hc = {.connect_timeout = 2, .stall_timeout = 2, .user_agent = "t/1"};
    CHECK_INT(bw_http_new(&hc, &http), 0);
    struct bw_auth_config ac = {.http = http};
    CHECK_INT(bw_auth_new(&ac, &auth, err, sizeof err), 0);
    CHECK(strstr(bw_auth_describe(auth), "demo") != NULL);
    CHECK(strstr(bw_auth_describe(auth), "demo-password") == NULL);
    snprintf(base, sizeof base, "http://127.0.0.1:%d/api", port);
    struct bw_api_config pc = {.base_url = base};
    CHECK_INT(bw_api_new(&pc, http, auth, &api), 0);

    /* pagination, same origin */
    CHECK_INT(list(api, "1", &l, &st, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(l.n, 4);
    if (l.n == 4) {
        CHECK_STR(l.items[0].id, "10");
        CHECK_STR(l.items[3].name, "Report 21");
    }
    CHECK_INT(st.err, 0);
    CHECK_INT(st.http_status, 200);
    CHECK(testsrv_last_has("Authorization: Basic "));
    bw_model_report_list_free(&l);

    /* a next link to another origin is not followed (credentials stay home) */
    CHECK_INT(list(api, "2", &l, &st, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(l.n, 2);
    bw_model_report_list_free(&l);

    /* error envelope -> errno and status */
    CHECK_INT(list(api, "3", &l, &st, &n), -EACCES);
    CHECK_INT(n, 1);
    CHECK_INT(l.n, 0);
    CHECK_INT(st.http_status, 403);
    CHECK_INT(st.api_code, 1001);
    CHECK_STR(st.description, "Access Denied");
    char line[1024];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/api/accounts/3/reports", port);
    bw_api_status_format(&st, line, sizeof line);
    CHECK(strstr(line, base) && strstr(line, "ErrorCode 1001: Access Denied") &&
          strstr(line, "EACCES"));

    CHECK_INT(list(api, "7", &l, &st, &n), -ENOENT);
    CHECK_INT(st.api_code, 19000);

    /* retries are capped */
    CHECK_INT(list(api, "4", &l, &st, &n), -EAGAIN);
    CHECK_INT(n, BW_API_MAX_ATTEMPTS);
    CHECK_INT(st.http_status, 503);
    CHECK_INT(list(api, "5", &l, &st, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(l.n, 2);
    bw_model_report_list_free(&l);

    /* 429: wait for a near reset, give up on a far one */
    CHECK_INT(list(api, "8", &l, &st, &n), 0);
    CHECK_INT(n, 2);
    bw_model_report_list_free(&l);
    CHECK_INT(list(api, "10", &l, &st, &n), -EAGAIN);
    CHECK_INT(n, 1);

    /* 401 with Basic: no retry */
    CHECK_INT(list(api, "9", &l, &st, &n), -EACCES);
    CHECK_INT(n, 1);
    CHECK_INT(st.http_status, 401);

    /* malformed answer */
    CHECK_INT(list(api, "6", &l, &st, &n), -EIO);
    CHECK(strstr(st.detail, "malformed") != NULL);

    /* bad account id never reaches the network */
    CHECK_INT(list(api, "../1", &l, &st, &n), -EINVAL);
    CHECK_INT(n, 0);

    /* without a status struct the api logs and still returns the errno */
    CHECK_INT(bw_api_list_reports(api, "3", &l, NULL), -EACCES);

    /* transport failure */
    bw_api_free(api);
    snprintf(base, sizeof base, "http://127.0.0.1:%d/api", testsrv_dead_port());
    CHECK_INT(bw_api_new(&pc, http, auth, &api), 0);
    CHECK_INT(bw_api_list_reports(api, "1", &l, &st), -ECONNREFUSED);
    CHECK_INT(st.http_status, 0);
    CHECK(st.detail[0] != '\0');

    bw_api_free(api);
    bw_auth_free(auth);
    bw_http_free(http);
    testsrv_stop();
    bw_http_global_cleanup();
    bw_xml_cleanup();

    /* no credentials in the environment */
    unsetenv("BW_PASSWORD");
    CHECK_INT(bw_auth_new(&ac, &auth, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "BW_PASSWORD") != NULL);
    return check_done("test_api");
}
