/* api: Bandwidth calls as typed functions (lists, details, statuses), the
 * one status/code -> errno mapping, retries (see api.h). Downloads: api_download.c. */
#include "api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_priv.h"
#include "log.h"
#include "xml.h"

int bw_api_new(const struct bw_api_config *cfg, struct bw_http *http, struct bw_auth *auth,
               struct bw_api **out)
{
    *out = NULL;
    if (!cfg->base_url || !http || !auth)
        return -EINVAL;
    if (!strstr(cfg->base_url, "://"))
        return -EINVAL;
    struct bw_api *api = calloc(1, sizeof *api);
    if (!api || !(api->base = strdup(cfg->base_url))) {
        free(api);
        return -ENOMEM;
    }
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
    case 1008:                 /* not a billing report id (malformed UUID) */
    case 19000:                /* no such report type */
    case 19019:                /* no such report instance */
    case 15603:                /* no such billing report */
    case 19049: return ENOENT; /* instance expired: its file is gone */
    case 19050: return EIO;    /* the report failed: there is no file, and never will be */
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
        {ENOSPC, "ENOSPC"},  {EPIPE, "EPIPE"},             {ECANCELED, "ECANCELED"},
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

void bw_api__pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

long bw_api__retry_ms(struct bw_api *api, int rc, const struct bw_http_response *resp,
                      int attempt, int authed)
{
    long wait_ms = -1;

    if (attempt >= BW_API_MAX_ATTEMPTS)
        return -1;
    if (rc == -ECONNRESET ||
        (rc == 0 && (resp->status == 502 || resp->status == 503 || resp->status == 504))) {
        wait_ms = 250L << (attempt - 1);
    } else if (rc == 0 && resp->status == 429 && resp->ratelimit_reset >= 0) {
        long long left = resp->ratelimit_reset - (long long)time(NULL);
        if (left <= BW_API_MAX_RATE_WAIT)
            wait_ms = left > 0 ? (long)left * 1000 : 100;
    } else if (rc == 0 && resp->status == 401 && authed && bw_auth_rejected(api->auth)) {
        wait_ms = 0;
    }
    return wait_ms;
}

int bw_api__fail_status(struct bw_api_status *st, long status, const char *body, size_t len)
{
    struct bw_api_error e;

    st->http_status = status;
    if (bw_xml_parse_error(body, len, &e) == 0 && e.found) {
        st->api_code = e.code;
        snprintf(st->description, sizeof st->description, "%s", e.description);
    }
    st->err = -bw_api_errno(status, st->api_code);
    if (st->err == 0)
        st->err = status == 202 ? -EAGAIN : -EIO; /* 202: accepted, not done yet */
    return st->err;
}

/* GET url with credentials, capped retries, and the error envelope decoded.
 * On return resp holds the final answer (free it), st the outcome. */
int bw_api__get(struct bw_api *api, const char *url, struct bw_http_response *resp,
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

        long wait_ms = bw_api__retry_ms(api, rc, resp, attempt, 1);
        if (wait_ms < 0)
            break;
        BW_DEBUG("api", "GET %s: %s, retry %d of %d in %ld ms", st->url,
                 rc ? resp->error : "transient HTTP status", attempt, BW_API_MAX_ATTEMPTS - 1,
                 wait_ms);
        bw_http_response_free(resp);
        bw_api__pause_ms(wait_ms);
    }

    st->http_status = resp->status;
    if (rc) {
        snprintf(st->detail, sizeof st->detail, "%s", resp->error);
        st->err = rc == -EFBIG ? -EIO : rc;
        return st->err;
    }
    if (resp->status >= 200 && resp->status < 300)
        return 0;
    return bw_api__fail_status(st, resp->status, resp->body, resp->len);
}

void bw_api__report(const struct bw_api_status *st, struct bw_api_status *out)
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


/* An answer that arrived but cannot be used (malformed, too big, too many
 * entries): -EIO (or -ENOMEM, ours), with what went wrong in st->detail. */
static int unusable(struct bw_api_status *st, int rc)
{
    snprintf(st->detail, sizeof st->detail, "unusable answer: %s",
             rc == -EBADMSG ? "malformed XML or missing fields" : strerror(-rc));
    st->err = rc == -ENOMEM ? -ENOMEM : -EIO;
    return st->err;
}

static int refuse(struct bw_api_status *st, struct bw_api_status *stout, int err,
                  const char *detail)
{
    memset(st, 0, sizeof *st);
    snprintf(st->detail, sizeof st->detail, "%s", detail);
    st->err = err;
    bw_api__report(st, stout);
    return err;
}

/* Decodes one page's body; sets *next to the next page's URL (or NULL). */
typedef int (*page_fn)(void *ctx, const char *body, size_t len, char **next);

/* GET url (owned, freed here) and every <Links><next> page after it (same
 * origin only, at most BW_API_MAX_PAGES), each decoded by fn. A 204 ends the
 * list (no content). 0 or -errno; st describes the first failure, or the
 * first page on success. */
static int get_pages(struct bw_api *api, char *url, page_fn fn, void *ctx,
                     struct bw_api_status *st)
{
    struct bw_api_status page_st;
    struct bw_http_response resp;
    int rc = 0;

    for (int page = 0; url && page < BW_API_MAX_PAGES; page++) {
        rc = bw_api__get(api, url, &resp, page ? &page_st : st);
        if (rc && page)
            *st = page_st;
        char *next = NULL;
        if (rc == 0 && resp.status != 204) {
            rc = fn(ctx, resp.body, resp.len, &next);
            if (rc)
                rc = unusable(st, rc);
        }
        free(url);
        url = NULL;
        if (rc == 0 && next) {
            if (bw_api_same_origin(api->base, next)) {
                url = next;
                next = NULL;
            } else {
                BW_WARN("api", "GET %s: next page is on another origin; not followed", st->url);
            }
        }
        free(next);
        bw_http_response_free(&resp);
        if (rc)
            break;
    }
    if (url && rc == 0)
        BW_WARN("api", "GET %s: more than %d pages; the rest is ignored", st->url, BW_API_MAX_PAGES);
    free(url);
    return rc;
}

/* GET url (owned, freed here), one answer, decoded by fn (next ignored). */
static int get_one(struct bw_api *api, char *url, page_fn fn, void *ctx, struct bw_api_status *st)
{
    struct bw_http_response resp;
    int rc = bw_api__get(api, url, &resp, st);

    free(url);
    if (rc == 0) {
        char *next = NULL;
        rc = fn(ctx, resp.body, resp.len, &next);
        free(next);
        if (rc)
            rc = unusable(st, rc);
    }
    bw_http_response_free(&resp);
    return rc;
}

/* asprintf of an API URL; NULL when out of memory. */
static char *api_url(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *api_url(const char *fmt, ...)
{
    va_list ap;
    char *url;

    va_start(ap, fmt);
    int n = vasprintf(&url, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : url;
}

/* Checks the ids that go into a URL path (a and b may be NULL where the
 * call allows it, i.e. when `need` is 0 for them); "" when all are fine. */
static const char *bad_ids(const char *account, const char *a, const char *b, int need)
{
    if (!account || !bw_model_id_ok(account))
        return "invalid account id";
    if ((need >= 1 && !a) || (need >= 2 && !b))
        return "missing id";
    if ((a && !bw_model_id_ok(a)) || (b && !bw_model_id_ok(b)))
        return "invalid id";
    return "";
}

/* need: how many of a, b are required (0, 1: a, 2: both). */
#define CHECK_IDS(account, a, b, need)                             \
    do {                                                           \
        const char *why_ = bad_ids((account), (a), (b), (need));   \
        if (why_[0])                                               \
            return refuse(&st, stout, -EINVAL, why_);              \
    } while (0)

#define NEED_URL(url)                                              \
    do {                                                           \
        if (!(url))                                                \
            return refuse(&st, stout, -ENOMEM, "out of memory");   \
    } while (0)

static int reports_page(void *ctx, const char *body, size_t len, char **next)
{
    struct bw_report_list part = {0}, *out = ctx;
    int rc = bw_xml_parse_reports(body, len, &part);

    if (rc == 0)
        rc = bw_model_report_list_join(out, &part);
    *next = part.next_url;
    part.next_url = NULL;
    bw_model_report_list_free(&part);
    return rc;
}

int bw_api_list_reports(struct bw_api *api, const char *account, struct bw_report_list *out,
                        struct bw_api_status *stout)
{
    struct bw_api_status st;

    memset(out, 0, sizeof *out);
    CHECK_IDS(account, NULL, NULL, 0);
    char *url = api_url("%s/accounts/%s/reports", api->base, account);
    NEED_URL(url);
    int rc = get_pages(api, url, reports_page, out, &st);
    if (rc)
        bw_model_report_list_free(out);
    bw_api__report(&st, stout);
    return rc;
}

static int detail_page(void *ctx, const char *body, size_t len, char **next)
{
    *next = NULL;
    return bw_xml_parse_report_detail(body, len, ctx);
}

int bw_api_get_report(struct bw_api *api, const char *account, const char *report_id,
                      struct bw_report_detail *out, struct bw_api_status *stout)
{
    struct bw_api_status st;

    memset(out, 0, sizeof *out);
    CHECK_IDS(account, report_id, NULL, 1);
    char *url = api_url("%s/accounts/%s/reports/%s", api->base, account, report_id);
    NEED_URL(url);
    int rc = get_one(api, url, detail_page, out, &st);
    if (rc)
        bw_model_report_detail_free(out);
    bw_api__report(&st, stout);
    return rc;
}

static int instances_page(void *ctx, const char *body, size_t len, char **next)
{
    struct bw_instance_list part = {0}, *out = ctx;
    int rc = bw_xml_parse_instances(body, len, &part);

    if (rc == 0)
        rc = bw_model_instance_list_join(out, &part);
    *next = part.next_url;
    part.next_url = NULL;
    bw_model_instance_list_free(&part);
    return rc;
}

int bw_api_list_instances(struct bw_api *api, const char *account, const char *report_id,
                          struct bw_instance_list *out, struct bw_api_status *stout)
{
    struct bw_api_status st;
    char *url;

    memset(out, 0, sizeof *out);
    CHECK_IDS(account, report_id, NULL, 0);
    if (report_id)
        url = api_url("%s/accounts/%s/reports/%s/instances", api->base, account, report_id);
    else
        url = api_url("%s/accounts/%s/reports/instances", api->base, account);
    NEED_URL(url);
    int rc = get_pages(api, url, instances_page, out, &st);
    if (rc)
        bw_model_instance_list_free(out);
    bw_api__report(&st, stout);
    return rc;
}

static int instance_page(void *ctx, const char *body, size_t len, char **next)
{
    *next = NULL;
    return bw_xml_parse_instance(body, len, ctx);
}

int bw_api_get_instance(struct bw_api *api, const char *account, const char *report_id,
                        const char *iid, struct bw_instance *out, struct bw_api_status *stout)
{
    struct bw_api_status st;

    memset(out, 0, sizeof *out);
    CHECK_IDS(account, report_id, iid, 2);
    char *url = api_url("%s/accounts/%s/reports/%s/instances/%s", api->base, account, report_id,
                        iid);
    NEED_URL(url);
    int rc = get_one(api, url, instance_page, out, &st);
    if (rc == 0 && strcmp(out->id, iid) != 0)
        BW_DEBUG("api", "GET %s: answer is about instance %s", st.url, out->id);
    if (rc)
        bw_model_instance_free(out);
    bw_api__report(&st, stout);
    return rc;
}

static int billing_page(void *ctx, const char *body, size_t len, char **next)
{
    struct bw_billing_list part = {0}, *out = ctx;
    int rc = bw_xml_parse_billing_list(body, len, &part);

    *next = NULL;
    /* billing lists are never paged: one answer holds them all */
    if (rc == 0) {
        *out = part;
        memset(&part, 0, sizeof part);
    }
    bw_model_billing_list_free(&part);
    return rc;
}

int bw_api_list_billing(struct bw_api *api, const char *account, const char *kind,
                        struct bw_billing_list *out, struct bw_api_status *stout)
{
    struct bw_api_status st;
    char *url;

    memset(out, 0, sizeof *out);
    CHECK_IDS(account, kind, NULL, 0);
    if (kind)
        url = api_url("%s/accounts/%s/billingreports?kind=%s", api->base, account, kind);
    else
        url = api_url("%s/accounts/%s/billingreports", api->base, account);
    NEED_URL(url);
    int rc = get_pages(api, url, billing_page, out, &st); /* 204: none, out stays empty */
    if (rc)
        bw_model_billing_list_free(out);
    bw_api__report(&st, stout);
    return rc;
}

static int billing_status_page(void *ctx, const char *body, size_t len, char **next)
{
    *next = NULL;
    return bw_xml_parse_billing_status(body, len, ctx);
}

int bw_api_get_billing(struct bw_api *api, const char *account, const char *uuid,
                       struct bw_billing *out, struct bw_api_status *stout)
{
    struct bw_api_status st;

    memset(out, 0, sizeof *out);
    CHECK_IDS(account, uuid, NULL, 1);
    char *url = api_url("%s/accounts/%s/billingreports/%s", api->base, account, uuid);
    NEED_URL(url);
    int rc = get_one(api, url, billing_status_page, out, &st);
    if (rc == 0) {
        free(out->id);
        if (!(out->id = strdup(uuid))) {
            st.err = rc = -ENOMEM;
        }
    }
    if (rc)
        bw_model_billing_free(out);
    bw_api__report(&st, stout);
    return rc;
}

char *bw_api_instance_file_url(struct bw_api *api, const char *account, const char *report_id,
                               const char *iid)
{
    if (bad_ids(account, report_id, iid, 2)[0])
        return NULL;
    return api_url("%s/accounts/%s/reports/%s/instances/%s/file", api->base, account, report_id,
                   iid);
}

char *bw_api_billing_file_url(struct bw_api *api, const char *account, const char *uuid)
{
    if (bad_ids(account, uuid, NULL, 1)[0])
        return NULL;
    return api_url("%s/accounts/%s/billingreports/%s/file", api->base, account, uuid);
}
