/* treeval: private to the tree: the values it caches in meta (each embeds
 * struct bw_meta_val; immutable once stored) and the fetches that build them
 * from the source. Fetches run without any lock held. */
#ifndef BW_TREEVAL_H
#define BW_TREEVAL_H

#include "meta.h"
#include "slug.h"
#include "tree.h"

/* The tree's immutable configuration, which fetches read. */
struct bw_tree {
    struct bw_tree_source src;
    long long ttl_ms, status_ttl_ms;
    uid_t uid;
    gid_t gid;
    time_t mount_time;
    size_t nacct;
    char **acct;
    struct bw_meta *meta; /* the only mutable state: meta->lock guards it (meta.h) */
};

struct types_val { /* report types of an account */
    struct bw_meta_val base;
    size_t n;
    bw_slug_name *slugs;
    char **ids;
};

struct text_val {
    struct bw_meta_val base;
    struct bw_tree_text text;
};

struct ilist_val {
    struct bw_meta_val base;
    struct bw_tree_instance_list list;
};

struct inst_val {
    struct bw_meta_val base;
    struct bw_tree_instance inst;
};

struct blist_val {
    struct bw_meta_val base;
    struct bw_tree_billing_list list;
};

struct bill_val {
    struct bw_meta_val base;
    struct bw_tree_billing bill;
};

struct probe_val {
    struct bw_meta_val base;
    struct bw_tree_probe probe;
};

/* What a fetch needs: the tree and the names of what to fetch. */
struct fetch_arg {
    struct bw_tree *t;
    const char *acct, *rid, *id, *type, *key;
};

/* bw_meta_fetch_fn's: report types (slugs), a type's parameters text, a
 * type's instances, one instance, a billing list (type set) or the
 * remembered billing reports (type NULL), one billing report, a file probe. */
int tv_fetch_types(void *arg, struct bw_meta_val **out);
int tv_fetch_params(void *arg, struct bw_meta_val **out);
int tv_fetch_ilist(void *arg, struct bw_meta_val **out);
int tv_fetch_inst(void *arg, struct bw_meta_val **out);
int tv_fetch_blist(void *arg, struct bw_meta_val **out);
int tv_fetch_bill(void *arg, struct bw_meta_val **out);
int tv_fetch_probe(void *arg, struct bw_meta_val **out);

#endif
