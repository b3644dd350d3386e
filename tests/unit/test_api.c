/* test_api: typed calls against the in-process server: report lists and
 * details, instance lists (paged, one type or all) and single instances,
 * billing lists (204 = none) and statuses; pagination (same origin only),
 * error envelopes to errno and status, capped retries (api.h). Downloads:
 * test_download.c. */
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

#define UUID1 "04d7b250-3b6d-44a2-b23d-a074f0cdc93e"

static const char *instance_xml(const char *id, const char *rid)
{
    static __thread char buf[1024];
    snprintf(buf, sizeof buf,
             "<Instance><Id>%s</Id><ReportId>%s</ReportId><ReportName>Port-in Orders</ReportName>"
             "<OutputFormat>csv</OutputFormat><RequestedByUserName>noc</RequestedByUserName>"
             "<RequestedAt>2022-9-16 11:05:12</RequestedAt><Parameters><Parameter><Name>AccountId</Name>"
             "<Value>1</Value></Parameter></Parameters><Status>Ready</Status>"
             "<ExpiresAt>2022-10-16</ExpiresAt></Instance>",
             id, rid);
    return buf;
}

/* The typed calls' answers; 1 if path was one of them. */
static int handle_typed(int fd, const char *path)
{
    char body[4096], next[256];

    if (strcmp(path, "/api/accounts/1/reports/14") == 0) {
        testsrv_reply(fd, "200 OK", "",
                      "<ReportResponse><Report><Id>14</Id><Name>Port-in Orders</Name><Parameters>"
                      "<Parameter><Name>OrderStatus</Name><Type>Enum</Type><Required>false</Required>"
                      "<MultiSelectAllowed>true</MultiSelectAllowed><ValueFilter>A;B</ValueFilter>"
                      "<Values><Value><InternalName>A</InternalName><DisplayName>Aa</DisplayName></Value>"
                      "</Values></Parameter></Parameters><OutputFormats><OutputFormat>csv</OutputFormat>"
                      "</OutputFormats></Report></ReportResponse>");
    } else if (strcmp(path, "/api/accounts/1/reports/99") == 0) {
        testsrv_reply(fd, "404 Not Found", "",
                      "<ReportResponse><ResponseStatus><ErrorCode>19000</ErrorCode><Description>No report "
                      "found</Description></ResponseStatus></ReportResponse>");
    } else if (strcmp(path, "/api/accounts/1/reports/instances") == 0) {
        snprintf(next, sizeof next,
                 "http://127.0.0.1:%d/api/accounts/1/reports/instances?page=2&amp;size=1", port);
        snprintf(body, sizeof body,
                 "<ReportInstancesResponse><Links><next>Link=&lt;%s&gt;;rel=\"next\";</next></Links>"
                 "<Instances>%s</Instances></ReportInstancesResponse>",
                 next, instance_xml("100001", "14"));
        testsrv_reply(fd, "200 OK", "", body);
    } else if (strcmp(path, "/api/accounts/1/reports/instances?page=2&size=1") == 0) {
        snprintf(body, sizeof body,
                 "<ReportInstancesResponse><Instances>%s</Instances></ReportInstancesResponse>",
                 instance_xml("100002", "4"));
        testsrv_reply(fd, "200 OK", "", body);
    } else if (strcmp(path, "/api/accounts/1/reports/4/instances") == 0) {
        snprintf(body, sizeof body,
                 "<ReportInstancesResponse><Instances>%s<Instance><Id>bad/id</Id></Instance>"
                 "</Instances></ReportInstancesResponse>",
                 instance_xml("100002", "4"));
        testsrv_reply(fd, "200 OK", "", body);
    } else if (strcmp(path, "/api/accounts/1/reports/5/instances") == 0) {
        testsrv_reply(fd, "200 OK", "", "<ReportInstancesResponse><Instances><Instance>");
    } else if (strcmp(path, "/api/accounts/1/reports/4/instances/100002") == 0) {
        snprintf(body, sizeof body, "<ReportInstanceResponse>%s</ReportInstanceResponse>",
                 instance_xml("100002", "4"));
        testsrv_reply(fd, "200 OK", "", body);
    } else if (strcmp(path, "/api/accounts/1/reports/4/instances/555") == 0) {
        testsrv_reply(fd, "404 Not Found", "",
                      "<ReportInstanceResponse><ResponseStatus><ErrorCode>19019</ErrorCode><Description>"
                      "No report instance found with id 555</Description></ResponseStatus>"
                      "</ReportInstanceResponse>");
    } else if (strcmp(path, "/api/accounts/1/billingreports?kind=DIDSNAP") == 0 ||
               strcmp(path, "/api/accounts/1/billingreports") == 0) {
        testsrv_reply(fd, "200 OK", "",
                      "<BillingReportsRetrievalResponse><BillingReportList><BillingReport>"
                      "<BillingReportId>" UUID1 "</BillingReportId><BillingReportKind>DIDSNAP"
                      "</BillingReportKind><UserId>demo</UserId><ReportStatus>COMPLETED</ReportStatus>"
                      "<Description>done</Description><CreatedDate>2026-12-01T03:12:05.000Z</CreatedDate>"
                      "<DateRange><StartDate>2026-11-01</StartDate><EndDate>2026-11-30</EndDate>"
                      "</DateRange></BillingReport></BillingReportList></BillingReportsRetrievalResponse>");
    } else if (strcmp(path, "/api/accounts/1/billingreports?kind=DIDSNAP_MSG") == 0) {
        testsrv_send(fd, "HTTP/1.1 204 No Content\r\n\r\n", 27);
    } else if (strcmp(path, "/api/accounts/1/billingreports?kind=BDR") == 0) {
        testsrv_reply(fd, "400 Bad Request", "",
                      "<BillingReportsResponse><ResponseStatus><ErrorCode>15600</ErrorCode><Description>"
                      "only DIDSNAP and DIDSNAP_MSG</Description></ResponseStatus></BillingReportsResponse>");
    } else if (strcmp(path, "/api/accounts/1/billingreports/" UUID1) == 0) {
        testsrv_reply(fd, "200 OK", "",
                      "<BillingReportRetrievalResponse><ReportStatus>PROCESSING</ReportStatus>"
                      "<Description>The report is being built.</Description>"
                      "</BillingReportRetrievalResponse>");
    } else if (strcmp(path, "/api/accounts/1/billingreports/bad-uuid") == 0) {
        testsrv_reply(fd, "400 Bad Request", "",
                      "<BillingReportsResponse><ResponseStatus><ErrorCode>1008</ErrorCode><Description>"
                      "'bad-uuid' is not a valid report id</Description></ResponseStatus>"
                      "</BillingReportsResponse>");
    } else if (strcmp(path, "/api/accounts/1/billingreports/11111111-2222-3333-4444-555555555555") == 0) {
        testsrv_reply(fd, "404 Not Found", "",
                      "<BillingReportsResponse><ResponseStatus><ErrorCode>15603</ErrorCode><Description>"
                      "not found</Description></ResponseStatus></BillingReportsResponse>");
    } else {
        return 0;
    }
    return 1;
}

static int handle(int fd, const char *path, const char *req)
{
    char next[256], hdr[128];
    (void)req;

    if (handle_typed(fd, path)) {
        return 0;
    } else if (strcmp(path, "/api/accounts/1/reports") == 0) {
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

static void test_typed(struct bw_api *api)
{
    struct bw_api_status st;
    int n;

    /* the codes issue 3 added to the one mapping (the rest: test_errno.c) */
    CHECK_INT(bw_api_errno(400, 1008), ENOENT);
    CHECK_INT(bw_api_errno(400, 19050), EIO);
    CHECK_INT(bw_api_errno(404, 19049), ENOENT);
    CHECK_INT(bw_api_errno(400, 15602), EAGAIN);
    CHECK_INT(bw_api_errno(202, 19048), EAGAIN);
    CHECK_INT(bw_api_errno(400, 15600), EINVAL);

    /* report detail */
    struct bw_report_detail d;
    int before = testsrv_requests();
    CHECK_INT(bw_api_get_report(api, "1", "14", &d, &st), 0);
    CHECK_INT(testsrv_requests() - before, 1);
    CHECK_STR(d.id, "14");
    CHECK_INT(d.n_params, 1);
    if (d.n_params == 1) {
        CHECK_STR(d.params[0].name, "OrderStatus");
        CHECK_INT(d.params[0].multi, 1);
        CHECK_INT(d.params[0].n_filter, 2);
        CHECK_INT(d.params[0].n_values, 1);
    }
    CHECK_INT(d.n_formats, 1);
    bw_model_report_detail_free(&d);
    CHECK_INT(bw_api_get_report(api, "1", "99", &d, &st), -ENOENT);
    CHECK_INT(st.api_code, 19000);
    CHECK(d.id == NULL);
    CHECK_INT(bw_api_get_report(api, "1", "a/b", &d, &st), -EINVAL);

    /* instances of every type, two pages; of one type (a bad entry skipped) */
    struct bw_instance_list il;
    before = testsrv_requests();
    CHECK_INT(bw_api_list_instances(api, "1", NULL, &il, &st), 0);
    n = testsrv_requests() - before;
    CHECK_INT(n, 2);
    CHECK_INT(il.n, 2);
    CHECK(il.next_url == NULL);
    if (il.n == 2) {
        CHECK_STR(il.items[0].id, "100001");
        CHECK_STR(il.items[0].report_id, "14");
        CHECK_STR(il.items[1].id, "100002");
        CHECK_INT(il.items[1].requested_at_t, 1663326312LL);
        CHECK(strstr(il.items[1].xml, "<Id>100002</Id>") != NULL);
    }
    bw_model_instance_list_free(&il);
    CHECK_INT(bw_api_list_instances(api, "1", "4", &il, &st), 0);
    CHECK_INT(il.n, 1);
    bw_model_instance_list_free(&il);
    CHECK_INT(bw_api_list_instances(api, "1", "5", &il, &st), -EIO);
    CHECK(strstr(st.detail, "malformed") != NULL);
    CHECK_INT(il.n, 0);
    CHECK_INT(bw_api_list_instances(api, "1", "77", &il, &st), -ENOENT);
    CHECK_INT(bw_api_list_instances(api, "..", NULL, &il, &st), -EINVAL);

    /* one instance */
    struct bw_instance in;
    CHECK_INT(bw_api_get_instance(api, "1", "4", "100002", &in, &st), 0);
    CHECK_STR(in.id, "100002");
    CHECK_STR(in.status, "Ready");
    CHECK_INT(in.n_params, 1);
    CHECK(in.xml && strncmp(in.xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Instance><Id>100002", 58) == 0);
    bw_model_instance_free(&in);
    CHECK_INT(bw_api_get_instance(api, "1", "4", "555", &in, &st), -ENOENT);
    CHECK_INT(st.api_code, 19019);
    CHECK_INT(st.http_status, 404);
    CHECK(in.id == NULL);
    CHECK_INT(bw_api_get_instance(api, "1", "4", NULL, &in, &st), -EINVAL);

    /* billing lists: by kind, all kinds, none (204), a kind that cannot be listed */
    struct bw_billing_list bl;
    CHECK_INT(bw_api_list_billing(api, "1", "DIDSNAP", &bl, &st), 0);
    CHECK_INT(bl.n, 1);
    if (bl.n == 1) {
        CHECK_STR(bl.items[0].id, UUID1);
        CHECK_STR(bl.items[0].kind, "DIDSNAP");
        CHECK_INT(bl.items[0].created_t, 1796094725LL);
        CHECK_STR(bl.items[0].end, "2026-11-30");
    }
    bw_model_billing_list_free(&bl);
    CHECK_INT(bw_api_list_billing(api, "1", NULL, &bl, &st), 0);
    CHECK_INT(bl.n, 1);
    bw_model_billing_list_free(&bl);
    CHECK_INT(bw_api_list_billing(api, "1", "DIDSNAP_MSG", &bl, &st), 0);
    CHECK_INT(st.http_status, 204);
    CHECK_INT(bl.n, 0);
    bw_model_billing_list_free(&bl);
    CHECK_INT(bw_api_list_billing(api, "1", "BDR", &bl, &st), -EINVAL);
    CHECK_INT(st.api_code, 15600);
    CHECK_INT(bw_api_list_billing(api, "1", "A&B", &bl, &st), -EINVAL);
    CHECK_INT(st.http_status, 0);

    /* billing status */
    struct bw_billing b;
    CHECK_INT(bw_api_get_billing(api, "1", UUID1, &b, &st), 0);
    CHECK_STR(b.id, UUID1);
    CHECK_STR(b.status, "PROCESSING");
    CHECK_STR(b.description, "The report is being built.");
    CHECK(strstr(b.xml, "<BillingReportRetrievalResponse>") != NULL);
    bw_model_billing_free(&b);
    CHECK_INT(bw_api_get_billing(api, "1", "bad-uuid", &b, &st), -ENOENT);
    CHECK_INT(st.api_code, 1008);
    CHECK_INT(bw_api_get_billing(api, "1", "11111111-2222-3333-4444-555555555555", &b, &st), -ENOENT);
    CHECK_INT(st.api_code, 15603);
    CHECK(b.id == NULL);
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

    test_typed(api);

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
