/* auth: picks the credential source and keeps the OAuth2 token fresh
 * behind bw_auth_get() (see auth.h). */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authparse.h"
#include "log.h"

#define TOKEN_MAX_BODY (64 * 1024)
#define TOKEN_DEFAULT_LIFETIME 3600.0 /* when the answer has no expires_in */
#define REFRESH_MARGIN_MAX 60.0       /* renew when this much lifetime remains... */
#define RETRY_AFTER_FAILURE 2.0       /* a failed fetch is not retried sooner */

/* The token this thread was handed last, so that bw_auth_rejected() (called
 * by the same thread right after the 401) drops that token and not a newer
 * one another thread has fetched meanwhile. */
static __thread const struct bw_auth *tls_auth;
static __thread unsigned long tls_gen;

struct bw_auth {
    /* Immutable after bw_auth_new(): read without the lock. */
    int oauth;                  /* 0: Basic with `basic`; 1: Bearer tokens */
    struct bw_http_auth basic;  /* Basic: the credential; OAuth2: client id + secret */
    char *token_url;
    char token_url_safe[512];   /* redacted, for messages */
    struct bw_http *http;       /* borrowed, thread-safe */
    double (*clock)(void);
    char describe[400];         /* no secrets */

    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t fetched;     /* broadcast when a fetch ends (refreshing drops to 0) */
    char token[BW_AUTH_SECRET_MAX];
    int have_token;
    unsigned long token_gen;    /* tokens stored so far: tells one token from the next */
    double got_at, refresh_at, expires_at; /* clock() times */
    int refreshing;             /* one thread is fetching; others wait or use the old token */
    unsigned long fetches;      /* fetches ended so far (success or not) */
    int last_err;               /* of the last fetch; 0 if it succeeded */
    double failed_at;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- choosing the source ------------------------------------------------- */

/* Both variables set: *found = 1. One of them only: -EINVAL. */
static int env_pair(const char *idvar, const char *secvar, char *id, size_t idlen, char *sec,
                    size_t seclen, int *found, char *err, size_t errlen)
{
    const char *i = getenv(idvar), *s = getenv(secvar);
    int hi = i && *i, hs = s && *s;

    *found = 0;
    if (!hi && !hs)
        return 0;
    if (!hi || !hs) {
        snprintf(err, errlen, "%s is set but %s is not: set both, or neither",
                 hi ? idvar : secvar, hi ? secvar : idvar);
        return -EINVAL;
    }
    if (strlen(i) >= idlen || strlen(s) >= seclen) {
        snprintf(err, errlen, "%s or %s is too long", idvar, secvar);
        return -EINVAL;
    }
    snprintf(id, idlen, "%s", i);
    snprintf(sec, seclen, "%s", s);
    *found = 1;
    return 0;
}

/* The host of a URL ("https://user@[::1]:8443/x" -> "::1"). */
static void url_host(const char *url, char *host, size_t size)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *at = strchr(p, '@');
    size_t auth_end = strcspn(p, "/?#");
    if (at && (size_t)(at - p) < auth_end)
        p = at + 1;
    size_t n;
    if (*p == '[') {
        p++;
        n = strcspn(p, "]");
    } else {
        n = strcspn(p, ":/?#");
    }
    snprintf(host, size, "%.*s", (int)n, p);
}

/* ~/.netrc: *found = 1 with c->username/password set, or nothing found. */
static int from_netrc(const char *api_url, struct bw_creds *c, char *path, size_t pathlen,
                      int *found, char *err, size_t errlen)
{
    const char *home = getenv("HOME");
    char host[256], why[512], refusal[768] = "";
    char *buf = NULL;
    size_t len;

    *found = 0;
    if (!api_url || !home || home[0] != '/')
        return 0;
    url_host(api_url, host, sizeof host);
    snprintf(path, pathlen, "%s/.netrc", home);
    int rc = bw_authparse_read_file(path, 1, &buf, &len, refusal, sizeof refusal);
    if (rc == -ENOENT || rc == -ENOTDIR)
        return 0;
    if (rc == -EACCES && refusal[0]) {
        /* A netrc others may read: refuse it only if it is the one to use
         * (it may hold entries for other programs and other hosts). */
        rc = bw_authparse_read_file(path, 0, &buf, &len, why, sizeof why);
        if (rc == 0) {
            rc = bw_authparse_netrc(buf, len, host, c->username, sizeof c->username, c->password,
                                    sizeof c->password, found, why, sizeof why);
            explicit_bzero(buf, len);
            free(buf);
            bw_authparse_wipe_creds(c);
            if (rc == 0 && !*found)
                return 0;
            snprintf(err, errlen, "%s", refusal);
            *found = 0;
            return -EACCES;
        }
        snprintf(err, errlen, "%s", refusal);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "%s", refusal);
        return rc;
    }
    rc = bw_authparse_netrc(buf, len, host, c->username, sizeof c->username, c->password,
                            sizeof c->password, found, why, sizeof why);
    explicit_bzero(buf, len);
    free(buf);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

static int from_file(const char *path, struct bw_creds *c, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len;
    int rc = bw_authparse_read_file(path, 1, &buf, &len, err, errlen);
    if (rc) {
        size_t n = strlen(err);
        if (rc == -EACCES || n + 40 >= errlen)
            return rc;
        snprintf(err + n, errlen - n, " (option credentials)");
        return rc;
    }
    rc = bw_authparse_credfile(buf, len, path, c, err, errlen);
    explicit_bzero(buf, len);
    free(buf);
    if (rc)
        return rc;
    int ci = c->client_id[0] != 0, cs = c->client_secret[0] != 0;
    int bu = c->username[0] != 0, bp = c->password[0] != 0;
    if (ci != cs || (!ci && bu != bp)) {
        snprintf(err, errlen, "%s has %s but not %s: give both", path,
                 ci != cs ? (ci ? "BW_CLIENT_ID" : "BW_CLIENT_SECRET")
                          : (bu ? "BW_USERNAME" : "BW_PASSWORD"),
                 ci != cs ? (ci ? "BW_CLIENT_SECRET" : "BW_CLIENT_ID")
                          : (bu ? "BW_PASSWORD" : "BW_USERNAME"));
        return -EINVAL;
    }
    if (!ci && !bu) {
        snprintf(err, errlen,
                 "%s holds no credentials: put BW_CLIENT_ID and BW_CLIENT_SECRET, or "
                 "BW_USERNAME and BW_PASSWORD in it as KEY=VALUE lines",
                 path);
        return -EINVAL;
    }
    return 0;
}

/* Fill a->oauth, a->basic and the source's name in `from`. */
static int pick_source(const struct bw_auth_config *cfg, struct bw_auth *a, char *from,
                       size_t fromlen, char *err, size_t errlen)
{
    struct bw_creds *c = calloc(1, sizeof *c);
    char netrc[4096 + 16];
    int found = 0, rc;

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if ((rc = env_pair("BW_CLIENT_ID", "BW_CLIENT_SECRET", c->client_id, sizeof c->client_id,
                       c->client_secret, sizeof c->client_secret, &found, err, errlen)))
        goto out;
    if (found) {
        snprintf(from, fromlen, "BW_CLIENT_ID/BW_CLIENT_SECRET");
        goto env;
    }
    if ((rc = env_pair("BW_USERNAME", "BW_PASSWORD", c->username, sizeof c->username,
                       c->password, sizeof c->password, &found, err, errlen)))
        goto out;
    if (found) {
        snprintf(from, fromlen, "BW_USERNAME/BW_PASSWORD");
        goto env;
    }
    if (cfg->credentials_file) {
        if ((rc = from_file(cfg->credentials_file, c, err, errlen)))
            goto out;
        snprintf(from, fromlen, "%s", cfg->credentials_file);
        goto got;
    }
    if ((rc = from_netrc(cfg->api_url, c, netrc, sizeof netrc, &found, err, errlen)))
        goto out;
    if (found) {
        char host[256];
        url_host(cfg->api_url, host, sizeof host);
        snprintf(from, fromlen, "%.300s (machine %.200s)", netrc, host);
        goto got;
    }
    snprintf(err, errlen,
             "no credentials: set BW_CLIENT_ID and BW_CLIENT_SECRET (OAuth2) or BW_USERNAME "
             "and BW_PASSWORD in the environment, give -o credentials=FILE, or add a "
             "'machine HOST login USER password PASSWORD' line to ~/.netrc");
    rc = -EINVAL;
    goto out;
env:
    /* the precedence is documented, but a file given and not read surprises */
    if (cfg->credentials_file)
        BW_INFO("auth", "not reading %s (option credentials): %s are set", cfg->credentials_file,
                from);
got:
    a->oauth = c->client_id[0] != 0;
    const char *id = a->oauth ? c->client_id : c->username;
    const char *secret = a->oauth ? c->client_secret : c->password;
    if (strchr(id, ':')) {
        /* Basic sends "id:secret": a ':' in the id would split it wrongly */
        snprintf(err, errlen, "the %s from %s contains a ':', which HTTP Basic cannot carry",
                 a->oauth ? "client id" : "user name", from);
        rc = -EINVAL;
        goto out;
    }
    a->basic.kind = BW_HTTP_AUTH_BASIC;
    snprintf(a->basic.user, sizeof a->basic.user, "%s", id);
    snprintf(a->basic.secret, sizeof a->basic.secret, "%s", secret);
    rc = 0;
out:
    bw_authparse_wipe_creds(c);
    free(c);
    return rc;
}

/* ---- OAuth2 tokens ------------------------------------------------------- */

/* One token request; no lock held. On success ans->access_token is the
 * token (the caller wipes ans). On failure msg says why, without secrets. */
static int fetch_token(struct bw_auth *a, struct bw_token_answer *ans, char *msg, size_t msglen)
{
    static const char form[] = "grant_type=client_credentials";
    struct bw_http_request req = {
        .url = a->token_url,
        .auth = &a->basic, /* client id and secret as Basic, as RFC 6749 2.3.1 prefers */
        .max_body = TOKEN_MAX_BODY,
        .accept = "application/json",
        .method = "POST",
        .body = form,
        .body_len = sizeof form - 1,
        .content_type = "application/x-www-form-urlencoded",
    };
    struct bw_http_response resp;
    int rc = bw_http_get(a->http, &req, &resp);

    if (rc) {
        snprintf(msg, msglen, "cannot get an OAuth2 token from %.300s: %.200s", a->token_url_safe,
                 resp.error[0] ? resp.error : strerror(-rc));
        rc = -EIO;
        goto out;
    }
    int prc = resp.body ? bw_authparse_token(resp.body, resp.len, ans) : -EBADMSG;
    if (resp.status == 200) {
        if (prc || !ans->access_token[0]) {
            snprintf(msg, msglen, "%s answered 200 without a usable access_token in JSON",
                     a->token_url_safe);
            rc = -EIO;
        } else if (ans->token_type[0] && strcasecmp(ans->token_type, "bearer") != 0) {
            snprintf(msg, msglen, "%s answered a token of type '%s', not Bearer",
                     a->token_url_safe, ans->token_type);
            rc = -EIO;
        }
        goto out;
    }
    const char *code = prc == 0 && ans->error[0] ? ans->error : "";
    if (resp.status == 401 || resp.status == 403 || strcmp(code, "invalid_client") == 0 ||
        strcmp(code, "unauthorized_client") == 0) {
        snprintf(msg, msglen,
                 "client credentials rejected by %s (HTTP %ld%s%s): check the client id and "
                 "secret",
                 a->token_url_safe, resp.status, code[0] ? ", " : "", code);
        rc = -EACCES;
    } else {
        snprintf(msg, msglen, "cannot get an OAuth2 token: %s answered HTTP %ld%s%s",
                 a->token_url_safe, resp.status, code[0] ? ", " : "", code);
        rc = -EIO;
    }
out:
    if (resp.body)
        explicit_bzero(resp.body, resp.len);
    bw_http_response_free(&resp);
    if (rc)
        explicit_bzero(ans->access_token, sizeof ans->access_token);
    return rc;
}

/* Store a fetched token; lock held. `start` is when the request was sent,
 * so clock skew and transfer time only make us renew earlier. */
static void store_token(struct bw_auth *a, const struct bw_token_answer *ans, double start)
{
    double life = ans->expires_in < 0 ? TOKEN_DEFAULT_LIFETIME : (double)ans->expires_in;
    if (life < 1)
        life = 1; /* expires_in 0 would make every request fetch a token */
    double margin = life / 3 < REFRESH_MARGIN_MAX ? life / 3 : REFRESH_MARGIN_MAX;

    snprintf(a->token, sizeof a->token, "%s", ans->access_token);
    a->have_token = 1;
    a->token_gen++;
    a->got_at = start;
    a->expires_at = start + life;
    a->refresh_at = a->expires_at - margin;
    BW_DEBUG("auth", "OAuth2 token obtained from %s; expires in %.0f s, renewed after %.0f s",
             a->token_url_safe, life, life - margin);
}

/* Fetch a token as the single refresher: called with the lock held and
 * a->refreshing set; drops the lock for the HTTP call. Returns its result. */
static int refresh_locked(struct bw_auth *a, int quiet, char *msg, size_t msglen)
{
    struct bw_token_answer *ans = calloc(1, sizeof *ans);
    double start = a->clock();
    int rc;

    pthread_mutex_unlock(&a->lock);
    if (!ans) {
        snprintf(msg, msglen, "out of memory");
        rc = -ENOMEM;
    } else {
        rc = fetch_token(a, ans, msg, msglen);
    }
    pthread_mutex_lock(&a->lock);
    a->refreshing = 0;
    a->fetches++;
    a->last_err = rc;
    if (rc == 0) {
        store_token(a, ans, start);
    } else {
        a->failed_at = a->clock();
        if (!quiet)
            BW_WARN("auth", "%s", msg);
    }
    pthread_cond_broadcast(&a->fetched);
    if (ans) {
        explicit_bzero(ans, sizeof *ans);
        free(ans);
    }
    return rc;
}

int bw_auth_get(struct bw_auth *a, struct bw_http_auth *out)
{
    char msg[768];
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (!a->oauth) {
        *out = a->basic; /* immutable */
        return 0;
    }
    pthread_mutex_lock(&a->lock);
    for (;;) {
        double now = a->clock();
        int valid = a->have_token && now < a->expires_at;
        int recent_failure = a->last_err && now < a->failed_at + RETRY_AFTER_FAILURE;
        /* fresh; or due for renewal but someone else is on it, or it just
         * failed: the old token still works meanwhile */
        if (valid && (now < a->refresh_at || a->refreshing || recent_failure))
            break;
        if (!valid && recent_failure) {
            rc = a->last_err;
            break;
        }
        if (a->refreshing) {
            unsigned long gen = a->fetches;
            while (a->refreshing)
                pthread_cond_wait(&a->fetched, &a->lock);
            if (a->fetches != gen) {
                /* the fetch we waited for: take its token, even if a slow
                 * endpoint made it due again already (else we might loop) */
                if (!a->last_err && a->have_token)
                    break;
                /* it failed: share its answer, do not retry */
                if (a->last_err && !(a->have_token && a->clock() < a->expires_at)) {
                    rc = a->last_err;
                    break;
                }
            }
            continue;
        }
        a->refreshing = 1;
        if (refresh_locked(a, 0, msg, sizeof msg) == 0)
            break; /* our own new token: hand it out (see above) */
        /* failed: loop hands out the still valid old token, or the error */
    }
    if (rc == 0) {
        out->kind = BW_HTTP_AUTH_BEARER;
        snprintf(out->secret, sizeof out->secret, "%s", a->token);
        tls_auth = a;
        tls_gen = a->token_gen;
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

int bw_auth_rejected(struct bw_auth *a)
{
    if (!a->oauth)
        return 0; /* Basic: the same password would be rejected again */
    pthread_mutex_lock(&a->lock);
    int newer = tls_auth == a && tls_gen != a->token_gen;
    if (a->have_token && !newer) {
        explicit_bzero(a->token, sizeof a->token);
        a->have_token = 0;
        BW_DEBUG("auth", "the API rejected the OAuth2 token: fetching a new one");
    }
    pthread_mutex_unlock(&a->lock);
    return 1;
}

unsigned long bw_auth_token_fetches(struct bw_auth *a)
{
    if (!a->oauth)
        return 0;
    pthread_mutex_lock(&a->lock);
    unsigned long n = a->fetches;
    pthread_mutex_unlock(&a->lock);
    return n;
}

/* ---- life cycle ---------------------------------------------------------- */

int bw_auth_new(const struct bw_auth_config *cfg, struct bw_auth **out, char *err, size_t errlen)
{
    char from[800];
    int rc;

    *out = NULL;
    struct bw_auth *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->fetched, NULL);
    a->clock = cfg->clock ? cfg->clock : mono_now;
    a->http = cfg->http;
    if ((rc = pick_source(cfg, a, from, sizeof from, err, errlen)))
        goto fail;
    if (a->oauth) {
        if (!cfg->token_url || !cfg->http) {
            snprintf(err, errlen, "OAuth2 client credentials need a token_url");
            rc = -EINVAL;
            goto fail;
        }
        if (!(a->token_url = strdup(cfg->token_url))) {
            snprintf(err, errlen, "out of memory");
            rc = -ENOMEM;
            goto fail;
        }
        bw_http_redact(a->token_url, a->token_url_safe, sizeof a->token_url_safe);
        snprintf(a->describe, sizeof a->describe, "OAuth2 client '%.100s' from %.200s",
                 a->basic.user, from);
    } else {
        snprintf(a->describe, sizeof a->describe, "Basic user '%.100s' from %.250s",
                 a->basic.user, from);
    }
    for (char *p = a->describe; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    if (a->oauth) {
        /* The first token now: rejected client credentials must stop the
         * start-up with a clear message, not fail every later request. */
        char msg[768];
        pthread_mutex_lock(&a->lock);
        a->refreshing = 1;
        rc = refresh_locked(a, 1, msg, sizeof msg);
        pthread_mutex_unlock(&a->lock);
        if (rc) {
            snprintf(err, errlen, "%s: %s", a->describe, msg);
            goto fail;
        }
    }
    BW_INFO("auth", "using %s", a->describe);
    *out = a;
    return 0;
fail:
    bw_auth_free(a);
    return rc;
}

const char *bw_auth_describe(const struct bw_auth *a)
{
    return a->describe;
}

void bw_auth_free(struct bw_auth *a)
{
    if (!a)
        return;
    pthread_cond_destroy(&a->fetched);
    pthread_mutex_destroy(&a->lock);
    free(a->token_url);
    explicit_bzero(a, sizeof *a);
    free(a);
}
