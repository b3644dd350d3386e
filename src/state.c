/* state: remembered billing report ids in state_dir (see state.h). */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

static int seen(const struct bw_state_billing_list *l, const char *type, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].id, id) == 0 && strcmp(l->items[i].type, type) == 0)
            return 1;
    return 0;
}

int bw_state_billing_ids(const char *state_dir, const char *account,
                         struct bw_state_billing_list *out)
{
    char path[4096], line[512];
    size_t cap = 0;
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (!state_dir)
        return 0;
    if (snprintf(path, sizeof path, "%s/%s/billing.ids", state_dir, account) >= (int)sizeof path)
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
    while (fgets(line, sizeof line, f)) {
        char type[64], id[128], extra[2];
        if (sscanf(line, "%63s %127s %1s", type, id, extra) != 2)
            continue;
        if (!bw_names_billing_known(type) || strlen(type) >= sizeof out->items->type ||
            !bw_model_id_ok(id) || seen(out, type, id))
            continue;
        if (out->n == BW_STATE_MAX_IDS) {
            rc = -E2BIG;
            break;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct bw_state_billing *items = realloc(out->items, ncap * sizeof *items);
            if (!items) {
                rc = -ENOMEM;
                break;
            }
            out->items = items;
            cap = ncap;
        }
        /* both lengths were checked: a known type, an id of at most BW_MODEL_ID_MAX */
        memcpy(out->items[out->n].type, type, strlen(type) + 1);
        memcpy(out->items[out->n].id, id, strlen(id) + 1);
        out->n++;
    }
    if (!rc && ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc)
        bw_state_billing_list_free(out);
    return rc;
}

void bw_state_billing_list_free(struct bw_state_billing_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}
