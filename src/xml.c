/* xml: safe libxml2 parsing of report lists and error envelopes (see xml.h). */
#include "xml.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "log.h"

static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

void bw_xml_init(void)
{
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, silent);
    xmlThrDefSetGenericErrorFunc(NULL, silent);
}

void bw_xml_cleanup(void)
{
    xmlCleanupParser();
}

static int parse(const char *buf, size_t len, xmlDocPtr *out)
{
    *out = NULL;
    if (len > BW_XML_MAX_BODY || len > INT_MAX)
        return -EFBIG;
    if (len == 0 || !buf)
        return -EBADMSG;
    /* No DTDs at all: the API never sends one, and refusing it up front keeps
     * entity declarations (and their expansion) out of the parser. */
    if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8))
        return -EBADMSG;

    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return -ENOMEM;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                          XML_PARSE_NOCDATA);
    int wellformed = ctxt->wellFormed;
    xmlFreeParserCtxt(ctxt);
    if (!doc)
        return -EBADMSG;
    if (!wellformed || doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
        xmlFreeDoc(doc);
        return -EBADMSG;
    }
    *out = doc;
    return 0;
}

static int is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (is(c, name))
            return c;
    return NULL;
}

/* Trimmed text of an element's direct text children (entity references are
 * never followed), at most cap-1 bytes, into out. */
static void text_of(const xmlNode *n, char *out, size_t cap)
{
    size_t len = 0;

    out[0] = '\0';
    if (!n)
        return;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        size_t add = strlen((const char *)c->content);
        if (add > cap - 1 - len)
            add = cap - 1 - len;
        memcpy(out + len, c->content, add);
        len += add;
    }
    out[len] = '\0';
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    size_t start = strspn(out, " ");
    while (len > start && out[len - 1] == ' ')
        len--;
    memmove(out, out + start, len - start);
    out[len - start] = '\0';
}

struct walk {
    struct bw_report_list *list;
    char *next;
    size_t skipped;
    int rc;
};

static void take_report(struct walk *w, const xmlNode *n)
{
    char id[BW_MODEL_ID_MAX + 2], *name = malloc(BW_MODEL_TEXT_MAX), *desc = malloc(BW_MODEL_TEXT_MAX);

    if (!name || !desc) {
        w->rc = -ENOMEM;
        goto out;
    }
    text_of(child(n, "Id"), id, sizeof id);
    text_of(child(n, "Name"), name, BW_MODEL_TEXT_MAX);
    text_of(child(n, "Description"), desc, BW_MODEL_TEXT_MAX);
    if (!bw_model_id_ok(id) || !name[0]) {
        w->skipped++;
        goto out;
    }
    w->rc = bw_model_report_list_add(w->list, id, name, desc);
out:
    free(name);
    free(desc);
}

/* <Links><next>Link=&lt;URL&gt;;rel="next";</next></Links> */
static void take_next(struct walk *w, const xmlNode *links)
{
    char buf[2048];

    text_of(child(links, "next"), buf, sizeof buf);
    char *lt = strchr(buf, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (!lt || !gt || gt == lt + 1 || w->next)
        return;
    *gt = '\0';
    w->next = strdup(lt + 1);
    if (!w->next)
        w->rc = -ENOMEM;
}

static void walk_reports(struct walk *w, const xmlNode *n)
{
    for (; n && w->rc == 0; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is(n, "Report"))
            take_report(w, n); /* a Report's own children are fields, not reports */
        else if (is(n, "Links"))
            take_next(w, n);
        else
            walk_reports(w, n->children);
    }
}

int bw_xml_parse_reports(const char *buf, size_t len, struct bw_report_list *out)
{
    xmlDocPtr doc;
    int rc = parse(buf, len, &doc);

    if (rc)
        return rc;
    struct walk w = {.list = out};
    walk_reports(&w, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (w.rc) {
        free(w.next);
        bw_model_report_list_free(out);
        return w.rc;
    }
    out->next_url = w.next;
    if (w.skipped)
        BW_WARN("xml", "skipped %zu report(s) without a usable Id and Name", w.skipped);
    return 0;
}

static long code_of(const xmlNode *n)
{
    char buf[32], *end;

    text_of(n, buf, sizeof buf);
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno || end == buf || *end)
        return 0;
    return v;
}

static int find_error(const xmlNode *n, struct bw_api_error *out)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const xmlNode *code = NULL, *desc = NULL;
        if ((code = child(n, "ErrorCode"))) {
            desc = child(n, "Description");
            if (!desc)
                desc = child(n, "ErrorMessage");
        } else if (is(n, "Error") && (code = child(n, "Code"))) {
            desc = child(n, "Description");
            if (!desc)
                desc = child(n, "Message");
        } else if ((code = child(n, "resultCode"))) {
            desc = child(n, "resultMessage");
        }
        if (code) {
            out->found = 1;
            out->code = code_of(code);
            text_of(desc, out->description, sizeof out->description);
            return 1;
        }
        if (find_error(n->children, out))
            return 1;
    }
    return 0;
}

int bw_xml_parse_error(const char *buf, size_t len, struct bw_api_error *out)
{
    xmlDocPtr doc;

    memset(out, 0, sizeof *out);
    if (len == 0)
        return 0;
    int rc = parse(buf, len, &doc);
    if (rc)
        return rc;
    find_error(xmlDocGetRootElement(doc), out);
    xmlFreeDoc(doc);
    return 0;
}
