/* source: api/cache/state adapters for the tree and the content cache (see source.h). */
#include "source.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "render.h"
#include "state.h"

static void note(const char *what, int rc, const struct bw_api_status *st)
{
    char line[1024];

    if (rc == 0)
        return;
    bw_api_status_format(st, line, sizeof line);
    /* "No such thing" and "not ready yet" (202/19048, 15602) are answers a
     * user provokes by browsing, not trouble; a 503 or 429 that outlasted
     * the retries is trouble even though it maps to EAGAIN too. */
    int answer = rc == -ENOENT ||
                 (rc == -EAGAIN && (st->http_status == 202 || st->api_code == 19048 ||
                                    st->api_code == 15602));
    if (answer)
        BW_DEBUG("source", "%s: %s", what, line);
    else
        BW_WARN("source", "%s: %s", what, line);
}

static int src_list_reports(void *ctx, const char *acct, struct bw_report_list *out)
{
    struct bw_source *s = ctx;
    struct bw_api_status st;
    int rc = bw_api_list_reports(s->api, acct, out, &st);
    note("report types", rc, &st);
    return rc;
}

static int src_report_params(void *ctx, const char *acct, const char *rid, struct bw_tree_text *out)
{
    struct bw_source *s = ctx;
    struct bw_report_detail d;
    struct bw_api_status st;
    int rc = bw_api_get_report(s->api, acct, rid, &d, &st);

    note("report type", rc, &st);
    if (rc == 0)
        rc = bw_render_type_params(&d, time(NULL), &out->buf, &out->len);
    bw_model_report_detail_free(&d);
    return rc;
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* The tree's record of an api instance; takes its xml. */
static int conv_instance(struct bw_instance *in, struct bw_tree_instance *out)
{
    memset(out, 0, sizeof *out);
    copy(out->id, sizeof out->id, in->id);
    copy(out->status, sizeof out->status, in->status);
    copy(out->format, sizeof out->format, in->output_format);
    out->mtime = in->requested_at_t == BW_MODEL_NO_TIME ? 0 : in->requested_at_t;
    out->info = in->xml;
    out->info_len = in->xml_len;
    in->xml = NULL;
    in->xml_len = 0;
    int rc = bw_render_instance_params(in, &out->params, &out->params_len);
    if (rc)
        bw_tree_instance_free(out);
    return rc;
}

static int src_list_instances(void *ctx, const char *acct, const char *rid,
                              struct bw_tree_instance_list *out)
{
    struct bw_source *s = ctx;
    struct bw_instance_list l = {0};
    struct bw_api_status st;
    int rc = bw_api_list_instances(s->api, acct, rid, &l, &st);

    note("report instances", rc, &st);
    if (rc == 0 && l.n && !(out->items = calloc(l.n, sizeof *out->items)))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        if (!bw_model_id_ok(l.items[i].id) || strlen(l.items[i].id) >= sizeof out->items->id)
            continue;
        if ((rc = conv_instance(&l.items[i], &out->items[out->n])) == 0)
            out->n++;
    }
    bw_model_instance_list_free(&l);
    if (rc)
        bw_tree_instance_list_free(out);
    return rc;
}

static int src_get_instance(void *ctx, const char *acct, const char *rid, const char *iid,
                            struct bw_tree_instance *out)
{
    struct bw_source *s = ctx;
    struct bw_instance in;
    struct bw_api_status st;
    int rc = bw_api_get_instance(s->api, acct, rid, iid, &in, &st);

    note("report instance", rc, &st);
    if (rc == 0)
        rc = conv_instance(&in, out);
    bw_model_instance_free(&in);
    return rc;
}

/* The tree's record of an api billing report; takes its xml. */
static void conv_billing(struct bw_billing *b, struct bw_tree_billing *out)
{
    memset(out, 0, sizeof *out);
    copy(out->id, sizeof out->id, b->id);
    copy(out->type, sizeof out->type, b->kind);
    copy(out->status, sizeof out->status, b->status);
    out->mtime = b->created_t == BW_MODEL_NO_TIME ? 0 : b->created_t;
    out->info = b->xml;
    out->info_len = b->xml_len;
    b->xml = NULL;
    b->xml_len = 0;
}

static int src_list_billing(void *ctx, const char *acct, const char *type,
                            struct bw_tree_billing_list *out)
{
    struct bw_source *s = ctx;
    struct bw_billing_list l = {0};
    struct bw_api_status st;
    int rc = bw_api_list_billing(s->api, acct, type, &l, &st);

    note("billing reports", rc, &st);
    if (rc == 0 && l.n && !(out->items = calloc(l.n, sizeof *out->items)))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        if (!bw_model_id_ok(l.items[i].id) || strlen(l.items[i].id) >= sizeof out->items->id)
            continue;
        conv_billing(&l.items[i], &out->items[out->n++]);
    }
    bw_model_billing_list_free(&l);
    if (rc)
        bw_tree_billing_list_free(out);
    return rc;
}

static int src_get_billing(void *ctx, const char *acct, const char *uuid,
                           struct bw_tree_billing *out)
{
    struct bw_source *s = ctx;
    struct bw_billing b;
    struct bw_api_status st;
    int rc = bw_api_get_billing(s->api, acct, uuid, &b, &st);

    note("billing report", rc, &st);
    if (rc == 0)
        conv_billing(&b, out);
    bw_model_billing_free(&b);
    return rc;
}

static int src_remembered(void *ctx, const char *acct, struct bw_tree_billing_list *out)
{
    struct bw_source *s = ctx;
    struct bw_state_billing_list l;
    int rc = bw_state_billing_ids(s->state_dir, acct, &l);

    if (rc) {
        BW_WARN("source", "cannot read the remembered billing reports of %s: %s", acct,
                strerror(-rc));
        return rc;
    }
    if (l.n && !(out->items = calloc(l.n, sizeof *out->items)))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        copy(out->items[i].id, sizeof out->items[i].id, l.items[i].id);
        copy(out->items[i].type, sizeof out->items[i].type, l.items[i].type);
        out->items[i].mtime = l.items[i].created; /* 0 (older lines): the mount time */
        out->n++;
    }
    bw_state_billing_list_free(&l);
    return rc;
}

static int src_file_url(void *ctx, const char *acct, const char *rid, const char *id, char **out)
{
    struct bw_source *s = ctx;
    *out = rid ? bw_api_instance_file_url(s->api, acct, rid, id)
               : bw_api_billing_file_url(s->api, acct, id);
    if (*out)
        return 0;
    return bw_model_id_ok(id) && (!rid || bw_model_id_ok(rid)) ? -ENOMEM : -EINVAL;
}

static int src_probe(void *ctx, const char *key, const char *url, struct bw_tree_probe *out)
{
    struct bw_source *s = ctx;
    struct bw_cache_info info;
    int rc = bw_cache_probe(s->cache, key, url, &info);

    if (rc)
        return rc;
    out->size = info.size;
    copy(out->name, sizeof out->name, info.name);
    return 0;
}

/* ---- requesting reports ---------------------------------------------- */

static int src_report_detail(void *ctx, const char *acct, const char *rid,
                             struct bw_report_detail *out)
{
    struct bw_source *s = ctx;
    struct bw_api_status st;
    int rc = bw_api_get_report(s->api, acct, rid, out, &st);

    note("report type", rc, &st);
    return rc;
}

/* why a create failed, in plain words for the top of `new`, and logged:
 * refusals (4xx, 204) at info level (the user's request, shown to them),
 * the rest (5xx and network trouble that outlasted the retries) as warnings. */
static void create_failed(const char *what, int rc, const struct bw_api_status *st, char *why,
                          size_t whylen)
{
    char line[1024];

    bw_api_status_format(st, line, sizeof line);
    if (rc == -ENODATA)
        snprintf(why, whylen, "the API has no data for that period (HTTP 204): no report "
                 "was created");
    else if (st->http_status >= 400 && st->http_status < 500 && st->api_code)
        snprintf(why, whylen, "the API refused it: HTTP %ld, ErrorCode %ld: %s",
                 st->http_status, st->api_code, st->description);
    else if (st->http_status >= 400 && st->http_status < 500)
        snprintf(why, whylen, "the API refused it: HTTP %ld%s%s", st->http_status,
                 st->description[0] ? ": " : "", st->description);
    else if (st->http_status)
        snprintf(why, whylen, "the API failed (HTTP %ld, ErrorCode %ld%s%s) and retries did "
                 "not help%s%s", st->http_status, st->api_code, st->description[0] ? ": " : "",
                 st->description, st->detail[0] ? "; " : "", st->detail);
    else
        snprintf(why, whylen, "no answer from the API (%s)%s%s", strerror(-rc),
                 st->detail[0] ? "; " : "", st->detail);
    if ((st->http_status >= 400 && st->http_status < 500) || rc == -ENODATA)
        BW_INFO("source", "%s refused: %s", what, line);
    else
        BW_WARN("source", "%s failed: %s", what, line);
}

static int src_create_instance(void *ctx, const char *acct, const char *rid,
                               const struct bw_request *req, const char *body, size_t len,
                               char *id, size_t idlen, char *why, size_t whylen)
{
    struct bw_source *s = ctx;
    struct bw_api_status st;
    int rc = bw_api_create_instance(s->api, acct, rid, req, body, len, id, idlen, &st);

    if (rc)
        create_failed("report request", rc, &st, why, whylen);
    return rc;
}

static int src_create_billing(void *ctx, const char *acct, const char *type, const char *body,
                              size_t len, char *id, size_t idlen, char *why, size_t whylen)
{
    struct bw_source *s = ctx;
    struct bw_api_status st;
    int rc = bw_api_create_billing(s->api, acct, type, body, len, id, idlen, &st);

    if (rc)
        create_failed("billing report request", rc, &st, why, whylen);
    return rc;
}

static int src_remember_billing(void *ctx, const char *acct, const char *type, const char *id,
                                time_t created)
{
    struct bw_source *s = ctx;
    return bw_state_remember_billing(s->state_dir, acct, type, id, created);
}

static int src_forget_billing(void *ctx, const char *acct, const char *id)
{
    struct bw_source *s = ctx;
    return s->state_dir ? bw_state_forget_billing(s->state_dir, acct, id) : 0;
}

static int src_set_latest(void *ctx, const char *acct, const char *dir, const char *id)
{
    struct bw_source *s = ctx;
    return s->state_dir ? bw_state_set_latest(s->state_dir, acct, dir, id) : 0;
}

static int src_get_latest(void *ctx, const char *acct, const char *dir, char *id, size_t idlen)
{
    struct bw_source *s = ctx;
    return bw_state_get_latest(s->state_dir, acct, dir, id, idlen);
}

void bw_source_tree(struct bw_source *s, struct bw_tree_source *out)
{
    *out = (struct bw_tree_source){
        .ctx = s,
        .list_reports = src_list_reports,
        .report_params = src_report_params,
        .list_instances = src_list_instances,
        .get_instance = src_get_instance,
        .list_billing = src_list_billing,
        .get_billing = src_get_billing,
        .remembered_billing = src_remembered,
        .file_url = src_file_url,
        .probe = src_probe,
        .report_detail = src_report_detail,
        .create_instance = src_create_instance,
        .create_billing = src_create_billing,
        .remember_billing = src_remember_billing,
        .forget_billing = src_forget_billing,
        .set_latest = src_set_latest,
        .get_latest = src_get_latest,
    };
}

/* ---- the content cache's fetcher ---------------------------------------- */

static int dl_meta(void *ctx, const struct bw_api_file_meta *m)
{
    const struct bw_cache_sink *sink = ctx;
    struct bw_cache_meta cm = {.size = m->size, .offset = m->offset};
    copy(cm.name, sizeof cm.name, m->name);
    return sink->on_meta ? sink->on_meta(sink->ctx, &cm) : 0;
}

static int dl_data(void *ctx, const char *buf, size_t len)
{
    const struct bw_cache_sink *sink = ctx;
    return sink->on_data ? sink->on_data(sink->ctx, buf, len) : 0;
}

static int fetch(void *ctx, const char *url, long long offset, int probe,
                 const struct bw_cache_sink *sink)
{
    struct bw_source *s = ctx;
    /* the sink is only read through ctx: the cast drops const for the void * slot */
    struct bw_api_sink as = {.ctx = (void *)(uintptr_t)sink, .on_meta = dl_meta,
                             .on_data = dl_data};
    struct bw_api_status st;
    int rc = bw_api_download(s->api, url, offset, probe, &as, &st);

    /* a transfer cut short is resumed by the cache: worth a note, not a warning */
    if (rc == -ECONNRESET || rc == -ETIMEDOUT) {
        char line[1024];
        bw_api_status_format(&st, line, sizeof line);
        BW_INFO("source", "download interrupted at the server's end: %s", line);
    } else {
        note(probe ? "file size" : "download", rc, &st);
    }
    return rc;
}

void bw_source_fetcher(struct bw_source *s, struct bw_cache_fetcher *out)
{
    *out = (struct bw_cache_fetcher){.ctx = s, .fetch = fetch};
}
