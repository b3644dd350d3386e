/* tree: path resolution, node attributes and the TTL cache of API listings (see tree.h). */
#include "tree.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "slug.h"

#define MAX_DEPTH 4

/* One cached listing of report types. Guarded by bw_tree.lock. */
struct reports_cache {
    int valid;            /* a fetch has completed */
    int fetching;         /* a thread is fetching now; others wait on bw_tree.cond */
    int err;              /* 0 or negative errno of the last fetch */
    long long fetched_ms; /* clock_ms() when stored */
    size_t n;
    bw_slug_name *slugs;  /* directory names, unique, non-empty */
    char **ids;           /* report id of each slug */
};

struct account {
    char *id;                     /* immutable: read without the lock */
    struct reports_cache reports; /* guarded by bw_tree.lock */
};

struct bw_tree {
    /* Immutable after bw_tree_new(). */
    struct bw_tree_source src;
    long long ttl_ms, error_ttl_ms;
    long long (*clock_ms)(void);
    uid_t uid;
    gid_t gid;
    time_t mount_time;
    size_t nacct;
    struct account *acct; /* the array is immutable; each .reports is guarded by lock */

    pthread_mutex_t lock; /* guards every account's reports cache */
    pthread_cond_t cond;  /* signalled when a fetch finishes */
};

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cache_clear(struct reports_cache *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->ids[i]);
    free(c->ids);
    free(c->slugs);
    c->ids = NULL;
    c->slugs = NULL;
    c->n = 0;
}

int bw_tree_new(const struct bw_tree_config *cfg, struct bw_tree **out)
{
    *out = NULL;
    if (cfg->ttl == 0 || !cfg->source.list_reports || (cfg->naccounts && !cfg->accounts))
        return -EINVAL;
    struct bw_tree *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->acct = calloc(cfg->naccounts ? cfg->naccounts : 1, sizeof *t->acct);
    if (!t->acct) {
        free(t);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->naccounts; i++) {
        if (!bw_model_id_ok(cfg->accounts[i]) || !(t->acct[i].id = strdup(cfg->accounts[i]))) {
            t->nacct = i;
            bw_tree_free(t);
            return -EINVAL;
        }
    }
    t->nacct = cfg->naccounts;
    t->src = cfg->source;
    t->ttl_ms = (long long)cfg->ttl * 1000;
    unsigned ettl = cfg->error_ttl ? cfg->error_ttl : (cfg->ttl < 5 ? cfg->ttl : 5);
    t->error_ttl_ms = (long long)ettl * 1000;
    t->clock_ms = cfg->clock_ms ? cfg->clock_ms : monotonic_ms;
    t->uid = getuid();
    t->gid = getgid();
    t->mount_time = time(NULL);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    *out = t;
    return 0;
}

void bw_tree_free(struct bw_tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nacct; i++) {
        cache_clear(&t->acct[i].reports);
        free(t->acct[i].id);
    }
    free(t->acct);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t);
}

/* Turn a fetched list into unique slugs. Runs without the lock. */
static int build(const char *account, const struct bw_report_list *l, struct reports_cache *c)
{
    const char **names = calloc(l->n ? l->n : 1, sizeof *names);
    const char **ids = calloc(l->n ? l->n : 1, sizeof *ids);
    bw_slug_name *slugs = calloc(l->n ? l->n : 1, sizeof *slugs);
    int rc = -ENOMEM;

    memset(c, 0, sizeof *c);
    if (!names || !ids || !slugs)
        goto out;
    for (size_t i = 0; i < l->n; i++) {
        names[i] = l->items[i].name;
        ids[i] = l->items[i].id;
    }
    if ((rc = bw_slug_assign(names, ids, l->n, slugs)))
        goto out;
    c->slugs = calloc(l->n ? l->n : 1, sizeof *c->slugs);
    c->ids = calloc(l->n ? l->n : 1, sizeof *c->ids);
    if (!c->slugs || !c->ids) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (!slugs[i][0]) {
            BW_WARN("tree", "account %s: report id %s has a duplicate id; hidden", account, ids[i]);
            continue;
        }
        if (!(c->ids[c->n] = strdup(ids[i]))) {
            rc = -ENOMEM;
            goto out;
        }
        memcpy(c->slugs[c->n], slugs[i], sizeof slugs[i]);
        c->n++;
    }
    rc = 0;
out:
    if (rc)
        cache_clear(c);
    free(names);
    free(ids);
    free(slugs);
    return rc;
}

/* Make a's report listing fresh. Called and returns with t->lock held, but
 * drops it while the source runs. Returns the listing's errno. */
static int ensure_reports(struct bw_tree *t, struct account *a)
{
    struct reports_cache *c = &a->reports;

    for (;;) {
        if (c->valid && t->clock_ms() - c->fetched_ms < (c->err ? t->error_ttl_ms : t->ttl_ms))
            return c->err;
        if (!c->fetching)
            break;
        pthread_cond_wait(&t->cond, &t->lock); /* the fetcher always finishes: http has timeouts */
    }
    c->fetching = 1;
    pthread_mutex_unlock(&t->lock);

    struct bw_report_list list = {0};
    struct reports_cache fresh;
    int rc = t->src.list_reports(t->src.ctx, a->id, &list);
    memset(&fresh, 0, sizeof fresh);
    if (rc == 0)
        rc = build(a->id, &list, &fresh);
    bw_model_report_list_free(&list);

    pthread_mutex_lock(&t->lock);
    cache_clear(c);
    if (rc == 0) {
        c->n = fresh.n;
        c->slugs = fresh.slugs;
        c->ids = fresh.ids;
    }
    c->err = rc;
    c->valid = 1;
    c->fetched_ms = t->clock_ms();
    c->fetching = 0;
    pthread_cond_broadcast(&t->cond);
    return rc;
}

enum kind { K_ROOT, K_ACCOUNT, K_REPORTS, K_BILLING, K_REPORT_TYPE };

struct node {
    enum kind kind;
    struct account *acct;
};

/* Split path into at most MAX_DEPTH components (pointers into buf). */
static int split(const char *path, char *buf, size_t bufsize, char **comp, int *n)
{
    size_t len = strlen(path);

    *n = 0;
    if (path[0] != '/' || len >= bufsize)
        return -ENOENT;
    memcpy(buf, path, len + 1);
    for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (*n == MAX_DEPTH)
            return -ENOENT;
        comp[(*n)++] = c;
    }
    return 0;
}

/* Resolve path to a node. Called with t->lock held (may drop it to fetch). */
static int resolve(struct bw_tree *t, const char *path, struct node *node)
{
    char buf[4096], *comp[MAX_DEPTH];
    int n, rc = split(path, buf, sizeof buf, comp, &n);

    if (rc)
        return rc;
    memset(node, 0, sizeof *node);
    node->kind = K_ROOT;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < t->nacct; i++)
        if (strcmp(t->acct[i].id, comp[0]) == 0)
            node->acct = &t->acct[i];
    if (!node->acct)
        return -ENOENT;
    node->kind = K_ACCOUNT;
    if (n == 1)
        return 0;
    if (strcmp(comp[1], "billing") == 0) {
        node->kind = K_BILLING;
        return n == 2 ? 0 : -ENOENT;
    }
    if (strcmp(comp[1], "reports") != 0)
        return -ENOENT;
    node->kind = K_REPORTS;
    if (n == 2)
        return 0;
    if (n > 3)
        return -ENOENT; /* report type directories are empty for now */
    rc = ensure_reports(t, node->acct);
    if (rc)
        return rc;
    const struct reports_cache *c = &node->acct->reports;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->slugs[i], comp[2]) == 0) {
            node->kind = K_REPORT_TYPE;
            return 0;
        }
    return -ENOENT;
}

int bw_tree_getattr(struct bw_tree *t, const char *path, struct stat *st)
{
    struct node node;

    pthread_mutex_lock(&t->lock);
    int rc = resolve(t, path, &node);
    pthread_mutex_unlock(&t->lock);
    if (rc)
        return rc;
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFDIR | 0555;
    st->st_uid = t->uid;
    st->st_gid = t->gid;
    st->st_blksize = 4096;
    st->st_atime = st->st_mtime = st->st_ctime = t->mount_time;
    switch (node.kind) {
    case K_ROOT: st->st_nlink = 2 + t->nacct; break;
    case K_ACCOUNT: st->st_nlink = 4; break;
    case K_REPORTS: st->st_nlink = 1; break; /* subdirectory count unknown without a fetch */
    case K_BILLING:
    case K_REPORT_TYPE: st->st_nlink = 2; break;
    }
    return 0;
}

static int add(struct bw_tree_dir *d, const char *name)
{
    char **names = realloc(d->names, (d->n + 1) * sizeof *names);
    if (!names)
        return -ENOMEM;
    d->names = names;
    if (!(d->names[d->n] = strdup(name)))
        return -ENOMEM;
    d->n++;
    return 0;
}

int bw_tree_readdir(struct bw_tree *t, const char *path, struct bw_tree_dir *out)
{
    struct node node;
    int rc;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&t->lock);
    rc = resolve(t, path, &node);
    if (rc == 0 && node.kind == K_REPORTS)
        rc = ensure_reports(t, node.acct);
    if (rc == 0) {
        switch (node.kind) {
        case K_ROOT:
            for (size_t i = 0; i < t->nacct && rc == 0; i++)
                rc = add(out, t->acct[i].id);
            break;
        case K_ACCOUNT:
            rc = add(out, "reports");
            if (rc == 0)
                rc = add(out, "billing");
            break;
        case K_REPORTS:
            for (size_t i = 0; i < node.acct->reports.n && rc == 0; i++)
                rc = add(out, node.acct->reports.slugs[i]);
            break;
        case K_BILLING:
        case K_REPORT_TYPE: break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    if (rc)
        bw_tree_dir_free(out);
    return rc;
}

void bw_tree_dir_free(struct bw_tree_dir *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->names[i]);
    free(d->names);
    d->names = NULL;
    d->n = 0;
}
