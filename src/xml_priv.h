/* xml_priv: libxml2 helpers shared by xml.c and xml_items.c; not for other
 * modules (they see only xml.h). No state, no locks. */
#ifndef BW_XML_PRIV_H
#define BW_XML_PRIV_H

#include <stddef.h>

#include <libxml/tree.h>

/* Parse untrusted bytes with the safety rules of xml.h (size cap, no DTD,
 * NONET, no entity substitution). 0 and *out (xmlFreeDoc it), or -EFBIG,
 * -EBADMSG, -ENOMEM. */
int bw_xml__parse(const char *buf, size_t len, xmlDocPtr *out);

/* n is an element whose local name is name. */
int bw_xml__is(const xmlNode *n, const char *name);

/* First child element of n with that local name, or NULL (also for n NULL). */
const xmlNode *bw_xml__child(const xmlNode *n, const char *name);

/* Trimmed text of an element's direct text/CDATA children (entity references
 * are never followed), control characters as spaces, at most cap-1 bytes
 * (cut at a UTF-8 boundary), into out. "" for NULL. */
void bw_xml__text(const xmlNode *n, char *out, size_t cap);

/* The element's text as a new string (at most cap-1 bytes), "" for NULL.
 * NULL only when out of memory. */
char *bw_xml__dup(const xmlNode *n, size_t cap);

/* The element's text as a decimal number, 0 if absent or not a number. */
long bw_xml__code(const xmlNode *n);

/* <Links><next>Link=&lt;URL&gt;;rel="next";</next></Links>: the URL into
 * *next unless already set. 0 or -ENOMEM. */
int bw_xml__next_link(const xmlNode *links, char **next);

/* The element serialised as the document has it, with an XML declaration in
 * front and a newline after. 0, -EFBIG (over BW_MODEL_XML_MAX), -ENOMEM. */
int bw_xml__dump(xmlNode *n, char **out, size_t *len);

#endif
