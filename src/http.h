/* http: the HTTPS transport (libcurl). GET into a capped memory buffer.
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

struct bw_http_request {
    const char *url;
    const struct bw_http_auth *auth; /* NULL: send none */
    size_t max_body;                 /* bytes; 0: BW_HTTP_DEFAULT_MAX_BODY */
    const char *accept;              /* NULL: "application/xml" */
};

struct bw_http_response {
    long status;                /* HTTP status, 0 if none arrived */
    char *body;                 /* NUL-terminated, or NULL when len is 0 */
    size_t len;
    char *location;             /* header values, or NULL */
    char *content_disposition;
    long long content_length;   /* -1 if absent */
    long long ratelimit_reset;  /* X-RateLimit-Reset (epoch seconds), -1 if absent */
    char error[256];            /* transport failure text ("" if none); no secrets */
};

/* Process-wide libcurl setup: once, from the main thread, before threads. */
int bw_http_global_init(void);
void bw_http_global_cleanup(void);

/* 0, -EINVAL or -ENOMEM. */
int bw_http_new(const struct bw_http_config *cfg, struct bw_http **out);
void bw_http_free(struct bw_http *h);

/* GET req->url. Returns 0 when a whole response arrived (any status: check
 * resp->status), or a negative errno for a transport failure:
 *   -ETIMEDOUT (connect or stall timeout), -ECONNREFUSED / -EHOSTUNREACH /
 *   -ENETUNREACH (cannot connect or resolve), -ECONNRESET (connection lost
 *   mid-answer), -EFBIG (body over max_body; resp->status is set),
 *   -EINVAL (bad URL), -ENOMEM, -EIO (TLS and anything else).
 * resp is always filled enough to be passed to bw_http_response_free(). */
int bw_http_get(struct bw_http *h, const struct bw_http_request *req, struct bw_http_response *resp);

void bw_http_response_free(struct bw_http_response *resp);

void bw_http_auth_wipe(struct bw_http_auth *a);

/* url without user info, query and fragment: safe to log (signed download
 * URLs carry credentials in their query). */
void bw_http_redact(const char *url, char *out, size_t outsize);

#endif
