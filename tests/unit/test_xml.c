/* test_xml: report-list decoding and every error-envelope form, hostile input included (xml.h). */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "xml.h"

static int reports(const char *doc, struct bw_report_list *l)
{
    memset(l, 0, sizeof *l);
    return bw_xml_parse_reports(doc, strlen(doc), l);
}

static void test_reports(void)
{
    struct bw_report_list l;

    CHECK_INT(reports("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                      "<ReportsResponse><Reports>"
                      "<Report><Name>Port-in Orders</Name><Id>14</Id>"
                      "<Description>Phone number details &amp; more</Description></Report>"
                      "<Report>\n  <Id> 2 </Id>\n  <Name>Full Phone Number Details</Name>\n</Report>"
                      "</Reports></ReportsResponse>",
                      &l),
              0);
    CHECK_INT(l.n, 2);
    if (l.n == 2) {
        CHECK_STR(l.items[0].id, "14");
        CHECK_STR(l.items[0].name, "Port-in Orders");
        CHECK_STR(l.items[0].description, "Phone number details & more");
        CHECK_STR(l.items[1].id, "2");
        CHECK_STR(l.items[1].description, "");
    }
    CHECK(l.next_url == NULL);
    bw_model_report_list_free(&l);

    /* other root names, Report directly under the root, CDATA */
    CHECK_INT(reports("<ReportResponse><Report><Id>4</Id><Name><![CDATA[A <b> name]]></Name>"
                      "</Report></ReportResponse>",
                      &l),
              0);
    CHECK_INT(l.n, 1);
    if (l.n == 1)
        CHECK_STR(l.items[0].name, "A <b> name");
    bw_model_report_list_free(&l);

    /* namespaces are ignored; entries without Id or Name or with a bad id are skipped */
    CHECK_INT(reports("<x:ReportsResponse xmlns:x=\"urn:x\"><x:Reports>"
                      "<x:Report><x:Id>1</x:Id><x:Name>One</x:Name></x:Report>"
                      "<Report><Name>No id</Name></Report>"
                      "<Report><Id>3</Id></Report>"
                      "<Report><Id>../etc</Id><Name>Bad id</Name></Report>"
                      "<Report><Id>5</Id><Name>   </Name></Report>"
                      "</x:Reports></x:ReportsResponse>",
                      &l),
              0);
    CHECK_INT(l.n, 1);
    bw_model_report_list_free(&l);

    /* an empty list is fine */
    CHECK_INT(reports("<ReportsResponse><Reports/></ReportsResponse>", &l), 0);
    CHECK_INT(l.n, 0);
    bw_model_report_list_free(&l);

    /* pagination link */
    CHECK_INT(reports("<ReportsResponse><Links><first>x</first><next>Link=&lt;https://h/api/accounts/1/"
                      "reports?page=2&amp;size=30&gt;;rel=\"next\";</next></Links><Reports>"
                      "<Report><Id>1</Id><Name>One</Name></Report></Reports></ReportsResponse>",
                      &l),
              0);
    CHECK_STR(l.next_url, "https://h/api/accounts/1/reports?page=2&size=30");
    bw_model_report_list_free(&l);
}

static void test_reports_bad(void)
{
    struct bw_report_list l;

    CHECK_INT(reports("", &l), -EBADMSG);
    CHECK_INT(reports("not xml at all", &l), -EBADMSG);
    CHECK_INT(reports("<ReportsResponse><Reports><Report><Id>1</Id><Na", &l), -EBADMSG);
    CHECK_INT(reports("<a></b>", &l), -EBADMSG);
    CHECK_INT(l.n, 0);
    /* DTDs and entities are refused outright (no expansion, no network) */
    CHECK_INT(reports("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaa\">"
                      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                      "<r><Report><Id>1</Id><Name>&b;</Name></Report></r>",
                      &l),
              -EBADMSG);
    CHECK_INT(reports("<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/evil.dtd\"><r/>", &l), -EBADMSG);
    CHECK_INT(reports("<r><Report><Id>1</Id><Name>&undefined;</Name></Report></r>", &l), -EBADMSG);

    /* oversized: refused before parsing */
    size_t big = BW_XML_MAX_BODY + 1;
    char *buf = malloc(big);
    CHECK(buf != NULL);
    if (buf) {
        memset(buf, ' ', big);
        memcpy(buf, "<r>", 3);
        memcpy(buf + big - 4, "</r>", 4);
        memset(&l, 0, sizeof l);
        CHECK_INT(bw_xml_parse_reports(buf, big, &l), -EFBIG);
        struct bw_api_error e;
        CHECK_INT(bw_xml_parse_error(buf, big, &e), -EFBIG);
        CHECK_INT(e.found, 0);
        free(buf);
    }

    /* too many reports */
    size_t n = BW_MODEL_MAX_REPORTS + 1, cap = 64 + n * 64, len = 0;
    buf = malloc(cap);
    if (buf) {
        len += (size_t)snprintf(buf + len, cap - len, "<r>");
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(buf + len, cap - len, "<Report><Id>%zu</Id><Name>n</Name></Report>", i);
        len += (size_t)snprintf(buf + len, cap - len, "</r>");
        memset(&l, 0, sizeof l);
        CHECK_INT(bw_xml_parse_reports(buf, len, &l), -E2BIG);
        CHECK_INT(l.n, 0);
        free(buf);
    }
}

static struct bw_api_error err(const char *doc, int want_rc)
{
    struct bw_api_error e;
    CHECK_INT(bw_xml_parse_error(doc, strlen(doc), &e), want_rc);
    return e;
}

static void test_errors(void)
{
    struct bw_api_error e;

    e = err("<ReportInstanceResponse><ResponseStatus><ErrorCode>19019</ErrorCode>"
            "<Description>No report instance found with id 5</Description></ResponseStatus>"
            "</ReportInstanceResponse>",
            0);
    CHECK_INT(e.found, 1);
    CHECK_INT(e.code, 19019);
    CHECK_STR(e.description, "No report instance found with id 5");

    e = err("<BillingReportsResponse><ResponseStatus><ErrorCode>1001</ErrorCode>"
            "<Description>Access Denied</Description></ResponseStatus></BillingReportsResponse>",
            0);
    CHECK_INT(e.code, 1001);
    CHECK_STR(e.description, "Access Denied");

    e = err("<Error><Code>15501</Code><Description>Bad date range</Description></Error>", 0);
    CHECK_INT(e.found, 1);
    CHECK_INT(e.code, 15501);
    CHECK_STR(e.description, "Bad date range");

    e = err("<SomeResponse><Errors><Error><Code>19030</Code><Description>Bad OutputFormat"
            "</Description></Error><Error><Code>19032</Code><Description>second</Description>"
            "</Error></Errors></SomeResponse>",
            0);
    CHECK_INT(e.code, 19030);
    CHECK_STR(e.description, "Bad OutputFormat");

    e = err("<Response><resultCode>12</resultCode><resultMessage>Something broke</resultMessage>"
            "</Response>",
            0);
    CHECK_INT(e.code, 12);
    CHECK_STR(e.description, "Something broke");

    /* ErrorCode without Description; non-numeric code; control characters */
    e = err("<R><ResponseStatus><ErrorCode>42</ErrorCode></ResponseStatus></R>", 0);
    CHECK_INT(e.code, 42);
    CHECK_STR(e.description, "");
    e = err("<R><ResponseStatus><ErrorCode>abc</ErrorCode><Description>a\nb</Description>"
            "</ResponseStatus></R>",
            0);
    CHECK_INT(e.found, 1);
    CHECK_INT(e.code, 0);
    CHECK_STR(e.description, "a b");

    /* long descriptions are cut */
    char doc[4096];
    char desc[2000];
    memset(desc, 'd', sizeof desc - 1);
    desc[sizeof desc - 1] = '\0';
    snprintf(doc, sizeof doc, "<R><ResponseStatus><ErrorCode>1</ErrorCode><Description>%s"
             "</Description></ResponseStatus></R>", desc);
    e = err(doc, 0);
    CHECK_INT(strlen(e.description), BW_MODEL_DESC_MAX - 1);

    /* no envelope, empty, malformed */
    e = err("<ReportsResponse><Reports/></ReportsResponse>", 0);
    CHECK_INT(e.found, 0);
    e = err("<R><ResponseStatus><Description>ok</Description></ResponseStatus></R>", 0);
    CHECK_INT(e.found, 0);
    e = err("", 0);
    CHECK_INT(e.found, 0);
    e = err("<R><ResponseStatus><ErrorCode>19019</Error", -EBADMSG);
    CHECK_INT(e.found, 0);
    e = err("<html><body>502 Bad Gateway</body>", -EBADMSG);
    CHECK_INT(e.found, 0);
}

int main(void)
{
    bw_xml_init();
    test_reports();
    test_reports_bad();
    test_errors();
    bw_xml_cleanup();
    return check_done("test_xml");
}
