/* tree: the file system's names and nodes, over a metadata cache (meta.h) of
 * what the API lists.
 *
 * Layout (docs/layout.md is the user's view):
 *   /<acct>/reports/<slug>/                    report types (numeric id: an unlisted alias)
 *   /<acct>/reports/<slug>/parameters          what the type accepts
 *   /<acct>/reports/<slug>/<iid>/status|info.xml|parameters|<filename> (file when Ready)
 *   /<acct>/billing/<TYPE>/<uuid>/status|info.xml|<filename>.zip (zip when COMPLETED)
 *   /<acct>/reports/<slug>/new, /<acct>/billing/<TYPE>/new   (0644: write a request)
 *   /<acct>/reports/<slug>/latest, /<acct>/billing/<TYPE>/latest (symlink to the
 *                                              last instance / report created here)
 * Directories 0555, files 0444 (new 0644). Unknown names and desktop probes: -ENOENT.
 *
 * Contract:
 *  - Paths are absolute, '/'-separated, as FUSE passes them.
 *  - What the source answers is cached (meta.h): lists and details for ttl,
 *    an instance's status for status_ttl, failures for error_ttl. A
 *    directory's listing costs at most a request or two; attributes of its
 *    entries none. Desktop probe names (names.h) never cost a request.
 *  - Locking: the tree's mutable state is the meta cache (meta->lock) and the
 *    per-directory request state (the last failure of each `new`, the latest
 *    id: t->req_lock). Neither lock is held across a source call; source
 *    calls (network, state_dir) run with no lock held.
 *  - No FUSE types: results are struct stat, name arrays and file descriptions.
 */
#ifndef BW_TREE_H
#define BW_TREE_H

#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "model.h"
#include "request.h"

struct bw_tree;

#define BW_TREE_STATUS_MAX 64
#define BW_TREE_NAME_MAX 255

/* One report instance as the tree needs it. */
struct bw_tree_instance {
    char id[BW_MODEL_ID_MAX + 1];
    char status[BW_TREE_STATUS_MAX]; /* the API's Status word */
    char format[16];                 /* OutputFormat, for the fallback file name */
    time_t mtime;                    /* RequestedAt, 0 if unknown */
    char *info;                      /* info.xml bytes (malloc) */
    size_t info_len;
    char *params;                    /* the instance's parameters file (malloc) */
    size_t params_len;
};

struct bw_tree_instance_list {
    struct bw_tree_instance *items;
    size_t n;
};

/* One billing report. */
struct bw_tree_billing {
    char id[BW_MODEL_ID_MAX + 1];
    char type[48];                   /* BillingReportKind, or "" if unknown */
    char status[BW_TREE_STATUS_MAX]; /* ReportStatus */
    time_t mtime;                    /* CreatedDate, 0 if unknown */
    char *info;                      /* info.xml bytes (malloc) */
    size_t info_len;
};

struct bw_tree_billing_list {
    struct bw_tree_billing *items;
    size_t n;
};

/* Bytes of a generated file (malloc). */
struct bw_tree_text {
    char *buf;
    size_t len;
};

/* What a file probe learned. */
struct bw_tree_probe {
    long long size;
    char name[BW_TREE_NAME_MAX + 1]; /* raw Content-Disposition name, or "" */
};

/* Where metadata comes from (session binds the api and the content cache;
 * unit tests bind fakes). Called without any tree lock held, from any
 * thread. Each returns 0 or a negative errno; outputs are zeroed first and
 * owned by the tree afterwards (freed with bw_tree_*_free). */
struct bw_tree_source {
    void *ctx;
    int (*list_reports)(void *ctx, const char *acct, struct bw_report_list *out);
    /* the type's parameters file (rendered from GET /reports/{id}) */
    int (*report_params)(void *ctx, const char *acct, const char *report_id,
                         struct bw_tree_text *out);
    int (*list_instances)(void *ctx, const char *acct, const char *report_id,
                          struct bw_tree_instance_list *out);
    int (*get_instance)(void *ctx, const char *acct, const char *report_id, const char *iid,
                        struct bw_tree_instance *out);
    /* only called for listable types (DIDSNAP, DIDSNAP_MSG) */
    int (*list_billing)(void *ctx, const char *acct, const char *type,
                        struct bw_tree_billing_list *out);
    int (*get_billing)(void *ctx, const char *acct, const char *uuid, struct bw_tree_billing *out);
    /* billing reports remembered in state_dir (type and id set); may be NULL */
    int (*remembered_billing)(void *ctx, const char *acct, struct bw_tree_billing_list *out);
    /* the /file URL of an instance (report_id set) or billing report (NULL), malloc'd */
    int (*file_url)(void *ctx, const char *acct, const char *report_id, const char *id,
                    char **out);
    /* size and name of the file under key/url, without downloading it */
    int (*probe)(void *ctx, const char *key, const char *url, struct bw_tree_probe *out);

    /* ---- optional: requesting reports (NULL: `new` refuses with -EROFS) ---- */
    /* the type's metadata (GET /reports/{id}); when set, the tree renders the
     * type's parameters text itself and keeps the detail for validation */
    int (*report_detail)(void *ctx, const char *acct, const char *report_id,
                         struct bw_report_detail *out);
    /* POST a built request. 0 and the new id, or -errno with a plain-words
     * reason in why (the API's ErrorCode and Description when it answered). */
    int (*create_instance)(void *ctx, const char *acct, const char *report_id,
                           const struct bw_request *req, const char *body, size_t len,
                           char *id, size_t idlen, char *why, size_t whylen);
    int (*create_billing)(void *ctx, const char *acct, const char *type, const char *body,
                          size_t len, char *id, size_t idlen, char *why, size_t whylen);
    /* state_dir: remember / forget a billing report, the latest id of a
     * directory ("reports/14", "billing/BDR"); get_latest -ENOENT when none;
     * set_latest with id NULL clears it (the last request failed) */
    int (*remember_billing)(void *ctx, const char *acct, const char *type, const char *id,
                            time_t created);
    int (*forget_billing)(void *ctx, const char *acct, const char *id);
    int (*set_latest)(void *ctx, const char *acct, const char *dir, const char *id);
    int (*get_latest)(void *ctx, const char *acct, const char *dir, char *id, size_t idlen);
};

struct bw_tree_config {
    const char *const *accounts; /* decimal ids, copied */
    size_t naccounts;
    unsigned ttl;                /* seconds a listing stays fresh, >= 1 */
    unsigned error_ttl;          /* seconds a failure is remembered; 0: min(ttl, 5) */
    unsigned status_ttl_ms;      /* how fresh a status read is; 0: 2000 */
    struct bw_tree_source source;
    long long (*clock_ms)(void); /* monotonic milliseconds; NULL: CLOCK_MONOTONIC */
};

/* A directory's entries, without "." and "..". Owned by the caller. */
struct bw_tree_dir {
    char **names;
    size_t n;
};

/* What an open file reads from: generated bytes, or a report in the content cache. */
struct bw_tree_file {
    int is_report;     /* 1: read key/url through the content cache */
    int is_new;        /* 1: a `new` file: may be opened for writing (bw_tree_submit) */
    int direct_io;     /* 1: bypass the page cache (status) */
    char *data;        /* generated bytes (malloc), when !is_report */
    size_t len;
    char key[160];     /* content cache key, when is_report */
    char *url;         /* malloc, when is_report */
    long long size;
};

int bw_tree_new(const struct bw_tree_config *cfg, struct bw_tree **out);
void bw_tree_free(struct bw_tree *t); /* no other thread may be inside the tree */

/* Attributes of path. 0, -ENOENT, or the errno of a fetch needed to resolve it. */
int bw_tree_getattr(struct bw_tree *t, const char *path, struct stat *st);

/* Entries of the directory at path. 0 or negative errno; on error out is empty. */
int bw_tree_readdir(struct bw_tree *t, const char *path, struct bw_tree_dir *out);
void bw_tree_dir_free(struct bw_tree_dir *d);

/* Describe the file at path for reading. 0, -ENOENT, -EISDIR, or a fetch's errno. */
int bw_tree_open(struct bw_tree *t, const char *path, struct bw_tree_file *out);
void bw_tree_file_free(struct bw_tree_file *f);

/* The target of the symlink at path (`latest`), NUL-terminated in buf. */
int bw_tree_readlink(struct bw_tree *t, const char *path, char *buf, size_t size);

#define BW_TREE_NEW_MAX (64 * 1024) /* bytes a request written to `new` may have */

/* Submit the request buf written to the `new` file at path: parse, check
 * against the type's metadata, build the XML, create through the source
 * (no lock held), then make the new directory and `latest` appear and
 * clear (or, on failure, set) the reason shown at the top of `new`.
 * 0; -EINVAL (a bad request: nothing was sent, or the API refused it);
 * -EACCES; -ENODATA (billing: no data for the period); -EFBIG; -EIO... */
int bw_tree_submit(struct bw_tree *t, const char *path, const char *buf, size_t len);

void bw_tree_instance_free(struct bw_tree_instance *i);
void bw_tree_instance_list_free(struct bw_tree_instance_list *l);
void bw_tree_billing_free(struct bw_tree_billing *b);
void bw_tree_billing_list_free(struct bw_tree_billing_list *l);

#endif
