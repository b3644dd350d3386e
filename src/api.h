/* api: typed calls to the Bandwidth reports API, built on http (transport),
 * xml (codec) and auth (credentials).
 *
 * Contract:
 *  - Each call returns 0 or a negative errno, mapped in ONE place,
 *    bw_api_errno(), from the HTTP status and the API's ErrorCode; transport
 *    failures keep http's errno (ETIMEDOUT, ECONNREFUSED, ...); malformed or
 *    oversized answers are -EIO.
 *  - Reporting: if the caller passes a struct bw_api_status, the outcome is
 *    stored there and the caller reports it (the api logs only at debug
 *    level); with NULL, every failure is logged here as one warning line
 *    with the redacted URL, HTTP status, ErrorCode and Description.
 *  - Retries are capped (BW_API_MAX_ATTEMPTS per call): connection lost,
 *    502/503/504, and 429 whose X-RateLimit-Reset is at most
 *    BW_API_MAX_RATE_WAIT seconds away. Timeouts are not retried.
 *  - Pagination (<Links><next>) is followed, same origin only, at most
 *    BW_API_MAX_PAGES pages.
 *  - Thread-safe; holds no lock of its own while a transfer runs.
 */
#ifndef BW_API_H
#define BW_API_H

#include <stddef.h>

#include "auth.h"
#include "http.h"
#include "model.h"

#define BW_API_MAX_ATTEMPTS 3
#define BW_API_MAX_RATE_WAIT 2  /* seconds */
#define BW_API_MAX_PAGES 100
#define BW_API_MAX_XML (8u << 20)

struct bw_api;

struct bw_api_config {
    const char *base_url; /* "https://api.bandwidth.com/api", no trailing '/' */
};

/* The outcome of one call, for callers that report it themselves. */
struct bw_api_status {
    int err;                              /* what the call returned (0 or -errno) */
    long http_status;                     /* 0 if no answer arrived */
    long api_code;                        /* ErrorCode, 0 if none */
    char description[BW_MODEL_DESC_MAX];  /* Description, or "" */
    char url[512];                        /* redacted: no query, no user info */
    char detail[256];                     /* transport or decoding problem, or "" */
};

/* http and auth are borrowed and must outlive the api. 0, -EINVAL, -ENOMEM. */
int bw_api_new(const struct bw_api_config *cfg, struct bw_http *http, struct bw_auth *auth,
               struct bw_api **out);
void bw_api_free(struct bw_api *api);

/* THE mapping of an HTTP status and API error code to a positive errno (0 for
 * success). A known ErrorCode wins over the status:
 *   1001 -> EACCES; 19000, 19019, 15603, 19049 (expired) -> ENOENT;
 *   19048, 15602 (not ready), 19031 -> EAGAIN.
 * Then the status: 2xx -> 0; 400 -> EINVAL; 401, 403 -> EACCES;
 *   404, 410 -> ENOENT; 408, 504 -> ETIMEDOUT; 429, 503 -> EAGAIN;
 *   anything else (and 0: no answer) -> EIO. */
int bw_api_errno(long http_status, long api_code);

/* GET BASE/accounts/{account}/reports: the report types. out must be zeroed. */
int bw_api_list_reports(struct bw_api *api, const char *account, struct bw_report_list *out,
                        struct bw_api_status *st);

/* One line: "GET URL: HTTP 403, ErrorCode 1001: Access Denied (EACCES)". */
void bw_api_status_format(const struct bw_api_status *st, char *buf, size_t len);

/* "EACCES" for EACCES, "errno N" for others. */
const char *bw_api_errno_name(int err);

#endif
