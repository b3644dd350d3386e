/* fs: the FUSE front. Converts the option table to fuse_opt and maps FUSE
 * operations onto the tree (names, attributes, generated files) and the
 * content cache (report bytes); holds no state beyond per-open handles.
 *
 * Contract:
 *  - The only module besides main.c that includes FUSE headers.
 *  - Callbacks never exit or abort; every failure returns -errno from tree.
 *  - Thread-safe: callbacks run concurrently on libfuse's worker threads;
 *    an open file's handle is used by one open description (FUSE serialises
 *    nothing for us): a read handle is immutable after open, a `new` write
 *    buffer has its own lock (fs_write.h).
 *  - Read-only but for the content of `new`: writes, truncation and flush
 *    (which submits the request, so close(2) returns its outcome) reach
 *    only a `new` opened for writing; mkdir, unlink, rename, create, chmod...
 *    answer EROFS. No xattr or lock operations (xattr calls get ENOSYS from
 *    libfuse).
 */
#ifndef BW_FS_H
#define BW_FS_H

#define FUSE_USE_VERSION 31
#include <fuse.h>

#include <stddef.h>

#include "cache.h"
#include "opts.h"
#include "tree.h"

/* What fs callbacks need; passed as fuse_new()'s user_data. Immutable. */
struct bw_fs_ctx {
    struct bw_tree *tree;
    struct bw_cache *cache; /* report bytes */
    unsigned meta_ttl;     /* default attr/entry timeout (seconds) */
    int timeouts_given;    /* the user set attr_timeout or entry_timeout */
};

/* Result of bw_fs_parse_args(). */
struct bw_fs_cmdline {
    int help;
    int version;
    int timeouts_given;
};

/* Parse bwreportfs options out of args (as a struct fuse_opt[] built from
 * bw_opts_table), leaving FUSE's own options and the mount point in args.
 * Refuses options that look like secrets without echoing them.
 * 0, or -1 with a one-line message in err. */
int bw_fs_parse_args(struct fuse_args *args, struct bw_options *o, struct bw_fs_cmdline *cl,
                     char *err, size_t errlen);

/* The operations table for fuse_new(). */
const struct fuse_operations *bw_fs_operations(void);

#endif
