/* api_create: the POST calls that create reports (account report instances,
 * billing reports). A POST is not idempotent, so every outcome has its own
 * capped rule, and an answer lost after the body was sent is never repeated
 * blindly: the listing tells whether it created something (see api.h, the
 * "creating reports" block, and docs/internals/api.md). */
#include "api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "api_priv.h"
#include "log.h"
#include "names.h"
#include "request.h"

/* ---- the id in a Location ---- */

int bw_api_location_id(const char *location, char *id, size_t idlen)
{
    char seg[BW_MODEL_ID_MAX + 1];

    if (idlen)
        id[0] = '\0';
    if (!location)
        return -EINVAL;
    /* the path ends where the query or fragment starts (or at trailing space) */
    const char *end = location + strcspn(location, "?# \t\r\n");
    const char *path = location;
    const char *scheme = strstr(location, "://");
    if (scheme && scheme < end)
        path = scheme + 3;
    else if (strncmp(location, "//", 2) == 0)
        path = location + 2;
    if (path != location) /* skip the authority: host, port */
        path += strcspn(path, "/?# \t\r\n");
    while (end > path && end[-1] == '/')
        end--;
    const char *start = end;
    while (start > path && start[-1] != '/')
        start--;
    size_t n = (size_t)(end - start);
    if (n == 0 || n > BW_MODEL_ID_MAX)
        return -EINVAL;
    memcpy(seg, start, n);
    seg[n] = '\0';
    /* a Location naming the collection itself carries no id */
    if (!bw_model_id_ok(seg) || strcasecmp(seg, "instances") == 0 ||
        strcasecmp(seg, "billingreports") == 0)
        return -EINVAL;
    if (n + 1 > idlen)
        return -ERANGE;
    memcpy(id, seg, n + 1);
    return 0;
}

/* ---- one create call ---- */

/* The ids that existed before the first POST. */
struct idset {
    char **ids;
    size_t n;
};

static void idset_free(struct idset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ids[i]);
    free(s->ids);
    s->ids = NULL;
    s->n = 0;
}

static int idset_has(const struct idset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->ids[i], id) == 0)
            return 1;
    return 0;
}

struct create {
    struct bw_api *api;
    const char *account;
    char *url;
    const char *body;
    size_t len;
    int billing;                 /* else an account report instance */
    const char *report_id;       /* instances */
    const struct bw_request *req;
    const char *type;            /* billing */
    char start[16], end[16];     /* billing: the body's dates, for the check */
    int checkable;               /* a lost answer can be checked: the snapshot exists */
    char why_unchecked[128];     /* else why not */
    struct idset before;
};

/* The ids listed now (instances of the type, or billing reports of the
 * kind), into *ids if given; when inst/bill are given the lists are handed
 * over too (the caller frees them). 0 or the list call's -errno. */
static int list_now(struct create *c, struct idset *ids, struct bw_instance_list *inst,
                    struct bw_billing_list *bill)
{
    struct bw_instance_list il;
    struct bw_billing_list bl;
    struct bw_api_status lst;
    size_t n;
    int rc;

    memset(&il, 0, sizeof il);
    memset(&bl, 0, sizeof bl);
    if (c->billing)
        rc = bw_api_list_billing(c->api, c->account, c->type, &bl, &lst);
    else
        rc = bw_api_list_instances(c->api, c->account, c->report_id, &il, &lst);
    if (rc) {
        char line[1024];
        bw_api_status_format(&lst, line, sizeof line);
        BW_DEBUG("api", "listing for a create: %s", line);
        return rc;
    }
    n = c->billing ? bl.n : il.n;
    if (ids && n) {
        ids->ids = calloc(n, sizeof *ids->ids);
        rc = ids->ids ? 0 : -ENOMEM;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (!(ids->ids[i] = strdup(c->billing ? bl.items[i].id : il.items[i].id)))
                rc = -ENOMEM;
            else
                ids->n++;
        }
    }
    if (rc == 0 && inst) {
        *inst = il;
        memset(&il, 0, sizeof il);
    }
    if (rc == 0 && bill) {
        *bill = bl;
        memset(&bl, 0, sizeof bl);
    }
    bw_model_instance_list_free(&il);
    bw_model_billing_list_free(&bl);
    if (rc && ids)
        idset_free(ids);
    return rc;
}

/* After a lost answer: 1 and id set when a new report matching the request
 * exists (the lost POST made it), 0 when none does, -errno when the list
 * failed (nobody can tell). Several matches (an identical request from
 * elsewhere at the same time): the last listed, either serves the user. */
static int find_created(struct create *c, char *id, size_t idlen)
{
    struct bw_instance_list il;
    struct bw_billing_list bl;
    const char *found = NULL;
    int rc = list_now(c, NULL, &il, &bl);

    if (rc)
        return rc;
    if (c->billing) {
        for (size_t i = 0; i < bl.n; i++) {
            const struct bw_billing *b = &bl.items[i];
            if (idset_has(&c->before, b->id) || (b->kind[0] && strcmp(b->kind, c->type) != 0))
                continue;
            if (strcmp(b->start, c->start) == 0 && strcmp(b->end, c->end) == 0)
                found = b->id;
        }
    } else {
        for (size_t i = 0; i < il.n; i++) {
            const struct bw_instance *in = &il.items[i];
            if (!idset_has(&c->before, in->id) && bw_request_same(c->req, in))
                found = in->id;
        }
    }
    rc = 0;
    if (found) {
        rc = strlen(found) < idlen ? 1 : -ERANGE;
        if (rc == 1)
            memcpy(id, found, strlen(found) + 1);
    }
    bw_model_instance_list_free(&il);
    bw_model_billing_list_free(&bl);
    return rc;
}

/* POST the body once, with credentials. *authed: they were sent. Returns
 * http's result; resp is always to be freed. */
static int post_once(struct create *c, struct bw_http_response *resp, int *authed,
                     struct bw_api_status *st)
{
    struct bw_http_request req = {
        .url = c->url,
        .max_body = BW_API_MAX_ERROR_BODY,
        .accept = "application/xml",
        .method = "POST",
        .body = c->body,
        .body_len = c->len,
        .content_type = "application/xml",
    };
    struct bw_http_auth cred;
    int rc = bw_auth_get(c->api->auth, &cred);

    *authed = 0;
    if (rc) {
        memset(resp, 0, sizeof *resp);
        snprintf(st->detail, sizeof st->detail, "no usable credential");
        return rc;
    }
    *authed = 1;
    req.auth = &cred;
    rc = bw_http_get(c->api->http, &req, resp);
    bw_http_auth_wipe(&cred);
    /* an error answer over the cap still arrived: its status and headers count */
    if (rc == -EFBIG && resp->status)
        rc = 0;
    return rc;
}

/* Nothing reached the server: no connection was made. */
static int not_sent(int rc)
{
    return rc == -ECONNREFUSED || rc == -EHOSTUNREACH || rc == -ENETUNREACH;
}

/* The body went out and no usable answer came back: it may have been
 * processed. Timeouts are here too (a connect timeout cannot be told apart
 * from a stall after sending), and so is curl's catch-all -EIO. */
static int answer_lost(int rc, long status)
{
    if (rc)
        return rc == -ECONNRESET || rc == -ETIMEDOUT || rc == -EIO;
    return status == 500 || status == 502 || status == 504;
}

static void pause_ms(long ms)
{
    if (ms > 0)
        bw_api__pause_ms(ms);
}

/* How long to wait for a rate limit to reset: until the reset second (epoch
 * seconds) begins, plus a little (clocks differ); no usable reset (absent,
 * or past): a second, what a rate window is. */
static long long rate_wait_ms(long long reset)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    long long now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (reset < 0 || reset * 1000 <= now_ms)
        return 1000;
    return reset * 1000 - now_ms + 50;
}

/* Fail with err and a detail; the answer's status, code and description
 * (already in st) are kept. */
static int give_up(struct bw_api_status *st, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int give_up(struct bw_api_status *st, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(st->detail, sizeof st->detail, fmt, ap);
    va_end(ap);
    st->err = err;
    return err;
}

/* The loop: POST, classify the outcome, wait or check, at most the caps of
 * api.h. 0 and new_id set, or -errno with st describing why. */
static int run(struct create *c, char *new_id, size_t idlen, struct bw_api_status *st)
{
    int posts = 0, rate = 0, unavailable = 0, lost = 0, auth_retried = 0;
    long long rate_waited = 0;

    for (;;) {
        struct bw_http_response resp;
        int authed = 0;

        if (posts == BW_API_CREATE_MAX_POSTS)
            return give_up(st, -EIO, "gave up after %d POSTs", posts);
        posts++;
        memset(st, 0, sizeof *st);
        bw_http_redact(c->url, st->url, sizeof st->url);
        int rc = post_once(c, &resp, &authed, st);
        st->http_status = resp.status;
        if (rc && !authed) { /* no credential: nothing was sent, nothing to retry */
            bw_http_response_free(&resp);
            st->err = rc;
            return rc;
        }

        if (rc == 0 && resp.status >= 200 && resp.status < 300) {
            if (resp.status == 204 && c->billing) {
                rc = give_up(st, -ENODATA, "no data for this period (204)");
            } else if (bw_api_location_id(resp.location, new_id, idlen) != 0) {
                rc = give_up(st, -EIO, "HTTP %ld without a usable Location", resp.status);
            }
            bw_http_response_free(&resp);
            return rc;
        }
        if (rc == 0)
            bw_api__fail_status(st, resp.status, resp.body, resp.len);
        else
            snprintf(st->detail, sizeof st->detail, "%s", resp.error);
        long long reset = resp.ratelimit_reset;
        bw_http_response_free(&resp);

        if (rc == 0 && st->http_status == 429) {
            long long wait_ms = rate_wait_ms(reset);
            if (rate == BW_API_CREATE_MAX_RATE_RETRIES ||
                rate_waited + wait_ms > BW_API_CREATE_MAX_RATE_WAIT * 1000LL)
                return give_up(st, -EAGAIN, "rate limited; the limit resets in %lld s",
                               (wait_ms + 999) / 1000);
            rate++;
            rate_waited += wait_ms;
            BW_DEBUG("api", "POST %s: rate limited, retry %d of %d in %lld ms", st->url, rate,
                     BW_API_CREATE_MAX_RATE_RETRIES, wait_ms);
            pause_ms((long)wait_ms);
            continue;
        }
        if (not_sent(rc) || (rc == 0 && (st->http_status == 503 || st->api_code == 19031))) {
            /* nothing was created: safe to send again, after a back-off */
            if (++unavailable >= BW_API_CREATE_MAX_UNAVAILABLE) {
                char why[sizeof st->detail];
                memcpy(why, st->detail, sizeof why);
                return give_up(st, -EIO, "%s%.160s; gave up after %d attempts",
                               rc ? "cannot connect: " : "service unavailable",
                               rc ? why : "", unavailable);
            }
            long ms = (long)BW_API_CREATE_BACKOFF_MS << (unavailable - 1);
            BW_DEBUG("api", "POST %s: not created (%s), retry in %ld ms", st->url,
                     rc ? "no connection" : "unavailable", ms);
            pause_ms(ms);
            continue;
        }
        if (rc == 0 && st->http_status == 401 && authed && !auth_retried &&
            bw_auth_rejected(c->api->auth)) {
            auth_retried = 1; /* refused, so not created: try the new token */
            continue;
        }
        if (answer_lost(rc, st->http_status)) {
            char what[64];
            lost++;
            if (rc)
                snprintf(what, sizeof what, "%s", bw_api_errno_name(rc));
            else
                snprintf(what, sizeof what, "HTTP %ld", st->http_status);
            if (!c->checkable)
                return give_up(st, -EIO,
                               "the answer was lost (%s); %s, so the request was not repeated: "
                               "it may have been created",
                               what, c->why_unchecked);
            /* a gateway may still be passing the request on: give it time */
            pause_ms((long)BW_API_CREATE_BACKOFF_MS << (lost - 1));
            int found = find_created(c, new_id, idlen);
            if (found == 1) {
                BW_INFO("api", "POST %s: the answer to the POST was lost; found the %s it "
                        "created: %s (%s)", st->url, c->billing ? "report" : "instance", new_id,
                        what);
                memset(st, 0, sizeof *st);
                bw_http_redact(c->url, st->url, sizeof st->url);
                st->http_status = 201; /* as good as the answer we did not get */
                return 0;
            }
            if (found < 0)
                return give_up(st, -EIO,
                               "the answer was lost (%s) and the reports could not be listed: "
                               "it may have been created", what);
            if (lost >= BW_API_CREATE_MAX_LOST)
                return give_up(st, -EIO, "the answer was lost %d times (%s); nothing was created",
                               lost, what);
            BW_DEBUG("api", "POST %s: answer lost (%s), nothing was created: sending again",
                     st->url, what);
            continue;
        }
        /* a final answer: an API error, or ours (memory, credentials) */
        if (rc)
            st->err = rc;
        return st->err;
    }
}

/* Store the outcome in *out and log it, as bw_api__report does, but naming
 * the POST. Never the body: it may carry what the user typed. */
static void report(const struct bw_api_status *st, struct bw_api_status *out)
{
    char line[1024];

    if (out)
        *out = *st;
    if (st->err == 0)
        return;
    bw_api_status_format(st, line, sizeof line);
    const char *rest = strncmp(line, "GET ", 4) == 0 ? line + 4 : line;
    if (out)
        BW_DEBUG("api", "POST %s", rest);
    else
        BW_WARN("api", "POST %s", rest);
}

static int refuse(struct bw_api_status *stout, int err, const char *detail)
{
    struct bw_api_status st;

    memset(&st, 0, sizeof st);
    snprintf(st.detail, sizeof st.detail, "%s", detail);
    st.err = err;
    report(&st, stout);
    return err;
}

/* The text of the first element named `name` under n, trimmed, into out. */
static int find_text(xmlNode *n, const char *name, char *out, size_t size)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, name) == 0) {
            xmlChar *t = xmlNodeGetContent(n);
            const char *s = t ? (const char *)t : "";
            s += strspn(s, " \t\r\n");
            size_t len = strlen(s);
            while (len && strchr(" \t\r\n", s[len - 1]))
                len--;
            int ok = len < size;
            if (ok) {
                memcpy(out, s, len);
                out[len] = '\0';
            }
            xmlFree(t);
            return ok;
        }
        if (find_text(n->children, name, out, size))
            return 1;
    }
    return 0;
}

/* The StartDate and EndDate of a <BillingReport> body: what a lost answer's
 * report is recognised by. 0 when the body does not name both. */
static int billing_dates(const char *body, size_t len, char *start, char *end, size_t size)
{
    if (len > (size_t)BW_API_MAX_XML)
        return 0;
    xmlDoc *doc = xmlReadMemory(body, (int)len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return 0;
    int ok = find_text(xmlDocGetRootElement(doc), "StartDate", start, size) &&
             find_text(xmlDocGetRootElement(doc), "EndDate", end, size);
    xmlFreeDoc(doc);
    return ok;
}

/* Snapshot, run, report, clean up. */
static int create(struct create *c, char *new_id, size_t idlen, struct bw_api_status *stout)
{
    struct bw_api_status st;
    int rc;

    memset(&st, 0, sizeof st);
    if (!c->url)
        return refuse(stout, -ENOMEM, "out of memory");
    if (c->checkable) {
        rc = list_now(c, &c->before, NULL, NULL);
        if (rc) {
            /* the POST may still work: go on, but a lost answer cannot be
             * checked now, so it will not be repeated */
            c->checkable = 0;
            snprintf(c->why_unchecked, sizeof c->why_unchecked,
                     "the reports could not be listed before the POST (%s)",
                     bw_api_errno_name(rc));
        }
    }
    rc = run(c, new_id, idlen, &st);
    if (rc)
        new_id[0] = '\0';
    st.err = rc;
    report(&st, stout);
    idset_free(&c->before);
    free(c->url);
    return rc;
}

int bw_api_create_instance(struct bw_api *api, const char *account, const char *report_id,
                           const struct bw_request *req, const char *body, size_t len,
                           char *new_id, size_t idlen, struct bw_api_status *st)
{
    struct create c = {.api = api, .account = account, .report_id = report_id, .req = req,
                       .body = body, .len = len};

    if (!new_id || idlen == 0)
        return refuse(st, -EINVAL, "no room for the new id");
    new_id[0] = '\0';
    if (!account || !bw_model_id_ok(account) || !report_id || !bw_model_id_ok(report_id))
        return refuse(st, -EINVAL, "invalid id");
    if (!body || len == 0)
        return refuse(st, -EINVAL, "empty request");
    c.checkable = req != NULL;
    if (!req)
        snprintf(c.why_unchecked, sizeof c.why_unchecked, "no request to compare with");
    if (asprintf(&c.url, "%s/accounts/%s/reports/%s/instances", api->base, account, report_id) < 0)
        c.url = NULL;
    return create(&c, new_id, idlen, st);
}

int bw_api_create_billing(struct bw_api *api, const char *account, const char *type,
                          const char *body, size_t len, char *new_id, size_t idlen,
                          struct bw_api_status *st)
{
    struct create c = {.api = api, .account = account, .type = type, .billing = 1,
                       .body = body, .len = len};

    if (!new_id || idlen == 0)
        return refuse(st, -EINVAL, "no room for the new id");
    new_id[0] = '\0';
    if (!account || !bw_model_id_ok(account) || !type || !bw_names_billing_known(type))
        return refuse(st, -EINVAL, "invalid account id or billing report type");
    if (!body || len == 0)
        return refuse(st, -EINVAL, "empty request");
    if (!bw_names_billing_listable(type)) {
        snprintf(c.why_unchecked, sizeof c.why_unchecked, "%s reports cannot be listed", type);
    } else if (!billing_dates(body, len, c.start, c.end, sizeof c.start)) {
        snprintf(c.why_unchecked, sizeof c.why_unchecked,
                 "the request names no StartDate and EndDate to look for");
    } else {
        c.checkable = 1;
    }
    if (asprintf(&c.url, "%s/accounts/%s/billingreports", api->base, account) < 0)
        c.url = NULL;
    return create(&c, new_id, idlen, st);
}
