/* test_render: the parameters files (render.h): a type's template and an
 * instance's values, with hostile text kept on one line. */
#include <stdlib.h>

#include "check.h"
#include "render.h"

/* A modifiable string (model structs hold char *; literals are const under -Wwrite-strings). */
#define S(x) ((char[]){x})

static void test_type(void)
{
    char *filter[] = {S("A"), S("B")};
    struct bw_param_value values[] = {{S("COMPLETE"), S("Complete")}, {S("FAILED"), S("")}};
    struct bw_report_param params[] = {
        {.name = S("StartDate"), .type = S("Date"), .description = S("First day\nof the period"),
         .help = S("YYYY-MM-DD"), .recommended = S(""), .required = 1},
        {.name = S("Status"), .type = S("Enum"), .description = S(""), .help = S(""),
         .recommended = S(""), .multi = 1, .values = values, .n_values = 2},
        {.name = S("Kind"), .type = S("Enum"), .description = S(""), .help = S(""),
         .recommended = S("A"), .filter = filter, .n_filter = 2},
    };
    char *formats[] = {S("csv"), S("pdf")};
    struct bw_report_detail d = {.id = S("14"), .name = S("Port-in\r\nOrders"),
                                 .description = S(""), .formats = formats, .n_formats = 2,
                                 .params = params,
                                 .n_params = 3};
    char *out = NULL;
    size_t len = 0;

    CHECK_INT(bw_render_type_params(&d, 0, &out, &len), 0); /* 1970-01-01 + 30 days */
    CHECK_INT(strlen(out), len);
    CHECK(strstr(out, "# Parameters of the report \"Port-in  Orders\" (id 14).\n") != NULL);
    CHECK(strstr(out, "# Allowed values: csv, pdf\nOutputFormat = \n") != NULL);
    CHECK(strstr(out, "(1970-01-31)") != NULL);
    CHECK(strstr(out, "\nExpiresAt = \n") != NULL);
    CHECK(strstr(out, "# Name: StartDate\n# Type: Date\n# Required: yes\n") != NULL);
    CHECK(strstr(out, "# Description: First day\n#   of the period\n") != NULL);
    CHECK(strstr(out, "\nStartDate = \n") != NULL);
    CHECK(strstr(out, "# Allowed values: COMPLETE (Complete), FAILED\n# Multi-select: yes") !=
          NULL);
    CHECK(strstr(out, "# Allowed values: A, B\n# Multi-select: no\n# Recommended: A\n") != NULL);
    /* every line is a comment or S("Name = ") */
    int assignments = 0;
    for (char *line = out; *line;) {
        char *nl = strchr(line, '\n');
        CHECK(nl != NULL);
        if (!nl)
            break;
        if (*line != '#') {
            CHECK(nl - line >= 3 && memcmp(nl - 3, S(" = "), 3) == 0);
            assignments++;
        }
        line = nl + 1;
    }
    CHECK_INT(assignments, 5);
    free(out);
}

static void test_instance(void)
{
    char *v1[] = {S("2026-01-01")}, *v2[] = {S("COMPLETE"), S("evil\nOutputFormat = xls")};
    struct bw_instance_param params[] = {
        {S("StartDate"), v1, 1}, {S("Status"), v2, 2}, {S("Empty"), NULL, 0}};
    struct bw_instance in = {.id = S("100001"), .report_name = S("Port-in Orders"),
                             .output_format = S("csv"), .params = params, .n_params = 3};
    char *out = NULL;
    size_t len = 0;

    CHECK_INT(bw_render_instance_params(&in, &out, &len), 0);
    CHECK_STR(out, "# Parameters of report instance 100001 (Port-in Orders), as it was requested.\n"
                   "OutputFormat = csv\n"
                   "StartDate = 2026-01-01\n"
                   "Status = COMPLETE\n"
                   "Status = evil OutputFormat = xls\n"
                   "Empty = \n");
    CHECK_INT(strlen(out), len);
    free(out);
}

int main(void)
{
    test_type();
    test_instance();
    return check_done("test_render");
}
