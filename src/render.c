/* render: the parameters files (see render.h). */
#include "render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s with control characters as spaces, so it stays on one line. */
static void put_clean(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
}

/* A comment: "# label: text", text's own lines continued as "#   ...". */
static void comment(FILE *f, const char *label, const char *text)
{
    if (!text || !*text)
        return;
    fprintf(f, "# %s: ", label);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n' && p[1])
            fputs("\n#   ", f);
        else if (*p == '\r' || *p == '\n')
            continue;
        else
            fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
    }
    fputc('\n', f);
}

/* Close f; *buf and *size are only final after fclose(). */
static int finish(FILE *f, char **out, size_t *len, char **buf, size_t *size)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(*buf);
        *out = NULL;
        *len = 0;
        return -ENOMEM;
    }
    *out = *buf;
    *len = *size;
    return 0;
}

static void param_block(FILE *f, const struct bw_report_param *p)
{
    fputs("#\n", f);
    comment(f, "Name", p->name);
    comment(f, "Type", p->type);
    fprintf(f, "# Required: %s\n", p->required ? "yes" : "no");
    if (p->n_values) {
        fputs("# Allowed values:", f);
        for (size_t i = 0; i < p->n_values; i++) {
            fputs(i ? ", " : " ", f);
            put_clean(f, p->values[i].internal_name);
            if (p->values[i].display_name[0]) {
                fputs(" (", f);
                put_clean(f, p->values[i].display_name);
                fputc(')', f);
            }
        }
        fputc('\n', f);
    } else if (p->n_filter) {
        fputs("# Allowed values:", f);
        for (size_t i = 0; i < p->n_filter; i++) {
            fputs(i ? ", " : " ", f);
            put_clean(f, p->filter[i]);
        }
        fputc('\n', f);
    }
    fprintf(f, "# Multi-select: %s\n", p->multi ? "yes (one line per value)" : "no");
    comment(f, "Recommended", p->recommended);
    comment(f, "Description", p->description);
    comment(f, "Help", p->help);
    put_clean(f, p->name);
    fputs(" = \n", f);
}

int bw_render_type_params(const struct bw_report_detail *d, time_t now, char **out, size_t *len)
{
    char *buf = NULL, day[32];
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    struct tm tm;

    if (!f)
        return -ENOMEM;
    time_t last = now + (time_t)BW_RENDER_EXPIRES_DAYS * 86400;
    gmtime_r(&last, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    fputs("# Parameters of the report \"", f);
    put_clean(f, d->name);
    fputs("\" (id ", f);
    put_clean(f, d->id);
    fputs(").\n", f);
    comment(f, "Description", d->description);
    fputs("# A request gives each parameter as `Name = value` (one line per value of a\n"
          "# multi-select parameter); lines starting with '#' are comments.\n#\n", f);
    fputs("# Name: OutputFormat\n# Required: yes\n", f);
    if (d->n_formats) {
        fputs("# Allowed values:", f);
        for (size_t i = 0; i < d->n_formats; i++) {
            fputs(i ? ", " : " ", f);
            put_clean(f, d->formats[i]);
        }
        fputc('\n', f);
    }
    fputs("OutputFormat = \n#\n", f);
    fprintf(f, "# Name: ExpiresAt\n# Type: Date (YYYY-MM-DD), at most %d days ahead (%s)\n"
               "# Required: no\nExpiresAt = \n",
            BW_RENDER_EXPIRES_DAYS, day);
    for (size_t i = 0; i < d->n_params; i++)
        param_block(f, &d->params[i]);
    return finish(f, out, len, &buf, &size);
}

int bw_render_billing_template(const char *type, time_t now, char **out, size_t *len)
{
    char *buf = NULL, day[32];
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    struct tm tm;

    if (!f)
        return -ENOMEM;
    gmtime_r(&now, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    fputs("# Request a billing report of type ", f);
    put_clean(f, type);
    fputs(" for a period: write its first and last day\n"
          "# (UTC) below and close the file; a <BillingReport> XML document works too.\n"
          "# Lines starting with '#' are comments.\n#\n"
          "# Name: StartDate\n# Type: Date (YYYY-MM-DD)\n# Required: yes\n"
          "# Description: the first day of the period\nStartDate = \n#\n",
          f);
    fprintf(f, "# Name: EndDate\n# Type: Date (YYYY-MM-DD), not after today (%s)\n"
               "# Required: yes\n# Description: the last day of the period, not before "
               "StartDate\nEndDate = \n",
            day);
    return finish(f, out, len, &buf, &size);
}

int bw_render_instance_params(const struct bw_instance *in, char **out, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    if (!f)
        return -ENOMEM;
    fputs("# Parameters of report instance ", f);
    put_clean(f, in->id);
    if (in->report_name[0]) {
        fputs(" (", f);
        put_clean(f, in->report_name);
        fputc(')', f);
    }
    fputs(", as it was requested.\n", f);
    fputs("OutputFormat = ", f);
    put_clean(f, in->output_format);
    fputc('\n', f);
    for (size_t i = 0; i < in->n_params; i++) {
        const struct bw_instance_param *p = &in->params[i];
        for (size_t j = 0; j < p->n_values; j++) {
            put_clean(f, p->name);
            fputs(" = ", f);
            put_clean(f, p->values[j]);
            fputc('\n', f);
        }
        if (!p->n_values) {
            put_clean(f, p->name);
            fputs(" = \n", f);
        }
    }
    return finish(f, out, len, &buf, &size);
}
