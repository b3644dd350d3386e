/* api: Bandwidth calls as typed functions; the one status/code -> errno mapping (see api.h). */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "xml.h"

struct bw_api {
    char *base;           /* immutable */
    size_t origin_len;    /* length of "scheme://host[:port]" prefix of base */
    struct bw_http *http; /* borrowed, thread-safe */
    struct bw_auth *auth; /* borrowed, thread-safe */
};

int bw_api_new(const struct bw_api_config *cfg, struct bw_http *http, struct bw_auth *auth,
               struct bw_api **out)
{
    *out = NULL;
    if (!cfg->base_url || !http || !auth)
        return -EINVAL;
    const char *p = strstr(cfg->base_url, "://");
    if (!p)
        return -EINVAL;
    struct bw_api *api = calloc(1, sizeof *api);
    if (!api || !(api->base = strdup(cfg->base_url))) {
        free(api);
        return -ENOMEM;
    }
    api->origin_len = (size_t)(p + 3 - cfg->base_url) + strcspn(p + 3, "/?#");
    api->http = http;
    api->auth = auth;
    *out = api;
    return 0;
}

void bw_api_free(struct bw_api *api)
{
    if (!api)
        return;
    free(api->base);
    free(api);
}

int bw_api_errno(long http_status, long api_code)
{
    switch (api_code) {
    case 1001: return EACCES;  /* Access Denied */
    case 19000:                /* no such report type */
    case 19019:                /* no such report instance */
    case 15603:                /* no such billing report */
    case 19049: return ENOENT; /* instance expired: its file is gone */
    case 19048:                /* instance not ready yet */
    case 15602:                /* billing report still being built */
    case 19031: return EAGAIN; /* service temporarily unavailable */
    default: break;
    }
    if (http_status >= 200 && http_status < 300)
        return 0;
    switch (http_status) {
    case 400: return EINVAL;
    case 401:
    case 403: return EACCES;
    case 404:
    case 410: return ENOENT;
    case 408:
    case 504: return ETIMEDOUT;
    case 429:
    case 503: return EAGAIN;
    default: return EIO;
    }
}

const char *bw_api_errno_name(int err)
{
    static const struct {
        int e;
        const char *name;
    } names[] = {
        {0, "OK"},           {EACCES, "EACCES"},           {ENOENT, "ENOENT"},
        {EINVAL, "EINVAL"},  {EAGAIN, "EAGAIN"},           {EIO, "EIO"},
        {ETIMEDOUT, "ETIMEDOUT"}, {ECONNREFUSED, "ECONNREFUSED"}, {EHOSTUNREACH, "EHOSTUNREACH"},
        {ENETUNREACH, "ENETUNREACH"}, {ECONNRESET, "ECONNRESET"}, {EFBIG, "EFBIG"},
        {ENOMEM, "ENOMEM"},  {E2BIG, "E2BIG"},             {EBADMSG, "EBADMSG"},
    };
    if (err < 0)
        err = -err;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].e == err)
            return names[i].name;
    return "errno";
}

void bw_api_status_format(const struct bw_api_status *st, char *buf, size_t len)
{
    char what[BW_MODEL_DESC_MAX + 96] = "";

    if (st->http_status && st->api_code)
        snprintf(what, sizeof what, "HTTP %ld, ErrorCode %ld: %s", st->http_status, st->api_code,
                 st->description[0] ? st->description : "(no description)");
    else if (st->http_status && st->description[0])
        snprintf(what, sizeof what, "HTTP %ld: %s", st->http_status, st->description);
    else if (st->http_status)
        snprintf(what, sizeof what, "HTTP %ld", st->http_status);
    snprintf(buf, len, "GET %s: %s%s%s (%s)", st->url, what, what[0] && st->detail[0] ? "; " : "",
             st->detail, bw_api_errno_name(st->err));
}

static void pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* GET url with credentials, capped retries, and the error envelope decoded.
 * On return resp holds the final answer (free it), st the outcome. */
static int api_get(struct bw_api *api, const char *url, struct bw_http_response *resp,
                   struct bw_api_status *st)
{
    struct bw_http_request req = {.url = url, .max_body = BW_API_MAX_XML};
    struct bw_http_auth cred;
    int rc = 0;

    memset(st, 0, sizeof *st);
    bw_http_redact(url, st->url, sizeof st->url);
    for (int attempt = 1;; attempt++) {
        rc = bw_auth_get(api->auth, &cred);
        if (rc) {
            memset(resp, 0, sizeof *resp);
            snprintf(st->detail, sizeof st->detail, "no usable credential");
            break;
        }
        req.auth = &cred;
        rc = bw_http_get(api->http, &req, resp);
        bw_http_auth_wipe(&cred);

        long wait_ms = -1;
        if (rc == -ECONNRESET || (rc == 0 && (resp->status == 502 || resp->status == 503 ||
                                              resp->status == 504)))
            wait_ms = 250L << (attempt - 1);
        else if (rc == 0 && resp->status == 429 && resp->ratelimit_reset >= 0) {
            long long left = resp->ratelimit_reset - (long long)time(NULL);
            if (left <= BW_API_MAX_RATE_WAIT)
                wait_ms = left > 0 ? (long)left * 1000 : 100;
        } else if (rc == 0 && resp->status == 401 && bw_auth_rejected(api->auth))
            wait_ms = 0;
        if (wait_ms < 0 || attempt >= BW_API_MAX_ATTEMPTS)
            break;
        BW_DEBUG("api", "GET %s: %s, retry %d of %d in %ld ms", st->url,
                 rc ? resp->error : "transient HTTP status", attempt, BW_API_MAX_ATTEMPTS - 1,
                 wait_ms);
        bw_http_response_free(resp);
        pause_ms(wait_ms);
    }

    st->http_status = resp->status;
    if (rc) {
        snprintf(st->detail, sizeof st->detail, "%s", resp->error);
        st->err = rc == -EFBIG ? -EIO : rc;
        return st->err;
    }
    if (resp->status >= 200 && resp->status < 300)
        return 0;
    struct bw_api_error e;
    if (bw_xml_parse_error(resp->body, resp->len, &e) == 0 && e.found) {
        st->api_code = e.code;
        snprintf(st->description, sizeof st->description, "%s", e.description);
    }
    st->err = -bw_api_errno(resp->status, st->api_code);
    if (st->err == 0)
        st->err = -EIO;
    return st->err;
}

static void report(const struct bw_api_status *st, struct bw_api_status *out)
{
    char line[1024];

    if (st->err == 0) {
        if (out)
            *out = *st;
        return;
    }
    bw_api_status_format(st, line, sizeof line);
    if (out) {
        *out = *st;
        BW_DEBUG("api", "%s", line);
    } else {
        BW_WARN("api", "%s", line);
    }
}

static int same_origin(const struct bw_api *api, const char *url)
{
    return strncasecmp(url, api->base, api->origin_len) == 0 &&
           (url[api->origin_len] == '/' || url[api->origin_len] == '\0' ||
            url[api->origin_len] == '?');
}

int bw_api_list_reports(struct bw_api *api, const char *account, struct bw_report_list *out,
                        struct bw_api_status *stout)
{
    struct bw_api_status st;
    struct bw_http_response resp;
    char *url;
    int rc = 0;

    memset(out, 0, sizeof *out);
    memset(&st, 0, sizeof st);
    if (!bw_model_id_ok(account)) {
        snprintf(st.detail, sizeof st.detail, "invalid account id");
        st.err = -EINVAL;
        report(&st, stout);
        return st.err;
    }
    if (asprintf(&url, "%s/accounts/%s/reports", api->base, account) < 0) {
        st.err = -ENOMEM;
        report(&st, stout);
        return st.err;
    }
    for (int page = 0; url && page < BW_API_MAX_PAGES; page++) {
        rc = api_get(api, url, &resp, &st);
        if (rc == 0) {
            struct bw_report_list part = {0};
            rc = bw_xml_parse_reports(resp.body, resp.len, &part);
            if (rc == 0)
                rc = bw_model_report_list_join(out, &part);
            if (rc) {
                snprintf(st.detail, sizeof st.detail, "unusable answer: %s",
                         rc == -EBADMSG ? "malformed XML" : strerror(-rc));
                rc = st.err = rc == -ENOMEM ? -ENOMEM : -EIO;
            }
            free(url);
            url = NULL;
            if (rc == 0 && part.next_url) {
                if (same_origin(api, part.next_url)) {
                    url = part.next_url;
                    part.next_url = NULL;
                } else {
                    BW_WARN("api", "GET %s: next page is on another origin; not followed", st.url);
                }
            }
            bw_model_report_list_free(&part);
        }
        bw_http_response_free(&resp);
        if (rc)
            break;
    }
    if (url && rc == 0)
        BW_WARN("api", "GET %s: more than %d pages; the rest is ignored", st.url, BW_API_MAX_PAGES);
    free(url);
    if (rc)
        bw_model_report_list_free(out);
    report(&st, stout);
    return rc;
}
