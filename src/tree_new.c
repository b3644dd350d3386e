/* tree_new: requesting reports through the tree: what `new` reads (the
 * last failure's reason, then the template), what `latest` points at, and
 * bw_tree_submit(), which turns a written request into a created instance or
 * billing report (see tree.h). */
#include "treeval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "render.h"
#include "request.h"

#define WHY_MAX 2048

/* ---- per-directory state (req_lock) ------------------------------------ */

/* The state of acct/dir, created when asked. req_lock held. NULL: no memory. */
static struct newstate *ns_find(struct bw_tree *t, const char *acct, const char *dir, int create)
{
    char key[sizeof ((struct newstate *)0)->key];
    /* acct (<= BW_MODEL_ID_MAX) + dir (< TREE_DIR_MAX) fit in key */
    if (snprintf(key, sizeof key, "%s/%s", acct, dir) >= (int)sizeof key)
        return NULL;
    for (struct newstate *ns = t->news; ns; ns = ns->next)
        if (strcmp(ns->key, key) == 0)
            return ns;
    struct newstate *ns = create ? calloc(1, sizeof *ns) : NULL;
    if (ns) {
        memcpy(ns->key, key, sizeof key);
        ns->next = t->news;
        t->news = ns;
    }
    return ns;
}

void tn_free(struct bw_tree *t)
{
    for (struct newstate *ns = t->news, *next; ns; ns = next) {
        next = ns->next;
        free(ns->why);
        free(ns);
    }
    t->news = NULL;
}

/* Record the outcome of a request through acct/dir: a new latest id and no
 * reason on success, else the reason (why is taken). */
static void ns_record(struct bw_tree *t, const char *acct, const char *dir, const char *id,
                      char *why)
{
    pthread_mutex_lock(&t->req_lock);
    struct newstate *ns = ns_find(t, acct, dir, 1);
    if (ns) {
        free(ns->why);
        ns->why = why;
        why = NULL;
        /* A failed request leaves no `latest`: a script's `readlink latest`
         * must fail rather than name an older report as the new one (a
         * shell builtin's `> new` cannot see the failed close). */
        snprintf(ns->latest, sizeof ns->latest, "%s", id ? id : "");
        ns->failed = id == NULL;
    }
    pthread_mutex_unlock(&t->req_lock);
    free(why); /* out of memory: the reason is lost, the errno still reaches close() */
}

int tn_latest(struct bw_tree *t, const char *acct, const char *dir, char *id, size_t idlen,
              int *mine)
{
    int found = 0;

    if (mine)
        *mine = 0;
    pthread_mutex_lock(&t->req_lock);
    struct newstate *ns = ns_find(t, acct, dir, 0);
    if (ns && ns->latest[0]) {
        snprintf(id, idlen, "%s", ns->latest);
        found = 1;
    }
    int failed = ns && ns->failed;
    pthread_mutex_unlock(&t->req_lock);
    if (failed)
        return -ENOENT;
    if (found) {
        if (mine)
            *mine = 1;
        return 0;
    }
    /* not created by this mount: what an earlier mount left in state_dir
     * (read without any lock: a small local file) */
    if (!t->src.get_latest || t->src.get_latest(t->src.ctx, acct, dir, id, idlen) != 0 ||
        !bw_model_id_ok(id))
        return -ENOENT;
    return 0;
}

void tn_forget_billing(struct bw_tree *t, const char *acct, const char *id)
{
    char key[64 + BW_MODEL_ID_MAX];

    if (t->src.forget_billing) {
        int rc = t->src.forget_billing(t->src.ctx, acct, id);
        if (rc)
            BW_WARN("tree", "account %s: cannot forget billing report %s: %s", acct, id,
                    strerror(-rc));
        else
            BW_INFO("tree", "account %s: billing report %s is gone (404): forgotten", acct, id);
    }
    snprintf(key, sizeof key, "R/%s", acct);
    bw_meta_drop(t->meta, key);
    /* readdir lists this mount's latest ids even when a listing lacks them:
     * not a report that is gone (`latest` may still name it: a dangling link) */
    size_t alen = strlen(acct);
    pthread_mutex_lock(&t->req_lock);
    for (struct newstate *ns = t->news; ns; ns = ns->next)
        if (strncmp(ns->key, acct, alen) == 0 && ns->key[alen] == '/' &&
            strcmp(ns->latest, id) == 0)
            ns->latest[0] = '\0';
    pthread_mutex_unlock(&t->req_lock);
}

/* ---- what `new` reads ---------------------------------------------------- */

/* why as comment lines: control characters become spaces, "; " starts a line. */
static void put_why(FILE *f, const char *why)
{
    fputs("#   ", f);
    for (const unsigned char *p = (const unsigned char *)why; *p; p++) {
        if (p[0] == ';' && p[1] == ' ') {
            fputs("\n#   ", f);
            p++;
        } else {
            fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
        }
    }
    fputc('\n', f);
}

int tn_template(struct bw_tree *t, const char *acct, const char *dir,
                const struct bw_tree_text *type_text, struct bw_tree_text *out)
{
    char *why = NULL, *buf = NULL, *tmpl = NULL;
    size_t size = 0, tlen = 0;
    int rc = 0;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&t->req_lock);
    struct newstate *ns = ns_find(t, acct, dir, 0);
    if (ns && ns->why && !(why = strdup(ns->why)))
        rc = -ENOMEM;
    pthread_mutex_unlock(&t->req_lock);
    if (rc)
        return rc;
    if (!type_text && strncmp(dir, "billing/", 8) == 0) {
        if ((rc = bw_render_billing_template(dir + 8, time(NULL), &tmpl, &tlen))) {
            free(why);
            return rc;
        }
    }
    FILE *f = open_memstream(&buf, &size);
    if (!f) {
        free(why);
        free(tmpl);
        return -ENOMEM;
    }
    if (why) {
        fputs("# THE LAST REQUEST WRITTEN TO THIS FILE FAILED:\n", f);
        put_why(f, why);
        fputs("# Fix the request and write it again.\n#\n", f);
    }
    if (type_text && type_text->len)
        fwrite(type_text->buf, 1, type_text->len, f);
    else if (tmpl)
        fwrite(tmpl, 1, tlen, f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
        buf = NULL;
        rc = -ENOMEM;
    }
    free(why);
    free(tmpl);
    out->buf = buf;
    out->len = buf ? size : 0;
    return rc;
}

/* ---- submitting a request ------------------------------------------------ */

/* Cached values a new instance or billing report makes stale. */
static void invalidate(struct bw_tree *t, const struct node *nd, const char *id)
{
    char key[256];

    if (nd->btype[0]) {
        snprintf(key, sizeof key, "B/%s/%s", nd->acct, nd->btype);
        bw_meta_drop(t->meta, key);
        snprintf(key, sizeof key, "R/%s", nd->acct);
        bw_meta_drop(t->meta, key);
        snprintf(key, sizeof key, "b/%s/%s", nd->acct, id);
    } else {
        snprintf(key, sizeof key, "L/%s/%s", nd->acct, nd->rid);
        bw_meta_drop(t->meta, key);
        snprintf(key, sizeof key, "I/%s/%s/%s", nd->acct, nd->rid, id);
    }
    bw_meta_drop(t->meta, key);
}

/* Parse, check and build an account-report request. 0 with *body, or -errno + why. */
static int build_instance(const struct node *nd, const char *buf, size_t len,
                          struct bw_request *r, char **body, size_t *blen, char *why,
                          size_t whylen)
{
    char err[WHY_MAX - 64];
    int rc = bw_request_parse(buf, len, r, err, sizeof err);

    if (rc == 0 && !nd->detail) {
        snprintf(why, whylen, "the report type's parameters are not known: try again");
        return -EIO;
    }
    if (rc == 0)
        rc = bw_request_validate(r, nd->detail, nd->acct, time(NULL), err, sizeof err);
    if (rc == 0 && (rc = bw_request_instance_xml(r, body, blen)) != 0)
        snprintf(err, sizeof err, "cannot build the request: %s", strerror(-rc));
    if (rc)
        snprintf(why, whylen, "not sent: %s", err);
    return rc;
}

static int build_billing(const struct node *nd, const char *buf, size_t len,
                         char **body, size_t *blen, char *why, size_t whylen)
{
    char err[WHY_MAX - 64];
    struct bw_billing_request b;
    int rc = bw_request_parse_billing(buf, len, nd->btype, &b, err, sizeof err);

    if (rc == 0)
        rc = bw_request_validate_billing(&b, time(NULL), err, sizeof err);
    if (rc == 0 && (rc = bw_request_billing_xml(&b, body, blen)) != 0)
        snprintf(err, sizeof err, "cannot build the request: %s", strerror(-rc));
    if (rc)
        snprintf(why, whylen, "not sent: %s", err);
    return rc;
}

int bw_tree_submit(struct bw_tree *t, const char *path, const char *buf, size_t len)
{
    struct node nd;
    struct bw_request r = {0};
    char dir[TREE_DIR_MAX], id[BW_MODEL_ID_MAX + 1] = "", why[WHY_MAX] = "";
    char *body = NULL;
    size_t blen = 0;
    int rc = tree_resolve(t, path, &nd);

    if (rc)
        return rc;
    if (nd.kind != K_NEW) {
        tree_node_release(t, &nd);
        return -EROFS;
    }
    int billing = nd.btype[0] != '\0';
    if (billing ? !t->src.create_billing : !t->src.create_instance) {
        tree_node_release(t, &nd);
        return -EROFS; /* a tree without a way to create (unit tests' fakes) */
    }
    tree_dir_of(&nd, dir);
    if (len > BW_REQUEST_MAX) {
        rc = -EFBIG;
        snprintf(why, sizeof why, "not sent: the request is larger than %u bytes",
                 BW_REQUEST_MAX);
    } else if (billing) {
        rc = build_billing(&nd, buf, len, &body, &blen, why, sizeof why);
    } else {
        rc = build_instance(&nd, buf, len, &r, &body, &blen, why, sizeof why);
    }
    /* the metadata is no longer needed: drop the references before the
     * network call (no lock is held either way) */
    struct node kept = nd;
    tree_node_release(t, &nd);
    if (rc == 0 && billing)
        rc = t->src.create_billing(t->src.ctx, kept.acct, kept.btype, body, blen, id, sizeof id,
                                   why, sizeof why);
    else if (rc == 0)
        rc = t->src.create_instance(t->src.ctx, kept.acct, kept.rid, &r, body, blen, id,
                                    sizeof id, why, sizeof why);
    int created = rc == 0;
    if (created && billing && t->src.remember_billing) {
        /* before close() returns: the API cannot list most billing types, so
         * an id not written down is a report the user can never find again */
        int src = t->src.remember_billing(t->src.ctx, kept.acct, kept.btype, id, time(NULL));
        if (src) {
            BW_ERR("tree", "account %s: billing report %s was created but cannot be "
                   "remembered in state_dir: %s", kept.acct, id, strerror(-src));
            snprintf(why, sizeof why, "billing report %s was created, but the mount cannot "
                     "write it down in its state_dir (%s): note its id", id, strerror(-src));
            rc = -EIO;
        }
    }
    if (created) {
        invalidate(t, &kept, id);
        if (t->src.set_latest) {
            int lrc = t->src.set_latest(t->src.ctx, kept.acct, dir, id);
            if (lrc)
                BW_WARN("tree", "account %s: cannot keep %s/latest in state_dir: %s",
                        kept.acct, dir, strerror(-lrc));
        }
        BW_INFO("tree", "account %s: %s/new: created %s", kept.acct, dir, id);
    }
    if (!created && t->src.set_latest) {
        int lrc = t->src.set_latest(t->src.ctx, kept.acct, dir, NULL);
        if (lrc)
            BW_WARN("tree", "account %s: cannot clear %s/latest in state_dir: %s", kept.acct,
                    dir, strerror(-lrc));
    }
    if (rc)  /* the reason reaches the user through close() and `new`; the
              * source has logged what the API said */
        BW_DEBUG("tree", "account %s: %s/new: request refused (%s): %s", kept.acct, dir,
                 strerror(-rc), why);
    ns_record(t, kept.acct, dir, created ? id : NULL, rc && why[0] ? strdup(why) : NULL);
    bw_request_free(&r);
    free(body);
    return rc;
}
int bw_tree_readlink(struct bw_tree *t, const char *path, char *buf, size_t size)
{
    struct node nd;
    int rc = tree_resolve(t, path, &nd);

    if (rc)
        return rc;
    if (nd.kind == K_LATEST)
        snprintf(buf, size, "%s", nd.latest); /* relative: the directory beside it */
    else
        rc = -EINVAL;
    tree_node_release(t, &nd);
    return rc;
}

