/* xml_items: decoding of report details, report instances and billing
 * reports (see xml.h); the parsing rules and helpers are xml.c's. */
#include "xml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "log.h"
#include "xml_priv.h"

#define DUP(n) bw_xml__dup((n), BW_MODEL_TEXT_MAX)

static int truthy(const xmlNode *n)
{
    char buf[16];
    bw_xml__text(n, buf, sizeof buf);
    return strcasecmp(buf, "true") == 0 || strcmp(buf, "1") == 0 || strcasecmp(buf, "yes") == 0;
}

/* Append a copy of s to a string vector (capped). */
static int strv_add(char ***v, size_t *n, char *s)
{
    if (!s)
        return -ENOMEM;
    if (*n >= BW_MODEL_MAX_VALUES) {
        free(s);
        return -E2BIG;
    }
    char **nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv) {
        free(s);
        return -ENOMEM;
    }
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

/* ---- GET /reports/{id} ---- */

/* "A;B;;C" -> {"A","B","C"}: the words of a ValueFilter, trimmed. */
static int split_filter(const xmlNode *n, struct bw_report_param *p)
{
    char *text = DUP(n);
    int rc = 0;

    if (!text)
        return -ENOMEM;
    for (char *save = NULL, *w = strtok_r(text, ";", &save); w && rc == 0;
         w = strtok_r(NULL, ";", &save)) {
        w += strspn(w, " ");
        size_t l = strlen(w);
        while (l && w[l - 1] == ' ')
            w[--l] = '\0';
        if (l)
            rc = strv_add(&p->filter, &p->n_filter, strdup(w));
    }
    free(text);
    return rc;
}

static int take_values(const xmlNode *values, struct bw_report_param *p)
{
    for (const xmlNode *v = values ? values->children : NULL; v; v = v->next) {
        if (!bw_xml__is(v, "Value"))
            continue;
        if (p->n_values >= BW_MODEL_MAX_VALUES)
            return -E2BIG;
        struct bw_param_value *nv = realloc(p->values, (p->n_values + 1) * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        p->values = nv;
        struct bw_param_value *x = &p->values[p->n_values];
        x->internal_name = DUP(bw_xml__child(v, "InternalName"));
        x->display_name = DUP(bw_xml__child(v, "DisplayName"));
        p->n_values++; /* counted even when half-filled, so the free sees it */
        if (!x->internal_name || !x->display_name)
            return -ENOMEM;
        if (!x->internal_name[0]) { /* a value nobody could send: dropped */
            free(x->internal_name);
            free(x->display_name);
            p->n_values--;
        }
    }
    return 0;
}

static int take_param(const xmlNode *n, struct bw_report_detail *d)
{
    if (d->n_params >= BW_MODEL_MAX_PARAMS)
        return -E2BIG;
    struct bw_report_param *np = realloc(d->params, (d->n_params + 1) * sizeof *np);
    if (!np)
        return -ENOMEM;
    d->params = np;
    struct bw_report_param *p = &d->params[d->n_params++];
    memset(p, 0, sizeof *p);
    p->name = DUP(bw_xml__child(n, "Name"));
    p->type = DUP(bw_xml__child(n, "Type"));
    p->description = DUP(bw_xml__child(n, "Description"));
    p->help = DUP(bw_xml__child(n, "HelpInformation"));
    p->recommended = DUP(bw_xml__child(n, "RecommendedValue"));
    if (!p->name || !p->type || !p->description || !p->help || !p->recommended)
        return -ENOMEM;
    if (!p->name[0]) { /* a parameter without a name cannot be sent: dropped */
        d->n_params--;
        free(p->name);
        free(p->type);
        free(p->description);
        free(p->help);
        free(p->recommended);
        return 0;
    }
    p->required = truthy(bw_xml__child(n, "Required"));
    p->multi = truthy(bw_xml__child(n, "MultiSelectAllowed"));
    const xmlNode *f = bw_xml__child(n, "ValueFilter");
    int rc = f ? split_filter(f, p) : 0;
    if (rc == 0)
        rc = take_values(bw_xml__child(n, "Values"), p);
    return rc;
}

static const xmlNode *find_first(const xmlNode *n, const char *name)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (bw_xml__is(n, name))
            return n;
        const xmlNode *f = find_first(n->children, name);
        if (f)
            return f;
    }
    return NULL;
}

static int take_detail(const xmlNode *r, struct bw_report_detail *d)
{
    d->id = bw_xml__dup(bw_xml__child(r, "Id"), BW_MODEL_ID_MAX + 2);
    d->name = DUP(bw_xml__child(r, "Name"));
    d->description = DUP(bw_xml__child(r, "Description"));
    if (!d->id || !d->name || !d->description)
        return -ENOMEM;
    if (!bw_model_id_ok(d->id) || !d->name[0])
        return -EBADMSG;
    int rc = 0;
    const xmlNode *ps = bw_xml__child(r, "Parameters");
    for (const xmlNode *p = ps ? ps->children : NULL; p && rc == 0; p = p->next)
        if (bw_xml__is(p, "Parameter"))
            rc = take_param(p, d);
    const xmlNode *fs = bw_xml__child(r, "OutputFormats");
    for (const xmlNode *f = fs ? fs->children : NULL; f && rc == 0; f = f->next) {
        if (!bw_xml__is(f, "OutputFormat"))
            continue;
        if (d->n_formats >= BW_MODEL_MAX_FORMATS)
            return -E2BIG;
        char *fmt = DUP(f);
        if (fmt && !fmt[0]) {
            free(fmt);
            continue;
        }
        rc = strv_add(&d->formats, &d->n_formats, fmt);
    }
    return rc;
}

int bw_xml_parse_report_detail(const char *buf, size_t len, struct bw_report_detail *out)
{
    xmlDocPtr doc;
    int rc = bw_xml__parse(buf, len, &doc);

    if (rc)
        return rc;
    const xmlNode *r = find_first(xmlDocGetRootElement(doc), "Report");
    rc = r ? take_detail(r, out) : -EBADMSG;
    xmlFreeDoc(doc);
    if (rc)
        bw_model_report_detail_free(out);
    return rc;
}

/* ---- instances ---- */

static int add_param_values(struct bw_instance_param *p, const xmlNode *parent)
{
    int rc = 0;
    for (const xmlNode *v = parent ? parent->children : NULL; v && rc == 0; v = v->next)
        if (bw_xml__is(v, "Value"))
            rc = strv_add(&p->values, &p->n_values, DUP(v));
    return rc;
}

/* <Parameters><Parameter><Name/><Value/>[<Value/>...]</Parameter>: the
 * values may also sit in a <Values> wrapper; a repeated Name adds values. */
static int take_inst_param(const xmlNode *n, struct bw_instance *in)
{
    char *name = DUP(bw_xml__child(n, "Name"));
    struct bw_instance_param *p = NULL;

    if (!name)
        return -ENOMEM;
    if (!name[0]) {
        free(name);
        return 0;
    }
    for (size_t i = 0; i < in->n_params && !p; i++)
        if (strcmp(in->params[i].name, name) == 0)
            p = &in->params[i];
    if (p) {
        free(name);
    } else {
        if (in->n_params >= BW_MODEL_MAX_PARAMS) {
            free(name);
            return -E2BIG;
        }
        struct bw_instance_param *np = realloc(in->params, (in->n_params + 1) * sizeof *np);
        if (!np) {
            free(name);
            return -ENOMEM;
        }
        in->params = np;
        p = &in->params[in->n_params++];
        memset(p, 0, sizeof *p);
        p->name = name;
    }
    int rc = add_param_values(p, n);
    if (rc == 0)
        rc = add_param_values(p, bw_xml__child(n, "Values"));
    return rc;
}

/* 0: taken; 1: unusable (bad Id, element too big): skip; -errno: stop. */
static int take_instance(xmlNode *n, struct bw_instance *in)
{
    const xmlNode *err = bw_xml__child(n, "ErrorDetails");
    const xmlNode *msg = bw_xml__child(err, "Message");

    memset(in, 0, sizeof *in);
    in->id = bw_xml__dup(bw_xml__child(n, "Id"), BW_MODEL_ID_MAX + 2);
    if (!in->id)
        return -ENOMEM;
    if (!bw_model_id_ok(in->id))
        return 1;
    in->report_id = bw_xml__dup(bw_xml__child(n, "ReportId"), BW_MODEL_ID_MAX + 2);
    in->report_name = DUP(bw_xml__child(n, "ReportName"));
    in->output_format = DUP(bw_xml__child(n, "OutputFormat"));
    in->requested_by = DUP(bw_xml__child(n, "RequestedByUserName"));
    in->requested_at = DUP(bw_xml__child(n, "RequestedAt"));
    in->status = DUP(bw_xml__child(n, "Status"));
    in->expires_at = DUP(bw_xml__child(n, "ExpiresAt"));
    in->description = DUP(bw_xml__child(n, "Description"));
    in->completed_at = DUP(bw_xml__child(n, "CompletedAt"));
    in->error_message = DUP(msg ? msg : bw_xml__child(err, "Description"));
    if (!in->report_id || !in->report_name || !in->output_format || !in->requested_by ||
        !in->requested_at || !in->status || !in->expires_at || !in->description ||
        !in->completed_at || !in->error_message)
        return -ENOMEM;
    if (in->report_id[0] && !bw_model_id_ok(in->report_id))
        in->report_id[0] = '\0'; /* unusable in a path: as if absent */
    in->error_code = bw_xml__code(bw_xml__child(err, "Code"));
    bw_model_parse_time(in->requested_at, &in->requested_at_t);
    bw_model_parse_time(in->expires_at, &in->expires_at_t);
    bw_model_parse_time(in->completed_at, &in->completed_at_t);

    int rc = 0;
    const xmlNode *ps = bw_xml__child(n, "Parameters");
    for (const xmlNode *p = ps ? ps->children : NULL; p && rc == 0; p = p->next)
        if (bw_xml__is(p, "Parameter"))
            rc = take_inst_param(p, in);
    if (rc == 0)
        rc = bw_xml__dump(n, &in->xml, &in->xml_len);
    return rc == -EFBIG ? 1 : rc;
}

struct iwalk {
    struct bw_instance_list *list;
    char *next;
    size_t skipped;
    int rc;
};

static void walk_instances(struct iwalk *w, xmlNode *n)
{
    for (; n && w->rc == 0; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (bw_xml__is(n, "Instance")) {
            struct bw_instance in;
            int rc = take_instance(n, &in);
            if (rc == 0)
                rc = bw_model_instance_list_push(w->list, &in);
            else if (rc == 1)
                w->skipped++;
            bw_model_instance_free(&in);
            w->rc = rc > 0 ? 0 : rc;
        } else if (bw_xml__is(n, "Links")) {
            w->rc = bw_xml__next_link(n, &w->next);
        } else {
            walk_instances(w, n->children);
        }
    }
}

int bw_xml_parse_instances(const char *buf, size_t len, struct bw_instance_list *out)
{
    xmlDocPtr doc;
    int rc = bw_xml__parse(buf, len, &doc);

    if (rc)
        return rc;
    struct iwalk w = {.list = out};
    walk_instances(&w, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (w.rc) {
        free(w.next);
        bw_model_instance_list_free(out);
        return w.rc;
    }
    out->next_url = w.next;
    if (w.skipped)
        BW_WARN("xml", "skipped %zu instance(s) without a usable Id", w.skipped);
    return 0;
}

int bw_xml_parse_instance(const char *buf, size_t len, struct bw_instance *out)
{
    struct bw_instance_list l = {0};
    int rc = bw_xml_parse_instances(buf, len, &l);

    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
    if (l.n == 0) {
        bw_model_instance_list_free(&l);
        return -EBADMSG;
    }
    *out = l.items[0];
    memset(&l.items[0], 0, sizeof l.items[0]);
    bw_model_instance_list_free(&l);
    return 0;
}

/* ---- billing reports ---- */

static int fill_billing(const xmlNode *n, struct bw_billing *b)
{
    const xmlNode *range = bw_xml__child(n, "DateRange");

    b->id = bw_xml__dup(bw_xml__child(n, "BillingReportId"), BW_MODEL_ID_MAX + 2);
    b->kind = bw_xml__dup(bw_xml__child(n, "BillingReportKind"), BW_MODEL_ID_MAX + 2);
    b->user_id = DUP(bw_xml__child(n, "UserId"));
    b->status = bw_xml__dup(bw_xml__child(n, "ReportStatus"), BW_MODEL_ID_MAX + 2);
    b->description = DUP(bw_xml__child(n, "Description"));
    b->created = bw_xml__dup(bw_xml__child(n, "CreatedDate"), 64);
    b->start = bw_xml__dup(bw_xml__child(range, "StartDate"), 64);
    b->end = bw_xml__dup(bw_xml__child(range, "EndDate"), 64);
    if (!b->id || !b->kind || !b->user_id || !b->status || !b->description || !b->created ||
        !b->start || !b->end)
        return -ENOMEM;
    bw_model_parse_time(b->created, &b->created_t);
    return 0;
}

struct bwalk {
    struct bw_billing_list *list;
    size_t skipped;
    int rc;
};

static void walk_billing(struct bwalk *w, xmlNode *n)
{
    for (; n && w->rc == 0; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!bw_xml__is(n, "BillingReport")) {
            walk_billing(w, n->children);
            continue;
        }
        struct bw_billing b = {0};
        int rc = fill_billing(n, &b);
        if (rc == 0 && !bw_model_id_ok(b.id))
            rc = 1;
        if (rc == 0)
            rc = bw_xml__dump(n, &b.xml, &b.xml_len);
        if (rc == -EFBIG)
            rc = 1;
        if (rc == 0)
            rc = bw_model_billing_list_push(w->list, &b);
        if (rc == 1)
            w->skipped++;
        bw_model_billing_free(&b);
        w->rc = rc > 0 ? 0 : rc;
    }
}

int bw_xml_parse_billing_list(const char *buf, size_t len, struct bw_billing_list *out)
{
    xmlDocPtr doc;
    int rc = bw_xml__parse(buf, len, &doc);

    if (rc)
        return rc;
    struct bwalk w = {.list = out};
    walk_billing(&w, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (w.rc) {
        bw_model_billing_list_free(out);
        return w.rc;
    }
    if (w.skipped)
        BW_WARN("xml", "skipped %zu billing report(s) without a usable BillingReportId", w.skipped);
    return 0;
}

int bw_xml_parse_billing_status(const char *buf, size_t len, struct bw_billing *out)
{
    xmlDocPtr doc;
    int rc = bw_xml__parse(buf, len, &doc);

    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
    xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *st = find_first(root, "ReportStatus");
    rc = fill_billing(st && st->parent ? st->parent : root, out);
    if (rc == 0 && !out->status[0])
        rc = -EBADMSG;
    if (rc == 0)
        rc = bw_xml__dump(root, &out->xml, &out->xml_len);
    xmlFreeDoc(doc);
    if (rc)
        bw_model_billing_free(out);
    return rc;
}
