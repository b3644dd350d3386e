/* slug: report name -> directory name, and clash resolution (see slug.h). */
#include "slug.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

size_t bw_slug_make(const char *name, char *out, size_t outsize)
{
    size_t max = outsize - 1, n = 0;
    int dash = 0;

    if (max > BW_SLUG_BASE_MAX)
        max = BW_SLUG_BASE_MAX;
    for (const unsigned char *p = (const unsigned char *)name; *p && n < max; p++) {
        unsigned char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n > 0) {
                out[n++] = '-';
                if (n == max)
                    break;
            }
            dash = 0;
            out[n++] = (char)c;
        } else {
            dash = 1;
        }
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    return n;
}

int bw_slug_idcmp(const char *a, const char *b)
{
    if (bw_model_all_digits(a) && bw_model_all_digits(b)) {
        while (*a == '0' && a[1])
            a++;
        while (*b == '0' && b[1])
            b++;
        size_t la = strlen(a), lb = strlen(b);
        if (la != lb)
            return la < lb ? -1 : 1;
    }
    int c = strcmp(a, b);
    return c < 0 ? -1 : c > 0;
}

static void append_id(char *name, const char *id)
{
    size_t len = strlen(name);
    snprintf(name + len, sizeof(bw_slug_name) - len, "-%s", id);
}

/* Index of an earlier entry (in order[0..k)) whose name equals out[i], or -1. */
static long taken_by(bw_slug_name *out, const size_t *order, size_t k, size_t i)
{
    for (size_t j = 0; j < k; j++)
        if (order[j] != i && out[order[j]][0] && strcmp(out[order[j]], out[i]) == 0)
            return (long)order[j];
    return -1;
}

int bw_slug_assign(const char *const *names, const char *const *ids, size_t n, bw_slug_name *out)
{
    char *clash = calloc(n ? n : 1, 1);
    size_t *order = calloc(n ? n : 1, sizeof *order);

    if (!clash || !order) {
        free(clash);
        free(order);
        return -ENOMEM;
    }
    /* 1. base slugs */
    for (size_t i = 0; i < n; i++) {
        if (bw_slug_make(names[i], out[i], sizeof out[i]) == 0)
            snprintf(out[i], sizeof out[i], "report-%.64s", ids[i]);
    }
    /* 2. in each group sharing a base, all but the lowest id get "-<id>" */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (i == j || strcmp(out[i], out[j]) != 0)
                continue;
            int c = bw_slug_idcmp(ids[j], ids[i]);
            if (c < 0 || (c == 0 && j < i)) {
                clash[i] = 1; /* someone with a lower id keeps the base */
                break;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (clash[i])
            append_id(out[i], ids[i]);
    /* 3. unsuffixed names win; suffixed ones that still collide get one more
     *    suffix, then are dropped. Process unsuffixed entries first. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!clash[i])
            order[k++] = i;
    for (size_t i = 0; i < n; i++)
        if (clash[i])
            order[k++] = i;
    for (size_t pos = 0; pos < n; pos++) {
        size_t i = order[pos];
        for (int round = 0; round < 2 && taken_by(out, order, pos, i) >= 0; round++) {
            if (round == 0)
                append_id(out[i], ids[i]);
            else
                out[i][0] = '\0';
        }
    }
    free(clash);
    free(order);
    return 0;
}
