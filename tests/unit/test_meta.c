/* test_meta: the generic metadata cache (meta.h): TTLs chosen per lookup,
 * error TTL, peek, drop, refcounts and the sweep of stale entries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "meta.h"

static long long now_ms;
static long long fake_clock(void)
{
    return now_ms;
}

struct val {
    struct bw_meta_val base;
    int n;
};

static int destroyed;
static void destroy(struct bw_meta_val *v)
{
    destroyed++;
    free(v);
}

struct arg {
    int calls;
    int fail;
};

static int fetch(void *p, struct bw_meta_val **out)
{
    struct arg *a = p;
    a->calls++;
    if (a->fail)
        return a->fail;
    struct val *v = calloc(1, sizeof *v);
    v->base.destroy = destroy;
    v->n = a->calls;
    *out = &v->base;
    return 0;
}

int main(void)
{
    struct bw_meta *m = NULL;
    struct bw_meta_val *v = NULL, *w = NULL;
    struct arg a = {0};
    long long age = -1;

    CHECK_INT(bw_meta_new(0, 1000, fake_clock, &m), -EINVAL);
    CHECK_INT(bw_meta_new(5000, 60000, fake_clock, &m), 0);

    /* one fetch serves lookups within their own TTL */
    CHECK_INT(bw_meta_get(m, "k", 60000, fetch, &a, &v, &age), 0);
    CHECK_INT(age, 0);
    now_ms = 1500;
    CHECK_INT(bw_meta_get(m, "k", 60000, fetch, &a, &w, &age), 0);
    CHECK(v == w);
    CHECK_INT(age, 1500);
    bw_meta_put(m, w);
    /* a stricter lookup (a status read) refetches; the old value stays valid for its holder */
    CHECK_INT(bw_meta_get(m, "k", 1000, fetch, &a, &w, NULL), 0);
    CHECK_INT(a.calls, 2);
    CHECK(v != w && ((struct val *)v)->n == 1 && ((struct val *)w)->n == 2);
    bw_meta_put(m, v);
    CHECK_INT(destroyed, 1);
    bw_meta_put(m, w);
    CHECK_INT(destroyed, 1); /* the cache still holds it */

    /* peek never fetches */
    CHECK_INT(bw_meta_peek(m, "k", &v, &age), 0);
    CHECK_INT(age, 0);
    bw_meta_put(m, v);
    CHECK_INT(bw_meta_peek(m, "other", &v, NULL), -ENOENT);

    /* failures are remembered for min(ttl, error_ttl) */
    a.fail = -EACCES;
    CHECK_INT(bw_meta_get(m, "bad", 60000, fetch, &a, &v, NULL), -EACCES);
    CHECK(v == NULL);
    now_ms += 4999;
    CHECK_INT(bw_meta_get(m, "bad", 60000, fetch, &a, &v, NULL), -EACCES);
    CHECK_INT(a.calls, 3);
    now_ms += 1;
    CHECK_INT(bw_meta_get(m, "bad", 60000, fetch, &a, &v, NULL), -EACCES);
    CHECK_INT(a.calls, 4);
    CHECK_INT(bw_meta_peek(m, "bad", &v, NULL), -ENOENT);
    a.fail = 0;

    /* drop forgets */
    bw_meta_drop(m, "k");
    CHECK_INT(destroyed, 2);
    CHECK_INT(bw_meta_peek(m, "k", &v, NULL), -ENOENT);

    /* sweep: stale entries go past BW_META_SWEEP, a held value survives */
    CHECK_INT(bw_meta_get(m, "held", 60000, fetch, &a, &v, NULL), 0);
    char key[32];
    for (int i = 0; i < BW_META_SWEEP + 10; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        CHECK_INT(bw_meta_get(m, key, 60000, fetch, &a, &w, NULL), 0);
        bw_meta_put(m, w);
    }
    now_ms += 60001;
    int before = destroyed;
    CHECK_INT(bw_meta_get(m, "fresh", 60000, fetch, &a, &w, NULL), 0);
    bw_meta_put(m, w);
    CHECK(destroyed - before >= BW_META_SWEEP); /* the stale ones are gone */
    CHECK(((struct val *)v)->n > 0);             /* still readable (ASan checks) */
    bw_meta_put(m, v);
    CHECK_INT(bw_meta_peek(m, "held", &v, NULL), -ENOENT);
    bw_meta_free(m);
    return check_done("test_meta");
}
