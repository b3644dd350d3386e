/* treeval: the values the tree caches (meta.h) and the source fetches that
 * build them (see treeval.h). */
#include "treeval.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "render.h"
#include "slug.h"

void bw_tree_instance_free(struct bw_tree_instance *i)
{
    free(i->info);
    free(i->params);
    i->info = i->params = NULL;
}

void bw_tree_instance_list_free(struct bw_tree_instance_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        bw_tree_instance_free(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void bw_tree_billing_free(struct bw_tree_billing *b)
{
    free(b->info);
    b->info = NULL;
}

void bw_tree_billing_list_free(struct bw_tree_billing_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        bw_tree_billing_free(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static void tv_types_destroy(struct bw_meta_val *v)
{
    struct types_val *tv = (struct types_val *)v;
    for (size_t i = 0; i < tv->n; i++)
        free(tv->ids[i]);
    free(tv->ids);
    free(tv->slugs);
    free(tv);
}

static void tv_text_destroy(struct bw_meta_val *v)
{
    struct text_val *tv = (struct text_val *)v;
    free(tv->text.buf);
    if (tv->detail) {
        bw_model_report_detail_free(tv->detail);
        free(tv->detail);
    }
    free(v);
}

static void tv_ilist_destroy(struct bw_meta_val *v)
{
    bw_tree_instance_list_free(&((struct ilist_val *)v)->list);
    free(v);
}

static void tv_inst_destroy(struct bw_meta_val *v)
{
    bw_tree_instance_free(&((struct inst_val *)v)->inst);
    free(v);
}

static void tv_blist_destroy(struct bw_meta_val *v)
{
    bw_tree_billing_list_free(&((struct blist_val *)v)->list);
    free(v);
}

static void tv_bill_destroy(struct bw_meta_val *v)
{
    bw_tree_billing_free(&((struct bill_val *)v)->bill);
    free(v);
}

static void tv_plain_destroy(struct bw_meta_val *v)
{
    free(v);
}

/* ---- fetches (run without any lock) ------------------------------------ */

/* Turn a fetched list of report types into unique slugs. */
int tv_fetch_types(void *arg, struct bw_meta_val **out)
{
    struct fetch_arg *a = arg;
    struct bw_report_list l = {0};
    int rc = a->t->src.list_reports(a->t->src.ctx, a->acct, &l);
    struct types_val *tv = NULL;
    const char **names = NULL, **ids = NULL;
    bw_slug_name *slugs = NULL;

    if (rc)
        goto out;
    size_t n1 = l.n ? l.n : 1;
    tv = calloc(1, sizeof *tv);
    names = calloc(n1, sizeof *names);
    ids = calloc(n1, sizeof *ids);
    slugs = calloc(n1, sizeof *slugs);
    rc = -ENOMEM;
    if (!tv || !names || !ids || !slugs)
        goto out;
    tv->base.destroy = tv_types_destroy;
    for (size_t i = 0; i < l.n; i++) {
        names[i] = l.items[i].name;
        ids[i] = l.items[i].id;
    }
    if ((rc = bw_slug_assign(names, ids, l.n, slugs)))
        goto out;
    tv->slugs = calloc(n1, sizeof *tv->slugs);
    tv->ids = calloc(n1, sizeof *tv->ids);
    rc = -ENOMEM;
    if (!tv->slugs || !tv->ids)
        goto out;
    for (size_t i = 0; i < l.n; i++) {
        if (!slugs[i][0]) {
            BW_WARN("tree", "account %s: report id %s has a duplicate id; hidden", a->acct, ids[i]);
            continue;
        }
        if (!(tv->ids[tv->n] = strdup(ids[i])))
            goto out;
        memcpy(tv->slugs[tv->n], slugs[i], sizeof slugs[i]);
        tv->n++;
    }
    rc = 0;
    *out = &tv->base;
    tv = NULL;
out:
    if (tv)
       tv_types_destroy(&tv->base);
    free(names);
    free(ids);
    free(slugs);
    bw_model_report_list_free(&l);
    return rc;
}

int tv_fetch_params(void *arg, struct bw_meta_val **out)
{
    struct fetch_arg *a = arg;
    struct text_val *v = calloc(1, sizeof *v);
    if (!v)
        return -ENOMEM;
    v->base.destroy = tv_text_destroy;
    int rc;
    if (a->t->src.report_detail) {
        /* keep the metadata: a request written to `new` is checked against it */
        if (!(v->detail = calloc(1, sizeof *v->detail))) {
            tv_text_destroy(&v->base);
            return -ENOMEM;
        }
        rc = a->t->src.report_detail(a->t->src.ctx, a->acct, a->rid, v->detail);
        if (rc == 0)
            rc = bw_render_type_params(v->detail, time(NULL), &v->text.buf, &v->text.len);
    } else {
        rc = a->t->src.report_params(a->t->src.ctx, a->acct, a->rid, &v->text);
    }
    if (rc) {
       tv_text_destroy(&v->base);
        return rc;
    }
    *out = &v->base;
    return 0;
}

int tv_fetch_ilist(void *arg, struct bw_meta_val **out)
{
    struct fetch_arg *a = arg;
    struct ilist_val *v = calloc(1, sizeof *v);
    if (!v)
        return -ENOMEM;
    v->base.destroy = tv_ilist_destroy;
    int rc = a->t->src.list_instances(a->t->src.ctx, a->acct, a->rid, &v->list);
    if (rc) {
       tv_ilist_destroy(&v->base);
        return rc;
    }
    *out = &v->base;
    return 0;
}

int tv_fetch_inst(void *arg, struct bw_meta_val **out)
{
    struct fetch_arg *a = arg;
    struct inst_val *v = calloc(1, sizeof *v);
    if (!v)
        return -ENOMEM;
    v->base.destroy = tv_inst_destroy;
    int rc = a->t->src.get_instance(a->t->src.ctx, a->acct, a->rid, a->id, &v->inst);
    if (rc == 0 && strcmp(v->inst.id, a->id) != 0)
        rc = -ENOENT; /* the API answered for another instance */
    if (rc) {
       tv_inst_destroy(&v->base);
        return rc;
    }
    *out = &v->base;
    return 0;
}

int tv_fetch_blist(void *arg, struct bw_meta_val **out)
{
    struct fetch_arg *a = arg;
    struct blist_val *v = calloc(1, sizeof *v);
    if (!v)
        return -ENOMEM;
    v->base.destroy = tv_blist_destroy;
    int rc = a->type ? a->t->src.list_billing(a->t->src.ctx, a->acct, a->type, &v->list)
             : a->t->src.remembered_billing
                 ? a->t->src.remembered_billing(a->t->src.ctx, a->acct, &v->list)
                 : 0;
    if (rc) {
       tv_blist_destroy(&v->base);
        return rc;
    }
    *out = &v->base;
    return 0;
}

int tv_fetch_bill(void *arg, struct bw_meta_val **out)
{
    struct fetch_arg *a = arg;
    struct bill_val *v = calloc(1, sizeof *v);
    if (!v)
        return -ENOMEM;
    v->base.destroy = tv_bill_destroy;
    int rc = a->t->src.get_billing(a->t->src.ctx, a->acct, a->id, &v->bill);
    if (rc) {
       tv_bill_destroy(&v->base);
        return rc;
    }
    *out = &v->base;
    return 0;
}

int tv_fetch_probe(void *arg, struct bw_meta_val **out)
{
    struct fetch_arg *a = arg;
    char *url = NULL;
    int rc = a->t->src.file_url(a->t->src.ctx, a->acct, a->rid, a->id, &url);
    if (rc)
        return rc;
    struct probe_val *v = calloc(1, sizeof *v);
    if (!v) {
        free(url);
        return -ENOMEM;
    }
    v->base.destroy = tv_plain_destroy;
    rc = a->t->src.probe(a->t->src.ctx, a->key, url, &v->probe);
    free(url);
    if (rc == 0 && v->probe.size < 0)
        rc = -EIO;
    if (rc) {
        free(v);
        return rc;
    }
    *out = &v->base;
    return 0;
}

