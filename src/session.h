/* session: builds the core object graph (auth, http, api, content cache, tree)
 * from the options, and runs the start-up check. Keeps main.c and fs.c thin.
 *
 * Contract:
 *  - bw_session_global_init() once from the main thread before any other
 *    thread exists (libcurl, libxml2); bw_session_global_cleanup() at exit.
 *  - bw_session_new() does no network I/O; bw_session_check() does exactly
 *    one API call (GET BASE/accounts/{first}/reports) and, on failure, writes
 *    one line for the user (URL without secrets, HTTP status, ErrorCode,
 *    Description, and a hint) into err.
 *  - The session borrows opts; opts must outlive it. Thread-safe to use from
 *    FUSE worker threads once created (through bw_session_tree()).
 */
#ifndef BW_SESSION_H
#define BW_SESSION_H

#include <stddef.h>

#include "cache.h"
#include "opts.h"
#include "tree.h"

struct bw_session;

int bw_session_global_init(void);
void bw_session_global_cleanup(void);

/* 0, or a negative errno with a one-line message in err. */
int bw_session_new(const struct bw_options *opts, struct bw_session **out, char *err, size_t errlen);

/* Check reachability and credentials. 0, or negative errno + message. */
int bw_session_check(struct bw_session *s, char *err, size_t errlen);

struct bw_tree *bw_session_tree(struct bw_session *s);
struct bw_cache *bw_session_cache(struct bw_session *s); /* report bytes (cache.h) */
const struct bw_options *bw_session_options(const struct bw_session *s);

void bw_session_free(struct bw_session *s);

#endif
