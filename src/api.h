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
 *  - Credentials go to the API's origin (scheme, host, port of base_url)
 *    only: redirects of downloads to any other origin are followed without
 *    them (a signed URL carries its own).
 *  - Ids that go into URLs must pass bw_model_id_ok(), else -EINVAL without
 *    any request.
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
#define BW_API_MAX_REDIRECTS 3     /* hops a download follows */
#define BW_API_MAX_ERROR_BODY (64u << 10) /* bytes of a download's error answer kept */

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
 *   1001 (Access Denied) -> EACCES;
 *   19000 (no such type), 19019 (no such instance), 15603 (no such billing
 *   report), 19049 (instance expired: the file is gone), 1008 (malformed
 *   billing report id: no such report either) -> ENOENT;
 *   19048 (instance not ready), 15602 (billing report still building),
 *   19031 (service unavailable) -> EAGAIN;
 *   19050 (report generation failed: no file, ever) -> EIO.
 * Then the status: 2xx -> 0; 400 -> EINVAL; 401, 403 -> EACCES;
 *   404, 410 -> ENOENT; 408, 504 -> ETIMEDOUT; 429, 503 -> EAGAIN;
 *   anything else (and 0: no answer) -> EIO.
 * (Callers treat a code-less 202 from /file as EAGAIN; see bw_api_download.) */
int bw_api_errno(long http_status, long api_code);

/* GET BASE/accounts/{account}/reports: the report types. out must be zeroed. */
int bw_api_list_reports(struct bw_api *api, const char *account, struct bw_report_list *out,
                        struct bw_api_status *st);

/* GET BASE/accounts/{account}/reports/{report_id}: the type's parameters
 * (and output formats when listed). out is overwritten (zeroed first). */
int bw_api_get_report(struct bw_api *api, const char *account, const char *report_id,
                      struct bw_report_detail *out, struct bw_api_status *st);

/* GET BASE/accounts/{account}/reports/{report_id}/instances, or with
 * report_id NULL .../reports/instances (every type), following pagination.
 * out is overwritten; free with bw_model_instance_list_free(). */
int bw_api_list_instances(struct bw_api *api, const char *account, const char *report_id,
                          struct bw_instance_list *out, struct bw_api_status *st);

/* GET BASE/accounts/{account}/reports/{report_id}/instances/{iid}. */
int bw_api_get_instance(struct bw_api *api, const char *account, const char *report_id,
                        const char *iid, struct bw_instance *out, struct bw_api_status *st);

/* GET BASE/accounts/{account}/billingreports?kind={kind} (kind NULL: no
 * filter). 204 (none) is 0 with an empty list. The API lists DIDSNAP and
 * DIDSNAP_MSG only (400 15600 -> EINVAL for other kinds). */
int bw_api_list_billing(struct bw_api *api, const char *account, const char *kind,
                        struct bw_billing_list *out, struct bw_api_status *st);

/* GET BASE/accounts/{account}/billingreports/{uuid}: status and description
 * (out->id is uuid; kind, dates etc. are "": this answer lacks them). */
int bw_api_get_billing(struct bw_api *api, const char *account, const char *uuid,
                       struct bw_billing *out, struct bw_api_status *st);

/* The download URLs, malloc'd (free them), or NULL for an invalid id or no
 * memory: BASE/accounts/A/reports/R/instances/I/file and
 * BASE/accounts/A/billingreports/U/file. */
char *bw_api_instance_file_url(struct bw_api *api, const char *account, const char *report_id,
                               const char *iid);
char *bw_api_billing_file_url(struct bw_api *api, const char *account, const char *uuid);

/* What a download's answer says about the file, before its bytes. */
struct bw_api_file_meta {
    long long size;   /* the whole file's length; -1 unknown (chunked 200) */
    long long offset; /* offset of the first byte on_data will get: the first
                       * byte of a 206's Content-Range; 0 for a 200 (the server
                       * ignored the Range: the caller restarts from 0) */
    char name[256];   /* Content-Disposition filename, raw (quotes and RFC 6266
                       * encoding removed, NOT made safe), "" if none */
};

/* Where a download's bytes go. Callbacks run in the calling thread; a
 * negative errno from either aborts the transfer, and bw_api_download()
 * returns it. on_meta runs at most once per call, after the final answer's
 * headers (2xx with content) and before any on_data. on_data may be NULL
 * for probes. */
struct bw_api_sink {
    void *ctx;
    int (*on_meta)(void *ctx, const struct bw_api_file_meta *m);
    int (*on_data)(void *ctx, const char *buf, size_t len);
};

/* GET url (from bw_api_*_file_url) and stream the file to sink.
 *  - Credentials are sent to the API origin only. A 301/302/303/307/308 with
 *    a Location is followed by hand, at most BW_API_MAX_REDIRECTS hops: to
 *    the API origin with credentials, to any other origin with none (the
 *    signed URL carries its own; ours would leak and make it answer 400).
 *    Logs show URLs redacted (no query).
 *  - offset > 0 sends Range: bytes=offset-; probe sends Range: bytes=0-0 and
 *    stops after on_meta (returns 0; no on_data).
 *  - 429 / 502-504 / a connection lost before the answer's headers are
 *    retried (capped, like the other calls), a 401 once when auth says a
 *    new token may help; nothing is retried once on_meta has run (the
 *    caller resumes with an offset).
 *  - Returns 0 when the whole answer arrived; -ECONNRESET when it was cut
 *    short (the caller resumes or fails), -ETIMEDOUT on a stall, another
 *    transport errno, the sink's errno, or the API's error through
 *    bw_api_errno(): 202 + 19048 (not ready) -EAGAIN, 404 19019 / 19049
 *    (expired) -ENOENT, 400 15602 -EAGAIN, 400 19050 -EIO, 403 -EACCES, ...
 *    A 3xx without Location or too many hops is -EIO.
 *  - st (may be NULL: then failures are logged as warnings) as for the
 *    other calls; st->url is the (redacted) URL that answered last. */
int bw_api_download(struct bw_api *api, const char *url, long long offset, int probe,
                    const struct bw_api_sink *sink, struct bw_api_status *st);

/* The filename of a Content-Disposition header (RFC 6266): filename*
 * (RFC 5987, UTF-8 or ISO-8859-1, percent-decoded) wins over filename
 * (quoted-string with \ escapes, or a bare token). Raw: not made safe for a
 * file system. 0 and out set, or -ENOENT (out = ""); cut at size-1 bytes on
 * a UTF-8 boundary. */
int bw_api_disposition_filename(const char *header, char *out, size_t size);

/* Non-zero when both URLs have the same origin: scheme, host (any case) and
 * port (default ports filled in). Unparseable URLs are never the same. */
int bw_api_same_origin(const char *a, const char *b);

/* One line: "GET URL: HTTP 403, ErrorCode 1001: Access Denied (EACCES)". */
void bw_api_status_format(const struct bw_api_status *st, char *buf, size_t len);

/* "EACCES" for EACCES, "errno N" for others. */
const char *bw_api_errno_name(int err);

/* ==== creating reports (POST; src/api_create.c) ====================== */

struct bw_request; /* request.h: a parsed account-report request */

/* The caps of the create calls' retry loops. A POST creates something, so
 * each outcome has its own rule and its own cap (all documented in
 * docs/internals/api.md, "Creating reports"):
 *  - 429: wait until X-RateLimit-Reset (absent or past: 1 s), then POST
 *    again; at most BW_API_CREATE_MAX_RATE_RETRIES times, and -EAGAIN at once
 *    when the reset is more than BW_API_CREATE_MAX_RATE_WAIT seconds away
 *    or the waits would add up to more than that.
 *  - nothing was created (503 or ErrorCode 19031; cannot connect or resolve:
 *    no byte reached the server): back-off 0.5 s, 1 s, 2 s, ... at most
 *    BW_API_CREATE_MAX_UNAVAILABLE POSTs of this kind, then -EIO.
 *  - the answer was lost (the body may have been processed: connection reset
 *    or closed, timeout, 500, 502, 504): never repeated blindly (see below);
 *    at most BW_API_CREATE_MAX_LOST such POSTs, then -EIO.
 *  - a 401 is retried once when auth has a new token to try.
 *  - whatever happens, at most BW_API_CREATE_MAX_POSTS POSTs per call. */
#define BW_API_CREATE_MAX_RATE_RETRIES 3
#define BW_API_CREATE_MAX_RATE_WAIT 120   /* seconds, summed over the waits */
#define BW_API_CREATE_MAX_UNAVAILABLE 4
#define BW_API_CREATE_MAX_LOST 3
#define BW_API_CREATE_MAX_POSTS 8
#define BW_API_CREATE_BACKOFF_MS 500      /* first back-off; doubles */

/* POST BASE/accounts/{account}/reports/{report_id}/instances with body (len
 * bytes: the <Instance> document; Content-Type and Accept application/xml,
 * credentials). On 201 new_id (idlen bytes) gets the Location header's last
 * path segment (query, fragment and a trailing '/' dropped; any host or
 * base; it must pass bw_model_id_ok()) and 0 is returned.
 *
 * Duplicate avoidance: before the first POST the type's instance ids are
 * listed (a snapshot). When an answer is lost, the instances are listed again
 * after the back-off: a new one (not in the snapshot) that bw_request_same()
 * says matches req is adopted (0, its id, an info log line); when there is
 * none, the request was not created and is POSTed again. When either list
 * fails, nothing is repeated: -EIO, st->detail says the report may have been
 * created. req may be NULL: a lost answer is then never repeated.
 *
 * Errors: ids failing bw_model_id_ok(), a NULL or empty body: -EINVAL
 * without a request. An API error through bw_api_errno() (400 and its
 * 190xx codes -> -EINVAL, 401/403 -> -EACCES, 404 -> -ENOENT), with
 * st->api_code and st->description kept; the caps above -> -EAGAIN (429) or
 * -EIO; a 2xx without a usable Location (or a 204) -> -EIO. st as for the
 * other calls (NULL: failures are logged as warnings). Blocks for as long as
 * the waits above: call it without holding locks. */
int bw_api_create_instance(struct bw_api *api, const char *account, const char *report_id,
                           const struct bw_request *req, const char *body, size_t len,
                           char *new_id, size_t idlen, struct bw_api_status *st);

/* POST BASE/accounts/{account}/billingreports (lower case) with body (the
 * <BillingReport> document of type `type`, a known billing type). As above,
 * except: 204 (no data for the period) -> -ENODATA; 400 15501 (date range)
 * and 15600 (type) -> -EINVAL. A lost answer is checked like an instance's
 * only for the types the API can list (DIDSNAP, DIDSNAP_MSG: a new report of
 * that kind with the body's StartDate and EndDate is adopted); for any other
 * type it is -EIO at once, with st->detail saying the request was not
 * repeated and may have been created. */
int bw_api_create_billing(struct bw_api *api, const char *account, const char *type,
                          const char *body, size_t len, char *new_id, size_t idlen,
                          struct bw_api_status *st);

/* The id a create answer's Location names: its last path segment (query,
 * fragment and trailing '/' dropped). 0, or -EINVAL when there is none, it
 * names a collection ("instances", "billingreports") or fails
 * bw_model_id_ok(); -ERANGE when it does not fit in idlen. */
int bw_api_location_id(const char *location, char *id, size_t idlen);

/* ==== end of creating reports ========================================= */

#endif
