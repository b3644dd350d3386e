/* fs_write: the buffer of one open of a `new` file for writing, and the
 * submission of its content on flush (see docs/internals/fs.md).
 *
 * Contract:
 *  - Each open for writing has its own buffer (concurrent writers never mix);
 *    it behaves like a small file: writes at any offset (holes read as
 *    zeros), O_APPEND, truncation, reads of what was written. At most
 *    BW_TREE_NEW_MAX bytes: beyond, -EFBIG.
 *  - fs_wbuf_flush() submits the content (bw_tree_submit) when it changed
 *    since the last submission and is not empty: exactly one request per
 *    written content however many flushes (dup'd descriptors, cp). A flush
 *    with nothing new returns the last submission's result (0 if none).
 *  - Locking: w->lock guards the buffer and the flags; it is never held
 *    across the submission (a network call): the content is copied, the
 *    lock dropped; a concurrent flush of the same buffer waits on w->cond
 *    for that submission's result instead of sending it again.
 *  - No FUSE types.
 */
#ifndef BW_FS_WRITE_H
#define BW_FS_WRITE_H

#include <stddef.h>
#include <sys/types.h>

#include "tree.h"

struct fs_wbuf;

/* A buffer for path, holding init (len bytes: the file as it reads now, or
 * nothing after O_TRUNC) unchanged. append: every write goes to the end.
 * 0, -ENOMEM. */
int fs_wbuf_new(const char *path, int append, const char *init, size_t len,
                struct fs_wbuf **out);

/* Bytes written (size) or -EFBIG, -ENOMEM. */
int fs_wbuf_write(struct fs_wbuf *w, const char *buf, size_t size, off_t off);

/* Bytes read (0 at the end). */
int fs_wbuf_read(struct fs_wbuf *w, char *buf, size_t size, off_t off);

/* 0, -EFBIG, -EINVAL (negative), -ENOMEM. */
int fs_wbuf_truncate(struct fs_wbuf *w, off_t size);

/* Submit the content if it changed (see above); its result. */
int fs_wbuf_flush(struct fs_wbuf *w, struct bw_tree *t);

void fs_wbuf_free(struct fs_wbuf *w);

#endif
