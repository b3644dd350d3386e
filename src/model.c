/* model: storage helpers for the plain API data types (see model.h). */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
