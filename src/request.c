/* request: checking report requests against their type (see request.h):
 * messages, the text rule and dates shared with request_parse.c, the
 * checks of account and billing requests, and duplicate detection. */
#include "request.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request_priv.h"

/* ---- messages ---------------------------------------------------------- */

void bw_request__msg_init(struct msg *m, char *buf, size_t cap)
{
    *m = (struct msg){.buf = cap ? buf : NULL, .cap = buf ? cap : 0};
    if (m->buf)
        m->buf[0] = '\0';
}

void bw_request__msg_put(struct msg *m, const char *fmt, ...)
{
    if (!m->buf || m->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->buf + m->len, m->cap - m->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        m->buf[m->len] = '\0';
        return;
    }
    if ((size_t)n < m->cap - m->len) {
        m->len += (size_t)n;
        return;
    }
    /* cut on a character boundary and end with "..." */
    m->full = 1;
    if (m->cap < 4)
        return;
    size_t keep = m->cap - 4;
    while (keep > 0 && ((unsigned char)m->buf[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(m->buf + keep, "...", 4);
    m->len = keep + 3;
}

/* Start the next problem. */
void bw_request__msg_new(struct msg *m)
{
    if (m->count++)
        bw_request__msg_put(m, "; ");
}

int bw_request__fail(struct msg *m, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    bw_request__msg_new(m);
    bw_request__msg_put(m, "%s", line);
    return -EINVAL;
}

/* User text may be anything; a message must stay one printable line. */
const char *bw_request__quote(char *out, size_t cap, const char *s)
{
    size_t n = strlen(s), o = 0, cut = n > QUOTE_MAX;
    if (cut) {
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    out[o++] = '"';
    for (size_t i = 0; i < n && o + 5 < cap; i++)
        out[o++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (cut && o + 5 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

int bw_request__text_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p, need, cp;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return 0;
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3, cp = c & 0x07;
        else
            return 0;
        if ((size_t)(end - p) <= need)
            return 0;
        for (unsigned i = 1; i <= need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return 0;
        p += need + 1;
    }
    return 1;
}

/* ---- dates ------------------------------------------------------------- */

/* Days since 1970-01-01 of a Gregorian date (H. Hinnant's algorithm): pure
 * arithmetic, so no timegm() and no dependence on TZ. */
static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static const char *fmt_day(char *out, size_t cap, long days)
{
    long y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04ld-%02d-%02d", y, m, d);
    return out;
}

/* The UTC day of now, rounding towards the past. */
static long today_of(time_t now)
{
    long long t = (long long)now;
    return (long)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
}

/* s has the shape NNNN-NN-NN (a date or not). */
static int day_shape(const char *s)
{
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return 0;
    return s[10] == '\0';
}

int bw_request_parse_day(const char *s, long *days)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || !day_shape(s))
        return -EINVAL;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
        return -EINVAL;
    *days = days_from_civil(y, m, d);
    return 0;
}

/* The message for a date that did not parse: "what takes a date ..." or,
 * when only the calendar is wrong, "what: 2026-02-30 is not a real date". */
static void bad_date(struct msg *m, const char *what, const char *s)
{
    char q[QUOTE_MAX + 8];
    bw_request__msg_new(m);
    if (day_shape(s))
        bw_request__msg_put(m, "%s: %s is not a real date", what, s);
    else
        bw_request__msg_put(m, "%s takes a date YYYY-MM-DD (got %s)", what, Q(q, s));
}

/* ---- the request struct ------------------------------------------------ */

static struct bw_request_param *find_req(const struct bw_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return &r->params[i];
    return NULL;
}

int bw_request_add_value(struct bw_request *r, const char *name, const char *value)
{
    struct bw_request_param *p = find_req(r, name);
    if (!p) {
        if (r->n_params >= BW_MODEL_MAX_PARAMS)
            return -E2BIG;
        struct bw_request_param *np = realloc(r->params, (r->n_params + 1) * sizeof *np);
        if (!np)
            return -ENOMEM;
        r->params = np;
        p = &np[r->n_params];
        *p = (struct bw_request_param){.name = strdup(name)};
        if (!p->name)
            return -ENOMEM;
        r->n_params++;
    }
    if (p->n_values >= BW_MODEL_MAX_VALUES)
        return -E2BIG;
    char **nv = realloc(p->values, (p->n_values + 1) * sizeof *nv);
    if (!nv)
        return -ENOMEM;
    p->values = nv;
    if (!(nv[p->n_values] = strdup(value)))
        return -ENOMEM;
    p->n_values++;
    return 0;
}

void bw_request_free(struct bw_request *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_params; i++) {
        for (size_t j = 0; j < r->params[i].n_values; j++)
            free(r->params[i].values[j]);
        free(r->params[i].values);
        free(r->params[i].name);
    }
    free(r->params);
    free(r->output_format);
    free(r->expires_at);
    *r = (struct bw_request){0};
}

/* ---- checks against the report type ------------------------------------ */

static const struct bw_report_param *find_type_param(const struct bw_report_detail *t,
                                                     const char *name, int anycase)
{
    for (size_t i = 0; i < t->n_params; i++)
        if ((anycase ? strcasecmp : strcmp)(t->params[i].name, name) == 0)
            return &t->params[i];
    return NULL;
}

/* Replace *s by a copy of v (the normalised spelling). */
static int replace(char **s, const char *v)
{
    if (strcmp(*s, v) == 0)
        return 0;
    char *c = strdup(v);
    if (!c)
        return -ENOMEM;
    free(*s);
    *s = c;
    return 0;
}

/* The index of the word of words[] that s names: exactly, else (anycase)
 * in another case when only one word matches so; -1 if none. An ambiguous
 * spelling is left for the user to fix rather than guessed. */
static long pick(const char *s, const char *const *words, size_t n, int anycase)
{
    long hit = -1;
    for (size_t i = 0; i < n; i++)
        if (words[i][0] && strcmp(words[i], s) == 0)
            return (long)i;
    for (size_t i = 0; i < n && anycase; i++)
        if (words[i][0] && strcasecmp(words[i], s) == 0) {
            if (hit >= 0 && strcmp(words[hit], words[i]) != 0)
                return -1;
            hit = (long)i;
        }
    return hit;
}

static void list_words(struct msg *m, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bw_request__msg_put(m, "%s%s", i ? ", " : "", words[i]);
}

static const char *const default_formats[] = {"pdf", "csv", "xls", "xlsx", "html", "xml"};

static int check_format(struct bw_request *r, const struct bw_report_detail *t, struct msg *m)
{
    const char *const *f = t->n_formats ? (const char *const *)t->formats : default_formats;
    size_t n = t->n_formats ? t->n_formats : sizeof default_formats / sizeof *default_formats;
    char q[QUOTE_MAX + 8];
    long hit = r->output_format ? pick(r->output_format, f, n, 1) : -1;
    if (hit >= 0)
        return replace(&r->output_format, f[hit]);
    bw_request__msg_new(m);
    if (r->output_format)
        bw_request__msg_put(m, "OutputFormat %s is not one of: ", Q(q, r->output_format));
    else
        bw_request__msg_put(m, "OutputFormat is required, one of: ");
    list_words(m, f, n);
    return 0;
}

/* A value of an Enum: an InternalName; else a DisplayName; else either in
 * another case (a user copying "Complete" from the template's help means
 * COMPLETE), always sent as the InternalName. With no <Values>, a
 * ValueFilter word; with neither, anything. */
static int check_enum(const struct bw_report_param *tp, char **v, struct msg *m)
{
    const char *internal[BW_MODEL_MAX_VALUES], *display[BW_MODEL_MAX_VALUES];
    const char *const *words = internal;
    size_t n = tp->n_values < BW_MODEL_MAX_VALUES ? tp->n_values : BW_MODEL_MAX_VALUES;
    long hit = -1;
    for (size_t i = 0; i < n; i++) {
        internal[i] = tp->values[i].internal_name;
        display[i] = tp->values[i].display_name;
    }
    if (n) {
        if ((hit = pick(*v, internal, n, 0)) < 0 && (hit = pick(*v, display, n, 0)) < 0 &&
            (hit = pick(*v, internal, n, 1)) < 0)
            hit = pick(*v, display, n, 1);
    } else if (tp->n_filter) {
        words = (const char *const *)tp->filter;
        n = tp->n_filter;
        hit = pick(*v, words, n, 1);
    } else {
        return 0;
    }
    if (hit >= 0)
        return replace(v, words[hit]);
    char q[QUOTE_MAX + 8];
    bw_request__msg_new(m);
    bw_request__msg_put(m, "\"%s\" takes one of: ", tp->name);
    list_words(m, words, n);
    bw_request__msg_put(m, " (got %s)", Q(q, *v));
    return 0;
}

/* One value against the parameter's type; unknown types (String,
 * SpecializedList, new ones) take any text, as the API's docs imply. */
static int check_value(const struct bw_report_param *tp, char **v, struct msg *m)
{
    char q[QUOTE_MAX + 8], what[QUOTE_MAX + 8];
    const char *type = tp->type;
    size_t tl = strlen(type);
    long day;
    if (strcmp(type, "Enum") == 0)
        return check_enum(tp, v, m);
    if (strcmp(type, "Date") == 0) {
        if (bw_request_parse_day(*v, &day) != 0)
            bad_date(m, Q(what, tp->name), *v);
    } else if (strcmp(type, "Integer") == 0) {
        if (!bw_model_all_digits(*v + (**v == '-')))
            bw_request__fail(m, "\"%s\" takes a whole number (got %s)", tp->name, Q(q, *v));
    } else if (strcmp(type, "Boolean") == 0) {
        if (strcasecmp(*v, "true") == 0 || strcasecmp(*v, "false") == 0)
            return replace(v, (**v | 0x20) == 't' ? "true" : "false");
        bw_request__fail(m, "\"%s\" takes true or false (got %s)", tp->name, Q(q, *v));
    } else if (tl >= 3 && strcasecmp(type + tl - 3, " ID") == 0) {
        if (!bw_model_all_digits(*v))
            bw_request__fail(m, "\"%s\" takes a numeric id (got %s)", tp->name, Q(q, *v));
    }
    return 0;
}

/* Drop exact repeats ("COMPLETE" twice, or "Complete" mapped to it): they
 * ask for nothing more, and would otherwise trip the one-value rule. */
static void dedupe(struct bw_request_param *p)
{
    size_t k = 0;
    for (size_t i = 0; i < p->n_values; i++) {
        size_t j = 0;
        while (j < k && strcmp(p->values[j], p->values[i]) != 0)
            j++;
        if (j < k)
            free(p->values[i]);
        else
            p->values[k++] = p->values[i];
    }
    p->n_values = k;
}

static int check_param(struct bw_request_param *p, const struct bw_report_detail *t, struct msg *m)
{
    char q[QUOTE_MAX + 8];
    const struct bw_report_param *tp = find_type_param(t, p->name, 0);
    if (!tp) {
        const struct bw_report_param *near = find_type_param(t, p->name, 1);
        bw_request__msg_new(m);
        if (near) {
            bw_request__msg_put(m, "unknown parameter %s (did you mean \"%s\"?)", Q(q, p->name),
                                near->name);
            return 0;
        }
        bw_request__msg_put(m, "unknown parameter %s (this report takes: ", Q(q, p->name));
        for (size_t i = 0; i < t->n_params; i++)
            bw_request__msg_put(m, "%s%s", i ? ", " : "", t->params[i].name);
        bw_request__msg_put(m, "%s)", t->n_params ? "" : "no parameters");
        return 0;
    }
    for (size_t j = 0; j < p->n_values; j++) {
        int rc = check_value(tp, &p->values[j], m);
        if (rc)
            return rc;
    }
    dedupe(p);
    if (!tp->multi && p->n_values > 1)
        bw_request__fail(m, "\"%s\" takes one value, not %zu", tp->name, p->n_values);
    return 0;
}

static void check_expires(const char *s, time_t now, struct msg *m)
{
    char d1[32], d2[32];
    long day, today = today_of(now);
    if (bw_request_parse_day(s, &day) != 0)
        bad_date(m, "ExpiresAt", s);
    else if (day < today)
        bw_request__fail(m, "ExpiresAt %s is in the past (today is %s)", s,
                         fmt_day(d1, sizeof d1, today));
    else if (day > today + BW_REQUEST_EXPIRES_DAYS)
        bw_request__fail(m, "ExpiresAt %s is more than %d days ahead (latest %s)", s,
                         BW_REQUEST_EXPIRES_DAYS,
                         fmt_day(d2, sizeof d2, today + BW_REQUEST_EXPIRES_DAYS));
}

int bw_request_validate(struct bw_request *r, const struct bw_report_detail *type,
                        const char *account, time_t now, char *err, size_t errlen)
{
    struct msg m;
    int rc = 0;
    bw_request__msg_init(&m, err, errlen);
    /* The mount knows the account: a user should not have to repeat it. */
    for (size_t i = 0; i < type->n_params && rc == 0; i++)
        if (strcasecmp(type->params[i].type, "Account ID") == 0 && account && account[0] &&
            !find_req(r, type->params[i].name))
            rc = bw_request_add_value(r, type->params[i].name, account);
    if (rc == 0)
        rc = check_format(r, type, &m);
    for (size_t i = 0; i < r->n_params && rc == 0; i++)
        rc = check_param(&r->params[i], type, &m);
    for (size_t i = 0; i < type->n_params && rc == 0; i++) {
        const struct bw_request_param *p = find_req(r, type->params[i].name);
        if (type->params[i].required && (!p || !p->n_values))
            bw_request__fail(&m, "\"%s\" is required", type->params[i].name);
    }
    if (rc == 0 && r->expires_at)
        check_expires(r->expires_at, now, &m);
    if (rc) {
        bw_request__msg_init(&m, err, errlen);
        bw_request__fail(&m, rc == -E2BIG ? "too many parameters" : "out of memory");
        return rc;
    }
    return m.count ? -EINVAL : 0;
}

int bw_request_validate_billing(const struct bw_billing_request *b, time_t now, char *err,
                                size_t errlen)
{
    struct msg m;
    long s = 0, e = 0, today = today_of(now);
    char d1[32];
    bw_request__msg_init(&m, err, errlen);
    if (!memchr(b->type, '\0', sizeof b->type) || !b->type[0])
        bw_request__fail(&m, "no billing report type");
    const char *start = memchr(b->start, '\0', sizeof b->start) ? b->start : "";
    const char *end = memchr(b->end, '\0', sizeof b->end) ? b->end : "";
    int s_ok = 0, e_ok = 0;
    if (!start[0])
        bw_request__fail(&m, "StartDate is required (YYYY-MM-DD)");
    else if (!(s_ok = bw_request_parse_day(start, &s) == 0))
        bad_date(&m, "StartDate", start);
    if (!end[0])
        bw_request__fail(&m, "EndDate is required (YYYY-MM-DD)");
    else if (!(e_ok = bw_request_parse_day(end, &e) == 0))
        bad_date(&m, "EndDate", end);
    if (s_ok && e_ok && s > e)
        bw_request__fail(&m, "StartDate %s is after EndDate %s", start, end);
    if (e_ok && e > today)
        bw_request__fail(&m, "EndDate %s is in the future (today is %s)", end,
                         fmt_day(d1, sizeof d1, today));
    return m.count ? -EINVAL : 0;
}

/* ---- duplicate detection ------------------------------------------------ */

struct pair {
    const char *name, *value;
};

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

int bw_request_same(const struct bw_request *r, const struct bw_instance *in)
{
    const char *f1 = r->output_format ? r->output_format : "";
    const char *f2 = in->output_format ? in->output_format : "";
    size_t n1 = 0, n2 = 0, k = 0;
    if (strcasecmp(f1, f2) != 0)
        return 0;
    for (size_t i = 0; i < r->n_params; i++)
        n1 += r->params[i].n_values;
    for (size_t i = 0; i < in->n_params; i++)
        n2 += in->params[i].n_values;
    if (n1 != n2)
        return 0;
    if (n1 == 0)
        return 1;
    /* Sorted copies compare as multisets in n log n (an instance may hold
     * many values), and order is what the API is free to change. */
    struct pair *a = calloc(n1, sizeof *a), *b = calloc(n1, sizeof *b);
    int same = 0;
    if (a && b) {
        for (size_t i = 0; i < r->n_params; i++)
            for (size_t j = 0; j < r->params[i].n_values; j++)
                a[k++] = (struct pair){r->params[i].name, r->params[i].values[j]};
        k = 0;
        for (size_t i = 0; i < in->n_params; i++)
            for (size_t j = 0; j < in->params[i].n_values; j++)
                b[k++] = (struct pair){in->params[i].name, in->params[i].values[j]};
        qsort(a, n1, sizeof *a, pair_cmp);
        qsort(b, n1, sizeof *b, pair_cmp);
        same = 1;
        for (size_t i = 0; i < n1 && same; i++)
            same = pair_cmp(&a[i], &b[i]) == 0;
    }
    free(a);
    free(b);
    return same;
}
