/* test_api_create: the POST calls against the in-process server: the id from
 * a Location on another host or base (billingReports in either case), the
 * body and headers as sent, error envelopes to errno, 429 waiting for the
 * reset, 503 and no connection retried with back-off and capped, and a lost
 * answer: the instance it created adopted (one POST), or the POST repeated
 * when nothing was created, or (billing types that cannot be listed) -EIO
 * without a second POST. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "check.h"
#include "log.h"
#include "request.h"
#include "testsrv.h"
#include "xml.h"

#define U1 "04d7b250-3b6d-44a2-b23d-a074f0cdc93e"
#define U2 "11111111-2222-3333-4444-555555555555"
#define U3 "aaaaaaaa-2222-3333-4444-555555555555"

/* What the server does with the next POSTs. */
enum mode {
    OK_OTHER_HOST,   /* 201, Location on another host and base */
    OK_NO_LOCATION,  /* 201 without Location */
    OK_COLLECTION,   /* 201, Location names the collection */
    ERR_400,         /* 400 with envelope number `envelope` */
    ERR_401,
    ERR_403,
    RATE_THEN_OK,    /* 429 (reset 1 s ahead), then 201 */
    RATE_FAR,        /* 429, reset an hour ahead */
    UNAVAIL_TWICE,   /* 503 19031 twice, then 201 */
    UNAVAIL_ALWAYS,
    LOST_CREATED,    /* creates the instance, then drops the connection */
    LOST_NOTHING,    /* drops the connection once, creating nothing (but
                      * someone else's instance appears), then 201 */
    LOST_502_ALWAYS, /* 502, nothing created */
    B_OK,            /* billing 201, Location .../billingReports/U1 */
    B_204,
    B_400,
    B_LOST,          /* creates a billing report, then drops the connection */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static enum mode mode;        /* guarded by lock, as is all below */
static int envelope;
static int posts, gets;       /* requests of this case */
static char last_body[4096];
static long long rate_reset, retry_at_ms;
static char instances[4096];  /* <Instance> elements listed for report 14 */
static char billings[4096];   /* <BillingReport> elements listed for DIDSNAP */
static int next_id = 500100;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reset_case(enum mode m)
{
    pthread_mutex_lock(&lock);
    mode = m;
    posts = gets = 0;
    last_body[0] = '\0';
    retry_at_ms = 0;
    pthread_mutex_unlock(&lock);
}

/* An instance of report 14 as the list shows it (lock held). */
static void add_instance(int id, const char *format, const char *start)
{
    size_t n = strlen(instances);
    snprintf(instances + n, sizeof instances - n,
             "<Instance><Id>%d</Id><ReportId>14</ReportId><ReportName>Port-in</ReportName>"
             "<OutputFormat>%s</OutputFormat><Parameters><Parameter><Name>Start Date</Name>"
             "<Value>%s</Value></Parameter></Parameters><Status>Processing</Status></Instance>",
             id, format, start);
}

static void reply_created(int fd, int id)
{
    char hdr[256];
    snprintf(hdr, sizeof hdr,
             "Location: https://api.test.inetwork.com:443/v1.0/accounts/1/reports/14/instances/%d\r\n",
             id);
    testsrv_reply(fd, "201 Created", hdr, "");
}

static const char *const envelopes[] = {
    "<ReportInstanceResponse><ResponseStatus><ErrorCode>19038</ErrorCode><Description>Bad value "
    "for Status</Description></ResponseStatus></ReportInstanceResponse>",
    "<Error><Code>19032</Code><Description>Start Date is required</Description></Error>",
    "<Errors><Error><Code>19030</Code><Description>xls is not an output format</Description>"
    "</Error></Errors>",
    "<Response><resultCode>19057</resultCode><resultMessage>one value only</resultMessage>"
    "</Response>",
};
static const long envelope_codes[] = {19038, 19032, 19030, 19057};

/* POST /api/accounts/1/reports/14/instances (lock held); -1: drop. */
static int handle_post_instance(int fd)
{
    char hdr[128];
    int id;

    switch (mode) {
    case OK_OTHER_HOST:
        reply_created(fd, 500123);
        break;
    case OK_NO_LOCATION:
        testsrv_reply(fd, "201 Created", "", "");
        break;
    case OK_COLLECTION:
        testsrv_reply(fd, "201 Created",
                      "Location: https://x.example/api/accounts/1/reports/14/instances/\r\n", "");
        break;
    case ERR_400:
        testsrv_reply(fd, "400 Bad Request", "", envelopes[envelope]);
        break;
    case ERR_401:
        testsrv_reply(fd, "401 Unauthorized", "WWW-Authenticate: Basic realm=\"x\"\r\n", "");
        break;
    case ERR_403:
        testsrv_reply(fd, "403 Forbidden", "",
                      "<R><ResponseStatus><ErrorCode>1001</ErrorCode><Description>Access Denied"
                      "</Description></ResponseStatus></R>");
        break;
    case RATE_THEN_OK:
        if (posts == 1) {
            rate_reset = (long long)time(NULL) + 1;
            snprintf(hdr, sizeof hdr, "X-RateLimit-Reset: %lld\r\n", rate_reset);
            testsrv_reply(fd, "429 Too Many Requests", hdr, "");
        } else {
            retry_at_ms = now_ms();
            reply_created(fd, 500124);
        }
        break;
    case RATE_FAR:
        snprintf(hdr, sizeof hdr, "X-RateLimit-Reset: %lld\r\n", (long long)time(NULL) + 3600);
        testsrv_reply(fd, "429 Too Many Requests", hdr, "");
        break;
    case UNAVAIL_TWICE:
    case UNAVAIL_ALWAYS:
        if (posts <= 2 || mode == UNAVAIL_ALWAYS)
            testsrv_reply(fd, "503 Service Unavailable", "",
                          "<R><ResponseStatus><ErrorCode>19031</ErrorCode><Description>Service "
                          "temporarily unavailable</Description></ResponseStatus></R>");
        else
            reply_created(fd, 500125);
        break;
    case LOST_CREATED:
        add_instance(id = next_id++, "csv", "2026-11-01");
        return -1; /* created, but the answer never leaves */
    case LOST_NOTHING:
        if (posts == 1) {
            add_instance(next_id++, "pdf", "2026-11-01"); /* someone else's, not ours */
            return -1;
        }
        add_instance(id = next_id++, "csv", "2026-11-01");
        reply_created(fd, id);
        break;
    case LOST_502_ALWAYS:
        testsrv_reply(fd, "502 Bad Gateway", "", "<html>bad gateway</html>");
        break;
    default:
        testsrv_reply(fd, "500 Internal Server Error", "", "");
        break;
    }
    return 0;
}

/* POST /api/accounts/1/billingreports (lock held). */
static int handle_post_billing(int fd)
{
    switch (mode) {
    case B_OK:
        testsrv_reply(fd, "201 Created",
                      "Location: https://other.example/api/v2/accounts/1/billingReports/" U1 "/\r\n",
                      "<BillingReportCreationResponse><ReportStatus>RECEIVED</ReportStatus>"
                      "<Description>The report archive is being built.</Description>"
                      "</BillingReportCreationResponse>");
        break;
    case B_204:
        testsrv_send(fd, "HTTP/1.1 204 No Content\r\n\r\n", 27);
        break;
    case B_400:
        testsrv_reply(fd, "400 Bad Request", "",
                      "<BillingReportCreationResponse><ResponseStatus><ErrorCode>15501</ErrorCode>"
                      "<Description>Invalid date range</Description></ResponseStatus>"
                      "</BillingReportCreationResponse>");
        break;
    case B_LOST: {
        size_t n = strlen(billings);
        /* another DIDSNAP for other dates appears too: not ours */
        snprintf(billings + n, sizeof billings - n,
                 "<BillingReport><BillingReportId>%s</BillingReportId><BillingReportKind>DIDSNAP"
                 "</BillingReportKind><ReportStatus>RECEIVED</ReportStatus><DateRange><StartDate>"
                 "2026-10-01</StartDate><EndDate>2026-10-31</EndDate></DateRange></BillingReport>"
                 "<BillingReport><BillingReportId>%s</BillingReportId><BillingReportKind>DIDSNAP"
                 "</BillingReportKind><ReportStatus>RECEIVED</ReportStatus><DateRange><StartDate>"
                 "2026-11-01</StartDate><EndDate>2026-11-30</EndDate></DateRange></BillingReport>",
                 U3, U2);
        return -1;
    }
    default:
        testsrv_reply(fd, "500 Internal Server Error", "", "");
        break;
    }
    return 0;
}

static int handle(int fd, const char *path, const char *req)
{
    char body[8192];
    int rc = 0;

    pthread_mutex_lock(&lock);
    if (strncmp(req, "POST ", 5) == 0) {
        const char *b = strstr(req, "\r\n\r\n");
        posts++;
        snprintf(last_body, sizeof last_body, "%s", b ? b + 4 : "");
        if (strcmp(path, "/api/accounts/1/reports/14/instances") == 0)
            rc = handle_post_instance(fd);
        else if (strcmp(path, "/api/accounts/1/billingreports") == 0)
            rc = handle_post_billing(fd);
        else
            testsrv_reply(fd, "404 Not Found", "", "");
    } else if (strcmp(path, "/api/accounts/1/reports/14/instances") == 0) {
        gets++;
        snprintf(body, sizeof body,
                 "<ReportInstancesResponse><Instances>%s</Instances></ReportInstancesResponse>",
                 instances);
        testsrv_reply(fd, "200 OK", "", body);
    } else if (strcmp(path, "/api/accounts/1/billingreports?kind=DIDSNAP") == 0) {
        gets++;
        snprintf(body, sizeof body,
                 "<BillingReportsRetrievalResponse><BillingReportList>%s</BillingReportList>"
                 "</BillingReportsRetrievalResponse>",
                 billings);
        testsrv_reply(fd, "200 OK", "", body);
    } else {
        testsrv_reply(fd, "404 Not Found", "", "");
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static int n_posts(void)
{
    pthread_mutex_lock(&lock);
    int n = posts;
    pthread_mutex_unlock(&lock);
    return n;
}

#define INSTANCE_BODY                                                                        \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Instance><OutputFormat>csv</OutputFormat>" \
    "<Parameters><Parameter><Name>Start Date</Name><Value>2026-11-01</Value></Parameter>"   \
    "</Parameters></Instance>\n"
#define BILLING_BODY                                                                          \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BillingReport><Type>%s</Type><DateRange>"  \
    "<StartDate>2026-11-01</StartDate><EndDate>2026-11-30</EndDate></DateRange></BillingReport>\n"

static struct bw_request req;

static int create(struct bw_api *api, enum mode m, char *id, struct bw_api_status *st)
{
    reset_case(m);
    return bw_api_create_instance(api, "1", "14", &req, INSTANCE_BODY, strlen(INSTANCE_BODY), id,
                                  BW_MODEL_ID_MAX + 1, st);
}

static int create_billing(struct bw_api *api, enum mode m, const char *type, char *id,
                          struct bw_api_status *st)
{
    char body[512];
    snprintf(body, sizeof body, BILLING_BODY, type);
    reset_case(m);
    return bw_api_create_billing(api, "1", type, body, strlen(body), id, BW_MODEL_ID_MAX + 1, st);
}

static void test_location(void)
{
    char id[BW_MODEL_ID_MAX + 1];

    CHECK_INT(bw_api_location_id("https://a.example:443/v1.0/accounts/1/reports/14/instances/9?x=1#f",
                                 id, sizeof id), 0);
    CHECK_STR(id, "9");
    CHECK_INT(bw_api_location_id("/api/accounts/1/billingReports/" U1 "/", id, sizeof id), 0);
    CHECK_STR(id, U1);
    CHECK_INT(bw_api_location_id("//h.example/api/accounts/1/billingreports/" U2, id, sizeof id), 0);
    CHECK_STR(id, U2);
    CHECK_INT(bw_api_location_id("https://h.example", id, sizeof id), -EINVAL);
    CHECK_INT(bw_api_location_id("https://h.example/a/instances/", id, sizeof id), -EINVAL);
    CHECK_INT(bw_api_location_id("https://h.example/a/BillingReports?id=1", id, sizeof id), -EINVAL);
    CHECK_INT(bw_api_location_id("https://h.example/a/b%2Fc", id, sizeof id), -EINVAL);
    CHECK_INT(bw_api_location_id("https://h.example/a/..", id, sizeof id), -EINVAL);
    CHECK_INT(bw_api_location_id(NULL, id, sizeof id), -EINVAL);
    CHECK_INT(bw_api_location_id("/a/123456", id, 4), -ERANGE);
}

static void test_instances(struct bw_api *api)
{
    char id[BW_MODEL_ID_MAX + 1];
    struct bw_api_status st;

    /* 201 with a Location on another host and base; body and headers as sent */
    CHECK_INT(create(api, OK_OTHER_HOST, id, &st), 0);
    CHECK_STR(id, "500123");
    CHECK_INT(st.http_status, 201);
    CHECK_INT(n_posts(), 1);
    CHECK_STR(last_body, INSTANCE_BODY);
    CHECK(testsrv_last_has("POST /api/accounts/1/reports/14/instances HTTP/1.1\r\n"));
    CHECK(testsrv_last_has("Content-Type: application/xml\r\n"));
    CHECK(testsrv_last_has("Accept: application/xml\r\n"));
    CHECK(testsrv_last_has("Authorization: Basic "));

    /* 201 without a usable Location */
    CHECK_INT(create(api, OK_NO_LOCATION, id, &st), -EIO);
    CHECK_STR(id, "");
    CHECK(strstr(st.detail, "Location") != NULL);
    CHECK_INT(n_posts(), 1);
    CHECK_INT(create(api, OK_COLLECTION, id, &st), -EIO);

    /* 400 in each envelope the API uses: EINVAL, code and description kept */
    for (int i = 0; i < 4; i++) {
        envelope = i;
        CHECK_INT(create(api, ERR_400, id, &st), -EINVAL);
        CHECK_INT(st.http_status, 400);
        CHECK_INT(st.api_code, envelope_codes[i]);
        CHECK(st.description[0] != '\0');
        CHECK_INT(n_posts(), 1);
    }
    CHECK_STR(st.description, "one value only");
    CHECK_INT(create(api, ERR_401, id, &st), -EACCES);
    CHECK_INT(n_posts(), 1);
    CHECK_INT(create(api, ERR_403, id, &st), -EACCES);
    CHECK_INT(st.api_code, 1001);

    /* 429: the retry comes after the reset, not before */
    CHECK_INT(create(api, RATE_THEN_OK, id, &st), 0);
    CHECK_STR(id, "500124");
    CHECK_INT(n_posts(), 2);
    CHECK(retry_at_ms >= rate_reset * 1000);
    CHECK_INT(create(api, RATE_FAR, id, &st), -EAGAIN);
    CHECK_INT(n_posts(), 1);
    CHECK_INT(st.http_status, 429);

    /* 503 (19031): nothing created, back-off, capped */
    CHECK_INT(create(api, UNAVAIL_TWICE, id, &st), 0);
    CHECK_STR(id, "500125");
    CHECK_INT(n_posts(), 3);
    CHECK_INT(create(api, UNAVAIL_ALWAYS, id, &st), -EIO);
    CHECK_INT(n_posts(), BW_API_CREATE_MAX_UNAVAILABLE);
    CHECK_INT(st.api_code, 19031);

    /* the answer lost after the instance was created: adopted, one POST */
    CHECK_INT(create(api, LOST_CREATED, id, &st), 0);
    CHECK_INT(n_posts(), 1);
    CHECK_INT(atoi(id), next_id - 1);
    CHECK_INT(st.err, 0);

    /* lost and nothing created (another user's instance appeared): one retry */
    CHECK_INT(create(api, LOST_NOTHING, id, &st), 0);
    CHECK_INT(n_posts(), 2);
    CHECK_INT(atoi(id), next_id - 1);

    /* a gateway that keeps failing: checked each time, capped */
    CHECK_INT(create(api, LOST_502_ALWAYS, id, &st), -EIO);
    CHECK_INT(n_posts(), BW_API_CREATE_MAX_LOST);
    CHECK(strstr(st.detail, "nothing was created") != NULL);

    /* without a request to compare with, a lost answer is never repeated */
    reset_case(LOST_CREATED);
    CHECK_INT(bw_api_create_instance(api, "1", "14", NULL, INSTANCE_BODY, strlen(INSTANCE_BODY),
                                     id, sizeof id, &st), -EIO);
    CHECK_INT(n_posts(), 1);
    CHECK(strstr(st.detail, "may have been created") != NULL);

    /* bad ids and bodies never reach the network */
    reset_case(OK_OTHER_HOST);
    CHECK_INT(bw_api_create_instance(api, "1", "../14", &req, "x", 1, id, sizeof id, &st), -EINVAL);
    CHECK_INT(bw_api_create_instance(api, "1/2", "14", &req, "x", 1, id, sizeof id, &st), -EINVAL);
    CHECK_INT(bw_api_create_instance(api, "1", "14", &req, NULL, 0, id, sizeof id, &st), -EINVAL);
    CHECK_INT(bw_api_create_billing(api, "1", "NOPE", "x", 1, id, sizeof id, &st), -EINVAL);
    CHECK_INT(n_posts(), 0);
}

static void test_billing(struct bw_api *api)
{
    char id[BW_MODEL_ID_MAX + 1];
    struct bw_api_status st;

    CHECK_INT(create_billing(api, B_OK, "BDR", id, &st), 0);
    CHECK_STR(id, U1);
    CHECK(testsrv_last_has("POST /api/accounts/1/billingreports HTTP/1.1\r\n"));
    CHECK(testsrv_last_has("Content-Type: application/xml\r\n"));
    CHECK(strstr(last_body, "<Type>BDR</Type>") != NULL);

    CHECK_INT(create_billing(api, B_204, "BDR", id, &st), -ENODATA);
    CHECK_STR(id, "");
    CHECK_INT(st.http_status, 204);

    CHECK_INT(create_billing(api, B_400, "MDR", id, &st), -EINVAL);
    CHECK_INT(st.api_code, 15501);
    CHECK_STR(st.description, "Invalid date range");

    /* BDR cannot be listed: a lost answer is -EIO after one POST */
    CHECK_INT(create_billing(api, B_LOST, "BDR", id, &st), -EIO);
    CHECK_INT(n_posts(), 1);
    CHECK(strstr(st.detail, "BDR reports cannot be listed") != NULL);
    CHECK(strstr(st.detail, "may have been created") != NULL);

    /* DIDSNAP can: the one with the request's dates is adopted */
    pthread_mutex_lock(&lock);
    billings[0] = '\0';
    pthread_mutex_unlock(&lock);
    CHECK_INT(create_billing(api, B_LOST, "DIDSNAP", id, &st), 0);
    CHECK_INT(n_posts(), 1);
    CHECK_STR(id, U2);
}

int main(void)
{
    struct bw_http *http;
    struct bw_auth *auth;
    struct bw_api *api;
    struct bw_api_status st;
    char err[256], base[128], id[BW_MODEL_ID_MAX + 1];

    bw_log_init(BW_LOG_STDERR, BW_LOG_ERR);
    bw_xml_init();
    CHECK_INT(bw_http_global_init(), 0);
    int port = testsrv_start(handle);
    CHECK(port > 0);
    setenv("BW_USERNAME", "demo", 1);
    setenv("BW_PASSWORD", "demo-password", 1);
    struct bw_http_config hc = {.connect_timeout = 2, .stall_timeout = 2, .user_agent = "t/1"};
    CHECK_INT(bw_http_new(&hc, &http), 0);
    struct bw_auth_config ac = {.http = http};
    CHECK_INT(bw_auth_new(&ac, &auth, err, sizeof err), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%d/api", port);
    struct bw_api_config pc = {.base_url = base};
    CHECK_INT(bw_api_new(&pc, http, auth, &api), 0);

    CHECK_INT(bw_request_add_value(&req, "Start Date", "2026-11-01"), 0);
    req.output_format = strdup("csv");

    test_location();
    test_instances(api);
    test_billing(api);

    /* nobody listening: nothing reached a server, back-off, capped, EIO */
    bw_api_free(api);
    snprintf(base, sizeof base, "http://127.0.0.1:%d/api", testsrv_dead_port());
    CHECK_INT(bw_api_new(&pc, http, auth, &api), 0);
    CHECK_INT(bw_api_create_instance(api, "1", "14", &req, INSTANCE_BODY, strlen(INSTANCE_BODY),
                                     id, sizeof id, &st), -EIO);
    CHECK(strstr(st.detail, "cannot connect") != NULL);
    CHECK_INT(st.http_status, 0);

    bw_request_free(&req);
    bw_api_free(api);
    bw_auth_free(auth);
    bw_http_free(http);
    testsrv_stop();
    bw_http_global_cleanup();
    bw_xml_cleanup();
    return check_done("test_api_create");
}
