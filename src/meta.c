/* meta: the generic metadata cache: hash table, single flight, TTLs,
 * reference-counted values (see meta.h). */
#include "meta.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NBUCKETS 1024

/* One key. Every field guarded by bw_meta.lock. */
struct entry {
    struct entry *next;
    char *key;
    struct bw_meta_val *val; /* the cache's reference, or NULL */
    int err;                 /* 0 or negative errno of the last fetch */
    int valid;               /* a fetch has completed */
    int fetching;            /* a thread is fetching; others wait on bw_meta.cond */
    int waiters;             /* threads holding this entry across a wait: not swept */
    long long fetched_ms;
};

struct bw_meta {
    long long error_ttl_ms, max_ttl_ms; /* immutable */
    long long (*clock_ms)(void);        /* immutable */
    pthread_mutex_t lock;               /* guards buckets, count, entries, refcounts */
    pthread_cond_t cond;                /* a fetch finished */
    struct entry *buckets[NBUCKETS];
    size_t count;
};

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bw_meta_new(long long error_ttl_ms, long long max_ttl_ms, long long (*clock_ms)(void),
                struct bw_meta **out)
{
    *out = NULL;
    if (error_ttl_ms < 1 || max_ttl_ms < 1)
        return -EINVAL;
    struct bw_meta *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->error_ttl_ms = error_ttl_ms;
    m->max_ttl_ms = max_ttl_ms;
    m->clock_ms = clock_ms ? clock_ms : monotonic_ms;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    *out = m;
    return 0;
}

/* Drop a reference with the lock held; returns the value to destroy after unlocking, or NULL. */
static struct bw_meta_val *unref_locked(struct bw_meta_val *v)
{
    return v && --v->refs == 0 ? v : NULL;
}

static void destroy(struct bw_meta_val *v)
{
    if (v)
        v->destroy(v);
}

void bw_meta_free(struct bw_meta *m)
{
    if (!m)
        return;
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (struct entry *e = m->buckets[b], *next; e; e = next) {
            next = e->next;
            destroy(unref_locked(e->val));
            free(e->key);
            free(e);
        }
    }
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    free(m);
}

long long bw_meta_now(struct bw_meta *m)
{
    return m->clock_ms();
}

static size_t hash(const char *s)
{
    size_t h = 14695981039346656037ull & (size_t)-1;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
    return h % NBUCKETS;
}

static struct entry *find(struct bw_meta *m, const char *key)
{
    for (struct entry *e = m->buckets[hash(key)]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* Remove entries nobody uses that are older than any TTL. Lock held; values
 * are plain memory, so freeing them here takes no other lock. */
static void sweep(struct bw_meta *m, long long now)
{
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (struct entry **pp = &m->buckets[b]; *pp;) {
            struct entry *e = *pp;
            if (e->fetching || e->waiters || now - e->fetched_ms < m->max_ttl_ms) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            destroy(unref_locked(e->val));
            free(e->key);
            free(e);
            m->count--;
        }
    }
}

static struct entry *find_or_add(struct bw_meta *m, const char *key)
{
    struct entry *e = find(m, key);
    if (e)
        return e;
    if (!(e = calloc(1, sizeof *e)) || !(e->key = strdup(key))) {
        free(e);
        return NULL;
    }
    size_t b = hash(key);
    e->next = m->buckets[b];
    m->buckets[b] = e;
    m->count++;
    return e;
}

int bw_meta_get(struct bw_meta *m, const char *key, long long ttl_ms, bw_meta_fetch_fn fetch,
                void *arg, struct bw_meta_val **out, long long *age_ms)
{
    struct bw_meta_val *old = NULL, *nv = NULL;
    int rc;

    *out = NULL;
    pthread_mutex_lock(&m->lock);
    if (m->count >= BW_META_SWEEP)
        sweep(m, m->clock_ms());
    struct entry *e = find_or_add(m, key);
    if (!e) {
        pthread_mutex_unlock(&m->lock);
        return -ENOMEM;
    }
    for (;;) {
        if (e->valid) {
            long long age = m->clock_ms() - e->fetched_ms;
            long long lim = e->err ? (ttl_ms < m->error_ttl_ms ? ttl_ms : m->error_ttl_ms) : ttl_ms;
            if (age < lim) {
                rc = e->err;
                if (!rc) {
                    e->val->refs++;
                    *out = e->val;
                    if (age_ms)
                        *age_ms = age;
                }
                pthread_mutex_unlock(&m->lock);
                return rc;
            }
        }
        if (!e->fetching)
            break;
        e->waiters++;
        pthread_cond_wait(&m->cond, &m->lock);
        e->waiters--;
    }
    e->fetching = 1;
    e->waiters++; /* keeps e alive across the fetch */
    pthread_mutex_unlock(&m->lock);

    rc = fetch(arg, &nv);
    if (rc == 0 && !nv)
        rc = -EIO;

    pthread_mutex_lock(&m->lock);
    e->waiters--;
    old = unref_locked(e->val);
    e->val = NULL;
    if (rc == 0) {
        nv->refs = 2; /* the cache's and the caller's */
        e->val = nv;
        *out = nv;
        if (age_ms)
            *age_ms = 0;
    }
    e->err = rc;
    e->valid = 1;
    e->fetched_ms = m->clock_ms();
    e->fetching = 0;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    destroy(old);
    if (rc && nv)
        destroy(nv); /* a fetch that failed yet produced something */
    return rc;
}

int bw_meta_peek(struct bw_meta *m, const char *key, struct bw_meta_val **out, long long *age_ms)
{
    int rc = -ENOENT;

    *out = NULL;
    pthread_mutex_lock(&m->lock);
    struct entry *e = find(m, key);
    if (e && e->valid && !e->err && e->val) {
        e->val->refs++;
        *out = e->val;
        if (age_ms)
            *age_ms = m->clock_ms() - e->fetched_ms;
        rc = 0;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

void bw_meta_drop(struct bw_meta *m, const char *key)
{
    struct bw_meta_val *old = NULL;

    pthread_mutex_lock(&m->lock);
    struct entry *e = find(m, key);
    if (e && !e->fetching) {
        old = unref_locked(e->val);
        e->val = NULL;
        e->valid = 0;
    }
    pthread_mutex_unlock(&m->lock);
    destroy(old);
}

void bw_meta_ref(struct bw_meta *m, struct bw_meta_val *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&m->lock);
    v->refs++;
    pthread_mutex_unlock(&m->lock);
}

void bw_meta_put(struct bw_meta *m, struct bw_meta_val *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&m->lock);
    struct bw_meta_val *d = unref_locked(v);
    pthread_mutex_unlock(&m->lock);
    destroy(d);
}
