/* http: libcurl transport with a handle pool, a share handle, capped or
 * streamed bodies, Range and POST (see http.h). */
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

struct bw_http {
    struct bw_http_config cfg; /* immutable after bw_http_new() */
    char *cafile;
    char *user_agent;

    CURLSH *share;                                 /* DNS + TLS sessions */
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST]; /* one per curl_lock_data */

    pthread_mutex_t pool_lock; /* guards pool[] and npool */
    CURL **pool;
    unsigned npool;
};

int bw_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void bw_http_global_cleanup(void)
{
    curl_global_cleanup();
}

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *userptr)
{
    struct bw_http *h = userptr;
    (void)handle;
    (void)access;
    if ((unsigned)data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&h->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userptr)
{
    struct bw_http *h = userptr;
    (void)handle;
    if ((unsigned)data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&h->share_locks[data]);
}

int bw_http_new(const struct bw_http_config *cfg, struct bw_http **out)
{
    struct bw_http *h;

    *out = NULL;
    if (!cfg->user_agent || cfg->connect_timeout == 0 || cfg->stall_timeout == 0)
        return -EINVAL;
    h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->cfg = *cfg;
    if (!h->cfg.pool_max)
        h->cfg.pool_max = 8;
    h->user_agent = strdup(cfg->user_agent);
    h->cafile = cfg->cafile ? strdup(cfg->cafile) : NULL;
    h->pool = calloc(h->cfg.pool_max, sizeof *h->pool);
    h->share = curl_share_init();
    if (!h->user_agent || (cfg->cafile && !h->cafile) || !h->pool || !h->share) {
        if (h->share)
            curl_share_cleanup(h->share);
        free(h->user_agent);
        free(h->cafile);
        free(h->pool);
        free(h);
        return -ENOMEM;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&h->share_locks[i], NULL);
    pthread_mutex_init(&h->pool_lock, NULL);
    curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    h->cfg.cafile = h->cafile;
    h->cfg.user_agent = h->user_agent;
    *out = h;
    return 0;
}

void bw_http_free(struct bw_http *h)
{
    if (!h)
        return;
    for (unsigned i = 0; i < h->npool; i++)
        curl_easy_cleanup(h->pool[i]);
    curl_share_cleanup(h->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&h->share_locks[i]);
    pthread_mutex_destroy(&h->pool_lock);
    free(h->pool);
    free(h->cafile);
    free(h->user_agent);
    free(h);
}

/* An easy handle, reset to defaults but keeping its live connections. */
static CURL *handle_get(struct bw_http *h)
{
    CURL *c = NULL;

    pthread_mutex_lock(&h->pool_lock);
    if (h->npool)
        c = h->pool[--h->npool];
    pthread_mutex_unlock(&h->pool_lock);
    if (c)
        curl_easy_reset(c);
    else
        c = curl_easy_init();
    return c;
}

static void handle_put(struct bw_http *h, CURL *c)
{
    pthread_mutex_lock(&h->pool_lock);
    if (h->npool < h->cfg.pool_max) {
        h->pool[h->npool++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->pool_lock);
    if (c)
        curl_easy_cleanup(c);
}

struct xfer {
    struct bw_http_response *resp;
    const struct bw_http_sink *sink; /* NULL: every body to resp->body */
    size_t max_body, cap;
    int oversize;
    int stalled;
    int cb_err;                /* a sink callback's negative errno, 0 if none */
    int headers_done;          /* the final answer's headers were handed to the sink */
    int any;                   /* a header or body byte has arrived */
    long long stall_ms;        /* abort after this long without progress */
    long long connect_ms;      /* extra allowance before the first byte */
    curl_off_t seen;           /* dlnow + ulnow at the last progress */
    long long last_progress;   /* monotonic ms of the last progress */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Exact stall timeout: curl's LOW_SPEED check averages over ~5 s, so a
 * transfer that sent a few bytes and then stopped would hang that much
 * longer. LOW_SPEED_LIMIT/TIME stay set as a backstop. Before the first
 * byte the connect timeout is allowed on top, so a short stall_timeout never
 * cuts a slow connect or TLS handshake short (curl enforces the connect
 * timeout itself). */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct xfer *x = userp;
    long long now = now_ms();
    (void)dltotal;
    (void)ultotal;

    if (dlnow + ulnow != x->seen) {
        x->seen = dlnow + ulnow;
        x->last_progress = now;
        x->any = 1;
        return 0;
    }
    if (now - x->last_progress >= (x->any ? x->stall_ms : x->connect_ms + x->stall_ms)) {
        x->stalled = 1;
        return 1; /* aborts with CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

/* 2xx bodies go to the sink when there is one: they may be any size. */
static int streaming(const struct xfer *x)
{
    return x->sink && x->resp->status >= 200 && x->resp->status < 300;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct xfer *x = userp;
    struct bw_http_response *r = x->resp;
    size_t n = size * nmemb;

    if (streaming(x)) {
        int e = x->sink->on_data ? x->sink->on_data(x->sink->ctx, data, n) : 0;
        if (e < 0) {
            x->cb_err = e;
            return 0; /* aborts with CURLE_WRITE_ERROR */
        }
        return n;
    }
    if (n > x->max_body - r->len) {
        x->oversize = 1;
        return 0; /* aborts with CURLE_WRITE_ERROR */
    }
    if (r->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *body = realloc(r->body, cap);
        if (!body)
            return 0;
        r->body = body;
        x->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static long long parse_ll(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    return v;
}

static void clear_headers(struct bw_http_response *r)
{
    free(r->location);
    free(r->content_disposition);
    r->location = r->content_disposition = NULL;
    r->content_length = r->ratelimit_reset = -1;
    r->range_first = r->range_total = -1;
}

/* "bytes FIRST-LAST/TOTAL", or with a star for an unknown TOTAL, or a
 * 416's "bytes STAR/TOTAL" (star written out: a literal one ends this comment).
 * Anything malformed leaves both at -1: the caller then cannot trust the
 * answer to start where it asked. */
static void parse_content_range(struct bw_http_response *r, const char *v)
{
    long long first, last, total = -1;
    char *end;

    r->range_first = r->range_total = -1;
    if (strncasecmp(v, "bytes", 5) != 0)
        return;
    v += 5;
    while (*v == ' ')
        v++;
    if (*v == '*') {
        if (v[1] == '/')
            r->range_total = parse_ll(v + 2);
        return;
    }
    errno = 0;
    first = strtoll(v, &end, 10);
    if (errno || end == v || first < 0 || *end != '-')
        return;
    v = end + 1;
    last = strtoll(v, &end, 10);
    if (errno || end == v || last < first || *end != '/')
        return;
    v = end + 1;
    if (*v != '*') {
        total = strtoll(v, &end, 10);
        if (errno || end == v || *end || total <= last)
            return;
    }
    r->range_first = first;
    r->range_total = total;
}

/* "HTTP/1.1 206 Partial Content" -> 206; 0 if unreadable. */
static long parse_status(const char *line, size_t n)
{
    char buf[64];
    const char *sp;
    long v;

    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, line, n);
    buf[n] = '\0';
    sp = strchr(buf, ' ');
    if (!sp)
        return 0;
    v = strtol(sp + 1, NULL, 10);
    return v >= 100 && v <= 999 ? v : 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    struct xfer *x = userp;
    struct bw_http_response *r = x->resp;
    size_t n = size * nmemb, namelen, vlen;
    const char *colon, *v;

    x->any = 1;
    x->last_progress = now_ms();
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        clear_headers(r); /* a new response (after 1xx) starts */
        r->status = parse_status(data, n);
        return n;
    }
    if ((n == 2 && data[0] == '\r') || (n == 1 && data[0] == '\n')) {
        /* End of a header block: hand the final one (not 1xx) to the sink. */
        if (x->sink && x->sink->on_headers && r->status >= 200 && !x->headers_done) {
            x->headers_done = 1;
            int e = x->sink->on_headers(x->sink->ctx, r);
            if (e < 0) {
                x->cb_err = e;
                return 0; /* aborts with CURLE_WRITE_ERROR */
            }
        }
        return n;
    }
    colon = memchr(data, ':', n);
    if (!colon)
        return n;
    namelen = (size_t)(colon - data);
    v = colon + 1;
    vlen = n - namelen - 1;
    while (vlen && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    if (vlen >= BW_HTTP_HEADER_MAX)
        return n;

    char value[BW_HTTP_HEADER_MAX];
    memcpy(value, v, vlen);
    value[vlen] = '\0';
#define NAME_IS(lit) (namelen == sizeof(lit) - 1 && strncasecmp(data, lit, namelen) == 0)
    if (NAME_IS("Location")) {
        free(r->location);
        r->location = strdup(value);
    } else if (NAME_IS("Content-Disposition")) {
        free(r->content_disposition);
        r->content_disposition = strdup(value);
    } else if (NAME_IS("Content-Length")) {
        r->content_length = parse_ll(value);
        if (!streaming(x) && r->content_length > 0 &&
            (unsigned long long)r->content_length > x->max_body) {
            x->oversize = 1;
            return 0; /* refuse before reading the body */
        }
    } else if (NAME_IS("Content-Range")) {
        parse_content_range(r, value);
    } else if (NAME_IS("X-RateLimit-Reset")) {
        r->ratelimit_reset = parse_ll(value);
    }
#undef NAME_IS
    return n;
}

static int curl_errno(CURLcode c, long os_err, int cb_err, int oversize, int stalled)
{
    if (cb_err)
        return cb_err;
    if (oversize)
        return -EFBIG;
    if (stalled)
        return -ETIMEDOUT;
    switch (c) {
    case CURLE_OK: return 0;
    case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return -EHOSTUNREACH;
    case CURLE_COULDNT_CONNECT:
        if (os_err == EHOSTUNREACH || os_err == ENETUNREACH || os_err == ETIMEDOUT)
            return -(int)os_err;
        return -ECONNREFUSED;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return -ECONNRESET;
    case CURLE_OUT_OF_MEMORY: return -ENOMEM;
    case CURLE_FILESIZE_EXCEEDED: return -EFBIG;
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNSUPPORTED_PROTOCOL: return -EINVAL;
    default: return -EIO;
    }
}

#define SET(opt, val) rc = rc ? rc : curl_easy_setopt(c, (opt), (val))

int bw_http_get(struct bw_http *h, const struct bw_http_request *req, struct bw_http_response *resp)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    char accept[128], range[64], ctype[256];
    struct curl_slist *headers = NULL, *tmp;
    char *bearer = NULL;
    struct xfer x = {
        .resp = resp,
        .sink = req->sink,
        .max_body = req->max_body ? req->max_body : BW_HTTP_DEFAULT_MAX_BODY,
        .stall_ms = (long long)h->cfg.stall_timeout * 1000,
        .connect_ms = (long long)h->cfg.connect_timeout * 1000,
        .last_progress = now_ms(),
    };
    CURLcode rc = CURLE_OK;
    int err = 0;

    memset(resp, 0, sizeof *resp);
    resp->content_length = resp->ratelimit_reset = -1;
    resp->range_first = resp->range_total = -1;
    CURL *c = handle_get(h);
    if (!c) {
        snprintf(resp->error, sizeof resp->error, "out of memory");
        return -ENOMEM;
    }

    snprintf(accept, sizeof accept, "Accept: %s", req->accept ? req->accept : "application/xml");
    tmp = curl_slist_append(headers, accept);
    if (tmp)
        headers = tmp;
    else
        rc = CURLE_OUT_OF_MEMORY;
    /* Any method but GET sends req->body (possibly empty) as POST does. */
    int send_body = req->method && strcmp(req->method, "GET") != 0;
    if (send_body && req->content_type) {
        if (snprintf(ctype, sizeof ctype, "Content-Type: %s", req->content_type) >=
            (int)sizeof ctype)
            rc = CURLE_BAD_FUNCTION_ARGUMENT;
        else if ((tmp = curl_slist_append(headers, ctype)))
            headers = tmp;
        else
            rc = CURLE_OUT_OF_MEMORY;
    }
    if (send_body) {
        /* No "Expect: 100-continue" round trip for our small bodies. */
        if ((tmp = curl_slist_append(headers, "Expect:")))
            headers = tmp;
        else
            rc = CURLE_OUT_OF_MEMORY;
    }
    if (req->auth && req->auth->kind == BW_HTTP_AUTH_BEARER) {
        size_t blen = strlen(req->auth->secret) + sizeof "Authorization: Bearer ";
        bearer = malloc(blen);
        if (bearer) {
            snprintf(bearer, blen, "Authorization: Bearer %s", req->auth->secret);
            tmp = curl_slist_append(headers, bearer);
            if (tmp)
                headers = tmp;
        }
        if (!bearer || !tmp)
            rc = CURLE_OUT_OF_MEMORY;
    }

    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_SHARE, h->share);
    SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_CONNECTTIMEOUT, (long)h->cfg.connect_timeout);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, (long)h->cfg.stall_timeout);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->cafile)
        SET(CURLOPT_CAINFO, h->cafile);
    SET(CURLOPT_USERAGENT, h->user_agent);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (!req->sink) /* with a sink, 2xx bodies are unbounded; on_body caps the rest */
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x.max_body);
    if (req->range) {
        if (req->range_end < 0)
            snprintf(range, sizeof range, "%lld-", req->range_start);
        else
            snprintf(range, sizeof range, "%lld-%lld", req->range_start, req->range_end);
        if (req->range_start < 0 || (req->range_end >= 0 && req->range_end < req->range_start))
            rc = rc ? rc : CURLE_BAD_FUNCTION_ARGUMENT;
        SET(CURLOPT_RANGE, range); /* sends "Range: bytes=..." */
    }
    if (send_body) {
        /* POSTFIELDS is not copied: req->body outlives the perform below. */
        SET(CURLOPT_POST, 1L);
        /* A new connection for every request with a body: when a reused
         * connection dies before any answer, curl sends the request again
         * on its own ("retrying a fresh connect"), and a POST the server did
         * process would then be made twice. Only the caller may repeat a
         * POST (it checks first); curl never retries on a fresh connection. */
        SET(CURLOPT_FRESH_CONNECT, 1L);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
        if (strcmp(req->method, "POST") != 0)
            SET(CURLOPT_CUSTOMREQUEST, req->method);
    }
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, &x);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, &x);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, &x);
    SET(CURLOPT_NOPROGRESS, 0L);
    if (req->auth && req->auth->kind == BW_HTTP_AUTH_BASIC) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, req->auth->user);
        SET(CURLOPT_PASSWORD, req->auth->secret);
    }
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c);

    long os_err = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_err);
    err = curl_errno(rc, os_err, x.cb_err, x.oversize, x.stalled);
    if (x.cb_err)
        snprintf(resp->error, sizeof resp->error, "transfer stopped by the receiver");
    else if (x.oversize)
        snprintf(resp->error, sizeof resp->error, "response body larger than %zu bytes", x.max_body);
    else if (x.stalled)
        snprintf(resp->error, sizeof resp->error, "no data for %u seconds (stall timeout)",
                 h->cfg.stall_timeout);
    else if (err)
        snprintf(resp->error, sizeof resp->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));

    /* Drop our copies of the secret; curl frees its own on reset. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
    curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
    for (tmp = headers; tmp; tmp = tmp->next)
        explicit_bzero(tmp->data, strlen(tmp->data));
    curl_slist_free_all(headers);
    if (bearer) {
        explicit_bzero(bearer, strlen(bearer));
        free(bearer);
    }
    handle_put(h, c);
    return err;
}

void bw_http_response_free(struct bw_http_response *resp)
{
    free(resp->body);
    clear_headers(resp);
    resp->body = NULL;
    resp->len = 0;
}

void bw_http_auth_wipe(struct bw_http_auth *a)
{
    explicit_bzero(a, sizeof *a);
}

void bw_http_redact(const char *url, char *out, size_t outsize)
{
    const char *scheme_end = strstr(url, "://");
    const char *auth_start = scheme_end ? scheme_end + 3 : url;
    size_t authlen = strcspn(auth_start, "/?#");
    const char *at = NULL;

    for (const char *p = auth_start; p < auth_start + authlen; p++)
        if (*p == '@')
            at = p;
    size_t prefix = (size_t)(auth_start - url);
    const char *rest = at ? at + 1 : auth_start;
    size_t restlen = strcspn(rest, "?#");
    snprintf(out, outsize, "%.*s%.*s%s", (int)prefix, url, (int)restlen, rest,
             rest[restlen] ? "?..." : "");
}
