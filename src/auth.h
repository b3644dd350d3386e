/* auth: where credentials come from, and the credential for each request.
 *
 * Contract:
 *  - Sources, first found wins (docs/options.md "Credentials"):
 *      1. env BW_CLIENT_ID + BW_CLIENT_SECRET: OAuth2 client credentials;
 *      2. env BW_USERNAME + BW_PASSWORD: HTTP Basic;
 *      3. credentials_file: the same keys as KEY=VALUE lines (client pair
 *         first), refused unless private to the running user;
 *      4. $HOME/.netrc: the entry for api_url's host (or "default"), Basic.
 *    Half a pair (one variable of two) is an error, not a reason to look on.
 *  - OAuth2: one access token shared by every thread, fetched by POSTing
 *    grant_type=client_credentials to token_url (client id and secret as
 *    Basic); the first one in bw_auth_new(), so bad client credentials fail
 *    the start-up. Renewed before expiry (when less than min(60 s, a third of
 *    its lifetime) remains), by one thread at a time (single flight: the
 *    others keep using the old token while it is valid, or wait for the new
 *    one), and after bw_auth_rejected().
 *  - Secrets are never accepted from the command line, never logged, never
 *    put in error text, and wiped from memory when freed.
 *  - Thread-safe: bw_auth_get() and bw_auth_rejected() may be called from any
 *    thread (the token state is guarded by bw_auth.lock, never held across
 *    an HTTP call).
 */
#ifndef BW_AUTH_H
#define BW_AUTH_H

#include <stddef.h>

#include "http.h"

struct bw_auth;

struct bw_auth_config {
    const char *credentials_file; /* absolute path, or NULL */
    const char *token_url;        /* OAuth2 token endpoint (required for OAuth2) */
    const char *api_url;          /* its host picks the ~/.netrc entry; NULL: no netrc */
    struct bw_http *http;         /* for token requests (required for OAuth2) */
    /* Monotonic clock in seconds, for tests; NULL: CLOCK_MONOTONIC. */
    double (*clock)(void);
};

/* Create from the first source found (see above). For OAuth2 the first
 * token is fetched now. On failure a one-line message in err (naming the
 * source, the file and line or the variable, never a value) and:
 *   -EINVAL  no credentials, half a pair, a malformed file;
 *   -EACCES  a file others may read, or client credentials the token
 *            endpoint rejected ("client credentials rejected by TOKEN_URL");
 *   -EIO     the token endpoint failed otherwise; -ENOMEM. */
int bw_auth_new(const struct bw_auth_config *cfg, struct bw_auth **out, char *err, size_t errlen);

/* Fill *out with the credential to send on the next API request. The caller
 * wipes it with bw_http_auth_wipe() as soon as the request is done.
 * 0, or (OAuth2, when no valid token can be had) -EACCES if the token
 * endpoint rejected the client, -EIO for any other failure of it. */
int bw_auth_get(struct bw_auth *a, struct bw_http_auth *out);

/* The API answered 401 to a credential from bw_auth_get(): forget the
 * cached token so the next bw_auth_get() fetches a new one. Call it from the
 * thread that made the request: if another thread has renewed the token
 * since this thread's bw_auth_get(), the newer token is kept. Returns 1 if
 * retrying can help (OAuth2: a fresh token may differ), 0 if not (Basic:
 * the same password would be rejected again). */
int bw_auth_rejected(struct bw_auth *a);

/* "Basic user 'demo' from BW_USERNAME/BW_PASSWORD",
 * "OAuth2 client 'demo-client' from /home/u/creds": safe for messages. */
const char *bw_auth_describe(const struct bw_auth *a);

/* Token requests made so far (OAuth2; 0 for Basic): for tests and stats. */
unsigned long bw_auth_token_fetches(struct bw_auth *a);

/* Wipes every secret, then frees. */
void bw_auth_free(struct bw_auth *a);

#endif
