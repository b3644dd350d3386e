/* api_priv: what api.c and api_download.c share; not for other modules (they
 * see only api.h). */
#ifndef BW_API_PRIV_H
#define BW_API_PRIV_H

#include "api.h"

/* Immutable after bw_api_new(): read by any thread without a lock. */
struct bw_api {
    char *base;           /* "https://api.bandwidth.com/api", no trailing '/' */
    struct bw_http *http; /* borrowed, thread-safe */
    struct bw_auth *auth; /* borrowed, thread-safe */
};

/* How long to wait before another attempt after this outcome (rc and resp of
 * attempt number `attempt`), or -1 for no retry. authed: credentials were
 * sent (only then can a 401 be helped by a new token). May call
 * bw_auth_rejected(). */
/* GET url with credentials, capped retries, the error envelope decoded into
 * st (which it resets). 0 for any 2xx (resp holds it: free it), else -errno;
 * resp is always to be freed. */
int bw_api__get(struct bw_api *api, const char *url, struct bw_http_response *resp,
                struct bw_api_status *st);

long bw_api__retry_ms(struct bw_api *api, int rc, const struct bw_http_response *resp,
                      int attempt, int authed);

void bw_api__pause_ms(long ms);

/* Store the outcome in *out (if given) and log it: debug level when the
 * caller reports it (out != NULL), warning otherwise. */
void bw_api__report(const struct bw_api_status *st, struct bw_api_status *out);

/* Fill st from a non-2xx answer (or a 2xx one that carries no content): the
 * error envelope in body, mapped by bw_api_errno(). Returns st->err (never 0:
 * a code-less 202 is -EAGAIN, anything else unmapped -EIO). */
int bw_api__fail_status(struct bw_api_status *st, long status, const char *body, size_t len);

#endif
