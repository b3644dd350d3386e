/* http: the HTTPS transport (libcurl). GET (or POST) into a capped memory
 * buffer, or streamed to a sink; optional Range.
 *
 * Contract:
 *  - TLS peer and host verification are always on; cafile adds a CA bundle
 *    (the system CA directory stays in use).
 *  - Every transfer has a connect timeout and a stall timeout (aborts once
 *    no byte moved for stall_timeout seconds after connecting, waiting for
 *    the answer included; curl's LOW_SPEED_LIMIT/TIME are set as well):
 *    no call can hang forever.
 *  - Redirects are never followed, so credentials never leave the origin
 *    they were meant for; the caller sees 3xx and the Location header.
 *  - Credentials are applied from a struct bw_http_auth (CURLOPT_USERNAME/
 *    PASSWORD for Basic, an in-memory header for Bearer). Headers are never
 *    logged and CURLOPT_VERBOSE is never set.
 *  - Connections are reused: idle easy handles are pooled (each keeps its
 *    connections alive) and a curl share handle shares DNS and TLS sessions.
 *  - Thread-safe: any number of threads may call bw_http_get() concurrently.
 *  - Does not log failures (the caller does, with context); returns -errno.
 */
#ifndef BW_HTTP_H
#define BW_HTTP_H

#include <stddef.h>

#define BW_HTTP_DEFAULT_MAX_BODY (1u << 20)
#define BW_HTTP_HEADER_MAX 8192 /* longer values of the headers we keep are dropped */

struct bw_http;

struct bw_http_config {
    const char *cafile;       /* extra CA bundle (PEM), or NULL */
    unsigned connect_timeout; /* seconds, >= 1 */
    unsigned stall_timeout;   /* seconds, >= 1 */
    const char *user_agent;   /* "bwreportfs/VERSION" */
    unsigned pool_max;        /* idle handles kept; 0: 8 */
};

enum bw_http_auth_kind {
    BW_HTTP_AUTH_NONE = 0,
    BW_HTTP_AUTH_BASIC,  /* user + secret (password) */
    BW_HTTP_AUTH_BEARER, /* secret (access token) */
};

/* A credential for one request. Wipe with bw_http_auth_wipe() after use. */
struct bw_http_auth {
    enum bw_http_auth_kind kind;
    char user[256];
    char secret[4096];
};

struct bw_http_response;

/* Streaming: where the body of a 2xx answer goes instead of resp->body.
 * on_headers runs once, when the final answer's status line and headers are
 * in (resp->status, content_length, range_first/range_total, content_disposition,
 * location are set), whatever the status (1xx interim answers are skipped);
 * it does not run if the transfer failed before the headers ended.
 * on_data gets the body of a 2xx answer as it arrives, in pieces, with no
 * size limit (max_body does not apply). Bodies of other answers still go to
 * resp->body (capped by max_body), so the caller can decode the error
 * envelope. Either callback returns 0 to go on, or a negative errno to abort
 * the transfer: bw_http_get() then returns that errno. A 2xx body cut short
 * (fewer bytes than Content-Length, or a broken chunked body) is -ECONNRESET
 * after on_data saw the bytes that did arrive; never 0. */
struct bw_http_sink {
    void *ctx;
    int (*on_headers)(void *ctx, const struct bw_http_response *resp);
    int (*on_data)(void *ctx, const char *buf, size_t len);
};

struct bw_http_request {
    const char *url;
    const struct bw_http_auth *auth; /* NULL: send none */
    size_t max_body;                 /* bytes; 0: BW_HTTP_DEFAULT_MAX_BODY */
    const char *accept;              /* NULL: "application/xml" */
    const struct bw_http_sink *sink; /* NULL: 2xx body to resp->body too */
    int range;                       /* non-zero: send Range: bytes=range_start-[range_end] */
    long long range_start;           /* >= 0 */
    long long range_end;             /* < 0: open-ended ("bytes=START-"); else >= range_start */
    const char *method;              /* NULL or "GET": GET; "POST" (or another
                                        method, sent as given) sends body */
    const char *body;                /* body_len bytes, not copied; NULL: empty */
    size_t body_len;
    const char *content_type;        /* sent as given; NULL: curl's
                                        application/x-www-form-urlencoded */
};

struct bw_http_response {
    long status;                /* HTTP status, 0 if none arrived */
    char *body;                 /* NUL-terminated, or NULL when len is 0 */
    size_t len;
    char *location;             /* header values, or NULL */
    char *content_disposition;
    long long content_length;   /* -1 if absent */
    long long range_first;      /* Content-Range "bytes FIRST-LAST/TOTAL" (a 206): FIRST;
                                   -1 if absent, malformed, or a 416's "bytes STAR/TOTAL" */
    long long range_total;      /* its TOTAL; -1 if absent, malformed or a star */
    long long ratelimit_reset;  /* X-RateLimit-Reset (epoch seconds), -1 if absent */
    char error[256];            /* transport failure text ("" if none); no secrets */
};

/* Process-wide libcurl setup: once, from the main thread, before threads. */
int bw_http_global_init(void);
void bw_http_global_cleanup(void);

/* 0, -EINVAL or -ENOMEM. */
int bw_http_new(const struct bw_http_config *cfg, struct bw_http **out);
void bw_http_free(struct bw_http *h);

/* Performs the request (GET unless req->method says otherwise). Returns 0
 * when a whole response arrived (any status: check resp->status), or a
 * negative errno for a transport failure or a sink's refusal:
 *   -ETIMEDOUT (connect or stall timeout), -ECONNREFUSED / -EHOSTUNREACH /
 *   -ENETUNREACH (cannot connect or resolve), -ECONNRESET (connection lost
 *   mid-answer), -EFBIG (body over max_body; resp->status is set),
 *   -EINVAL (bad URL or range), -ENOMEM, -EIO (TLS and anything else).
 * resp is always filled enough to be passed to bw_http_response_free(). */
int bw_http_get(struct bw_http *h, const struct bw_http_request *req, struct bw_http_response *resp);

void bw_http_response_free(struct bw_http_response *resp);

void bw_http_auth_wipe(struct bw_http_auth *a);

/* url without user info, query and fragment: safe to log (signed download
 * URLs carry credentials in their query). */
void bw_http_redact(const char *url, char *out, size_t outsize);

#endif
