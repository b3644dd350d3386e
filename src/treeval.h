/* treeval: private to the tree: the values it caches in meta (each embeds
 * struct bw_meta_val; immutable once stored) and the fetches that build them
 * from the source. Fetches run without any lock held. */
#ifndef BW_TREEVAL_H
#define BW_TREEVAL_H

#include <pthread.h>

#include "meta.h"
#include "slug.h"
#include "tree.h"

/* What the tree knows of one directory's `new` and `latest` (key
 * "<acct>/reports/<rid>" or "<acct>/billing/<TYPE>"). Guarded by req_lock. */
struct newstate {
    struct newstate *next;
    char key[256];
    char *why;                          /* the last request failed: why (malloc), or NULL */
    char latest[BW_MODEL_ID_MAX + 1];   /* created through this mount, or "" */
    int failed;                         /* the last request failed: no `latest` at all */
};

/* The tree's configuration (immutable) and its two pieces of mutable state. */
struct bw_tree {
    struct bw_tree_source src;
    long long ttl_ms, status_ttl_ms;
    uid_t uid;
    gid_t gid;
    time_t mount_time;
    size_t nacct;
    char **acct;
    struct bw_meta *meta; /* mutable: meta->lock guards it (meta.h) */
    pthread_mutex_t req_lock; /* guards news and every newstate; never held across a
                               * source call; nests with no lock but log's */
    struct newstate *news;
};

struct types_val { /* report types of an account */
    struct bw_meta_val base;
    size_t n;
    bw_slug_name *slugs;
    char **ids;
};

struct text_val { /* P/: a type's parameters text, and its metadata when the source gives it */
    struct bw_meta_val base;
    struct bw_tree_text text;
    struct bw_report_detail *detail; /* NULL without src.report_detail */
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

/* ---- resolved paths (tree.c) ---- */
enum kind {
    K_ROOT, K_ACCOUNT, K_REPORTS, K_BILLING,
    K_TYPE, K_TYPE_PARAMS, K_INST, K_INST_STATUS, K_INST_INFO, K_INST_PARAMS, K_INST_FILE,
    K_BTYPE, K_BILL, K_BILL_STATUS, K_BILL_INFO, K_BILL_FILE,
    K_NEW, K_LATEST, /* in a report-type (rid set) or billing-type (btype set) directory */
};

/* A resolved path. Pointers stay valid while the references in hold[] are held. */
struct node {
    enum kind kind;
    const char *acct;                     /* t->acct[i], immutable */
    char rid[BW_MODEL_ID_MAX + 1];        /* report type id */
    char id[BW_MODEL_ID_MAX + 1];         /* instance id or billing uuid */
    char btype[48];                       /* billing type */
    struct bw_meta_val *hold[6];          /* references resolve() took (at most 4 today) */
    const struct bw_tree_instance *inst;  /* K_INST* */
    const struct bw_tree_billing *bill;   /* K_BILL*: the freshest record */
    const struct bw_tree_text *text;      /* K_TYPE_PARAMS, K_NEW of a report type */
    const struct bw_report_detail *detail; /* K_NEW of a report type, when known */
    char latest[BW_MODEL_ID_MAX + 1];     /* K_LATEST: the target */
    time_t mtime;                         /* of the instance / billing report, or 0 */
    long long fsize;                      /* K_*_FILE */
    char fname[BW_TREE_NAME_MAX + 1];     /* K_*_FILE, and after file_of() */
};

#define TREE_DIR_MAX (64 + BW_MODEL_ID_MAX)

/* Resolve path; on 0 the caller must tree_node_release(). */
int tree_resolve(struct bw_tree *t, const char *path, struct node *nd);
void tree_node_release(struct bw_tree *t, struct node *nd);
/* "reports/<rid>" or "billing/<TYPE>" (buf: TREE_DIR_MAX bytes): the
 * directory of a K_NEW / K_LATEST node. */
const char *tree_dir_of(const struct node *nd, char *buf);

/* tree_new.c: `new` and `latest` of a report-type ("reports/<rid>") or
 * billing-type ("billing/<TYPE>") directory. */
/* The text `new` reads: the last failure's reason as comments, then the
 * template (type_text for report types, the billing template otherwise). */
int tn_template(struct bw_tree *t, const char *acct, const char *dir,
                const struct bw_tree_text *type_text, struct bw_tree_text *out);
/* The latest id created in acct/dir: this mount's, else state_dir's. 0 or -ENOENT. */
int tn_latest(struct bw_tree *t, const char *acct, const char *dir, char *id, size_t idlen,
              int *mine /* set to 1 when created by this mount; may be NULL */);
/* A remembered billing report the API answered 404 for: forget it. */
void tn_forget_billing(struct bw_tree *t, const char *acct, const char *id);
void tn_free(struct bw_tree *t);

#endif
