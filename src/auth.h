/* auth: where credentials come from, and the credential for each request.
 *
 * Contract:
 *  - Today: HTTP Basic from the environment (BW_USERNAME, BW_PASSWORD).
 *    The interface is the one OAuth2 client credentials (Bearer tokens
 *    fetched from token_url, refreshed before expiry) and a credentials
 *    file will use: callers only ever ask for "the credential to send now".
 *  - Secrets are never accepted from the command line, never logged, never
 *    put in error text, and wiped from memory when freed.
 *  - Thread-safe: bw_auth_get() may be called from any thread (a mutex
 *    guards the state a token refresh will change).
 */
#ifndef BW_AUTH_H
#define BW_AUTH_H

#include <stddef.h>

#include "http.h"

struct bw_auth;

struct bw_auth_config {
    const char *credentials_file; /* reserved: next version */
    const char *token_url;        /* reserved: next version (OAuth2) */
    struct bw_http *http;         /* for token requests (next version); may be NULL */
};

/* Create from the configured sources. -EINVAL with a one-line message in err
 * (naming the missing variable, never a value) when no credential is found. */
int bw_auth_new(const struct bw_auth_config *cfg, struct bw_auth **out, char *err, size_t errlen);

/* Fill *out with the credential to send on the next API request. The caller
 * wipes it with bw_http_auth_wipe() as soon as the request is done.
 * 0, or a negative errno (token fetch failures, next version). */
int bw_auth_get(struct bw_auth *a, struct bw_http_auth *out);

/* The API answered 401 to a credential from bw_auth_get(): forget cached
 * tokens so the next bw_auth_get() fetches a new one. Returns 1 if retrying
 * can help (a fresh token may differ), 0 if not (Basic: same password). */
int bw_auth_rejected(struct bw_auth *a);

/* "Basic user 'demo' from BW_USERNAME/BW_PASSWORD": safe for messages. */
const char *bw_auth_describe(const struct bw_auth *a);

/* Wipes every secret, then frees. */
void bw_auth_free(struct bw_auth *a);

#endif
