/* test_request: the request codec (request.h): both written forms, every
 * check against a report type, the XML it writes (re-read with libxml2),
 * billing requests, duplicate detection, dates, hostile input and threads. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "check.h"
#include "render.h"
#include "request.h"
#include "xml.h"

/* A modifiable string (model structs hold char *; literals are const under -Wwrite-strings). */
#define S(x) ((char[]){x})
#define PARSE(text, r, err) bw_request_parse(text, strlen(text), r, err, sizeof err)

/* 2026-12-04 12:00:00 UTC */
static time_t now_utc(void)
{
    struct tm tm = {.tm_year = 126, .tm_mon = 11, .tm_mday = 4, .tm_hour = 12};
    return timegm(&tm);
}

/* A report type shaped like bwsim's Port-in Orders, plus one of each type. */
static struct bw_param_value order_values[] = {
    {S("COMPLETE"), S("Complete")}, {S("PARTIAL"), S("Partial")}, {S("FAILED"), S("Failed")}};
static struct bw_param_value tn_values[] = {{S("Inservice"), S("In Service")},
                                            {S("PortedOut"), S("Ported Out")}};
static char *kind_filter[] = {S("ALL"), S("SOME")};
static struct bw_report_param type_params[] = {
    {.name = S("AccountId"),
     .type = S("Account ID"),
     .description = S(""),
     .help = S(""),
     .recommended = S(""),
     .required = 1},
    {.name = S("StartDate"),
     .type = S("Date"),
     .description = S("First day"),
     .help = S(""),
     .recommended = S(""),
     .required = 1},
    {.name = S("EndDate"),
     .type = S("Date"),
     .description = S(""),
     .help = S(""),
     .recommended = S("")},
    {.name = S("OrderStatus"),
     .type = S("Enum"),
     .description = S(""),
     .help = S(""),
     .recommended = S(""),
     .multi = 1,
     .values = order_values,
     .n_values = 3},
    {.name = S("TnStatus"),
     .type = S("Enum"),
     .description = S(""),
     .help = S(""),
     .recommended = S("Inservice"),
     .values = tn_values,
     .n_values = 2},
    {.name = S("Kind"),
     .type = S("Enum"),
     .description = S(""),
     .help = S(""),
     .recommended = S(""),
     .filter = kind_filter,
     .n_filter = 2},
    {.name = S("Free"),
     .type = S("Enum"),
     .description = S(""),
     .help = S(""),
     .recommended = S("")},
    {.name = S("IncludeDisconnected"),
     .type = S("Boolean"),
     .description = S(""),
     .help = S(""),
     .recommended = S("")},
    {.name = S("MaxRows"),
     .type = S("Integer"),
     .description = S(""),
     .help = S(""),
     .recommended = S("")},
    {.name = S("SiteId"),
     .type = S("Site ID"),
     .description = S(""),
     .help = S(""),
     .recommended = S("")},
    {.name = S("Start Date"),
     .type = S("String"),
     .description = S(""),
     .help = S(""),
     .recommended = S("")},
};
static char *type_formats[] = {S("csv"), S("pdf"), S("xlsx")};
static struct bw_report_detail type14 = {.id = S("14"),
                                         .name = S("Port-in Orders"),
                                         .description = S(""),
                                         .formats = type_formats,
                                         .n_formats = 3,
                                         .params = type_params,
                                         .n_params = 11};

static const char *value_of(const struct bw_request *r, const char *name, size_t i)
{
    for (size_t k = 0; k < r->n_params; k++)
        if (strcmp(r->params[k].name, name) == 0)
            return i < r->params[k].n_values ? r->params[k].values[i] : NULL;
    return NULL;
}

static size_t count_of(const struct bw_request *r, const char *name)
{
    for (size_t k = 0; k < r->n_params; k++)
        if (strcmp(r->params[k].name, name) == 0)
            return r->params[k].n_values;
    return 0;
}

static void test_lines(void)
{
    struct bw_request r;
    char err[256];
    const char *text = "\xEF\xBB\xBF# a comment\r\n"
                       "\n"
                       "   outputformat\t=  csv  \r\n"
                       "Start Date = 2026-11-01\n"
                       "OrderStatus = COMPLETE\n"
                       "  # indented comment = not a value\n"
                       "OrderStatus=PARTIAL\n"
                       "Filter = a=b # not a comment\n"
                       "EndDate = \n"
                       "EXPIRESAT = 2026-12-10\n"
                       "Name with ünïcode = €uro\tand tab"; /* no final newline */
    CHECK_INT(PARSE(text, &r, err), 0);
    CHECK_STR(r.output_format, "csv");
    CHECK_STR(r.expires_at, "2026-12-10");
    CHECK_INT(r.n_params, 4);
    CHECK_STR(value_of(&r, "Start Date", 0), "2026-11-01");
    CHECK_INT(count_of(&r, "OrderStatus"), 2);
    CHECK_STR(value_of(&r, "OrderStatus", 1), "PARTIAL");
    CHECK_STR(value_of(&r, "Filter", 0), "a=b # not a comment");
    CHECK_INT(count_of(&r, "EndDate"), 0); /* `Name =` is "not given" */
    CHECK_STR(value_of(&r, "Name with ünïcode", 0), "€uro\tand tab");
    bw_request_free(&r);
    bw_request_free(&r); /* twice is harmless */

    /* empty, blank and comment-only inputs are empty requests */
    CHECK_INT(bw_request_parse("", 0, &r, err, sizeof err), 0);
    CHECK(!r.output_format && !r.expires_at && r.n_params == 0);
    CHECK_INT(bw_request_parse(NULL, 0, &r, err, sizeof err), 0);
    CHECK_INT(PARSE("\n\n# only\n   \n", &r, err), 0);
    CHECK_INT(r.n_params, 0);
    /* the same single value twice is not a conflict */
    CHECK_INT(PARSE("OutputFormat = csv\nOutputFormat = csv\n", &r, err), 0);
    bw_request_free(&r);
}

static void test_line_errors(void)
{
    struct bw_request r;
    char err[256];

    CHECK_INT(PARSE("# c\nA = 1\nthis line has no equals\n", &r, err), -EINVAL);
    CHECK_STR(err, "line 3 has no '=' (write `Name = value`)");
    CHECK(r.n_params == 0 && r.params == NULL); /* left empty on error */
    CHECK_INT(PARSE("  = 5\n", &r, err), -EINVAL);
    CHECK_STR(err, "line 1 has no name before '='");
    CHECK_INT(bw_request_parse("A = 1\nB = \0x\n", 13, &r, err, sizeof err), -EINVAL);
    CHECK_STR(err, "line 2 contains a NUL byte (a request is text)");
    CHECK_INT(PARSE("A = \xC3\x28\n", &r, err), -EINVAL); /* invalid UTF-8 */
    CHECK(strstr(err, "line 1 is not plain text") != NULL);
    CHECK_INT(PARSE("A = \xC0\xAF\n", &r, err), -EINVAL);         /* overlong '/' */
    CHECK_INT(PARSE("A = \xED\xA0\x80\n", &r, err), -EINVAL);     /* surrogate */
    CHECK_INT(PARSE("A = \xEF\xBF\xBF\n", &r, err), -EINVAL);     /* U+FFFF */
    CHECK_INT(PARSE("A = \xF4\x90\x80\x80\n", &r, err), -EINVAL); /* > U+10FFFF */
    CHECK_INT(PARSE("A = \xE2\x82\n", &r, err), -EINVAL);         /* truncated */
    CHECK_INT(PARSE("A = x\x01y\n", &r, err), -EINVAL);
    CHECK_INT(PARSE("A = x\ry\n", &r, err), -EINVAL);
    CHECK_INT(PARSE("OutputFormat = csv\noutputformat = pdf\n", &r, err), -EINVAL);
    CHECK_STR(err, "line 2: OutputFormat is given twice (\"csv\", then \"pdf\")");
    CHECK_INT(PARSE("ExpiresAt = 2026-12-10\nExpiresAt = 2026-12-11\n", &r, err), -EINVAL);

    /* a name or value over the model's text cap */
    char *big = malloc(BW_MODEL_TEXT_MAX + 16);
    memset(big, 'x', BW_MODEL_TEXT_MAX + 15);
    memcpy(big, "A = ", 4);
    big[BW_MODEL_TEXT_MAX + 15] = '\0';
    CHECK_INT(PARSE(big, &r, err), -EINVAL);
    CHECK(strstr(err, "line 1 is too long") != NULL);
    free(big);

    /* over 64 KiB: EFBIG, whatever the content */
    size_t n = BW_REQUEST_MAX + 1;
    char *huge = malloc(n);
    memset(huge, '#', n);
    CHECK_INT(bw_request_parse(huge, n, &r, err, sizeof err), -EFBIG);
    CHECK_STR(err, "the request is larger than 64 KiB");
    CHECK_INT(bw_request_parse(huge, n - 1, &r, err, sizeof err), 0); /* exactly 64 KiB */
    free(huge);

    /* too many parameters */
    char *many = malloc(BW_REQUEST_MAX);
    size_t len = 0;
    for (int i = 0; i <= BW_MODEL_MAX_PARAMS; i++)
        len += (size_t)sprintf(many + len, "P%d = v\n", i);
    CHECK_INT(bw_request_parse(many, len, &r, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "too many parameters") != NULL);
    CHECK_INT(r.n_params, 0);
    free(many);

    /* no err buffer at all */
    CHECK_INT(bw_request_parse("x", 1, &r, NULL, 0), -EINVAL);
}

static void test_xml(void)
{
    struct bw_request r;
    char err[256];
    const char *doc =
        "\xEF\xBB\xBF  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Instance xmlns=\"urn:x\">\n"
        "  <OutputFormat> pdf </OutputFormat>\n"
        "  <Parameters>\n"
        "    <Parameter><Name>Account</Name><Value>1</Value></Parameter>\n"
        "    <Parameter><Name>MultiValueEnum</Name><Value>value1</Value>\n"
        "      <Value>value2</Value><Value>  </Value></Parameter>\n"
        "    <Parameter><Name>Wrapped</Name><Values><Value>w</Value></Values></Parameter>\n"
        "    <Parameter><Name>Esc &amp; &lt;it&gt;</Name><Value><![CDATA[a<b]]>&#233;</Value>"
        "</Parameter>\n"
        "    <Parameter><Name>Unset</Name></Parameter>\n"
        "    <Other>ignored</Other>\n"
        "  </Parameters>\n"
        "  <ExpiresAt>2020-11-25</ExpiresAt>\n"
        "  <!-- the date (not longer than 30 days in the future) -->\n"
        "</Instance>\n";
    CHECK_INT(PARSE(doc, &r, err), 0);
    CHECK_STR(r.output_format, "pdf");
    CHECK_STR(r.expires_at, "2020-11-25");
    CHECK_INT(r.n_params, 4);
    CHECK_STR(value_of(&r, "Account", 0), "1");
    CHECK_INT(count_of(&r, "MultiValueEnum"), 2);
    CHECK_STR(value_of(&r, "Wrapped", 0), "w");
    CHECK_STR(value_of(&r, "Esc & <it>", 0), "a<b\xC3\xA9");
    bw_request_free(&r);

    CHECK_INT(PARSE("<Instance/>", &r, err), 0);
    CHECK(r.n_params == 0 && !r.output_format);
}

static void test_xml_hostile(void)
{
    struct bw_request r;
    char err[256];

    CHECK_INT(PARSE("<Foo><OutputFormat>csv</OutputFormat></Foo>", &r, err), -EINVAL);
    CHECK_STR(err, "expected an <Instance> document, got <Foo>");
    CHECK_INT(PARSE("<Instance><OutputFormat>csv</Instance>", &r, err), -EINVAL);
    CHECK(strncmp(err, "the XML is not well-formed (line 1: ", 36) == 0);
    CHECK_INT(PARSE("<!DOCTYPE Instance [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
                    "<Instance><OutputFormat>&b;</OutputFormat></Instance>",
                    &r, err),
              -EINVAL);
    CHECK_STR(err, "a request may not contain a DTD or entity declarations");
    CHECK_INT(PARSE("<!DOCTYPE Instance SYSTEM \"file:///etc/passwd\"><Instance/>", &r, err),
              -EINVAL);
    CHECK_INT(PARSE("<Instance><OutputFormat>&xxe;</OutputFormat></Instance>", &r, err), -EINVAL);
    CHECK_INT(PARSE("<Instance><OutputFormat>a\nb</OutputFormat></Instance>", &r, err), -EINVAL);
    CHECK_STR(err, "<OutputFormat> holds a line break or control character");
    CHECK_INT(PARSE("<Instance><Parameters><Parameter><Value>1</Value></Parameter>"
                    "</Parameters></Instance>",
                    &r, err),
              -EINVAL);
    CHECK_STR(err, "a <Parameter> has no <Name>");
    CHECK_INT(bw_request_parse("<Instance>\0</Instance>", 22, &r, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "NUL byte") != NULL);
    CHECK_INT(PARSE("<Instance><OutputFormat>\xC3\x28</OutputFormat></Instance>", &r, err),
              -EINVAL);

    /* deep nesting: libxml2's depth limit, well inside 64 KiB */
    size_t depth = 5000, len = 0;
    char *deep = malloc(depth * 7 + 64);
    len += (size_t)sprintf(deep, "<Instance>");
    for (size_t i = 0; i < depth; i++)
        len += (size_t)sprintf(deep + len, "<a>");
    for (size_t i = 0; i < depth; i++)
        len += (size_t)sprintf(deep + len, "</a>");
    len += (size_t)sprintf(deep + len, "</Instance>");
    CHECK(len < BW_REQUEST_MAX);
    CHECK_INT(bw_request_parse(deep, len, &r, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "not well-formed") != NULL);
    free(deep);

    /* a large but legal document: as many values as the cap allows, then one more */
    char *many = malloc(BW_REQUEST_MAX + 64);
    len = (size_t)sprintf(many, "<Instance><Parameters><Parameter><Name>N</Name>");
    for (int i = 0; i < BW_MODEL_MAX_VALUES + 1; i++)
        len += (size_t)sprintf(many + len, "<Value>%d</Value>", i);
    len += (size_t)sprintf(many + len, "</Parameter></Parameters></Instance>");
    CHECK(len <= BW_REQUEST_MAX);
    CHECK_INT(bw_request_parse(many, len, &r, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "too many") != NULL);
    free(many);
}

static struct bw_request parsed(const char *text)
{
    struct bw_request r;
    char err[256];
    int rc = PARSE(text, &r, err);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "  parse: %s\n", err);
    return r;
}

/* Parse and validate text against type14; the rc, message in err. */
static int check_text(const char *text, char *err, size_t errlen)
{
    struct bw_request r = parsed(text);
    int rc = bw_request_validate(&r, &type14, "9900000", now_utc(), err, errlen);
    bw_request_free(&r);
    return rc;
}

#define VALID "OutputFormat = csv\nStartDate = 2026-11-01\n"
#define EXPECT(text, msg)                                                                          \
    do {                                                                                           \
        CHECK_INT(check_text(text, err, sizeof err), -EINVAL);                                     \
        CHECK_STR(err, msg);                                                                       \
    } while (0)

static void test_validate(void)
{
    char err[512];
    struct bw_request r = parsed("OutputFormat = CSV\nStartDate = 2026-11-01\n"
                                 "OrderStatus = Complete\nOrderStatus = partial\n"
                                 "OrderStatus = COMPLETE\nTnStatus = Ported Out\n"
                                 "Kind = some\nFree = anything at all\n"
                                 "IncludeDisconnected = TRUE\nMaxRows = -5\nSiteId = 0042\n"
                                 "Start Date = the String one\nExpiresAt = 2027-01-03\n");
    CHECK_INT(bw_request_validate(&r, &type14, "9900000", now_utc(), err, sizeof err), 0);
    CHECK_STR(r.output_format, "csv");
    CHECK_STR(value_of(&r, "AccountId", 0), "9900000"); /* filled */
    CHECK_INT(count_of(&r, "OrderStatus"), 2);          /* mapped, then the repeat dropped */
    CHECK_STR(value_of(&r, "OrderStatus", 0), "COMPLETE");
    CHECK_STR(value_of(&r, "OrderStatus", 1), "PARTIAL");
    CHECK_STR(value_of(&r, "TnStatus", 0), "PortedOut");
    CHECK_STR(value_of(&r, "Kind", 0), "SOME");
    CHECK_STR(value_of(&r, "IncludeDisconnected", 0), "true");
    bw_request_free(&r);

    /* an explicit account is kept; no account given: nothing to fill */
    r = parsed(VALID "AccountId = 123\n");
    CHECK_INT(bw_request_validate(&r, &type14, "9900000", now_utc(), err, sizeof err), 0);
    CHECK_INT(count_of(&r, "AccountId"), 1);
    CHECK_STR(value_of(&r, "AccountId", 0), "123");
    bw_request_free(&r);
    r = parsed(VALID);
    CHECK_INT(bw_request_validate(&r, &type14, NULL, now_utc(), err, sizeof err), -EINVAL);
    CHECK_STR(err, "\"AccountId\" is required");
    bw_request_free(&r);

    CHECK_INT(check_text(VALID, err, sizeof err), 0);
    EXPECT("StartDate = 2026-11-01\n", "OutputFormat is required, one of: csv, pdf, xlsx");
    EXPECT("OutputFormat = doc\nStartDate = 2026-11-01\n",
           "OutputFormat \"doc\" is not one of: csv, pdf, xlsx");
    EXPECT("OutputFormat = csv\n", "\"StartDate\" is required");
    EXPECT(VALID "Foo = 1\n", "unknown parameter \"Foo\" (this report takes: AccountId, "
                              "StartDate, EndDate, OrderStatus, TnStatus, Kind, Free, "
                              "IncludeDisconnected, MaxRows, SiteId, Start Date)");
    EXPECT(VALID "enddate = 2026-11-02\n", "unknown parameter \"enddate\" (did you mean "
                                           "\"EndDate\"?)");
    EXPECT(VALID "OrderStatus = DONE\n",
           "\"OrderStatus\" takes one of: COMPLETE, PARTIAL, FAILED (got \"DONE\")");
    EXPECT(VALID "Kind = NONE\n", "\"Kind\" takes one of: ALL, SOME (got \"NONE\")");
    EXPECT(VALID "TnStatus = Inservice\nTnStatus = PortedOut\n",
           "\"TnStatus\" takes one value, not 2");
    CHECK_INT(check_text(VALID "TnStatus = Inservice\nTnStatus = In Service\n", err, sizeof err),
              0); /* the same value twice is one value */
    EXPECT(VALID "EndDate = 2026-11-1\n",
           "\"EndDate\" takes a date YYYY-MM-DD (got \"2026-11-1\")");
    EXPECT(VALID "EndDate = 2026-02-30\n", "\"EndDate\": 2026-02-30 is not a real date");
    EXPECT(VALID "EndDate = 2026-02-29\n", "\"EndDate\": 2026-02-29 is not a real date");
    EXPECT(VALID "EndDate = 2100-02-29\n", "\"EndDate\": 2100-02-29 is not a real date");
    CHECK_INT(check_text(VALID "EndDate = 2028-02-29\n", err, sizeof err), 0);
    CHECK_INT(check_text(VALID "EndDate = 2000-02-29\n", err, sizeof err), 0);
    EXPECT(VALID "MaxRows = ten\n", "\"MaxRows\" takes a whole number (got \"ten\")");
    EXPECT(VALID "MaxRows = -\n", "\"MaxRows\" takes a whole number (got \"-\")");
    EXPECT(VALID "MaxRows = 1.5\n", "\"MaxRows\" takes a whole number (got \"1.5\")");
    EXPECT(VALID "IncludeDisconnected = yes\n",
           "\"IncludeDisconnected\" takes true or false (got \"yes\")");
    EXPECT(VALID "SiteId = abc\n", "\"SiteId\" takes a numeric id (got \"abc\")");
    EXPECT(VALID "AccountId = -1\n", "\"AccountId\" takes a numeric id (got \"-1\")");

    /* ExpiresAt: today and today + 30 are the bounds (now is 2026-12-04) */
    CHECK_INT(check_text(VALID "ExpiresAt = 2026-12-04\n", err, sizeof err), 0);
    CHECK_INT(check_text(VALID "ExpiresAt = 2027-01-03\n", err, sizeof err), 0);
    EXPECT(VALID "ExpiresAt = 2027-01-04\n",
           "ExpiresAt 2027-01-04 is more than 30 days ahead (latest 2027-01-03)");
    EXPECT(VALID "ExpiresAt = 2027-03-01\n",
           "ExpiresAt 2027-03-01 is more than 30 days ahead (latest 2027-01-03)");
    EXPECT(VALID "ExpiresAt = 2026-12-03\n", "ExpiresAt 2026-12-03 is in the past (today is "
                                             "2026-12-04)");
    EXPECT(VALID "ExpiresAt = soon\n", "ExpiresAt takes a date YYYY-MM-DD (got \"soon\")");
    EXPECT(VALID "ExpiresAt = 2026-12-32\n", "ExpiresAt: 2026-12-32 is not a real date");

    /* every problem, in one line */
    EXPECT("OutputFormat = doc\nFoo = 1\nExpiresAt = 2020-01-01\n",
           "OutputFormat \"doc\" is not one of: csv, pdf, xlsx; unknown parameter \"Foo\" (this "
           "report takes: AccountId, StartDate, EndDate, OrderStatus, TnStatus, Kind, Free, "
           "IncludeDisconnected, MaxRows, SiteId, Start Date); \"StartDate\" is required; "
           "ExpiresAt 2020-01-01 is in the past (today is 2026-12-04)");

    /* user text is quoted short and printable */
    char longname[200];
    memset(longname, 'y', sizeof longname);
    memcpy(longname, VALID "\xC3\xA9", sizeof VALID + 1);
    strcpy(longname + 150, " = 1\n");
    CHECK_INT(check_text(longname, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "unknown parameter \"\xC3\xA9yyyy") != NULL);
    CHECK(strstr(err, "yyy...\" (this report") != NULL);
    r = parsed(VALID);
    CHECK_INT(bw_request_add_value(&r, "\x01\x7f", "1"), 0); /* not through parse */
    CHECK_INT(bw_request_validate(&r, &type14, "1", now_utc(), err, sizeof err), -EINVAL);
    CHECK(strncmp(err, "unknown parameter \"??\" (this", 28) == 0);
    bw_request_free(&r);

    /* a small buffer: cut, marked, terminated */
    char small[24];
    CHECK_INT(check_text("Foo = 1\n", small, sizeof small), -EINVAL);
    CHECK_INT(strlen(small), sizeof small - 1);
    CHECK(strcmp(small + sizeof small - 4, "...") == 0);
    CHECK_INT(check_text("Foo = 1\n", NULL, 0), -EINVAL);

    /* a type that lists no formats takes the API's usual ones */
    struct bw_report_detail bare = {.id = S("2"), .name = S("x"), .description = S("")};
    r = parsed("OutputFormat = XLS\n");
    CHECK_INT(bw_request_validate(&r, &bare, "1", now_utc(), err, sizeof err), 0);
    CHECK_STR(r.output_format, "xls");
    bw_request_free(&r);
    r = parsed("OutputFormat = doc\nX = 1\n");
    CHECK_INT(bw_request_validate(&r, &bare, "1", now_utc(), err, sizeof err), -EINVAL);
    CHECK_STR(err, "OutputFormat \"doc\" is not one of: pdf, csv, xls, xlsx, html, xml; "
                   "unknown parameter \"X\" (this report takes: no parameters)");
    bw_request_free(&r);
}

static void test_dates(void)
{
    long d = -1;
    CHECK_INT(bw_request_parse_day("1970-01-01", &d), 0);
    CHECK_INT(d, 0);
    CHECK_INT(bw_request_parse_day("2026-12-04", &d), 0);
    CHECK_INT(d, now_utc() / 86400);
    CHECK_INT(bw_request_parse_day("1969-12-31", &d), 0);
    CHECK_INT(d, -1);
    CHECK_INT(bw_request_parse_day("2000-03-01", &d), 0);
    CHECK_INT(d, 11017);
    CHECK_INT(bw_request_parse_day("0001-01-01", &d), 0);
    CHECK_INT(bw_request_parse_day("9999-12-31", &d), 0);
    CHECK_INT(d, 2932896);
    const char *bad[] = {"0000-01-01", "2026-00-10",  "2026-13-01",  "2026-04-31",
                         "2026-1-01",  "2026-01-011", " 2026-01-01", "2026/01/01",
                         "",           "2026-01-0a",  "+026-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_INT(bw_request_parse_day(bad[i], &d), -EINVAL);
    CHECK_INT(bw_request_parse_day(NULL, &d), -EINVAL);
    /* every day of four years round-trips against timegm() */
    for (int y = 2023; y <= 2028; y++)
        for (int m = 1; m <= 12; m++)
            for (int dd = 1; dd <= 31; dd++) {
                char s[16];
                struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = dd};
                time_t t = timegm(&tm);
                struct tm back;
                gmtime_r(&t, &back);
                int real = back.tm_mday == dd;
                snprintf(s, sizeof s, "%04d-%02d-%02d", y, m, dd);
                CHECK_INT(bw_request_parse_day(s, &d), real ? 0 : -EINVAL);
                if (real)
                    CHECK_INT(d, t / 86400);
            }
}

/* Read back a written <Instance> with libxml2 itself. */
static void reread(const char *xml, size_t len, struct bw_request *want)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
    CHECK(doc != NULL);
    if (!doc)
        return;
    xmlNode *root = xmlDocGetRootElement(doc);
    CHECK_STR((const char *)root->name, "Instance");
    size_t np = 0;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *t = xmlNodeGetContent(c);
        if (strcmp((const char *)c->name, "OutputFormat") == 0)
            CHECK_STR((const char *)t, want->output_format);
        else if (strcmp((const char *)c->name, "ExpiresAt") == 0)
            CHECK_STR((const char *)t, want->expires_at);
        xmlFree(t);
        if (strcmp((const char *)c->name, "Parameters") != 0)
            continue;
        for (xmlNode *p = c->children; p; p = p->next) {
            if (p->type != XML_ELEMENT_NODE)
                continue;
            size_t nv = 0;
            for (xmlNode *v = p->children; v; v = v->next) {
                if (v->type != XML_ELEMENT_NODE)
                    continue;
                xmlChar *t2 = xmlNodeGetContent(v);
                if (strcmp((const char *)v->name, "Name") == 0)
                    CHECK_STR((const char *)t2, want->params[np].name);
                else
                    CHECK_STR((const char *)t2, want->params[np].values[nv++]);
                xmlFree(t2);
            }
            CHECK_INT(nv, want->params[np].n_values);
            np++;
        }
    }
    CHECK_INT(np, want->n_params);
    xmlFreeDoc(doc);
}

static void test_instance_xml(void)
{
    struct bw_request r = {0};
    char *xml = NULL, err[256];
    size_t len = 0;

    CHECK_INT(bw_request_add_value(&r, "A & <B> \"q\" 'a'", "x < y && z > \"w\""), 0);
    CHECK_INT(bw_request_add_value(&r, "Zürich", "€ ]]> \t tab"), 0);
    CHECK_INT(bw_request_add_value(&r, "Zürich", "second"), 0);
    r.output_format = strdup("csv");
    CHECK_INT(bw_request_instance_xml(&r, &xml, &len), 0);
    CHECK_INT(strlen(xml), len);
    CHECK(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Instance>", 49) == 0);
    CHECK(strstr(xml, "ExpiresAt") == NULL); /* only when given */
    CHECK(strstr(xml, "<OutputFormat>csv</OutputFormat>") != NULL);
    CHECK(strstr(xml, "&lt;B&gt;") != NULL);
    reread(xml, len, &r);
    /* and it reads back through our own XML form as the same request */
    struct bw_request back;
    CHECK_INT(bw_request_parse(xml, len, &back, err, sizeof err), 0);
    CHECK_STR(back.output_format, "csv");
    CHECK_INT(back.n_params, 2);
    CHECK_STR(value_of(&back, "A & <B> \"q\" 'a'", 0), "x < y && z > \"w\"");
    CHECK_STR(value_of(&back, "Zürich", 0), "€ ]]> \t tab");
    CHECK_STR(value_of(&back, "Zürich", 1), "second");
    bw_request_free(&back);
    free(xml);

    r.expires_at = strdup("2026-12-10");
    CHECK_INT(bw_request_instance_xml(&r, &xml, &len), 0);
    CHECK(strstr(xml, "</Parameters>\n  <ExpiresAt>2026-12-10</ExpiresAt>\n</Instance>") != NULL);
    reread(xml, len, &r);
    free(xml);

    /* text that XML cannot carry is refused, not mangled */
    CHECK_INT(bw_request_add_value(&r, "Bad", "\xff"), 0);
    CHECK_INT(bw_request_instance_xml(&r, &xml, &len), -EINVAL);
    CHECK(xml == NULL);
    bw_request_free(&r);
}

/* The template a user reads from `new` parses as an empty request, and an
 * instance's `parameters` parses back to what the instance was asked with. */
static void test_render_round_trip(void)
{
    char *text = NULL, err[256];
    size_t len = 0;
    struct bw_request r;

    CHECK_INT(bw_render_type_params(&type14, now_utc(), &text, &len), 0);
    CHECK_INT(bw_request_parse(text, len, &r, err, sizeof err), 0);
    CHECK(!r.output_format && !r.expires_at && r.n_params == 0);
    CHECK_INT(bw_request_validate(&r, &type14, "9900000", now_utc(), err, sizeof err), -EINVAL);
    CHECK_STR(err, "OutputFormat is required, one of: csv, pdf, xlsx; \"StartDate\" is required");
    bw_request_free(&r);
    free(text);

    char *v_acct[] = {S("9900000")}, *v_start[] = {S("2026-11-01")},
         *v_status[] = {S("PARTIAL"), S("COMPLETE")}, *v_str[] = {S("a = b")};
    struct bw_instance_param ip[] = {{S("AccountId"), v_acct, 1},
                                     {S("StartDate"), v_start, 1},
                                     {S("OrderStatus"), v_status, 2},
                                     {S("EndDate"), NULL, 0},
                                     {S("Start Date"), v_str, 1}};
    struct bw_instance in = {.id = S("500123"),
                             .report_name = S("Port-in Orders"),
                             .output_format = S("CSV"),
                             .params = ip,
                             .n_params = 5};
    CHECK_INT(bw_render_instance_params(&in, &text, &len), 0);
    CHECK_INT(bw_request_parse(text, len, &r, err, sizeof err), 0);
    CHECK_INT(bw_request_same(&r, &in), 1);
    CHECK_INT(bw_request_validate(&r, &type14, "1", now_utc(), err, sizeof err), 0);
    CHECK_STR(value_of(&r, "AccountId", 0), "9900000");
    CHECK_INT(bw_request_same(&r, &in), 1); /* "csv" vs "CSV" */
    bw_request_free(&r);
    free(text);
}

static void test_same(void)
{
    char *v1[] = {S("A"), S("B"), S("A")}, *v2[] = {S("1")};
    struct bw_instance_param ip[] = {{S("X"), v1, 3}, {S("Y"), v2, 1}, {S("Z"), NULL, 0}};
    struct bw_instance in = {.output_format = S("pdf"), .params = ip, .n_params = 3};
    struct bw_request r = parsed("OutputFormat = PDF\nY = 1\nX = A\nX = A\nX = B\n");
    CHECK_INT(bw_request_same(&r, &in), 1);
    bw_request_free(&r);
    r = parsed("OutputFormat = pdf\nY = 1\nX = A\nX = B\nX = B\n"); /* other multiset */
    CHECK_INT(bw_request_same(&r, &in), 0);
    bw_request_free(&r);
    r = parsed("OutputFormat = csv\nY = 1\nX = A\nX = A\nX = B\n");
    CHECK_INT(bw_request_same(&r, &in), 0);
    bw_request_free(&r);
    r = parsed("OutputFormat = pdf\nY = 1\nX = A\nX = A\nX = B\nW = 1\n");
    CHECK_INT(bw_request_same(&r, &in), 0);
    bw_request_free(&r);
    r = parsed("OutputFormat = pdf\nY = 1\nx = A\nX = A\nX = B\n"); /* names are exact */
    CHECK_INT(bw_request_same(&r, &in), 0);
    bw_request_free(&r);
    struct bw_instance empty = {.output_format = S("")};
    r = (struct bw_request){0};
    CHECK_INT(bw_request_same(&r, &empty), 1);
}

#define BPARSE(text, b, err) bw_request_parse_billing(text, strlen(text), "BDR", b, err, sizeof err)

static void test_billing(void)
{
    struct bw_billing_request b;
    char err[256], *xml = NULL;
    size_t len;
    time_t now = now_utc();

    CHECK_INT(BPARSE("# c\nstartdate = 2026-11-01\n EndDate=2026-11-30 \nType = bdr\n", &b, err),
              0);
    CHECK_STR(b.type, "BDR");
    CHECK_STR(b.start, "2026-11-01");
    CHECK_STR(b.end, "2026-11-30");
    CHECK_INT(bw_request_validate_billing(&b, now, err, sizeof err), 0);
    CHECK_INT(bw_request_billing_xml(&b, &xml, &len), 0);
    CHECK_STR(xml,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BillingReport>\n  <Type>BDR</Type>\n"
              "  <DateRange>\n    <StartDate>2026-11-01</StartDate>\n"
              "    <EndDate>2026-11-30</EndDate>\n  </DateRange>\n</BillingReport>\n");
    /* what we write, we read */
    struct bw_billing_request b2;
    CHECK_INT(bw_request_parse_billing(xml, len, "BDR", &b2, err, sizeof err), 0);
    CHECK(memcmp(&b, &b2, sizeof b) == 0);
    free(xml);

    /* the unedited template is an empty request, refused in plain words */
    char *tmpl = NULL;
    CHECK_INT(bw_render_billing_template("BDR", now, &tmpl, &len), 0);
    CHECK_INT(bw_request_parse_billing(tmpl, len, "BDR", &b, err, sizeof err), 0);
    free(tmpl);
    CHECK_INT(bw_request_validate_billing(&b, now, err, sizeof err), -EINVAL);
    CHECK_STR(err, "StartDate is required (YYYY-MM-DD); EndDate is required (YYYY-MM-DD)");

    CHECK_INT(BPARSE("<BillingReport><DateRange><StartDate>2026-12-04</StartDate>"
                     "<EndDate>2026-12-04</EndDate></DateRange></BillingReport>",
                     &b, err),
              0); /* Type absent; start == end == today */
    CHECK_INT(bw_request_validate_billing(&b, now, err, sizeof err), 0);
    CHECK_INT(BPARSE("<BillingReport><Type>MDR</Type></BillingReport>", &b, err), -EINVAL);
    CHECK_STR(err, "Type \"MDR\" does not match this directory (BDR)");
    CHECK_INT(BPARSE("<Instance/>", &b, err), -EINVAL);
    CHECK_STR(err, "expected a <BillingReport> document, got <Instance>");
    CHECK_INT(BPARSE("Foo = 1\n", &b, err), -EINVAL);
    CHECK_STR(err, "line 1: unknown key \"Foo\" (a billing request takes StartDate and EndDate)");
    CHECK_INT(BPARSE("StartDate = 2026-11-01T00:00\n", &b, err), -EINVAL);
    CHECK_STR(err, "line 1: StartDate takes a date YYYY-MM-DD (got \"2026-11-01T00:00\")");
    CHECK_INT(BPARSE("StartDate = 2026-11-01\nStartDate = 2026-11-02\n", &b, err), -EINVAL);
    CHECK_INT(BPARSE("no equals\n", &b, err), -EINVAL);
    CHECK_INT(bw_request_parse_billing("x", 1, "", &b, err, sizeof err), -EINVAL);
    CHECK_INT(bw_request_parse_billing("x", 1, NULL, &b, err, sizeof err), -EINVAL);

    CHECK_INT(BPARSE("StartDate = 2026-11-31\nEndDate = 2026-12-05\n", &b, err), 0);
    CHECK_INT(bw_request_validate_billing(&b, now, err, sizeof err), -EINVAL);
    CHECK_STR(err, "StartDate: 2026-11-31 is not a real date; EndDate 2026-12-05 is in the future "
                   "(today is 2026-12-04)");
    CHECK_INT(BPARSE("StartDate = 2026-11-02\nEndDate = 2026-11-01\n", &b, err), 0);
    CHECK_INT(bw_request_validate_billing(&b, now, err, sizeof err), -EINVAL);
    CHECK_STR(err, "StartDate 2026-11-02 is after EndDate 2026-11-01");
    CHECK_INT(BPARSE("StartDate = 2024-02-29\nEndDate = nope\n", &b, err), 0);
    CHECK_INT(bw_request_validate_billing(&b, now, err, sizeof err), -EINVAL);
    CHECK_STR(err, "EndDate takes a date YYYY-MM-DD (got \"nope\")");
}

/* Random and mutated input: any result is fine, but no crash, leak or
 * sanitizer report, and a success is always writable as XML. */
static void test_fuzz(void)
{
    static const char alphabet[] = "<>/=&;#\n \tabcIPVN01-\xC3\xA9\xFF!?[]\"'";
    const char *seed = "<Instance><OutputFormat>csv</OutputFormat><Parameters><Parameter>"
                       "<Name>StartDate</Name><Value>2026-11-01</Value></Parameter>"
                       "</Parameters><ExpiresAt>2026-12-10</ExpiresAt></Instance>";
    unsigned x = 12345;
    char buf[600], err[128];
    for (int i = 0; i < 4000; i++) {
        size_t len;
        if (i % 2) {
            len = strlen(seed);
            memcpy(buf, seed, len);
            for (int k = 0; k < 3; k++) {
                x = x * 1103515245u + 12345u;
                buf[(x >> 8) % len] = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            }
        } else {
            x = x * 1103515245u + 12345u;
            len = (x >> 16) % sizeof buf;
            for (size_t k = 0; k < len; k++) {
                x = x * 1103515245u + 12345u;
                buf[k] = alphabet[(x >> 16) % (sizeof alphabet - 1)];
            }
        }
        struct bw_request r;
        struct bw_billing_request b;
        if (bw_request_parse(buf, len, &r, err, sizeof err) == 0) {
            char *xml = NULL;
            size_t xl;
            CHECK_INT(bw_request_instance_xml(&r, &xml, &xl), 0);
            free(xml);
            bw_request_validate(&r, &type14, "1", now_utc(), err, sizeof err);
            bw_request_free(&r);
        }
        if (bw_request_parse_billing(buf, len, "BDR", &b, err, sizeof err) == 0)
            bw_request_validate_billing(&b, now_utc(), err, sizeof err);
    }
}

/* Parse, check and write concurrently: nothing shared, so nothing breaks. */
static void *worker(void *arg)
{
    long *bad = arg;
    for (int i = 0; i < 200; i++) {
        struct bw_request r;
        char err[256], *xml = NULL;
        size_t len;
        const char *text = i % 2 ? VALID "OrderStatus = Complete\n"
                                 : "<Instance><OutputFormat>pdf</OutputFormat><Parameters>"
                                   "<Parameter><Name>StartDate</Name><Value>2026-11-01</Value>"
                                   "</Parameter></Parameters></Instance>";
        if (PARSE(text, &r, err) != 0 ||
            bw_request_validate(&r, &type14, "9900000", now_utc(), err, sizeof err) != 0 ||
            bw_request_instance_xml(&r, &xml, &len) != 0)
            (*bad)++;
        free(xml);
        bw_request_free(&r);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[8];
    long bad[8] = {0};
    for (int i = 0; i < 8; i++)
        CHECK_INT(pthread_create(&t[i], NULL, worker, &bad[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(bad[i], 0);
    }
}

int main(void)
{
    bw_xml_init();
    test_lines();
    test_line_errors();
    test_xml();
    test_xml_hostile();
    test_validate();
    test_dates();
    test_instance_xml();
    test_render_round_trip();
    test_same();
    test_billing();
    test_fuzz();
    test_threads();
    bw_xml_cleanup();
    return check_done("test_request");
}
