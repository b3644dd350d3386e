/* xml: decode the Bandwidth API's XML answers into model structs (libxml2).
 *
 * Contract:
 *  - Input is untrusted. Documents over BW_XML_MAX_BODY bytes are refused
 *    (-EFBIG) before parsing; a DOCTYPE (hence any entity declaration) is
 *    refused (-EBADMSG); the parser never touches the network
 *    (XML_PARSE_NONET) and never substitutes entities (no XML_PARSE_NOENT).
 *  - Element names are matched on their local name; the root element's name
 *    is not checked (the API is inconsistent about it).
 *  - Thread-safe after bw_xml_init(): each parse has its own parser context.
 *  - Errors: -EBADMSG (malformed, empty), -EFBIG (too big), -E2BIG (too many
 *    entries), -ENOMEM. Never logs secrets; may log skipped entries (warning).
 */
#ifndef BW_XML_H
#define BW_XML_H

#include <stddef.h>

#include "model.h"

#define BW_XML_MAX_BODY (8u << 20) /* 8 MiB */

/* Once, from the main thread, before other threads run. Silences libxml2's
 * default error printing. */
void bw_xml_init(void);
void bw_xml_cleanup(void);

/* GET /reports: every <Report> with a usable <Id> and <Name>, in document
 * order, and the <Links><next> URL if any. out must be zeroed; on error it is
 * left empty. */
int bw_xml_parse_reports(const char *buf, size_t len, struct bw_report_list *out);

/* Find an error envelope, first match in document order, in any form:
 *   <ResponseStatus><ErrorCode/><Description/></ResponseStatus>  (any parent
 *     of ErrorCode qualifies), <Error><Code/><Description/></Error> (also
 *   inside <Errors>), <resultCode/><resultMessage/>.
 * Fills *out (out->found = 0 when there is none). Returns 0, or -EBADMSG /
 * -EFBIG for a body that is not usable XML (out->found = 0 then too). An
 * empty body returns 0 with found = 0. */
int bw_xml_parse_error(const char *buf, size_t len, struct bw_api_error *out);

#endif
