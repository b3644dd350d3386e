/* cache: entries, single-flight probes, one download thread per entry with
 * resume, streaming reads and LRU eviction (see cache.h, docs/internals/cache.md). */
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define MIN_BYTES (1ull << 20)
#define PROBE_DATA_MAX (64 * 1024) /* bytes a probe accepts before it stops the transfer */

/* ---- table ---- */

static size_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return (size_t)h;
}

static struct entry *lookup(struct bw_cache *c, const char *key)
{
    for (struct entry *e = c->buckets[hash_key(key) & (c->nbuckets - 1)]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void grow(struct bw_cache *c)
{
    size_t n = c->nbuckets * 2;
    struct entry **b = calloc(n, sizeof *b);

    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < c->nbuckets; i++) {
        for (struct entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            size_t k = hash_key(e->key) & (n - 1);
            e->next = b[k];
            b[k] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

/* The entry for key, created if new; url (if any) replaces the stored one. */
static struct entry *get_entry(struct bw_cache *c, const char *key, const char *url)
{
    struct entry *e = lookup(c, key);
    pthread_condattr_t ca;

    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e || !(e->key = strdup(key))) {
            free(e);
            return NULL;
        }
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&e->cond, &ca);
        pthread_condattr_destroy(&ca);
        e->cache = c;
        e->size = -1;
        if (c->nentries >= c->nbuckets * 2)
            grow(c);
        size_t k = hash_key(key) & (c->nbuckets - 1);
        e->next = c->buckets[k];
        c->buckets[k] = e;
        c->nentries++;
    }
    if (url && (!e->url || strcmp(e->url, url) != 0)) {
        char *u = strdup(url);
        if (u) {
            free(e->url);
            e->url = u;
        }
    }
    return e;
}

int cache_index_add(struct bw_cache *c, const char *key, long long size, const char *name,
                    unsigned long long last_use)
{
    struct entry *e = get_entry(c, key, NULL);

    if (!e)
        return -ENOMEM;
    e->size = size;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->complete = 1;
    e->last_use = last_use;
    c->used += (unsigned long long)size;
    if (last_use >= c->tick)
        c->tick = last_use + 1;
    return 0;
}

/* ---- waiting and files (cache->lock held) ---- */

/* One bounded wait on e->cond; callers loop on their condition. The timeout
 * only guards against a missed wake-up: every state change broadcasts. */
static void wait_entry(struct bw_cache *c, struct entry *e)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 1;
    e->waiters++;
    pthread_cond_timedwait(&e->cond, &c->lock, &ts);
    e->waiters--;
}

static void wake(struct entry *e)
{
    if (e->waiters)
        pthread_cond_broadcast(&e->cond);
}

static struct cfile *cfile_new(int fd)
{
    struct cfile *f = malloc(sizeof *f);
    if (f) {
        f->fd = fd;
        f->refs = 1;
    }
    return f;
}

static void cfile_put(struct cfile *f)
{
    if (f && --f->refs == 0) {
        close(f->fd);
        free(f);
    }
}

/* Joins download threads that have ended. They only return after their last
 * unlock, so joining under the lock cannot deadlock and waits microseconds. */
static void reap(struct bw_cache *c)
{
    while (c->reap) {
        struct entry *e = c->reap;
        c->reap = e->reap_next;
        e->reap_next = NULL;
        if (e->has_thread)
            pthread_join(e->thread, NULL);
        e->has_thread = 0;
    }
}

/* Unlinks least-recently-used complete entries that nobody holds open until
 * the complete bytes fit under max_bytes. The entry keeps size and name in
 * memory, so stat stays exact without a request. */
static void evict(struct bw_cache *c)
{
    char path[PATH_MAX];

    while (c->used > c->max_bytes) {
        struct entry *victim = NULL;
        for (size_t i = 0; i < c->nbuckets; i++)
            for (struct entry *e = c->buckets[i]; e; e = e->next)
                if (e->complete && e->opens == 0 && (!victim || e->last_use < victim->last_use))
                    victim = e;
        if (!victim)
            return; /* all open: over the cap until they close */
        cache_path(c, victim->key, ".meta", path);
        unlink(path);
        cache_path(c, victim->key, ".data", path);
        unlink(path);
        victim->complete = 0;
        c->used -= (unsigned long long)victim->size;
        BW_DEBUG("cache", "evicted %s (%lld bytes)", victim->key, victim->size);
    }
}

/* A fresh, empty KEY.part (a new inode: readers of an older one keep it). */
static int part_new(struct bw_cache *c, const char *key, struct cfile **out)
{
    char path[PATH_MAX];
    int fd, rc;

    cache_path(c, key, ".part", path);
    rc = cache_mkdirs(path, strlen(c->dir) + 1);
    if (rc)
        return rc;
    unlink(path);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    *out = cfile_new(fd);
    if (!*out) {
        close(fd);
        unlink(path);
        return -ENOMEM;
    }
    return 0;
}

/* ---- the download thread ---- */

struct dl {
    struct bw_cache *c;
    struct entry *e;
    struct cfile *f;     /* the file written (the thread's own reference) */
    long long req_off;   /* offset this attempt asked for */
    long long pos;       /* next byte to write = bytes in f */
    long long expected;  /* total size, -1 while unknown (chunked) */
    int got_meta;
    int mismatch;        /* the server changed its mind about the size */
};

static int dl_on_meta(void *ctx, const struct bw_cache_meta *m)
{
    struct dl *d = ctx;
    struct bw_cache *c = d->c;
    struct entry *e = d->e;
    struct cfile *nf = NULL;

    if (d->got_meta)
        return -EIO;
    if (m->size >= 0 && d->expected >= 0 && m->size != d->expected) {
        d->mismatch = 1;
        return -EIO;
    }
    if (m->offset != d->req_off) {
        if (m->offset != 0)
            return -EIO; /* a range we did not ask for */
        /* The server ignored Range: start over in a new file; readers of
         * the old one still read valid bytes from it. */
        int rc = part_new(c, e->key, &nf);
        if (rc)
            return rc;
        BW_INFO("cache", "%s: server ignored the range request, restarting from 0", e->key);
    }
    pthread_mutex_lock(&c->lock);
    if (nf) {
        cfile_put(e->file); /* the entry's reference */
        cfile_put(d->f);    /* ours */
        nf->refs = 2;
        e->file = d->f = nf;
        e->have = d->pos = 0;
    }
    if (m->size >= 0) {
        d->expected = m->size;
        if (e->size < 0)
            e->size = m->size;
    }
    if (!e->name[0] && m->name[0])
        snprintf(e->name, sizeof e->name, "%s", m->name);
    d->got_meta = 1;
    wake(e);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

static int dl_on_data(void *ctx, const char *buf, size_t len)
{
    struct dl *d = ctx;
    struct bw_cache *c = d->c;

    if (atomic_load(&c->closing))
        return -ECANCELED;
    if (!d->got_meta)
        return -EIO;
    if (len == 0)
        return 0;
    if (d->expected >= 0 && (unsigned long long)(d->expected - d->pos) < len) {
        d->mismatch = 1;
        return -EIO; /* more bytes than announced */
    }
    for (size_t done = 0; done < len;) {
        ssize_t w = pwrite(d->f->fd, buf + done, len - done, (off_t)(d->pos + (long long)done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        done += (size_t)w;
    }
    pthread_mutex_lock(&c->lock);
    d->pos += (long long)len;
    d->e->have = d->pos;
    wake(d->e);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* Runs fetches until the file is whole or the error is final. */
static int dl_transfer(struct dl *d, const char *url)
{
    struct bw_cache *c = d->c;
    struct bw_cache_sink sink = {.ctx = d, .on_meta = dl_on_meta, .on_data = dl_on_data};
    int resumes = 0;

    for (;;) {
        d->req_off = d->pos;
        d->got_meta = 0;
        int rc = c->fetcher.fetch(c->fetcher.ctx, url, d->req_off, 0, &sink);
        if (atomic_load(&c->closing))
            return -ECANCELED;
        if (d->got_meta && d->expected >= 0 && d->pos == d->expected && !d->mismatch)
            return 0; /* every announced byte is on disk, whatever the ending */
        if (rc == 0 && d->got_meta && d->expected < 0)
            return 0; /* a chunked answer that ended cleanly */
        if (rc == 0)
            rc = d->got_meta ? -ECONNRESET : -EIO; /* short of Content-Length */
        if ((rc != -ECONNRESET && rc != -ETIMEDOUT) || d->mismatch)
            return rc;
        if (resumes++ == BW_CACHE_MAX_RESUMES)
            return rc == -ECONNRESET ? -EIO : rc; /* cut short for good */
        BW_INFO("cache", "%s: transfer cut short at byte %lld (%s), resuming", d->e->key, d->pos,
                rc == -ETIMEDOUT ? "timeout" : "connection lost");
    }
}

/* fsync, KEY.part -> KEY.data, then KEY.meta: a crash in between leaves an
 * orphan that the next start removes, never a short file indexed as whole. */
static int dl_finish(struct dl *d, const char *name)
{
    char part[PATH_MAX], data[PATH_MAX];

    cache_path(d->c, d->e->key, ".part", part);
    cache_path(d->c, d->e->key, ".data", data);
    if (fsync(d->f->fd) != 0 || rename(part, data) != 0)
        return -errno;
    int rc = cache_meta_write(d->c, d->e->key, d->pos, name);
    if (rc)
        unlink(data);
    return rc;
}

static void *dl_main(void *arg)
{
    struct entry *e = arg;
    struct bw_cache *c = e->cache;
    struct dl d = {.c = c, .e = e};
    char name[BW_CACHE_NAME_MAX + 1], path[PATH_MAX];
    char *url;
    int rc;

    pthread_mutex_lock(&c->lock);
    url = e->url ? strdup(e->url) : NULL;
    d.expected = e->size; /* a probe's answer binds the download */
    pthread_mutex_unlock(&c->lock);

    rc = url ? part_new(c, e->key, &d.f) : -ENOMEM;
    if (rc == 0) {
        pthread_mutex_lock(&c->lock);
        d.f->refs = 2; /* ours and the entry's */
        e->file = d.f;
        e->have = 0;
        pthread_mutex_unlock(&c->lock);
        rc = dl_transfer(&d, url);
        if (rc == 0) {
            pthread_mutex_lock(&c->lock);
            snprintf(name, sizeof name, "%s", e->name);
            pthread_mutex_unlock(&c->lock);
            rc = dl_finish(&d, name);
        }
        if (rc) {
            cache_path(c, e->key, ".part", path);
            unlink(path); /* nothing truncated stays */
        }
    }
    free(url);
    if (rc && rc != -ECANCELED)
        BW_INFO("cache", "%s: download failed: %s", e->key, strerror(-rc));

    pthread_mutex_lock(&c->lock);
    if (rc == 0) {
        e->complete = 1;
        e->size = d.pos;
        c->used += (unsigned long long)d.pos;
        e->last_use = ++c->tick;
    } else {
        e->dl_err = rc;
        e->fail_gen = e->dl_gen;
        if (d.mismatch)
            e->size = -1; /* ask again next time */
    }
    e->have = 0;
    if (d.f && (rc || e->opens == 0)) {
        cfile_put(e->file); /* readers in pread keep their own reference */
        e->file = NULL;
    }
    cfile_put(d.f);
    e->downloading = 0;
    wake(e);
    if (rc == 0)
        evict(c);
    e->reap_next = c->reap;
    c->reap = e;
    c->running--;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Starts e's download (cache->lock held; e neither complete nor downloading). */
static int start_download(struct bw_cache *c, struct entry *e)
{
    reap(c); /* e's previous thread, if any, is joined before e->thread is reused */
    if (atomic_load(&c->closing))
        return -ECANCELED;
    if (!e->url)
        return -EINVAL;
    e->downloading = 1;
    e->dl_gen++;
    e->have = 0;
    c->running++;
    int rc = pthread_create(&e->thread, NULL, dl_main, e);
    if (rc) {
        e->downloading = 0;
        c->running--;
        return rc == EAGAIN ? -EAGAIN : -ENOMEM;
    }
    e->has_thread = 1;
    return 0;
}

/* ---- public ---- */

int bw_cache_new(const struct bw_cache_config *cfg, struct bw_cache **out)
{
    struct bw_cache *c;
    char path[PATH_MAX];
    size_t dlen;

    *out = NULL;
    if (!cfg->dir || !cfg->dir[0] || !cfg->fetcher.fetch || cfg->max_bytes < MIN_BYTES)
        return -EINVAL;
    dlen = strlen(cfg->dir);
    while (dlen > 1 && cfg->dir[dlen - 1] == '/')
        dlen--;
    if (dlen + 32 >= PATH_MAX)
        return -ENAMETOOLONG;
    snprintf(path, sizeof path, "%.*s/", (int)dlen, cfg->dir);
    int rc = cache_mkdirs(path, 1);
    if (rc)
        return rc;
    c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->dir = strndup(cfg->dir, dlen);
    c->nbuckets = 256;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->dir || !c->buckets) {
        free(c->dir);
        free(c->buckets);
        free(c);
        return -ENOMEM;
    }
    c->key_max = PATH_MAX - dlen - sizeof "/.meta.tmp";
    c->max_bytes = cfg->max_bytes;
    c->fetcher = cfg->fetcher;
    atomic_init(&c->closing, 0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&c->lock, NULL);
    cache_scan(c);
    evict(c); /* the cap may have shrunk since the last run */
    *out = c;
    return 0;
}

void bw_cache_free(struct bw_cache *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->closing, 1); /* downloads' on_data now returns -ECANCELED */
    while (c->running) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    reap(c);
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < c->nbuckets; i++) {
        for (struct entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            cfile_put(e->file);
            pthread_cond_destroy(&e->cond);
            free(e->url);
            free(e->key);
            free(e);
        }
    }
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c->buckets);
    free(c->dir);
    free(c);
}

struct probe {
    struct bw_cache_meta meta;
    int got;
    size_t data;
};

static int probe_on_meta(void *ctx, const struct bw_cache_meta *m)
{
    struct probe *p = ctx;
    if (!p->got)
        p->meta = *m;
    p->got = 1;
    return 0;
}

static int probe_on_data(void *ctx, const char *buf, size_t len)
{
    struct probe *p = ctx;
    (void)buf;
    p->data += len;
    /* A 1-byte range answer is fine; a server that ignored the range is stopped. */
    return p->data > PROBE_DATA_MAX ? -ECANCELED : 0;
}

static void info_of(const struct entry *e, struct bw_cache_info *out)
{
    out->size = e->size;
    snprintf(out->name, sizeof out->name, "%s", e->name);
    out->complete = e->complete;
}

int bw_cache_probe(struct bw_cache *c, const char *key, const char *url, struct bw_cache_info *out)
{
    unsigned dgen = 0, pgen = 0;
    int waited_probe = 0, rc;

    memset(out, 0, sizeof *out);
    out->size = -1;
    if (!cache_key_ok(key, c->key_max))
        return -EINVAL;
    pthread_mutex_lock(&c->lock);
    struct entry *e = get_entry(c, key, url);
    if (!e) {
        pthread_mutex_unlock(&c->lock);
        return -ENOMEM;
    }
    for (;;) {
        if (e->complete || e->size >= 0) {
            info_of(e, out);
            rc = 0;
            break;
        }
        if (e->downloading) { /* it will tell the size (or, chunked, finish) */
            if (!dgen)
                dgen = e->dl_gen;
            wait_entry(c, e);
            continue;
        }
        if (dgen && e->fail_gen == dgen) {
            rc = e->dl_err;
            break;
        }
        if (e->probing) { /* single flight: share the running probe's answer */
            pgen = e->probe_gen;
            waited_probe = 1;
            wait_entry(c, e);
            continue;
        }
        if (waited_probe && e->probe_gen != pgen && e->probe_err) {
            rc = e->probe_err;
            break;
        }
        if (!e->url) {
            rc = -EINVAL;
            break;
        }
        /* Our own probe, without the lock. */
        struct probe p = {.got = 0};
        struct bw_cache_sink sink = {.ctx = &p, .on_meta = probe_on_meta, .on_data = probe_on_data};
        char *u = strdup(e->url);
        if (!u) {
            rc = -ENOMEM;
            break;
        }
        e->probing = 1;
        pthread_mutex_unlock(&c->lock);
        rc = c->fetcher.fetch(c->fetcher.ctx, u, 0, 1, &sink);
        free(u);
        pthread_mutex_lock(&c->lock);
        e->probing = 0;
        e->probe_gen++;
        e->probe_err = p.got ? 0 : rc ? rc : -EIO;
        if (p.got && !e->name[0])
            snprintf(e->name, sizeof e->name, "%s", p.meta.name);
        if (p.got && p.meta.size >= 0 && e->size < 0 && !e->complete)
            e->size = p.meta.size;
        wake(e);
        if (!p.got) {
            rc = e->probe_err;
            break;
        }
        if (p.meta.size < 0 && e->size < 0 && !e->complete && !e->downloading) {
            /* Chunked: only the whole download tells the size. */
            rc = start_download(c, e);
            if (rc)
                break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

struct bw_cache_handle {
    struct bw_cache *c;
    struct entry *e;
    unsigned gen; /* the entry's download this handle waits on or saw fail; cache->lock */
};

int bw_cache_open(struct bw_cache *c, const char *key, const char *url, struct bw_cache_handle **out)
{
    char path[PATH_MAX];
    struct bw_cache_handle *h;
    int rc = 0;

    *out = NULL;
    if (!cache_key_ok(key, c->key_max))
        return -EINVAL;
    h = malloc(sizeof *h);
    if (!h)
        return -ENOMEM;
    pthread_mutex_lock(&c->lock);
    struct entry *e = get_entry(c, key, url);
    if (!e)
        rc = -ENOMEM;
    if (!rc && e->complete && !e->file) {
        cache_path(c, key, ".data", path);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && !(e->file = cfile_new(fd)))
            close(fd);
        if (!e->file) { /* removed behind our back: download it again */
            e->complete = 0;
            c->used -= (unsigned long long)e->size;
            cache_path(c, key, ".meta", path);
            unlink(path);
        }
    }
    if (!rc && !e->complete && !e->downloading)
        rc = start_download(c, e);
    if (!rc) {
        e->opens++;
        e->last_use = ++c->tick;
        h->c = c;
        h->e = e;
        h->gen = e->complete ? 0 : e->dl_gen; /* its failure is this handle's error */
        *out = h;
    }
    pthread_mutex_unlock(&c->lock);
    if (rc)
        free(h);
    return rc;
}

ssize_t bw_cache_read(struct bw_cache_handle *h, char *buf, size_t len, off_t off)
{
    struct bw_cache *c = h->c;
    struct entry *e = h->e;
    struct cfile *f;
    unsigned dgen;
    long long end;
    int rc;

    if (off < 0)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (len > SSIZE_MAX)
        len = SSIZE_MAX;
    if ((unsigned long long)off + len > (unsigned long long)LLONG_MAX)
        len = (size_t)(LLONG_MAX - (long long)off);
    pthread_mutex_lock(&c->lock);
    dgen = h->gen;
    for (;;) {
        /* end: the byte after what this read returns, once it is on disk */
        end = (long long)off + (long long)len;
        if (e->size >= 0 && end > e->size)
            end = e->size;
        if (end <= (long long)off && (e->complete || e->size >= 0)) {
            pthread_mutex_unlock(&c->lock);
            return 0; /* at or past the end */
        }
        if (e->complete) {
            if (e->file)
                break;
            pthread_mutex_unlock(&c->lock);
            return -EIO; /* cannot happen: an open handle keeps the file */
        }
        if (e->downloading) {
            /* The last bytes wait for the clean end: a reader never reaches
             * EOF on a download that then turns out cut short or too long. */
            if (e->file && e->have >= end && (e->size < 0 || end < e->size))
                break;
            dgen = h->gen = e->dl_gen;
            wait_entry(c, e);
            continue;
        }
        if (dgen && e->fail_gen == dgen) {
            /* The download this handle relied on failed: its error, on every
             * read, so a program retrying read() cannot loop downloads. A
             * new open (or another handle's success) starts afresh. */
            rc = e->dl_err;
            pthread_mutex_unlock(&c->lock);
            return rc;
        }
        rc = start_download(c, e); /* not reached in practice: open starts one */
        if (rc) {
            pthread_mutex_unlock(&c->lock);
            return rc;
        }
        dgen = h->gen = e->dl_gen;
    }
    f = e->file;
    f->refs++;
    e->last_use = ++c->tick;
    pthread_mutex_unlock(&c->lock);

    size_t want = (size_t)(end - (long long)off), got = 0;
    ssize_t r = 0;
    while (got < want) {
        r = pread(f->fd, buf + got, want - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    rc = r < 0 ? -errno : 0;
    pthread_mutex_lock(&c->lock);
    cfile_put(f);
    pthread_mutex_unlock(&c->lock);
    if (got < want && !got)
        return rc ? rc : -EIO; /* the file is shorter than the index says */
    return (ssize_t)got;
}

void bw_cache_close(struct bw_cache_handle *h)
{
    struct bw_cache *c;
    struct entry *e;
    char path[PATH_MAX];

    if (!h)
        return;
    c = h->c;
    e = h->e;
    pthread_mutex_lock(&c->lock);
    e->opens--;
    if (e->opens == 0 && !e->downloading && e->file) {
        cfile_put(e->file);
        e->file = NULL;
    }
    if (e->complete) {
        /* The .meta mtime is the LRU order the next start loads. */
        cache_path(c, e->key, ".meta", path);
        utimensat(AT_FDCWD, path, NULL, 0);
    }
    evict(c);
    pthread_mutex_unlock(&c->lock);
    free(h);
}

unsigned long long bw_cache_used(struct bw_cache *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned long long used = c->used;
    pthread_mutex_unlock(&c->lock);
    return used;
}
