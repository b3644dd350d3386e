/* request_parse: reading a written request in either form (lines or XML)
 * and writing the XML bodies the API takes (see request.h). */
#include "request.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "request_priv.h"

/* ---- input: common ----------------------------------------------------- */

/* c is one of set (never the terminator, unlike a bare strchr()). */
static int in_set(char c, const char *set)
{
    return c && strchr(set, c);
}

/* Refuse what neither form may hold, before looking further: too big (the
 * FUSE side already caps writes; this keeps the codec safe on its own) and
 * NUL bytes (C strings would silently end there). */
static int precheck(const char *buf, size_t len, struct msg *m)
{
    if (len > BW_REQUEST_MAX) {
        bw_request__fail(m, "the request is larger than %u KiB", BW_REQUEST_MAX >> 10);
        return -EFBIG;
    }
    const char *nul = len ? memchr(buf, '\0', len) : NULL;
    if (nul) {
        unsigned line = 1;
        for (const char *p = buf; p < nul; p++)
            line += *p == '\n';
        return bw_request__fail(m, "line %u contains a NUL byte (a request is text)", line);
    }
    return 0;
}

/* 1 if the first byte after a UTF-8 BOM and white space is '<'. */
static int looks_xml(const char *buf, size_t len)
{
    size_t i = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < len && in_set(buf[i], " \t\r\n"))
        i++;
    return i < len && buf[i] == '<';
}

/* Called per `name = value` line with a non-empty value; where is
 * "line N: " (or "" for XML). 0, -EINVAL (message added), -ENOMEM. */
typedef int (*line_fn)(void *ctx, const char *name, const char *value, const char *where,
                       struct msg *m);

static int each_line(const char *buf, size_t len, line_fn fn, void *ctx, struct msg *m)
{
    size_t pos = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    unsigned line = 0;
    while (pos < len) {
        const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl != NULL);
        line++;
        while (n && in_set(*s, " \t\r"))
            s++, n--;
        while (n && in_set(s[n - 1], " \t\r"))
            n--;
        if (!n || *s == '#')
            continue;
        if (!bw_request__text_ok(s, n))
            return bw_request__fail(
                m, "line %u is not plain text (control characters or invalid UTF-8)", line);
        const char *eq = memchr(s, '=', n);
        if (!eq)
            return bw_request__fail(m, "line %u has no '=' (write `Name = value`)", line);
        size_t nn = (size_t)(eq - s), vn = n - nn - 1;
        const char *v = eq + 1;
        while (nn && in_set(s[nn - 1], " \t"))
            nn--;
        while (vn && in_set(*v, " \t"))
            v++, vn--;
        if (!nn)
            return bw_request__fail(m, "line %u has no name before '='", line);
        if (nn > BW_MODEL_TEXT_MAX || vn > BW_MODEL_TEXT_MAX)
            return bw_request__fail(m, "line %u is too long (at most %d bytes a name or value)",
                                    line, BW_MODEL_TEXT_MAX);
        if (!vn)
            continue; /* `Name =`: the template's "not given" */
        char *name = strndup(s, nn), *value = strndup(v, vn), where[32];
        int rc = name && value ? 0 : -ENOMEM;
        snprintf(where, sizeof where, "line %u: ", line);
        if (rc == 0)
            rc = fn(ctx, name, value, where, m);
        free(name);
        free(value);
        if (rc)
            return rc;
    }
    return 0;
}

/* Parse an XML request. No DTD is ever accepted (so no entity can be
 * declared, let alone expanded), no network, libxml2's own depth limit
 * against deep nesting; root must be root_name. */
static int xml_doc(const char *buf, size_t len, const char *root_name, xmlDocPtr *out,
                   struct msg *m)
{
    *out = NULL;
    if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8))
        return bw_request__fail(m, "a request may not contain a DTD or entity declarations");
    /* Leading white space (and a BOM) is dropped: a declaration must come
     * first in XML, but a stray newline from echo should not fail a request. */
    int skipped_lines = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        buf += 3, len -= 3;
    while (len && in_set(*buf, " \t\r\n"))
        skipped_lines += *buf == '\n', buf++, len--;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return -ENOMEM;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                          XML_PARSE_NOCDATA);
    if (!doc || !ctxt->wellFormed) {
        /* libxml2's own words, one printable line: they say what is wrong */
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char what[120] = "";
        snprintf(what, sizeof what, "%s", e && e->message ? e->message : "");
        what[strcspn(what, "\r\n")] = '\0';
        for (char *p = what; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = ' ';
        int line = (e ? e->line : 0) + skipped_lines;
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        return bw_request__fail(m, "the XML is not well-formed (line %d: %s)", line, what);
    }
    xmlFreeParserCtxt(ctxt);
    xmlNode *root = xmlDocGetRootElement(doc);
    if (doc->intSubset || doc->extSubset || !root) {
        xmlFreeDoc(doc);
        return bw_request__fail(m, "a request may not contain a DTD");
    }
    if (strcmp((const char *)root->name, root_name) != 0) {
        /* an element name is printable by XML's rules; only its length needs a cap */
        bw_request__fail(m, "expected %s <%s> document, got <%.*s>",
                         root_name[0] == 'I' ? "an" : "a", root_name, QUOTE_MAX,
                         (const char *)root->name);
        xmlFreeDoc(doc);
        return -EINVAL;
    }
    *out = doc;
    return 0;
}

static int is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_el(c, name))
            return c;
    return NULL;
}

/* The trimmed text of element n (direct text children only; "" for NULL)
 * into *out (malloc'd). 0, -EINVAL (not plain text: message added), -ENOMEM. */
static int el_text(const xmlNode *n, const char *what, char **out, struct msg *m)
{
    size_t len = 0;
    char *s = calloc(1, 1);
    int oom = !s;
    *out = NULL;
    for (const xmlNode *c = n ? n->children : NULL; !oom && c; c = c->next) {
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        size_t add = strlen((const char *)c->content);
        if (len + add > BW_MODEL_TEXT_MAX) {
            free(s);
            return bw_request__fail(m, "<%s> is too long (at most %d bytes)", what,
                                    BW_MODEL_TEXT_MAX);
        }
        char *t = realloc(s, len + add + 1);
        if ((oom = !t))
            break;
        s = t;
        memcpy(s + len, c->content, add + 1);
        len += add;
    }
    if (oom) {
        free(s);
        return -ENOMEM;
    }
    size_t a = 0;
    while (a < len && in_set(s[a], " \t\r\n"))
        a++;
    while (len > a && in_set(s[len - 1], " \t\r\n"))
        len--;
    memmove(s, s + a, len - a);
    s[len - a] = '\0';
    if (!bw_request__text_ok(s, len - a)) {
        free(s);
        return bw_request__fail(m, "<%s> holds a line break or control character", what);
    }
    *out = s;
    return 0;
}

/* ---- input: account report requests ------------------------------------ */

/* A single-valued key given twice with different values is a mistake the
 * user should see, not a silent "last one wins". */
static int set_once(char **slot, const char *key, const char *value, const char *where,
                    struct msg *m)
{
    char q1[QUOTE_MAX + 8], q2[QUOTE_MAX + 8];
    if (*slot)
        return strcmp(*slot, value) == 0 ? 0
                                         : bw_request__fail(m, "%s%s is given twice (%s, then %s)",
                                                            where, key, Q(q1, *slot), Q(q2, value));
    return (*slot = strdup(value)) ? 0 : -ENOMEM;
}

static int instance_entry(void *ctx, const char *name, const char *value, const char *where,
                          struct msg *m)
{
    struct bw_request *r = ctx;
    if (strcasecmp(name, "OutputFormat") == 0)
        return set_once(&r->output_format, "OutputFormat", value, where, m);
    if (strcasecmp(name, "ExpiresAt") == 0)
        return set_once(&r->expires_at, "ExpiresAt", value, where, m);
    int rc = bw_request_add_value(r, name, value);
    if (rc == -E2BIG)
        return bw_request__fail(
            m, "%stoo many parameters or values (at most %d parameters, %d values each)", where,
            BW_MODEL_MAX_PARAMS, BW_MODEL_MAX_VALUES);
    return rc;
}

/* Add the non-empty <Value> children of n (the API's shape; <Values><Value>
 * is read too, as the instance decoder does). */
static int xml_values(const xmlNode *n, const char *name, struct bw_request *r, struct msg *m)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        int rc = 0;
        if (is_el(c, "Values"))
            rc = xml_values(c, name, r, m);
        else if (is_el(c, "Value")) {
            char *v;
            if ((rc = el_text(c, "Value", &v, m)) == 0 && v[0])
                rc = instance_entry(r, name, v, "", m);
            free(v);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_instance_xml(const char *buf, size_t len, struct bw_request *r, struct msg *m)
{
    xmlDocPtr doc;
    int rc = xml_doc(buf, len, "Instance", &doc, m);
    if (rc)
        return rc;
    const xmlNode *root = xmlDocGetRootElement(doc);
    static const char *const keys[] = {"OutputFormat", "ExpiresAt"};
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        char *v;
        if ((rc = el_text(child(root, keys[i]), keys[i], &v, m)) == 0 && v[0])
            rc = instance_entry(r, keys[i], v, "", m);
        free(v);
    }
    const xmlNode *list = child(root, "Parameters");
    for (const xmlNode *p = list ? list->children : NULL; p && rc == 0; p = p->next) {
        char *name;
        if (!is_el(p, "Parameter"))
            continue;
        if ((rc = el_text(child(p, "Name"), "Name", &name, m)) != 0)
            break;
        if (!name[0])
            rc = bw_request__fail(m, "a <Parameter> has no <Name>");
        else
            rc = xml_values(p, name, r, m);
        free(name);
    }
    xmlFreeDoc(doc);
    return rc;
}

int bw_request_parse(const char *buf, size_t len, struct bw_request *out, char *err, size_t errlen)
{
    struct msg m;
    bw_request__msg_init(&m, err, errlen);
    *out = (struct bw_request){0};
    if (!buf)
        len = 0;
    int rc = precheck(buf, len, &m);
    if (rc == 0)
        rc = looks_xml(buf, len) ? parse_instance_xml(buf, len, out, &m)
                                 : each_line(buf, len, instance_entry, out, &m);
    if (rc)
        bw_request_free(out);
    if (rc == -ENOMEM && m.count == 0)
        bw_request__fail(&m, "out of memory");
    return rc;
}

/* ---- XML writers -------------------------------------------------------- */

/* Start a document in memory. The writer escapes text; the input is
 * checked to be UTF-8 text first so what it writes is well-formed. */
static xmlTextWriterPtr writer_new(xmlBufferPtr *b)
{
    xmlTextWriterPtr w = NULL;
    if ((*b = xmlBufferCreate()) && (w = xmlNewTextWriterMemory(*b, 0))) {
        if (xmlTextWriterSetIndent(w, 1) < 0 ||
            xmlTextWriterSetIndentString(w, (const xmlChar *)"  ") < 0 ||
            xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0) {
            xmlFreeTextWriter(w);
            w = NULL;
        }
    }
    if (!w && *b)
        xmlBufferFree(*b);
    return w;
}

static int writer_done(xmlBufferPtr b, xmlTextWriterPtr w, int ok, char **out, size_t *len)
{
    ok = ok && xmlTextWriterEndDocument(w) >= 0;
    xmlFreeTextWriter(w); /* flushes into b */
    if (ok) {
        size_t n = (size_t)xmlBufferLength(b);
        if ((*out = malloc(n + 1))) {
            memcpy(*out, xmlBufferContent(b), n);
            (*out)[n] = '\0';
            *len = n;
        }
    }
    xmlBufferFree(b);
    return ok && *out ? 0 : -ENOMEM;
}

static int el(xmlTextWriterPtr w, const char *name, const char *text)
{
    return xmlTextWriterWriteElement(w, (const xmlChar *)name, (const xmlChar *)text) >= 0;
}

static int open_el(xmlTextWriterPtr w, const char *name)
{
    return xmlTextWriterStartElement(w, (const xmlChar *)name) >= 0;
}

static int str_ok(const char *s)
{
    return !s || bw_request__text_ok(s, strlen(s));
}

int bw_request_instance_xml(const struct bw_request *r, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int good = str_ok(r->output_format) && str_ok(r->expires_at);
    for (size_t i = 0; i < r->n_params && good; i++) {
        good = str_ok(r->params[i].name);
        for (size_t j = 0; j < r->params[i].n_values && good; j++)
            good = str_ok(r->params[i].values[j]);
    }
    if (!good)
        return -EINVAL;
    xmlBufferPtr b;
    xmlTextWriterPtr w = writer_new(&b);
    if (!w)
        return -ENOMEM;
    int ok =
        open_el(w, "Instance") && (!r->output_format || el(w, "OutputFormat", r->output_format));
    ok = ok && open_el(w, "Parameters");
    for (size_t i = 0; i < r->n_params && ok; i++) {
        ok = open_el(w, "Parameter") && el(w, "Name", r->params[i].name);
        for (size_t j = 0; j < r->params[i].n_values && ok; j++)
            ok = el(w, "Value", r->params[i].values[j]);
        ok = ok && xmlTextWriterEndElement(w) >= 0;
    }
    ok = ok && xmlTextWriterEndElement(w) >= 0;
    ok = ok && (!r->expires_at || el(w, "ExpiresAt", r->expires_at));
    ok = ok && xmlTextWriterEndElement(w) >= 0;
    return writer_done(b, w, ok, out, len);
}

int bw_request_billing_xml(const struct bw_billing_request *br, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!bw_request__text_ok(br->type, strnlen(br->type, sizeof br->type)) ||
        !bw_request__text_ok(br->start, strnlen(br->start, sizeof br->start)) ||
        !bw_request__text_ok(br->end, strnlen(br->end, sizeof br->end)) ||
        !memchr(br->type, '\0', sizeof br->type) || !memchr(br->start, '\0', sizeof br->start) ||
        !memchr(br->end, '\0', sizeof br->end))
        return -EINVAL;
    xmlBufferPtr b;
    xmlTextWriterPtr w = writer_new(&b);
    if (!w)
        return -ENOMEM;
    int ok = open_el(w, "BillingReport") && el(w, "Type", br->type) && open_el(w, "DateRange") &&
             el(w, "StartDate", br->start) && el(w, "EndDate", br->end) &&
             xmlTextWriterEndElement(w) >= 0 && xmlTextWriterEndElement(w) >= 0;
    return writer_done(b, w, ok, out, len);
}

/* ---- billing requests --------------------------------------------------- */

struct billing_ctx {
    struct bw_billing_request *b;
    const char *dir_type;
};

static int set_date(char *dst, const char *key, const char *v, const char *where, struct msg *m)
{
    char q1[QUOTE_MAX + 8], q2[QUOTE_MAX + 8];
    if (strlen(v) > 10)
        return bw_request__fail(m, "%s%s takes a date YYYY-MM-DD (got %s)", where, key, Q(q1, v));
    if (dst[0] && strcmp(dst, v) != 0)
        return bw_request__fail(m, "%s%s is given twice (%s, then %s)", where, key, Q(q1, dst),
                                Q(q2, v));
    strcpy(dst, v); /* fits: checked above, dst holds 11 */
    return 0;
}

static int billing_entry(void *ctx, const char *name, const char *value, const char *where,
                         struct msg *m)
{
    struct billing_ctx *c = ctx;
    char q1[QUOTE_MAX + 8];
    if (strcasecmp(name, "StartDate") == 0)
        return set_date(c->b->start, "StartDate", value, where, m);
    if (strcasecmp(name, "EndDate") == 0)
        return set_date(c->b->end, "EndDate", value, where, m);
    if (strcasecmp(name, "Type") == 0)
        return strcasecmp(value, c->dir_type) == 0
                   ? 0
                   : bw_request__fail(m, "%sType %s does not match this directory (%s)", where,
                                      Q(q1, value), c->dir_type);
    return bw_request__fail(m, "%sunknown key %s (a billing request takes StartDate and EndDate)",
                            where, Q(q1, name));
}

static int parse_billing_xml(const char *buf, size_t len, struct billing_ctx *c, struct msg *m)
{
    xmlDocPtr doc;
    int rc = xml_doc(buf, len, "BillingReport", &doc, m);
    if (rc)
        return rc;
    const xmlNode *root = xmlDocGetRootElement(doc), *range = child(root, "DateRange");
    static const char *const keys[] = {"Type", "StartDate", "EndDate"};
    for (size_t i = 0; i < 3 && rc == 0; i++) {
        char *v;
        rc = el_text(child(i ? range : root, keys[i]), keys[i], &v, m);
        if (rc == 0 && v[0])
            rc = billing_entry(c, keys[i], v, "", m);
        free(v);
    }
    xmlFreeDoc(doc);
    return rc;
}

int bw_request_parse_billing(const char *buf, size_t len, const char *dir_type,
                             struct bw_billing_request *out, char *err, size_t errlen)
{
    struct msg m;
    struct billing_ctx c = {out, dir_type};
    bw_request__msg_init(&m, err, errlen);
    *out = (struct bw_billing_request){.type = ""};
    if (!dir_type || !dir_type[0] || strlen(dir_type) >= sizeof out->type)
        return bw_request__fail(&m, "not a billing report type");
    if (!buf)
        len = 0;
    int rc = precheck(buf, len, &m);
    if (rc == 0)
        rc = looks_xml(buf, len) ? parse_billing_xml(buf, len, &c, &m)
                                 : each_line(buf, len, billing_entry, &c, &m);
    if (rc) {
        *out = (struct bw_billing_request){.type = ""};
        if (rc == -ENOMEM && m.count == 0)
            bw_request__fail(&m, "out of memory");
        return rc;
    }
    strcpy(out->type, dir_type);
    return 0;
}
