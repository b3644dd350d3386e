/* xml: safe libxml2 parsing (the shared helpers), report lists and error
 * envelopes (see xml.h). Report details, instances and billing: xml_items.c. */
#include "xml.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "log.h"
#include "xml_priv.h"

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

int bw_xml__parse(const char *buf, size_t len, xmlDocPtr *out)
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

int bw_xml__is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

const xmlNode *bw_xml__child(const xmlNode *n, const char *name)
{
    if (!n)
        return NULL;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (bw_xml__is(c, name))
            return c;
    return NULL;
}

void bw_xml__text(const xmlNode *n, char *out, size_t cap)
{
    size_t len = 0;

    out[0] = '\0';
    if (!n)
        return;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        size_t add = strlen((const char *)c->content);
        if (add > cap - 1 - len) {
            add = cap - 1 - len;
            /* cut at a character boundary: drop a partial UTF-8 sequence */
            while (add > 0 && ((unsigned char)c->content[add] & 0xC0) == 0x80)
                add--;
        }
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

char *bw_xml__dup(const xmlNode *n, size_t cap)
{
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    bw_xml__text(n, buf, cap);
    char *s = realloc(buf, strlen(buf) + 1); /* give back the unused cap */
    return s ? s : buf;
}

int bw_xml__dump(xmlNode *n, char **out, size_t *len)
{
    static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xmlBufferPtr b = xmlBufferCreate();

    *out = NULL;
    *len = 0;
    if (!b)
        return -ENOMEM;
    /* A copy in a document of its own: a namespace the element uses but an
     * ancestor declares is then declared on the copy, so the text stands alone. */
    xmlDocPtr d2 = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr c = d2 ? xmlDocCopyNode(n, d2, 1) : NULL;
    if (c)
        xmlDocSetRootElement(d2, c);
    /* level 0, format 0: the element's text and whitespace as they came */
    int n_out = c ? xmlNodeDump(b, d2, c, 0, 0) : -1;
    xmlFreeDoc(d2);
    if (n_out < 0) {
        xmlBufferFree(b);
        return -ENOMEM;
    }
    size_t blen = (size_t)xmlBufferLength(b);
    if (blen + sizeof decl + 1 > BW_MODEL_XML_MAX) {
        xmlBufferFree(b);
        return -EFBIG;
    }
    char *s = malloc(sizeof decl - 1 + blen + 2);
    if (!s) {
        xmlBufferFree(b);
        return -ENOMEM;
    }
    memcpy(s, decl, sizeof decl - 1);
    memcpy(s + sizeof decl - 1, xmlBufferContent(b), blen);
    *len = sizeof decl - 1 + blen;
    s[(*len)++] = '\n';
    s[*len] = '\0';
    xmlBufferFree(b);
    *out = s;
    return 0;
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
    bw_xml__text(bw_xml__child(n, "Id"), id, sizeof id);
    bw_xml__text(bw_xml__child(n, "Name"), name, BW_MODEL_TEXT_MAX);
    bw_xml__text(bw_xml__child(n, "Description"), desc, BW_MODEL_TEXT_MAX);
    if (!bw_model_id_ok(id) || !name[0]) {
        w->skipped++;
        goto out;
    }
    w->rc = bw_model_report_list_add(w->list, id, name, desc);
out:
    free(name);
    free(desc);
}

int bw_xml__next_link(const xmlNode *links, char **next)
{
    char buf[2048];

    bw_xml__text(bw_xml__child(links, "next"), buf, sizeof buf);
    char *lt = strchr(buf, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (!lt || !gt || gt == lt + 1 || *next)
        return 0;
    *gt = '\0';
    *next = strdup(lt + 1);
    return *next ? 0 : -ENOMEM;
}

static void take_next(struct walk *w, const xmlNode *links)
{
    w->rc = bw_xml__next_link(links, &w->next);
}

static void walk_reports(struct walk *w, const xmlNode *n)
{
    for (; n && w->rc == 0; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (bw_xml__is(n, "Report"))
            take_report(w, n); /* a Report's own children are fields, not reports */
        else if (bw_xml__is(n, "Links"))
            take_next(w, n);
        else
            walk_reports(w, n->children);
    }
}

int bw_xml_parse_reports(const char *buf, size_t len, struct bw_report_list *out)
{
    xmlDocPtr doc;
    int rc = bw_xml__parse(buf, len, &doc);

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

long bw_xml__code(const xmlNode *n)
{
    char buf[32], *end;

    bw_xml__text(n, buf, sizeof buf);
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
        if ((code = bw_xml__child(n, "ErrorCode"))) {
            desc = bw_xml__child(n, "Description");
            if (!desc)
                desc = bw_xml__child(n, "ErrorMessage");
        } else if (bw_xml__is(n, "Error") && (code = bw_xml__child(n, "Code"))) {
            desc = bw_xml__child(n, "Description");
            if (!desc)
                desc = bw_xml__child(n, "Message");
        } else if ((code = bw_xml__child(n, "resultCode"))) {
            desc = bw_xml__child(n, "resultMessage");
        }
        if (code) {
            out->found = 1;
            out->code = bw_xml__code(code);
            bw_xml__text(desc, out->description, sizeof out->description);
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
    int rc = bw_xml__parse(buf, len, &doc);
    if (rc)
        return rc;
    find_error(xmlDocGetRootElement(doc), out);
    xmlFreeDoc(doc);
    return 0;
}
