/* test_errno: the one HTTP status / API code -> errno mapping (api.h). */
#include <errno.h>

#include "api.h"
#include "check.h"

int main(void)
{
    /* statuses */
    CHECK_INT(bw_api_errno(200, 0), 0);
    CHECK_INT(bw_api_errno(201, 0), 0);
    CHECK_INT(bw_api_errno(204, 0), 0);
    CHECK_INT(bw_api_errno(400, 0), EINVAL);
    CHECK_INT(bw_api_errno(401, 0), EACCES);
    CHECK_INT(bw_api_errno(403, 0), EACCES);
    CHECK_INT(bw_api_errno(404, 0), ENOENT);
    CHECK_INT(bw_api_errno(410, 0), ENOENT);
    CHECK_INT(bw_api_errno(408, 0), ETIMEDOUT);
    CHECK_INT(bw_api_errno(504, 0), ETIMEDOUT);
    CHECK_INT(bw_api_errno(429, 0), EAGAIN);
    CHECK_INT(bw_api_errno(503, 0), EAGAIN);
    CHECK_INT(bw_api_errno(500, 0), EIO);
    CHECK_INT(bw_api_errno(502, 0), EIO);
    CHECK_INT(bw_api_errno(307, 0), EIO);
    CHECK_INT(bw_api_errno(0, 0), EIO);
    CHECK_INT(bw_api_errno(418, 0), EIO);

    /* API codes win over the status */
    CHECK_INT(bw_api_errno(403, 1001), EACCES);
    CHECK_INT(bw_api_errno(404, 19000), ENOENT);
    CHECK_INT(bw_api_errno(404, 19019), ENOENT);
    CHECK_INT(bw_api_errno(404, 15603), ENOENT);
    CHECK_INT(bw_api_errno(404, 19049), ENOENT);
    CHECK_INT(bw_api_errno(202, 19048), EAGAIN);
    CHECK_INT(bw_api_errno(400, 15602), EAGAIN);
    CHECK_INT(bw_api_errno(503, 19031), EAGAIN);
    /* unknown codes fall back to the status */
    CHECK_INT(bw_api_errno(400, 19030), EINVAL);
    CHECK_INT(bw_api_errno(400, 15501), EINVAL);
    CHECK_INT(bw_api_errno(500, 99999), EIO);

    /* names used in log lines */
    CHECK_STR(bw_api_errno_name(EACCES), "EACCES");
    CHECK_STR(bw_api_errno_name(-ETIMEDOUT), "ETIMEDOUT");

    /* status line: URL, status, code, description, errno */
    struct bw_api_status st = {.err = -EACCES, .http_status = 403, .api_code = 1001};
    snprintf(st.description, sizeof st.description, "Access Denied");
    snprintf(st.url, sizeof st.url, "http://h/api/accounts/9/reports");
    char line[1024];
    bw_api_status_format(&st, line, sizeof line);
    CHECK_STR(line, "GET http://h/api/accounts/9/reports: HTTP 403, ErrorCode 1001: Access Denied (EACCES)");

    struct bw_api_status t = {.err = -ECONNREFUSED};
    snprintf(t.url, sizeof t.url, "http://h/x");
    snprintf(t.detail, sizeof t.detail, "Failed to connect");
    bw_api_status_format(&t, line, sizeof line);
    CHECK_STR(line, "GET http://h/x: Failed to connect (ECONNREFUSED)");

    /* URL redaction for logs */
    char red[256];
    bw_http_redact("https://u:p@h.example:443/a/b?Signature=s3cr3t&x=1#f", red, sizeof red);
    CHECK_STR(red, "https://h.example:443/a/b?...");
    bw_http_redact("http://127.0.0.1:8080/api/accounts/1/reports", red, sizeof red);
    CHECK_STR(red, "http://127.0.0.1:8080/api/accounts/1/reports");
    return check_done("test_errno");
}
