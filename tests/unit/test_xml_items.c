/* test_xml_items: report details, instances and billing reports decoded from
 * the shapes the API (and bwsim) sends, and from hostile input (xml.h). */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "log.h"
#include "xml.h"

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"

/* GET /reports/14 as bwsim answers it (trimmed to two parameters + formats). */
static const char detail_doc[] =
    DECL "<ReportResponse>\n"
    "    <Report>\n"
    "        <Id>14</Id>\n"
    "        <Name>Port-in Orders</Name>\n"
    "        <Description>Phone number details for historic or current port-in orders</Description>\n"
    "        <Parameters>\n"
    "            <Parameter>\n"
    "                <Name>AccountId</Name>\n"
    "                <Type>Account ID</Type>\n"
    "                <Required>true</Required>\n"
    "                <Description>Account the report covers</Description>\n"
    "                <MultiSelectAllowed>false</MultiSelectAllowed>\n"
    "                <HelpInformation>The numeric id of the account.</HelpInformation>\n"
    "            </Parameter>\n"
    "            <Parameter>\n"
    "                <Name>OrderStatus</Name>\n"
    "                <Type>Enum</Type>\n"
    "                <Required>false</Required>\n"
    "                <Description>Order statuses to include</Description>\n"
    "                <MultiSelectAllowed>TRUE</MultiSelectAllowed>\n"
    "                <HelpInformation>Choose one or more values of OrderStatus.</HelpInformation>\n"
    "                <ValueFilter>COMPLETE; PARTIAL;;FAILED;</ValueFilter>\n"
    "                <Values>\n"
    "                    <Value><InternalName>COMPLETE</InternalName><DisplayName>Complete</DisplayName></Value>\n"
    "                    <Value><InternalName>PARTIAL</InternalName></Value>\n"
    "                    <Value><DisplayName>No internal name: dropped</DisplayName></Value>\n"
    "                    <Unknown/>\n"
    "                </Values>\n"
    "                <RecommendedValue>COMPLETE</RecommendedValue>\n"
    "                <SomethingNew>ignored</SomethingNew>\n"
    "            </Parameter>\n"
    "            <Parameter><Type>String</Type></Parameter>\n"
    "        </Parameters>\n"
    "        <OutputFormats>\n"
    "            <OutputFormat>csv</OutputFormat>\n"
    "            <OutputFormat>pdf</OutputFormat>\n"
    "            <OutputFormat> </OutputFormat>\n"
    "            <OutputFormat>xlsx</OutputFormat>\n"
    "        </OutputFormats>\n"
    "    </Report>\n"
    "</ReportResponse>\n";

static int detail(const char *doc, struct bw_report_detail *d)
{
    memset(d, 0, sizeof *d);
    return bw_xml_parse_report_detail(doc, strlen(doc), d);
}

static void test_detail(void)
{
    struct bw_report_detail d;

    CHECK_INT(detail(detail_doc, &d), 0);
    CHECK_STR(d.id, "14");
    CHECK_STR(d.name, "Port-in Orders");
    CHECK_STR(d.description, "Phone number details for historic or current port-in orders");
    CHECK_INT(d.n_formats, 3);
    if (d.n_formats == 3) {
        CHECK_STR(d.formats[0], "csv");
        CHECK_STR(d.formats[2], "xlsx");
    }
    CHECK_INT(d.n_params, 2); /* the nameless one is dropped */
    if (d.n_params == 2) {
        struct bw_report_param *a = &d.params[0], *e = &d.params[1];
        CHECK_STR(a->name, "AccountId");
        CHECK_STR(a->type, "Account ID");
        CHECK_INT(a->required, 1);
        CHECK_INT(a->multi, 0);
        CHECK_STR(a->help, "The numeric id of the account.");
        CHECK_STR(a->recommended, "");
        CHECK_INT(a->n_filter, 0);
        CHECK_INT(a->n_values, 0);
        CHECK_STR(e->name, "OrderStatus");
        CHECK_STR(e->type, "Enum");
        CHECK_INT(e->required, 0);
        CHECK_INT(e->multi, 1);
        CHECK_INT(e->n_filter, 3);
        if (e->n_filter == 3) {
            CHECK_STR(e->filter[0], "COMPLETE");
            CHECK_STR(e->filter[1], "PARTIAL");
            CHECK_STR(e->filter[2], "FAILED");
        }
        CHECK_INT(e->n_values, 2);
        if (e->n_values == 2) {
            CHECK_STR(e->values[0].internal_name, "COMPLETE");
            CHECK_STR(e->values[0].display_name, "Complete");
            CHECK_STR(e->values[1].internal_name, "PARTIAL");
            CHECK_STR(e->values[1].display_name, "");
        }
        CHECK_STR(e->recommended, "COMPLETE");
    }
    bw_model_report_detail_free(&d);
    CHECK(d.params == NULL);

    /* the other root name seen in the wild; no parameters, no formats */
    CHECK_INT(detail("<ReportsResponse><Report><Id>2</Id><Name>Full</Name></Report></ReportsResponse>",
                     &d),
              0);
    CHECK_INT(d.n_params, 0);
    CHECK_INT(d.n_formats, 0);
    CHECK_STR(d.description, "");
    bw_model_report_detail_free(&d);

    /* unusable */
    CHECK_INT(detail("<ReportResponse/>", &d), -EBADMSG);
    CHECK_INT(detail("<ReportResponse><Report><Id>../x</Id><Name>n</Name></Report></ReportResponse>", &d),
              -EBADMSG);
    CHECK_INT(detail("<ReportResponse><Report><Id>1</Id></Report></ReportResponse>", &d), -EBADMSG);
    CHECK(d.id == NULL && d.params == NULL);
    CHECK_INT(detail("<ReportResponse><Report><Id>1</Id><Name>x</Name><Parameters><Parameter>", &d),
              -EBADMSG);

    /* too many parameters / values */
    size_t cap = 64 + (BW_MODEL_MAX_PARAMS + 1) * 64, len = 0;
    char *buf = malloc(cap);
    len += (size_t)snprintf(buf + len, cap - len, "<R><Report><Id>1</Id><Name>x</Name><Parameters>");
    for (int i = 0; i <= BW_MODEL_MAX_PARAMS; i++)
        len += (size_t)snprintf(buf + len, cap - len, "<Parameter><Name>p%d</Name></Parameter>", i);
    snprintf(buf + len, cap - len, "</Parameters></Report></R>");
    CHECK_INT(detail(buf, &d), -E2BIG);
    CHECK(d.params == NULL);
    free(buf);
    cap = 128 + (BW_MODEL_MAX_VALUES + 1) * 4;
    buf = malloc(cap);
    len = (size_t)snprintf(buf, cap, "<R><Report><Id>1</Id><Name>x</Name><Parameters><Parameter>"
                                     "<Name>p</Name><ValueFilter>");
    for (int i = 0; i <= BW_MODEL_MAX_VALUES; i++)
        len += (size_t)snprintf(buf + len, cap - len, "a;");
    snprintf(buf + len, cap - len, "</ValueFilter></Parameter></Parameters></Report></R>");
    CHECK_INT(detail(buf, &d), -E2BIG);
    free(buf);
}

/* GET /reports/instances as bwsim answers it: Ready, Expired, Error, multi values. */
static const char list_doc[] =
    DECL "<ReportInstancesResponse>\n"
    "    <Links><first>Link=&lt;http://h/api/accounts/1/reports/instances?page=1&gt;;rel=\"first\";</first>"
    "<next>Link=&lt;http://h/api/accounts/1/reports/instances?page=2&amp;size=2&gt;;rel=\"next\";</next></Links>\n"
    "    <Instances>\n"
    "        <Instance>\n"
    "            <Id>100001</Id>\n"
    "            <ReportId>4</ReportId>\n"
    "            <ReportName>Phone Number Inventory</ReportName>\n"
    "            <OutputFormat>csv</OutputFormat>\n"
    "            <RequestedByUserName>ops-admin</RequestedByUserName>\n"
    "            <RequestedAt>2026-12-3 09:05:12</RequestedAt>\n"
    "            <Parameters>\n"
    "                <Parameter>\n"
    "                    <Name>AccountId</Name>\n"
    "                    <Value>9900001</Value>\n"
    "                </Parameter>\n"
    "                <Parameter><Name>OrderStatus</Name><Value>COMPLETE</Value><Value>FAILED</Value></Parameter>\n"
    "                <Parameter><Name>OrderStatus</Name><Values><Value>PARTIAL</Value></Values></Parameter>\n"
    "                <Parameter><Value>nameless</Value></Parameter>\n"
    "            </Parameters>\n"
    "            <Status>Ready</Status>\n"
    "            <ExpiresAt>2027-01-02</ExpiresAt>\n"
    "            <CompletedAt>2026-12-3 09:08:12</CompletedAt>\n"
    "            <NewField>tolerated</NewField>\n"
    "        </Instance>\n"
    "        <Instance>\n"
    "            <Id>100005</Id>\n"
    "            <ReportId>30</ReportId>\n"
    "            <ReportName>Disconnected Phone Numbers</ReportName>\n"
    "            <OutputFormat>pdf</OutputFormat>\n"
    "            <RequestedAt>bogus</RequestedAt>\n"
    "            <Status>Expired</Status>\n"
    "        </Instance>\n"
    "        <Instance><Id>../../etc/passwd</Id><Status>Ready</Status></Instance>\n"
    "        <Instance><Status>Ready</Status></Instance>\n"
    "        <Instance>\n"
    "            <Id>100007</Id>\n"
    "            <ReportId>6</ReportId>\n"
    "            <Status>Error</Status>\n"
    "            <Description>old-style description</Description>\n"
    "            <ErrorDetails>\n"
    "                <Code>19050</Code>\n"
    "                <Message>Report generation failed: the data source did not answer</Message>\n"
    "            </ErrorDetails>\n"
    "        </Instance>\n"
    "    </Instances>\n"
    "</ReportInstancesResponse>\n";

static int starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int instances(const char *doc, struct bw_instance_list *l)
{
    memset(l, 0, sizeof *l);
    return bw_xml_parse_instances(doc, strlen(doc), l);
}

static void test_instances(void)
{
    struct bw_instance_list l;

    CHECK_INT(instances(list_doc, &l), 0);
    CHECK_INT(l.n, 3);
    CHECK_STR(l.next_url, "http://h/api/accounts/1/reports/instances?page=2&size=2");
    if (l.n == 3) {
        struct bw_instance *a = &l.items[0], *b = &l.items[1], *c = &l.items[2];
        CHECK_STR(a->id, "100001");
        CHECK_STR(a->report_id, "4");
        CHECK_STR(a->report_name, "Phone Number Inventory");
        CHECK_STR(a->output_format, "csv");
        CHECK_STR(a->requested_by, "ops-admin");
        CHECK_STR(a->requested_at, "2026-12-3 09:05:12");
        CHECK_INT(a->requested_at_t, 1796288712LL);
        CHECK_STR(a->status, "Ready");
        CHECK_STR(a->expires_at, "2027-01-02");
        CHECK_INT(a->expires_at_t, 1798848000LL);
        CHECK_STR(a->completed_at, "2026-12-3 09:08:12");
        CHECK_INT(a->completed_at_t, 1796288892LL);
        CHECK_INT(a->error_code, 0);
        CHECK_STR(a->error_message, "");
        CHECK_INT(a->n_params, 2);
        if (a->n_params == 2) {
            CHECK_STR(a->params[0].name, "AccountId");
            CHECK_INT(a->params[0].n_values, 1);
            CHECK_STR(a->params[0].values[0], "9900001");
            CHECK_STR(a->params[1].name, "OrderStatus");
            CHECK_INT(a->params[1].n_values, 3); /* merged, document order */
            if (a->params[1].n_values == 3) {
                CHECK_STR(a->params[1].values[0], "COMPLETE");
                CHECK_STR(a->params[1].values[1], "FAILED");
                CHECK_STR(a->params[1].values[2], "PARTIAL");
            }
        }
        /* info.xml: the element as sent, with a declaration */
        CHECK(starts(a->xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Instance>\n"
                             "            <Id>100001</Id>\n"));
        CHECK(strstr(a->xml, "<NewField>tolerated</NewField>\n        </Instance>\n") != NULL);
        CHECK_INT(a->xml_len, strlen(a->xml));
        CHECK(strstr(a->xml, "100005") == NULL);

        CHECK_STR(b->id, "100005");
        CHECK_STR(b->status, "Expired");
        CHECK_STR(b->expires_at, "");
        CHECK(b->expires_at_t == BW_MODEL_NO_TIME);
        CHECK_STR(b->requested_at, "bogus");
        CHECK(b->requested_at_t == BW_MODEL_NO_TIME);
        CHECK_STR(b->requested_by, "");
        CHECK_INT(b->n_params, 0);

        CHECK_STR(c->id, "100007");
        CHECK_STR(c->status, "Error");
        CHECK_INT(c->error_code, 19050);
        CHECK_STR(c->error_message, "Report generation failed: the data source did not answer");
        CHECK_STR(c->description, "old-style description");
    }
    bw_model_instance_list_free(&l);

    /* an empty list, a namespaced one, a bad ReportId */
    CHECK_INT(instances(DECL "<ReportInstancesResponse><Instances/></ReportInstancesResponse>", &l), 0);
    CHECK_INT(l.n, 0);
    CHECK(l.next_url == NULL);
    bw_model_instance_list_free(&l);
    CHECK_INT(instances("<n:R xmlns:n=\"urn:bw\"><n:Instances><n:Instance><n:Id>7</n:Id>"
                        "<n:ReportId>a/b</n:ReportId><n:Status>Ready</n:Status></n:Instance>"
                        "</n:Instances></n:R>",
                        &l),
              0);
    CHECK_INT(l.n, 1);
    if (l.n == 1) {
        CHECK_STR(l.items[0].id, "7");
        CHECK_STR(l.items[0].report_id, "");
        CHECK_STR(l.items[0].status, "Ready");
        /* the copied element declares the namespace it uses */
        CHECK(strstr(l.items[0].xml, "<n:Instance xmlns:n=\"urn:bw\">") != NULL);
    }
    bw_model_instance_list_free(&l);

    /* single instance */
    struct bw_instance in;
    const char *one = DECL "<ReportInstanceResponse>\n    <Instance>\n        <Id>100001</Id>\n"
                           "        <Status>Processing</Status>\n    </Instance>\n"
                           "</ReportInstanceResponse>\n";
    CHECK_INT(bw_xml_parse_instance(one, strlen(one), &in), 0);
    CHECK_STR(in.id, "100001");
    CHECK_STR(in.status, "Processing");
    CHECK_STR(in.xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Instance>\n        <Id>100001</Id>\n"
                      "        <Status>Processing</Status>\n    </Instance>\n");
    bw_model_instance_free(&in);
    const char *none = "<ReportInstanceResponse><Instance><Id>.</Id></Instance></ReportInstanceResponse>";
    CHECK_INT(bw_xml_parse_instance(none, strlen(none), &in), -EBADMSG);
    CHECK(in.id == NULL);
    const char *err = "<ReportInstanceResponse><ResponseStatus><ErrorCode>19019</ErrorCode>"
                      "</ResponseStatus></ReportInstanceResponse>";
    CHECK_INT(bw_xml_parse_instance(err, strlen(err), &in), -EBADMSG);
    CHECK_INT(bw_xml_parse_instance("", 0, &in), -EBADMSG);
    CHECK_INT(bw_xml_parse_instance("<I><Instance><Id>1</Id>", 23, &in), -EBADMSG);
}

static void test_instances_hostile(void)
{
    struct bw_instance_list l;

    /* DTD / entities refused; oversized refused before parsing */
    CHECK_INT(instances("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                        "<x><Instance><Id>1</Id><Status>&e;</Status></Instance></x>",
                        &l),
              -EBADMSG);
    CHECK_INT(l.n, 0);
    char *big = malloc(BW_XML_MAX_BODY + 16);
    memset(big, ' ', BW_XML_MAX_BODY + 16);
    memcpy(big, "<x>", 3);
    memcpy(big + BW_XML_MAX_BODY + 12, "</x>", 4);
    memset(&l, 0, sizeof l);
    CHECK_INT(bw_xml_parse_instances(big, BW_XML_MAX_BODY + 16, &l), -EFBIG);
    free(big);

    /* an element too big to keep as info.xml is skipped, not fatal */
    size_t cap = BW_MODEL_XML_MAX + 4096;
    big = malloc(cap);
    int n = snprintf(big, cap, "<x><Instance><Id>1</Id><Pad>");
    memset(big + n, 'p', BW_MODEL_XML_MAX);
    snprintf(big + n + BW_MODEL_XML_MAX, cap - (size_t)n - BW_MODEL_XML_MAX,
             "</Pad></Instance><Instance><Id>2</Id></Instance></x>");
    CHECK_INT(instances(big, &l), 0);
    CHECK_INT(l.n, 1);
    if (l.n == 1)
        CHECK_STR(l.items[0].id, "2");
    bw_model_instance_list_free(&l);
    free(big);

    /* too many instances */
    size_t count = BW_MODEL_MAX_INSTANCES + 1, len = 0;
    cap = 32 + count * 40;
    big = malloc(cap);
    len += (size_t)snprintf(big + len, cap - len, "<x>");
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(big + len, cap - len, "<Instance><Id>%zu</Id></Instance>", i + 1);
    snprintf(big + len, cap - len, "</x>");
    CHECK_INT(instances(big, &l), -E2BIG);
    CHECK_INT(l.n, 0);
    CHECK(l.items == NULL);
    free(big);

    /* characters XML forbids are malformed; allowed control characters
     * become spaces; long ids are refused */
    CHECK_INT(instances("<x><Instance><Id>9</Id><Status>Re&#x1b;[31mady</Status></Instance></x>", &l),
              -EBADMSG);
    CHECK_INT(instances("<x><Instance><Id>9</Id><Status>Re\t[31mady\n</Status>"
                        "<ReportName><![CDATA[a<b>]]></ReportName></Instance>"
                        "<Instance><Id>12345678901234567890123456789012345678901234567890123456789012345</Id>"
                        "</Instance></x>",
                        &l),
              0);
    CHECK_INT(l.n, 1);
    if (l.n == 1) {
        CHECK_STR(l.items[0].status, "Re [31mady");
        CHECK_STR(l.items[0].report_name, "a<b>");
    }
    bw_model_instance_list_free(&l);
}

static const char billing_doc[] =
    DECL "<BillingReportsRetrievalResponse>\n"
    "    <BillingReportList>\n"
    "        <BillingReport>\n"
    "            <BillingReportId>04d7b250-3b6d-44a2-b23d-a074f0cdc93e</BillingReportId>\n"
    "            <BillingReportKind>DIDSNAP</BillingReportKind>\n"
    "            <UserId>demo</UserId>\n"
    "            <ReportStatus>COMPLETED</ReportStatus>\n"
    "            <Description>The report archive is constructed.</Description>\n"
    "            <CreatedDate>2026-12-01T03:12:05.000Z</CreatedDate>\n"
    "            <DateRange>\n"
    "                <StartDate>2026-11-01</StartDate>\n"
    "                <EndDate>2026-11-30</EndDate>\n"
    "            </DateRange>\n"
    "        </BillingReport>\n"
    "        <BillingReport><BillingReportId>not/a/uuid</BillingReportId></BillingReport>\n"
    "        <BillingReport>\n"
    "            <BillingReportId>cf4d4b08-437e-43d9-b8ea-2ab506f1d4a1</BillingReportId>\n"
    "            <BillingReportKind>DIDSNAP_MSG</BillingReportKind>\n"
    "            <ReportStatus>PROCESSING</ReportStatus>\n"
    "        </BillingReport>\n"
    "    </BillingReportList>\n"
    "</BillingReportsRetrievalResponse>\n";

static void test_billing(void)
{
    struct bw_billing_list l = {0};

    CHECK_INT(bw_xml_parse_billing_list(billing_doc, strlen(billing_doc), &l), 0);
    CHECK_INT(l.n, 2);
    if (l.n == 2) {
        struct bw_billing *a = &l.items[0], *b = &l.items[1];
        CHECK_STR(a->id, "04d7b250-3b6d-44a2-b23d-a074f0cdc93e");
        CHECK_STR(a->kind, "DIDSNAP");
        CHECK_STR(a->user_id, "demo");
        CHECK_STR(a->status, "COMPLETED");
        CHECK_STR(a->description, "The report archive is constructed.");
        CHECK_STR(a->created, "2026-12-01T03:12:05.000Z");
        CHECK_INT(a->created_t, 1796094725LL);
        CHECK_STR(a->start, "2026-11-01");
        CHECK_STR(a->end, "2026-11-30");
        CHECK(starts(a->xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BillingReport>\n"));
        CHECK(strstr(a->xml, "</DateRange>\n        </BillingReport>\n") != NULL);
        CHECK_STR(b->kind, "DIDSNAP_MSG");
        CHECK_STR(b->status, "PROCESSING");
        CHECK_STR(b->created, "");
        CHECK(b->created_t == BW_MODEL_NO_TIME);
        CHECK_STR(b->start, "");
    }
    bw_model_billing_list_free(&l);
    CHECK_INT(bw_xml_parse_billing_list("<BillingReportsRetrievalResponse/>", 34, &l), 0);
    CHECK_INT(l.n, 0);
    CHECK_INT(bw_xml_parse_billing_list("<a><BillingReport>", 18, &l), -EBADMSG);

    /* the status answer */
    struct bw_billing b;
    const char *st = DECL "<BillingReportRetrievalResponse>\n"
                          "    <ReportStatus>PROCESSING</ReportStatus>\n"
                          "    <Description>The report is being built.</Description>\n"
                          "</BillingReportRetrievalResponse>\n";
    CHECK_INT(bw_xml_parse_billing_status(st, strlen(st), &b), 0);
    CHECK_STR(b.status, "PROCESSING");
    CHECK_STR(b.description, "The report is being built.");
    CHECK_STR(b.id, "");
    CHECK_STR(b.kind, "");
    CHECK(strstr(b.xml, "<BillingReportRetrievalResponse>\n    <ReportStatus>PROCESSING") != NULL);
    bw_model_billing_free(&b);
    const char *wrapped = "<R><Wrapper><ReportStatus> COMPLETE </ReportStatus></Wrapper></R>";
    CHECK_INT(bw_xml_parse_billing_status(wrapped, strlen(wrapped), &b), 0);
    CHECK_STR(b.status, "COMPLETE");
    bw_model_billing_free(&b);
    const char *nostatus = "<BillingReportRetrievalResponse><Description>x</Description>"
                           "</BillingReportRetrievalResponse>";
    CHECK_INT(bw_xml_parse_billing_status(nostatus, strlen(nostatus), &b), -EBADMSG);
    CHECK(b.status == NULL);
    const char *empty = "<R><ReportStatus/></R>";
    CHECK_INT(bw_xml_parse_billing_status(empty, strlen(empty), &b), -EBADMSG);
}

int main(void)
{
    bw_log_init(BW_LOG_STDERR, BW_LOG_ERR);
    bw_xml_init();
    test_detail();
    test_instances();
    test_instances_hostile();
    test_billing();
    bw_xml_cleanup();
    return check_done("test_xml_items");
}
