/* model: storage helpers for the plain API data types, and the API's date
 * parser (see model.h). */
#include "model.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int bw_model_all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int bw_model_id_ok(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    if (n == 0 || n > BW_MODEL_ID_MAX)
        return 0;
    return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int reserve(struct bw_report_list *l, size_t more)
{
    if (l->n + more > BW_MODEL_MAX_REPORTS)
        return -E2BIG;
    if (l->n + more <= l->cap)
        return 0;
    size_t cap = l->cap ? l->cap * 2 : 16;
    while (cap < l->n + more)
        cap *= 2;
    struct bw_report *items = realloc(l->items, cap * sizeof *items);
    if (!items)
        return -ENOMEM;
    l->items = items;
    l->cap = cap;
    return 0;
}

int bw_model_report_list_add(struct bw_report_list *l, const char *id, const char *name,
                             const char *description)
{
    int rc = reserve(l, 1);
    if (rc)
        return rc;
    struct bw_report r = {
        .id = strdup(id),
        .name = strdup(name),
        .description = strdup(description ? description : ""),
    };
    if (!r.id || !r.name || !r.description) {
        free(r.id);
        free(r.name);
        free(r.description);
        return -ENOMEM;
    }
    l->items[l->n++] = r;
    return 0;
}

int bw_model_report_list_join(struct bw_report_list *dst, struct bw_report_list *src)
{
    int rc = reserve(dst, src->n);
    if (rc)
        return rc;
    if (src->n)
        memcpy(dst->items + dst->n, src->items, src->n * sizeof *src->items);
    dst->n += src->n;
    src->n = 0;
    return 0;
}

void bw_model_report_list_free(struct bw_report_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].id);
        free(l->items[i].name);
        free(l->items[i].description);
    }
    free(l->items);
    free(l->next_url);
    memset(l, 0, sizeof *l);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void bw_model_report_detail_free(struct bw_report_detail *d)
{
    if (!d)
        return;
    free(d->id);
    free(d->name);
    free(d->description);
    free_strv(d->formats, d->n_formats);
    for (size_t i = 0; i < d->n_params; i++) {
        struct bw_report_param *p = &d->params[i];
        free(p->name);
        free(p->type);
        free(p->description);
        free(p->help);
        free(p->recommended);
        free_strv(p->filter, p->n_filter);
        for (size_t j = 0; j < p->n_values; j++) {
            free(p->values[j].internal_name);
            free(p->values[j].display_name);
        }
        free(p->values);
    }
    free(d->params);
    memset(d, 0, sizeof *d);
}

void bw_model_instance_free(struct bw_instance *in)
{
    if (!in)
        return;
    free(in->id);
    free(in->report_id);
    free(in->report_name);
    free(in->output_format);
    free(in->requested_by);
    free(in->requested_at);
    free(in->status);
    free(in->expires_at);
    free(in->description);
    free(in->completed_at);
    free(in->error_message);
    for (size_t i = 0; i < in->n_params; i++) {
        free(in->params[i].name);
        free_strv(in->params[i].values, in->params[i].n_values);
    }
    free(in->params);
    free(in->xml);
    memset(in, 0, sizeof *in);
}

/* Grow an array of elem-sized items so that n + more fit, within max. */
static int grow(void **items, size_t *cap, size_t n, size_t more, size_t max, size_t elem)
{
    if (n + more > max)
        return -E2BIG;
    if (n + more <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < n + more)
        c *= 2;
    void *p = realloc(*items, c * elem);
    if (!p)
        return -ENOMEM;
    *items = p;
    *cap = c;
    return 0;
}

int bw_model_instance_list_push(struct bw_instance_list *l, struct bw_instance *in)
{
    int rc = grow((void **)&l->items, &l->cap, l->n, 1, BW_MODEL_MAX_INSTANCES, sizeof *l->items);
    if (rc)
        return rc;
    l->items[l->n++] = *in;
    memset(in, 0, sizeof *in);
    return 0;
}

int bw_model_instance_list_join(struct bw_instance_list *dst, struct bw_instance_list *src)
{
    int rc = grow((void **)&dst->items, &dst->cap, dst->n, src->n, BW_MODEL_MAX_INSTANCES,
                  sizeof *dst->items);
    if (rc)
        return rc;
    if (src->n)
        memcpy(dst->items + dst->n, src->items, src->n * sizeof *src->items);
    dst->n += src->n;
    src->n = 0;
    return 0;
}

void bw_model_instance_list_free(struct bw_instance_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        bw_model_instance_free(&l->items[i]);
    free(l->items);
    free(l->next_url);
    memset(l, 0, sizeof *l);
}

void bw_model_billing_free(struct bw_billing *b)
{
    if (!b)
        return;
    free(b->id);
    free(b->kind);
    free(b->user_id);
    free(b->status);
    free(b->description);
    free(b->created);
    free(b->start);
    free(b->end);
    free(b->xml);
    memset(b, 0, sizeof *b);
}

int bw_model_billing_list_push(struct bw_billing_list *l, struct bw_billing *b)
{
    int rc = grow((void **)&l->items, &l->cap, l->n, 1, BW_MODEL_MAX_BILLING, sizeof *l->items);
    if (rc)
        return rc;
    l->items[l->n++] = *b;
    memset(b, 0, sizeof *b);
    return 0;
}

void bw_model_billing_list_free(struct bw_billing_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        bw_model_billing_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Reads 1..maxd decimal digits; returns the number of digits, 0 if none. */
static int digits(const char **p, int maxd, int *v)
{
    int n = 0;
    *v = 0;
    while (n < maxd && isdigit((unsigned char)**p)) {
        *v = *v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): no timegm(), no TZ environment, no locale. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

int bw_model_parse_time(const char *s, time_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
    const char *p = s;

    *out = BW_MODEL_NO_TIME;
    if (!s)
        return -EINVAL;
    while (*p == ' ')
        p++;
    if (digits(&p, 4, &y) != 4 || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return -EINVAL;
    if (*p == ' ' || *p == 'T') {
        const char *q = p + 1;
        while (*p == ' ' && q[0] == ' ')
            q++;
        if (isdigit((unsigned char)*q)) {
            p = q;
            if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
                return -EINVAL;
            if (*p == ':') {
                p++;
                if (digits(&p, 2, &sec) != 2)
                    return -EINVAL;
                if (*p == '.' || *p == ',') { /* a fraction: dropped */
                    p++;
                    if (!isdigit((unsigned char)*p))
                        return -EINVAL;
                    while (isdigit((unsigned char)*p))
                        p++;
                }
            }
            if (*p == 'Z' || *p == 'z') {
                p++;
            } else if (*p == '+' || *p == '-') {
                int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
                if (digits(&p, 2, &oh) != 2)
                    return -EINVAL;
                if (*p == ':')
                    p++;
                if (isdigit((unsigned char)*p) && digits(&p, 2, &om) != 2)
                    return -EINVAL;
                if (oh > 23 || om > 59)
                    return -EINVAL;
                off = sign * (oh * 3600 + om * 60);
            }
        } else if (*p == 'T') {
            return -EINVAL;
        }
    }
    while (*p == ' ')
        p++;
    if (*p)
        return -EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 60)
        return -EINVAL;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    if (t < 0 || (sizeof(time_t) < 8 && t > INT32_MAX))
        return -EINVAL;
    *out = (time_t)t;
    return 0;
}
