/* state: what the mount remembers in state_dir across restarts. For now the
 * billing reports created through the mount (the API cannot list most types):
 * state_dir/<acct>/billing.ids, one "TYPE UUID" line each.
 *
 * Contract: reads only (the next issue adds the writer); no global state;
 * thread-safe (each call opens and reads the file itself); never logs ids.
 */
#ifndef BW_STATE_H
#define BW_STATE_H

#include <stddef.h>

#include "model.h"

#define BW_STATE_MAX_IDS 100000

struct bw_state_billing {
    char type[48];
    char id[BW_MODEL_ID_MAX + 1];
};

struct bw_state_billing_list {
    struct bw_state_billing *items;
    size_t n;
};

/* The billing reports remembered for account (all types, file order, no
 * duplicates). A missing file or state_dir (NULL) is an empty list. Lines that
 * are not "TYPE UUID" with a known type and a valid id are skipped.
 * 0, -ENOMEM, -E2BIG, or the errno of reading the file. */
int bw_state_billing_ids(const char *state_dir, const char *account,
                         struct bw_state_billing_list *out);

void bw_state_billing_list_free(struct bw_state_billing_list *l);

#endif
