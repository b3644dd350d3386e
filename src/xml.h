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

/* GET /reports/{id}: the first <Report> element (any depth, any root name):
 * Id, Name, Description, <Parameters><Parameter>... and <OutputFormats>.
 * -EBADMSG when there is no Report with a usable Id and Name. out must be
 * zeroed; on error it is left empty. Unknown elements are ignored. */
int bw_xml_parse_report_detail(const char *buf, size_t len, struct bw_report_detail *out);

/* GET .../instances: every <Instance> element (any depth), in document order,
 * and <Links><next>. Instances whose Id is not bw_model_id_ok() are skipped
 * with one warning (as are elements too big to keep as xml). out zeroed. */
int bw_xml_parse_instances(const char *buf, size_t len, struct bw_instance_list *out);

/* GET .../instances/{iid}: the first usable <Instance>; -EBADMSG if none,
 * -EFBIG if the element is over BW_MODEL_XML_MAX. out zeroed. */
int bw_xml_parse_instance(const char *buf, size_t len, struct bw_instance *out);

/* GET /billingreports: every <BillingReport> element with a usable
 * BillingReportId (others skipped with one warning). out zeroed. */
int bw_xml_parse_billing_list(const char *buf, size_t len, struct bw_billing_list *out);

/* GET /billingreports/{uuid}: <BillingReportRetrievalResponse><ReportStatus/>
 * <Description/>: the first ReportStatus element (any depth) and its
 * sibling Description; xml is the whole root element. The other strings,
 * id included, are "" (the caller knows the id). -EBADMSG without a non-empty ReportStatus. out zeroed. */
int bw_xml_parse_billing_status(const char *buf, size_t len, struct bw_billing *out);

/* Find an error envelope, first match in document order, in any form:
 *   <ResponseStatus><ErrorCode/><Description/></ResponseStatus>  (any parent
 *     of ErrorCode qualifies), <Error><Code/><Description/></Error> (also
 *   inside <Errors>), <resultCode/><resultMessage/>.
 * Fills *out (out->found = 0 when there is none). Returns 0, or -EBADMSG /
 * -EFBIG for a body that is not usable XML (out->found = 0 then too). An
 * empty body returns 0 with found = 0. */
int bw_xml_parse_error(const char *buf, size_t len, struct bw_api_error *out);

#endif
