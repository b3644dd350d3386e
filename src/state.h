/* state: what the mount remembers in state_dir across restarts (format and
 * protocol: docs/internals/state.md):
 *  - state_dir/<acct>/billing.ids: the billing reports created through the
 *    mount, one "TYPE UUID CREATED" line each (CREATED: epoch seconds). The
 *    API cannot list most billing types, so this file is the only record of
 *    a BDR or INVOICE report the user asked for.
 *  - state_dir/<acct>/latest: the target of each directory's `latest`
 *    symlink, one "DIR ID" line each (DIR: "reports/14", "billing/BDR").
 *
 * Contract:
 *  - Every write is atomic: the new content goes to FILE.tmp.<pid>.<tid>
 *    (O_CREAT|O_EXCL, 0600), is fsync'd, renamed over FILE, and the directory
 *    is fsync'd; a reader (or a restart after kill -9 or a power cut) sees
 *    the old file or the new one, never a mix. state_dir and
 *    state_dir/<acct> are created (0700) as needed.
 *  - Writers within the process are serialised by one mutex (read, modify,
 *    rewrite), so concurrent writers lose no line. Nothing else is done
 *    under it: no network call. Two processes (two mounts) writing one
 *    state_dir are NOT supported: their rewrites may drop each other's
 *    lines.
 *  - Readers take no lock: a rename is atomic.
 *  - Ids, types and accounts are checked (bw_model_id_ok(), known billing
 *    types) before they reach a path or a file: -EINVAL otherwise.
 *  - Lines a writer does not understand are kept as they are (a newer
 *    version may have written them); readers skip them.
 *  - Never logs ids.
 */
#ifndef BW_STATE_H
#define BW_STATE_H

#include <stddef.h>
#include <time.h>

#include "model.h"

#define BW_STATE_MAX_IDS 100000
#define BW_STATE_MAX_FILE (16u << 20) /* bytes of one state file read back */

struct bw_state_billing {
    char type[48];
    char id[BW_MODEL_ID_MAX + 1];
    time_t created; /* epoch seconds; 0 when the line has none (older format) */
};

struct bw_state_billing_list {
    struct bw_state_billing *items;
    size_t n;
};

/* The billing reports remembered for account (all types, file order, no
 * duplicates: the first line of a (type, id) wins). A missing file or
 * state_dir (NULL) is an empty list. "TYPE UUID" lines (the first format)
 * read with created 0, and so does a third field that is not a number;
 * lines without a known type and a valid id, or with more fields, are
 * skipped. 0, -EINVAL (bad account), -ENOMEM, -E2BIG, or the errno of
 * reading the file. */
int bw_state_billing_ids(const char *state_dir, const char *account,
                         struct bw_state_billing_list *out);

void bw_state_billing_list_free(struct bw_state_billing_list *l);

/* Remember a billing report: append "TYPE ID CREATED" to billing.ids
 * (atomically, see above) unless that type and id are there already. Call
 * it before telling the user the report exists. 0, -EINVAL (no state_dir, a
 * bad account or id, an unknown type, created < 0), -E2BIG (the file holds
 * BW_STATE_MAX_IDS lines or BW_STATE_MAX_FILE bytes), or the errno of the
 * file system (-ENOSPC, -EACCES, ...). */
int bw_state_remember_billing(const char *state_dir, const char *account, const char *type,
                              const char *id, time_t created);

/* Forget a billing report (every line with that id, whatever its type): for
 * when the API answers 404 for it. 0 also when it was not there; errors as
 * above. */
int bw_state_forget_billing(const char *state_dir, const char *account, const char *id);

/* Set the `latest` of directory dir ("reports/<id>" or "billing/<TYPE>",
 * relative to the account) to id, atomically, replacing what it was; id
 * NULL clears it (the last request failed).
 * 0, -EINVAL (bad state_dir, account, dir or id), file system errno. */
int bw_state_set_latest(const char *state_dir, const char *account, const char *dir,
                        const char *id);

/* The `latest` id of dir into id (idlen bytes). 0, -ENOENT (none, or no
 * state_dir), -EINVAL (bad account or dir), -ERANGE (idlen too small), or
 * the errno of reading the file. */
int bw_state_get_latest(const char *state_dir, const char *account, const char *dir, char *id,
                        size_t idlen);

#endif
