/* tree: path resolution, attributes, listings and open descriptions over the
 * metadata cache (see tree.h). */
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "meta.h"
#include "treeval.h"
#include "names.h"
#include "slug.h"

#define MAX_DEPTH 5
#define KEY_MAX 256

/* ---- construction -------------------------------------------------------- */

int bw_tree_new(const struct bw_tree_config *cfg, struct bw_tree **out)
{
    const struct bw_tree_source *s = &cfg->source;

    *out = NULL;
    if (cfg->ttl == 0 || !s->list_reports || !s->report_params || !s->list_instances ||
        !s->get_instance || !s->list_billing || !s->get_billing || !s->file_url || !s->probe ||
        (cfg->naccounts && !cfg->accounts))
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
        if (!bw_model_id_ok(cfg->accounts[i]) || !(t->acct[i] = strdup(cfg->accounts[i]))) {
            t->nacct = i;
            bw_tree_free(t);
            return -EINVAL;
        }
    }
    t->nacct = cfg->naccounts;
    t->src = *s;
    t->ttl_ms = (long long)cfg->ttl * 1000;
    t->status_ttl_ms = cfg->status_ttl_ms ? cfg->status_ttl_ms : 2000;
    if (t->status_ttl_ms > t->ttl_ms)
        t->status_ttl_ms = t->ttl_ms;
    unsigned ettl = cfg->error_ttl ? cfg->error_ttl : (cfg->ttl < 5 ? cfg->ttl : 5);
    t->uid = getuid();
    t->gid = getgid();
    t->mount_time = time(NULL);
    pthread_mutex_init(&t->req_lock, NULL);
    int rc = bw_meta_new((long long)ettl * 1000, t->ttl_ms, cfg->clock_ms, &t->meta);
    if (rc) {
        bw_tree_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void bw_tree_free(struct bw_tree *t)
{
    if (!t)
        return;
    bw_meta_free(t->meta);
    tn_free(t);
    pthread_mutex_destroy(&t->req_lock);
    for (size_t i = 0; i < t->nacct; i++)
        free(t->acct[i]);
    free(t->acct);
    free(t);
}

/* ---- resolution ------------------------------------------------------------ */

static void hold(struct node *nd, struct bw_meta_val *v)
{
    for (size_t i = 0; i < sizeof nd->hold / sizeof nd->hold[0]; i++)
        if (!nd->hold[i]) {
            nd->hold[i] = v;
            return;
        }
    /* Unreachable (tree_resolve() holds at most 4). Never abort in a FUSE callback:
     * keep the value alive forever rather than free what the node points to. */
    BW_ERR("tree", "internal error: too many cached values held; one is leaked");
}

void tree_node_release(struct bw_tree *t, struct node *nd)
{
    for (size_t i = 0; i < sizeof nd->hold / sizeof nd->hold[0]; i++) {
        bw_meta_put(t->meta, nd->hold[i]);
        nd->hold[i] = NULL;
    }
}

static int split(const char *path, char *buf, size_t bufsize, char **comp, int *n)
{
    size_t len = strlen(path);

    *n = 0;
    if (path[0] != '/' || len >= bufsize)
        return -ENOENT;
    memcpy(buf, path, len + 1);
    for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (*n == MAX_DEPTH || bw_names_is_probe(c))
            return -ENOENT; /* desktop probes end here, before any fetch */
        comp[(*n)++] = c;
    }
    return 0;
}

static int get_types(struct bw_tree *t, const char *acct, struct types_val **out)
{
    char key[KEY_MAX];
    struct fetch_arg a = {.t = t, .acct = acct};
    snprintf(key, sizeof key, "T/%s", acct);
    return bw_meta_get(t->meta, key, t->ttl_ms, tv_fetch_types, &a, (struct bw_meta_val **)out,
                      NULL);
}

static int get_ilist(struct bw_tree *t, struct node *nd, struct ilist_val **out, long long *age)
{
    char key[KEY_MAX];
    struct fetch_arg a = {.t = t, .acct = nd->acct, .rid = nd->rid};
    snprintf(key, sizeof key, "L/%s/%s", nd->acct, nd->rid);
    return bw_meta_get(t->meta, key, t->ttl_ms, tv_fetch_ilist, &a, (struct bw_meta_val **)out,
                      age);
}

static const struct bw_tree_instance *find_inst(const struct ilist_val *v, const char *iid)
{
    for (size_t i = 0; i < v->list.n; i++)
        if (strcmp(v->list.items[i].id, iid) == 0)
            return &v->list.items[i];
    return NULL;
}

/* The freshest record of instance nd->id no older than max_age: a detail
 * fetched earlier, the type's instance list, or a new detail fetch. */
static int inst_rec(struct bw_tree *t, struct node *nd, long long max_age)
{
    char dkey[KEY_MAX], lkey[KEY_MAX];
    struct bw_meta_val *dv = NULL, *lv = NULL;
    long long dage = 0, lage = 0;
    struct fetch_arg a = {.t = t, .acct = nd->acct, .rid = nd->rid, .id = nd->id};

    snprintf(dkey, sizeof dkey, "I/%s/%s/%s", nd->acct, nd->rid, nd->id);
    snprintf(lkey, sizeof lkey, "L/%s/%s", nd->acct, nd->rid);
    if (bw_meta_peek(t->meta, dkey, &dv, &dage) == 0) {
        int list_newer = bw_meta_peek(t->meta, lkey, &lv, &lage) == 0 &&
                         lage < dage && find_inst((struct ilist_val *)lv, nd->id);
        bw_meta_put(t->meta, lv);
        lv = NULL;
        if (dage < max_age && !list_newer) {
            hold(nd, dv);
            nd->inst = &((struct inst_val *)dv)->inst;
            return 0;
        }
        bw_meta_put(t->meta, dv);
        dv = NULL;
    }
    int rc = get_ilist(t, nd, (struct ilist_val **)&lv, &lage);
    if (rc)
        return rc; /* the detail would fail the same way (EACCES...) */
    const struct bw_tree_instance *in = find_inst((struct ilist_val *)lv, nd->id);
    if (in && lage < max_age) {
        hold(nd, lv);
        nd->inst = in;
        return 0;
    }
    bw_meta_put(t->meta, lv);
    /* Not listed (created since?) or the list is older than wanted: ask for it. */
    if ((rc = bw_meta_get(t->meta, dkey, max_age, tv_fetch_inst, &a, &dv, NULL)))
        return rc;
    hold(nd, dv);
    nd->inst = &((struct inst_val *)dv)->inst;
    return 0;
}

static const struct bw_tree_billing *find_bill(const struct blist_val *v, const char *type,
                                               const char *id)
{
    for (size_t i = 0; i < v->list.n; i++)
        if (strcmp(v->list.items[i].id, id) == 0 && (!type || !v->list.items[i].type[0] ||
                                                     strcmp(v->list.items[i].type, type) == 0))
            return &v->list.items[i];
    return NULL;
}

static int get_blist(struct bw_tree *t, const char *acct, const char *type,
                     struct blist_val **out, long long *age)
{
    char key[KEY_MAX];
    struct fetch_arg a = {.t = t, .acct = acct, .type = type};
    if (type)
        snprintf(key, sizeof key, "B/%s/%s", acct, type);
    else
        snprintf(key, sizeof key, "R/%s", acct); /* remembered in state_dir */
    return bw_meta_get(t->meta, key, t->ttl_ms, tv_fetch_blist, &a, (struct bw_meta_val **)out,
                      age);
}

/* Billing report nd->id of type nd->btype: listed by the API or remembered;
 * its status no older than max_age (a detail fetch when the list is older). */
static int bill_rec(struct bw_tree *t, struct node *nd, long long max_age)
{
    struct blist_val *lv = NULL;
    const struct bw_tree_billing *listed = NULL;
    long long lage = 0;
    int rc;

    if (bw_names_billing_listable(nd->btype)) {
        if ((rc = get_blist(t, nd->acct, nd->btype, &lv, &lage)))
            return rc;
        hold(nd, &lv->base);
        listed = find_bill(lv, nd->btype, nd->id);
    }
    if (!listed) {
        if ((rc = get_blist(t, nd->acct, NULL, &lv, NULL)))
            return rc;
        hold(nd, &lv->base);
        const struct bw_tree_billing *rem = find_bill(lv, nd->btype, nd->id);
        if (!rem)
            return -ENOENT;
        nd->mtime = rem->mtime; /* when it was created through the mount */
        lage = max_age; /* remembered ids carry no status */
    } else {
        nd->mtime = listed->mtime;
    }
    if (listed && lage < max_age) {
        nd->bill = listed;
        return 0;
    }
    char key[KEY_MAX];
    struct bw_meta_val *dv = NULL;
    struct fetch_arg a = {.t = t, .acct = nd->acct, .id = nd->id};
    snprintf(key, sizeof key, "b/%s/%s", nd->acct, nd->id);
    if ((rc = bw_meta_get(t->meta, key, max_age, tv_fetch_bill, &a, &dv, NULL))) {
        /* the API no longer knows a report only state_dir remembered: it is gone */
        if (rc == -ENOENT && !listed)
            tn_forget_billing(t, nd->acct, nd->id);
        return rc;
    }
    hold(nd, dv);
    nd->bill = &((struct bill_val *)dv)->bill;
    return 0;
}

static int is_ready(const struct node *nd)
{
    if (nd->inst)
        return strcmp(nd->inst->status, "Ready") == 0;
    return nd->bill && (strcmp(nd->bill->status, "COMPLETED") == 0 ||
                        strcmp(nd->bill->status, "COMPLETE") == 0);
}

static void file_key(const struct node *nd, char *key, size_t len)
{
    snprintf(key, len, "%s/%s/%s", nd->inst ? "reports" : "billing", nd->acct, nd->id);
}

/* The report file of a resolved instance or billing report: name and size. */
static int file_of(struct bw_tree *t, struct node *nd)
{
    char key[KEY_MAX + 8], ckey[KEY_MAX], fallback[BW_TREE_NAME_MAX + 1];
    struct bw_meta_val *pv = NULL;

    if (!is_ready(nd))
        return -ENOENT;
    file_key(nd, ckey, sizeof ckey);
    snprintf(key, sizeof key, "F/%s", ckey);
    struct fetch_arg a = {.t = t, .acct = nd->acct, .rid = nd->inst ? nd->rid : NULL,
                          .id = nd->id, .key = ckey};
    int rc = bw_meta_get(t->meta, key, t->ttl_ms, tv_fetch_probe, &a, &pv, NULL);
    if (rc)
        return rc;
    const struct bw_tree_probe *p = &((struct probe_val *)pv)->probe;
    if (nd->inst) {
        if (nd->inst->format[0])
            snprintf(fallback, sizeof fallback, "report-%s.%s", nd->id, nd->inst->format);
        else
            snprintf(fallback, sizeof fallback, "report-%s", nd->id);
        bw_names_file(p->name, fallback, NULL, nd->fname, sizeof nd->fname);
    } else {
        bw_names_file(p->name, nd->id, ".zip", nd->fname, sizeof nd->fname);
    }
    nd->fsize = p->size;
    bw_meta_put(t->meta, pv);
    return 0;
}

/* name in a ready instance or billing directory: its report file, or ENOENT.
 * A probe that failed for another reason (EACCES, ETIMEDOUT) is returned as
 * it is: the name cannot be judged. */
static int match_file(struct bw_tree *t, struct node *nd, const char *name, enum kind kind)
{
    int rc = file_of(t, nd);
    if (rc)
        return rc;
    if (strcmp(name, nd->fname) != 0)
        return -ENOENT;
    nd->kind = kind;
    return 0;
}

/* "reports/<rid>" or "billing/<TYPE>": the directory of a K_NEW / K_LATEST. */
const char *tree_dir_of(const struct node *nd, char *buf)
{
    snprintf(buf, TREE_DIR_MAX, nd->btype[0] ? "billing/%s" : "reports/%s",
             nd->btype[0] ? nd->btype : nd->rid);
    return buf;
}

static int resolve_report(struct bw_tree *t, struct node *nd, char **comp, int n)
{
    char dir[TREE_DIR_MAX];
    struct types_val *tv = NULL;
    int rc = get_types(t, nd->acct, &tv);

    if (rc)
        return rc;
    const char *rid = NULL;
    for (size_t i = 0; i < tv->n && !rid; i++)
        if (strcmp(tv->slugs[i], comp[2]) == 0)
            rid = tv->ids[i];
    for (size_t i = 0; i < tv->n && !rid; i++)
        if (strcmp(tv->ids[i], comp[2]) == 0)
            rid = tv->ids[i]; /* the numeric alias */
    if (rid)
        snprintf(nd->rid, sizeof nd->rid, "%s", rid);
    bw_meta_put(t->meta, &tv->base);
    if (!rid)
        return -ENOENT;
    nd->kind = K_TYPE;
    if (n == 3)
        return 0;
    if (strcmp(comp[3], "latest") == 0) {
        nd->kind = K_LATEST;
        return n > 4 ? -ENOTDIR : tn_latest(t, nd->acct, tree_dir_of(nd, dir), nd->latest,
                                             sizeof nd->latest, NULL);
    }
    int is_new = strcmp(comp[3], "new") == 0;
    if (is_new || strcmp(comp[3], "parameters") == 0) {
        if (n > 4)
            return -ENOTDIR;
        char key[KEY_MAX];
        struct bw_meta_val *v = NULL;
        struct fetch_arg a = {.t = t, .acct = nd->acct, .rid = nd->rid};
        snprintf(key, sizeof key, "P/%s/%s", nd->acct, nd->rid);
        if ((rc = bw_meta_get(t->meta, key, t->ttl_ms, tv_fetch_params, &a, &v, NULL)))
            return rc;
        hold(nd, v);
        nd->text = &((struct text_val *)v)->text;
        nd->detail = ((struct text_val *)v)->detail;
        nd->kind = is_new ? K_NEW : K_TYPE_PARAMS;
        return 0;
    }
    if (!bw_model_id_ok(comp[3]) || strspn(comp[3], "0123456789") != strlen(comp[3]))
        return -ENOENT; /* instance ids are numbers: no request for other names */
    snprintf(nd->id, sizeof nd->id, "%s", comp[3]);
    int status = n == 5 && strcmp(comp[4], "status") == 0;
    if ((rc = inst_rec(t, nd, status ? t->status_ttl_ms : t->ttl_ms)))
        return rc;
    nd->mtime = nd->inst->mtime;
    nd->kind = K_INST;
    if (n == 4)
        return 0;
    if (status)
        nd->kind = K_INST_STATUS;
    else if (strcmp(comp[4], "info.xml") == 0)
        nd->kind = K_INST_INFO;
    else if (strcmp(comp[4], "parameters") == 0)
        nd->kind = K_INST_PARAMS;
    else
        return match_file(t, nd, comp[4], K_INST_FILE);
    return 0;
}

static int resolve_billing(struct bw_tree *t, struct node *nd, char **comp, int n)
{
    if (!bw_names_billing_known(comp[2]))
        return -ENOENT;
    snprintf(nd->btype, sizeof nd->btype, "%s", comp[2]);
    nd->kind = K_BTYPE;
    if (n == 3)
        return 0;
    if (strcmp(comp[3], "new") == 0 || strcmp(comp[3], "latest") == 0) {
        char dir[TREE_DIR_MAX];
        nd->kind = comp[3][0] == 'n' ? K_NEW : K_LATEST;
        if (n > 4)
            return -ENOTDIR;
        return nd->kind == K_NEW ? 0 : tn_latest(t, nd->acct, tree_dir_of(nd, dir), nd->latest,
                                                 sizeof nd->latest, NULL);
    }
    if (!bw_model_id_ok(comp[3]))
        return -ENOENT;
    snprintf(nd->id, sizeof nd->id, "%s", comp[3]);
    int status = n == 5 && strcmp(comp[4], "status") == 0;
    int rc = bill_rec(t, nd, status ? t->status_ttl_ms : t->ttl_ms);
    if (rc)
        return rc;
    nd->kind = K_BILL;
    if (n == 4)
        return 0;
    if (status)
        nd->kind = K_BILL_STATUS;
    else if (strcmp(comp[4], "info.xml") == 0)
        nd->kind = K_BILL_INFO;
    else
        return match_file(t, nd, comp[4], K_BILL_FILE);
    return 0;
}

/* Resolve path. On success the caller must tree_node_release(). */
int tree_resolve(struct bw_tree *t, const char *path, struct node *nd)
{
    char buf[4096], *comp[MAX_DEPTH];
    int n, rc;

    memset(nd, 0, sizeof *nd);
    if ((rc = split(path, buf, sizeof buf, comp, &n)))
        return rc;
    nd->kind = K_ROOT;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < t->nacct; i++)
        if (strcmp(t->acct[i], comp[0]) == 0)
            nd->acct = t->acct[i];
    if (!nd->acct)
        return -ENOENT;
    nd->kind = K_ACCOUNT;
    if (n == 1)
        return 0;
    if (strcmp(comp[1], "reports") == 0) {
        nd->kind = K_REPORTS;
        rc = n == 2 ? 0 : resolve_report(t, nd, comp, n);
    } else if (strcmp(comp[1], "billing") == 0) {
        nd->kind = K_BILLING;
        rc = n == 2 ? 0 : resolve_billing(t, nd, comp, n);
    } else {
        rc = -ENOENT;
    }
    if (rc)
        tree_node_release(t, nd);
    return rc;
}

/* ---- operations ------------------------------------------------------------ */

static const char *status_of(const struct node *nd)
{
    return nd->inst ? nd->inst->status : nd->bill->status;
}

int bw_tree_getattr(struct bw_tree *t, const char *path, struct stat *st)
{
    struct node nd;
    int rc = tree_resolve(t, path, &nd);

    if (rc)
        return rc;
    memset(st, 0, sizeof *st);
    st->st_uid = t->uid;
    st->st_gid = t->gid;
    st->st_blksize = 4096;
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    switch (nd.kind) {
    case K_ROOT: st->st_nlink = 2 + t->nacct; break;
    case K_ACCOUNT: st->st_nlink = 4; break;
    case K_REPORTS: st->st_nlink = 1; break; /* subdirectory count unknown without a fetch */
    case K_BILLING: st->st_nlink = 2 + bw_names_billing_count; break;
    case K_TYPE:
    case K_BTYPE: st->st_nlink = 1; break;
    case K_INST:
    case K_BILL: st->st_nlink = 2; break;
    case K_TYPE_PARAMS: st->st_size = (off_t)nd.text->len; break;
    case K_INST_STATUS:
    case K_BILL_STATUS: st->st_size = (off_t)strlen(status_of(&nd)) + 1; break;
    case K_INST_INFO: st->st_size = (off_t)nd.inst->info_len; break;
    case K_BILL_INFO: st->st_size = (off_t)nd.bill->info_len; break;
    case K_INST_PARAMS: st->st_size = (off_t)nd.inst->params_len; break;
    case K_INST_FILE:
    case K_BILL_FILE: st->st_size = (off_t)nd.fsize; break;
    case K_NEW: {
        struct bw_tree_text tx = {0};
        char dir[TREE_DIR_MAX];
        if ((rc = tn_template(t, nd.acct, tree_dir_of(&nd, dir), nd.text, &tx)) == 0) {
            st->st_size = (off_t)tx.len; /* exact: what a read gives now */
            st->st_mode = S_IFREG | 0644;
        }
        free(tx.buf);
        break;
    }
    case K_LATEST:
        st->st_mode = S_IFLNK | 0777;
        st->st_size = (off_t)strlen(nd.latest);
        break;
    }
    if (rc) {
        tree_node_release(t, &nd);
        return rc;
    }
    if (st->st_nlink != 1 || nd.kind == K_REPORTS || nd.kind == K_TYPE || nd.kind == K_BTYPE)
        st->st_mode = S_IFDIR | 0555;
    st->st_blocks = (st->st_size + 511) / 512;
    time_t mt = nd.mtime ? nd.mtime : t->mount_time;
    st->st_atime = st->st_mtime = st->st_ctime = mt;
    tree_node_release(t, &nd);
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

static int add_unique(struct bw_tree_dir *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->names[i], name) == 0)
            return 0;
    return add(d, name);
}

/* `new`, and `latest` when there is one; an instance created through this
 * mount is listed even when the API's list (fetched concurrently) lacks it. */
static int add_new_latest(struct bw_tree *t, struct node *nd, struct bw_tree_dir *out)
{
    char dir[TREE_DIR_MAX], id[BW_MODEL_ID_MAX + 1];
    int mine = 0, rc = add(out, "new");

    if (rc == 0 && tn_latest(t, nd->acct, tree_dir_of(nd, dir), id, sizeof id, &mine) == 0) {
        rc = add(out, "latest");
        if (rc == 0 && mine)
            rc = add_unique(out, id);
    }
    return rc;
}

static int list_type(struct bw_tree *t, struct node *nd, struct bw_tree_dir *out)
{
    struct ilist_val *lv = NULL;
    int rc = get_ilist(t, nd, &lv, NULL);

    if (rc)
        return rc;
    rc = add(out, "parameters");
    for (size_t i = 0; i < lv->list.n && rc == 0; i++)
        rc = add(out, lv->list.items[i].id);
    bw_meta_put(t->meta, &lv->base);
    return rc ? rc : add_new_latest(t, nd, out);
}

static int list_btype(struct bw_tree *t, struct node *nd, struct bw_tree_dir *out)
{
    struct blist_val *lv = NULL;
    int rc = 0;

    if (bw_names_billing_listable(nd->btype)) {
        if ((rc = get_blist(t, nd->acct, nd->btype, &lv, NULL)))
            return rc;
        for (size_t i = 0; i < lv->list.n && rc == 0; i++)
            rc = add(out, lv->list.items[i].id);
        bw_meta_put(t->meta, &lv->base);
    }
    if (rc || (rc = get_blist(t, nd->acct, NULL, &lv, NULL)))
        return rc;
    for (size_t i = 0; i < lv->list.n && rc == 0; i++)
        if (strcmp(lv->list.items[i].type, nd->btype) == 0)
            rc = add_unique(out, lv->list.items[i].id);
    bw_meta_put(t->meta, &lv->base);
    return rc ? rc : add_new_latest(t, nd, out);
}

int bw_tree_readdir(struct bw_tree *t, const char *path, struct bw_tree_dir *out)
{
    struct node nd;
    struct types_val *tv = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = tree_resolve(t, path, &nd)))
        return rc;
    switch (nd.kind) {
    case K_ROOT:
        for (size_t i = 0; i < t->nacct && rc == 0; i++)
            rc = add(out, t->acct[i]);
        break;
    case K_ACCOUNT:
        if ((rc = add(out, "reports")) == 0)
            rc = add(out, "billing");
        break;
    case K_REPORTS:
        if ((rc = get_types(t, nd.acct, &tv)))
            break;
        for (size_t i = 0; i < tv->n && rc == 0; i++)
            rc = add(out, tv->slugs[i]);
        bw_meta_put(t->meta, &tv->base);
        break;
    case K_BILLING:
        for (size_t i = 0; i < bw_names_billing_count && rc == 0; i++)
            rc = add(out, bw_names_billing_types[i]);
        break;
    case K_TYPE: rc = list_type(t, &nd, out); break;
    case K_BTYPE: rc = list_btype(t, &nd, out); break;
    case K_INST:
    case K_BILL:
        rc = add(out, "status");
        if (rc == 0)
            rc = add(out, "info.xml");
        if (rc == 0 && nd.kind == K_INST)
            rc = add(out, "parameters");
        /* a file that cannot be probed now (not ready, gone) is simply not listed */
        if (rc == 0 && file_of(t, &nd) == 0)
            rc = add(out, nd.fname);
        break;
    default: rc = -ENOTDIR; break;
    }
    tree_node_release(t, &nd);
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

static int copy_out(struct bw_tree_file *f, const char *data, size_t len)
{
    if (!(f->data = malloc(len ? len : 1)))
        return -ENOMEM;
    if (len)
        memcpy(f->data, data, len); /* data may be NULL when len is 0 */
    f->len = len;
    f->size = (long long)len;
    return 0;
}

int bw_tree_open(struct bw_tree *t, const char *path, struct bw_tree_file *f)
{
    struct node nd;
    char line[BW_TREE_STATUS_MAX + 2];
    int rc;

    memset(f, 0, sizeof *f);
    if ((rc = tree_resolve(t, path, &nd)))
        return rc;
    switch (nd.kind) {
    case K_TYPE_PARAMS: rc = copy_out(f, nd.text->buf, nd.text->len); break;
    case K_INST_STATUS:
    case K_BILL_STATUS:
        /* status changes under a reader: never served from the page cache */
        f->direct_io = 1;
        snprintf(line, sizeof line, "%s\n", status_of(&nd));
        rc = copy_out(f, line, strlen(line));
        break;
    case K_INST_INFO:
        f->direct_io = 1; /* its Status element changes with the status */
        rc = copy_out(f, nd.inst->info, nd.inst->info_len);
        break;
    case K_BILL_INFO:
        f->direct_io = 1;
        rc = copy_out(f, nd.bill->info, nd.bill->info_len);
        break;
    case K_INST_PARAMS: rc = copy_out(f, nd.inst->params, nd.inst->params_len); break;
    case K_NEW: {
        char dir[TREE_DIR_MAX];
        struct bw_tree_text tx = {0};
        /* its text changes with each request's outcome: never the page cache */
        f->is_new = f->direct_io = 1;
        if ((rc = tn_template(t, nd.acct, tree_dir_of(&nd, dir), nd.text, &tx)) == 0) {
            f->data = tx.buf;
            f->len = tx.len;
            f->size = (long long)tx.len;
        }
        break;
    }
    case K_INST_FILE:
    case K_BILL_FILE:
        f->is_report = 1;
        f->size = nd.fsize;
        file_key(&nd, f->key, sizeof f->key);
        rc = t->src.file_url(t->src.ctx, nd.acct, nd.kind == K_INST_FILE ? nd.rid : NULL, nd.id,
                             &f->url);
        break;
    default: rc = -EISDIR; break;
    }
    tree_node_release(t, &nd);
    if (rc)
        bw_tree_file_free(f);
    return rc;
}

void bw_tree_file_free(struct bw_tree_file *f)
{
    free(f->data);
    free(f->url);
    f->data = f->url = NULL;
}
