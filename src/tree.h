/* tree: the file system's names and nodes, and the cache of API listings.
 *
 * Layout (this version):
 *   /                       the configured accounts
 *   /<acct>/                reports, billing
 *   /<acct>/reports/        one directory per report type, named by slug
 *   /<acct>/reports/<slug>/ empty for now
 *   /<acct>/billing/        empty for now
 * Every node is a read-only directory (0555). Unknown names are -ENOENT.
 *
 * Contract:
 *  - Paths are absolute, '/'-separated, as FUSE passes them.
 *  - Listings fetched from the source (api) are cached for ttl seconds;
 *    within the ttl, getattr/readdir cost no API call. A failed fetch is
 *    remembered for error_ttl seconds and its errno returned meanwhile.
 *  - Locking: one mutex (tree->lock) guards every account's cache. It is
 *    NEVER held across a source call: a fetch marks the listing "fetching",
 *    drops the lock, calls the source, re-takes the lock to store. Other
 *    threads wanting the same listing wait on tree->cond (single flight).
 *  - No FUSE types: results are struct stat and plain name arrays.
 */
#ifndef BW_TREE_H
#define BW_TREE_H

#include <stddef.h>
#include <sys/stat.h>

#include "model.h"

struct bw_tree;

/* Where listings come from (the api, or a fake in unit tests). Called without
 * any tree lock held, from any thread. Returns 0 or a negative errno. */
struct bw_tree_source {
    void *ctx;
    int (*list_reports)(void *ctx, const char *account, struct bw_report_list *out);
};

struct bw_tree_config {
    const char *const *accounts; /* decimal ids, copied */
    size_t naccounts;
    unsigned ttl;                /* seconds a listing stays fresh, >= 1 */
    unsigned error_ttl;          /* seconds a failure is remembered; 0: min(ttl, 5) */
    struct bw_tree_source source;
    long long (*clock_ms)(void); /* monotonic milliseconds; NULL: CLOCK_MONOTONIC */
};

/* A directory's entries, without "." and "..". Owned by the caller. */
struct bw_tree_dir {
    char **names;
    size_t n;
};

/* 0, -EINVAL, -ENOMEM. */
int bw_tree_new(const struct bw_tree_config *cfg, struct bw_tree **out);

/* No other thread may be inside the tree. */
void bw_tree_free(struct bw_tree *t);

/* Attributes of path. 0, -ENOENT, or the errno of a listing fetch that was
 * needed to resolve the name (e.g. -EACCES). */
int bw_tree_getattr(struct bw_tree *t, const char *path, struct stat *st);

/* Entries of the directory at path. 0 or negative errno; on error out is empty. */
int bw_tree_readdir(struct bw_tree *t, const char *path, struct bw_tree_dir *out);

void bw_tree_dir_free(struct bw_tree_dir *d);

#endif
