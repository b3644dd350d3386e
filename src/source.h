/* source: binds the tree's source interface (tree.h) and the content cache's
 * fetcher (cache.h) to the api, the content cache and state_dir. The only
 * place that converts api model data to the tree's records, and
 * bw_api_file_meta to bw_cache_meta; cache and api know nothing of each other.
 *
 * Contract: the struct is filled once by session and then read-only; every
 * callback is thread-safe (the api, cache and state are). Failures are logged
 * here, once, with the API's ErrorCode and Description: not-found and
 * not-ready at debug level (lookups of unknown names are normal), the rest as
 * warnings.
 */
#ifndef BW_SOURCE_H
#define BW_SOURCE_H

#include "api.h"
#include "cache.h"
#include "tree.h"

struct bw_source {
    struct bw_api *api;     /* borrowed */
    struct bw_cache *cache; /* borrowed; set before the tree is used */
    const char *state_dir;  /* borrowed, may be NULL */
};

/* The tree's source, with ctx = s. */
void bw_source_tree(struct bw_source *s, struct bw_tree_source *out);

/* The content cache's fetcher (bw_api_download), with ctx = s. */
void bw_source_fetcher(struct bw_source *s, struct bw_cache_fetcher *out);

#endif
