/* test_cache: the report cache against a fake fetcher (no network): index
 * across remounts, probes, streaming, shared downloads, resume, restart,
 * size mismatch, chunked, eviction, stale files, key checks (cache.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"

#define MAX_CALLS 32

/* A scriptable server: serves data[0..size), honours Range or not, can cut a
 * call short, can block at a byte until the test opens the gate. */
struct fake {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const char *data;
    long long size;            /* bytes served */
    long long announce;        /* size announced on first answers (normally size) */
    long long announce_resumed; /* size announced on ranged answers (normally size) */
    int chunked;               /* announce -1 */
    int ignore_range;
    int fail;                  /* non-zero: every call returns this before on_meta */
    long long cut[MAX_CALLS];  /* call i stops at this absolute byte (0: no cut) */
    int cut_clean;             /* a cut returns 0 instead of -ECONNRESET */
    long long gate;            /* block once this byte is reached (-1: never) */
    int gate_open;
    int blocked;               /* the fetcher waits at the gate */
    int endless;               /* at the gate, poll on_data until it refuses */
    int probe_sends;           /* a probe answers with the first byte too */
    int probe_gate;            /* probes block before answering until gate_open */
    /* what happened */
    int calls, probes;
    long long offsets[MAX_CALLS];
};

static struct fake fk;

static void fake_reset(const char *data, long long size)
{
    pthread_mutex_lock(&fk.lock);
    fk.data = data;
    fk.size = fk.announce = fk.announce_resumed = size;
    fk.chunked = fk.ignore_range = fk.fail = fk.cut_clean = fk.endless = fk.probe_sends = 0;
    fk.probe_gate = 0;
    memset(fk.cut, 0, sizeof fk.cut);
    fk.gate = -1;
    fk.gate_open = fk.blocked = 0;
    fk.calls = fk.probes = 0;
    pthread_mutex_unlock(&fk.lock);
}

static int fake_fetch(void *ctx, const char *url, long long offset, int probe,
                      const struct bw_cache_sink *sink)
{
    struct fake *f = ctx;
    struct bw_cache_meta m = {.size = -1};
    int call, rc;

    (void)url;
    pthread_mutex_lock(&f->lock);
    call = f->calls++;
    if (call < MAX_CALLS)
        f->offsets[call] = offset;
    f->probes += probe;
    if (probe && f->probe_gate) {
        f->blocked = 1;
        pthread_cond_broadcast(&f->cond);
        while (!f->gate_open)
            pthread_cond_wait(&f->cond, &f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    if (f->fail)
        return f->fail;
    m.offset = f->ignore_range ? 0 : offset;
    m.size = f->chunked ? -1 : m.offset ? f->announce_resumed : f->announce;
    snprintf(m.name, sizeof m.name, "report.csv");
    if ((rc = sink->on_meta(sink->ctx, &m)) != 0)
        return rc;
    if (probe)
        return f->probe_sends ? sink->on_data(sink->ctx, f->data, 1) : 0;
    long long stop = call < MAX_CALLS && f->cut[call] ? f->cut[call] : f->size;
    for (long long pos = m.offset; pos < stop;) {
        pthread_mutex_lock(&f->lock);
        if (pos == f->gate && !f->gate_open) {
            f->blocked = 1;
            pthread_cond_broadcast(&f->cond);
            while (!f->gate_open) {
                if (f->endless) { /* a transfer that only cancelling ends */
                    struct timespec ts;
                    clock_gettime(CLOCK_REALTIME, &ts);
                    ts.tv_nsec += 5000000;
                    if (ts.tv_nsec >= 1000000000) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000;
                    }
                    pthread_cond_timedwait(&f->cond, &f->lock, &ts);
                    pthread_mutex_unlock(&f->lock);
                    if ((rc = sink->on_data(sink->ctx, "", 0)) != 0)
                        return rc;
                    pthread_mutex_lock(&f->lock);
                } else {
                    pthread_cond_wait(&f->cond, &f->lock);
                }
            }
        }
        pthread_mutex_unlock(&f->lock);
        long long n = stop - pos < 700 ? stop - pos : 700;
        if (f->gate > pos && f->gate < pos + n)
            n = f->gate - pos;
        if ((rc = sink->on_data(sink->ctx, f->data + pos, (size_t)n)) != 0)
            return rc;
        pos += n;
    }
    if (stop < f->size)
        return f->cut_clean ? 0 : -ECONNRESET;
    return 0;
}

/* Waits (bounded) until the fetcher sits at its gate. */
static int wait_blocked(void)
{
    struct timespec ts;
    int ok;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 20;
    pthread_mutex_lock(&fk.lock);
    while (!fk.blocked && pthread_cond_timedwait(&fk.cond, &fk.lock, &ts) == 0)
        ;
    ok = fk.blocked;
    pthread_mutex_unlock(&fk.lock);
    return ok;
}

static void open_gate(void)
{
    pthread_mutex_lock(&fk.lock);
    fk.gate_open = 1;
    pthread_cond_broadcast(&fk.cond);
    pthread_mutex_unlock(&fk.lock);
}

static int calls(void)
{
    pthread_mutex_lock(&fk.lock);
    int n = fk.calls;
    pthread_mutex_unlock(&fk.lock);
    return n;
}

static char base[PATH_MAX - 64]; /* the test's temporary directory */
static char dir[PATH_MAX];  /* the cache directory of the running test */
static char *content; /* 1 MiB of pseudo-random bytes */
#define CONTENT_LEN (1 << 20)

/* A cache in base/name (created by bw_cache_new): one directory per test. */
static struct bw_cache *cache_in(const char *name, unsigned long long max)
{
    struct bw_cache *c = NULL;
    snprintf(dir, sizeof dir, "%s/%s", base, name);
    struct bw_cache_config cfg = {.dir = dir, .max_bytes = max,
                                  .fetcher = {.ctx = &fk, .fetch = fake_fetch}};
    CHECK_INT(bw_cache_new(&cfg, &c), 0);
    return c;
}

static int exists(const char *rel)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return access(p, F_OK) == 0;
}

static void put_file(const char *rel, const char *text)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *fp = fopen(p, "w");
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

/* Reads [0, size) through a handle in odd-sized pieces; 1 if byte-exact. */
static int read_all(struct bw_cache *c, const char *key, long long size, ssize_t *err)
{
    struct bw_cache_handle *h;
    char *buf = malloc((size_t)size + 8192);
    long long off = 0;
    ssize_t n = 0;

    *err = bw_cache_open(c, key, "https://x/file", &h);
    if (*err || !buf) {
        free(buf);
        return 0;
    }
    while ((n = bw_cache_read(h, buf + off, 3001, off)) > 0)
        off += n;
    *err = n;
    bw_cache_close(h);
    int ok = n == 0 && off == size && memcmp(buf, content, (size_t)size) == 0;
    free(buf);
    return ok;
}

static void test_probe_and_index(void)
{
    struct bw_cache *c = cache_in("index", 8 << 20);
    struct bw_cache_info info;
    ssize_t err;

    fake_reset(content, 10000);
    /* size and name before any byte is read: one probe */
    CHECK_INT(bw_cache_probe(c, "reports/1/10", "https://x/file", &info), 0);
    CHECK_INT(info.size, 10000);
    CHECK_STR(info.name, "report.csv");
    CHECK_INT(info.complete, 0);
    CHECK_INT(fk.probes, 1);
    CHECK_INT(bw_cache_probe(c, "reports/1/10", "https://x/file", &info), 0);
    CHECK_INT(calls(), 1); /* known in memory */
    CHECK(read_all(c, "reports/1/10", 10000, &err));
    CHECK_INT(err, 0);
    CHECK_INT(calls(), 2);
    CHECK(exists("reports/1/10.data") && exists("reports/1/10.meta") && !exists("reports/1/10.part"));
    CHECK_INT(bw_cache_used(c), 10000);
    bw_cache_free(c);

    /* a "remount": the index answers, no request at all */
    fake_reset(content, 10000);
    c = cache_in("index", 8 << 20);
    CHECK_INT(bw_cache_used(c), 10000);
    CHECK_INT(bw_cache_probe(c, "reports/1/10", "https://x/file", &info), 0);
    CHECK_INT(info.size, 10000);
    CHECK_STR(info.name, "report.csv");
    CHECK_INT(info.complete, 1);
    CHECK(read_all(c, "reports/1/10", 10000, &err));
    CHECK_INT(calls(), 0);

    /* a probe that gets a byte of data too is fine */
    fake_reset(content, 5000);
    fk.probe_sends = 1;
    CHECK_INT(bw_cache_probe(c, "reports/1/11", "https://x/file", &info), 0);
    CHECK_INT(info.size, 5000);
    /* a failing probe reports the fetch's errno and remembers nothing */
    fake_reset(content, 5000);
    fk.fail = -EAGAIN;
    CHECK_INT(bw_cache_probe(c, "reports/1/12", "https://x/file", &info), -EAGAIN);
    fk.fail = 0;
    CHECK_INT(bw_cache_probe(c, "reports/1/12", "https://x/file", &info), 0);
    CHECK_INT(calls(), 2);
    bw_cache_free(c);
}

struct prober {
    struct bw_cache *c;
    const char *key;
    struct bw_cache_info info;
    int rc;
};

static void *prober_main(void *arg)
{
    struct prober *p = arg;
    p->rc = bw_cache_probe(p->c, p->key, "https://x/file", &p->info);
    return NULL;
}

/* Concurrent probes of one key share one request (single flight). */
static void test_single_flight(void)
{
    struct bw_cache *c = cache_in("flight", 8 << 20);
    struct prober pr[4];
    pthread_t th[4];

    fake_reset(content, 7777);
    fk.probe_gate = 1;
    for (int i = 0; i < 4; i++) {
        pr[i] = (struct prober){.c = c, .key = "reports/7/1"};
        pthread_create(&th[i], NULL, prober_main, &pr[i]);
        if (i == 0)
            CHECK(wait_blocked()); /* the first one's request is in flight */
    }
    open_gate();
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(pr[i].rc, 0);
        CHECK_INT(pr[i].info.size, 7777);
    }
    CHECK_INT(calls(), 1);
    bw_cache_free(c);
}

/* Many threads, many keys, probes and reads mixed: every byte right, one
 * download per key (run under ASan/TSan to find races). */
struct mixer {
    struct bw_cache *c;
    int id, ok;
};

static void *mixer_main(void *arg)
{
    struct mixer *m = arg;
    char key[64];
    ssize_t err;
    struct bw_cache_info info;

    m->ok = 1;
    for (int k = 0; k < 6; k++) {
        snprintf(key, sizeof key, "reports/8/%d", (k + m->id) % 6);
        if ((m->id + k) % 2 && (bw_cache_probe(m->c, key, "https://x/file", &info) != 0 ||
                                info.size != 65536))
            m->ok = 0;
        if (!read_all(m->c, key, 65536, &err))
            m->ok = 0;
    }
    return NULL;
}

static void test_mixed_load(void)
{
    struct bw_cache *c = cache_in("mixed", 8 << 20);
    struct mixer mx[8];
    pthread_t th[8];

    fake_reset(content, 65536);
    for (int i = 0; i < 8; i++) {
        mx[i] = (struct mixer){.c = c, .id = i};
        pthread_create(&th[i], NULL, mixer_main, &mx[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK(mx[i].ok);
    }
    CHECK(calls() <= 12); /* per key: at most a probe and one download */
    CHECK_INT(bw_cache_used(c), 6 * 65536);
    bw_cache_free(c);
}

struct reader {
    struct bw_cache_handle *h;
    long long size;
    int ok;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    char *buf = malloc((size_t)r->size);
    long long off = 0;
    ssize_t n = 0;

    while (buf && (n = bw_cache_read(r->h, buf + off, 4096, off)) > 0)
        off += n;
    r->ok = buf && n == 0 && off == r->size && memcmp(buf, content, (size_t)r->size) == 0;
    free(buf);
    return NULL;
}

static void test_streaming_and_sharing(void)
{
    struct bw_cache *c = cache_in("stream", 8 << 20);
    struct bw_cache_handle *h[4];
    struct reader rd[4];
    pthread_t th[4];
    char buf[2000];

    /* the first bytes reach a reader while the transfer is blocked */
    fake_reset(content, 300000);
    fk.gate = 150000;
    CHECK_INT(bw_cache_open(c, "reports/2/1", "https://x/file", &h[0]), 0);
    CHECK(wait_blocked());
    CHECK_INT(bw_cache_read(h[0], buf, sizeof buf, 0), sizeof buf);
    CHECK(memcmp(buf, content, sizeof buf) == 0);
    CHECK_INT(bw_cache_read(h[0], buf, 1000, 149000), 1000);
    CHECK(memcmp(buf, content + 149000, 1000) == 0);
    CHECK(!exists("reports/2/1.data") && exists("reports/2/1.part"));
    /* more handles and readers: all wait on the one download */
    for (int i = 1; i < 4; i++)
        CHECK_INT(bw_cache_open(c, "reports/2/1", "https://x/file", &h[i]), 0);
    for (int i = 0; i < 4; i++) {
        rd[i] = (struct reader){.h = h[i], .size = 300000};
        pthread_create(&th[i], NULL, reader_main, &rd[i]);
    }
    open_gate();
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(rd[i].ok);
        bw_cache_close(h[i]);
    }
    CHECK_INT(calls(), 1); /* one download shared by every reader */
    CHECK(exists("reports/2/1.data") && !exists("reports/2/1.part"));
    /* past the end */
    CHECK_INT(bw_cache_open(c, "reports/2/1", "https://x/file", &h[0]), 0);
    CHECK_INT(bw_cache_read(h[0], buf, 100, 300000), 0);
    CHECK_INT(bw_cache_read(h[0], buf, 100, 299950), 50);
    bw_cache_close(h[0]);
    CHECK_INT(calls(), 1);
    bw_cache_free(c);
}

static void test_resume_restart_mismatch(void)
{
    struct bw_cache *c = cache_in("resume", 8 << 20);
    struct bw_cache_info info;
    ssize_t err;

    /* cut short twice, resumed from the bytes on disk */
    fake_reset(content, 200000);
    fk.cut[0] = 70001;
    fk.cut[1] = 150000;
    CHECK(read_all(c, "reports/3/1", 200000, &err));
    CHECK_INT(calls(), 3);
    CHECK_INT(fk.offsets[0], 0);
    CHECK_INT(fk.offsets[1], 70001);
    CHECK_INT(fk.offsets[2], 150000);
    CHECK(exists("reports/3/1.data"));

    /* a clean end short of Content-Length is a cut, not a success */
    fake_reset(content, 50000);
    fk.cut[0] = 1234;
    fk.cut_clean = 1;
    CHECK(read_all(c, "reports/3/2", 50000, &err));
    CHECK_INT(calls(), 2);
    CHECK_INT(fk.offsets[1], 1234);

    /* the server ignores Range: restart from 0 */
    fake_reset(content, 100000);
    fk.cut[0] = 40000;
    fk.ignore_range = 1;
    CHECK(read_all(c, "reports/3/3", 100000, &err));
    CHECK_INT(calls(), 2);
    CHECK_INT(fk.offsets[1], 40000);
    CHECK(exists("reports/3/3.data"));

    /* Content-Length larger than what ever arrives: never complete */
    fake_reset(content, 80000);
    fk.announce = fk.announce_resumed = 90000;
    CHECK(!read_all(c, "reports/3/4", 90000, &err));
    CHECK_INT(err, -EIO);
    CHECK_INT(calls(), 1 + BW_CACHE_MAX_RESUMES);
    CHECK(!exists("reports/3/4.data") && !exists("reports/3/4.part") && !exists("reports/3/4.meta"));
    /* more bytes than announced: refused at once */
    fake_reset(content, 80000);
    fk.announce = 60000;
    CHECK(!read_all(c, "reports/3/5", 60000, &err));
    CHECK_INT(err, -EIO);
    CHECK_INT(calls(), 1);
    CHECK(!exists("reports/3/5.data") && !exists("reports/3/5.part"));
    /* a resumed answer announcing another total: failed, size forgotten */
    fake_reset(content, 80000);
    fk.cut[0] = 30000;
    fk.announce_resumed = 70000;
    CHECK(!read_all(c, "reports/3/6", 80000, &err));
    CHECK_INT(err, -EIO);
    CHECK_INT(calls(), 2);
    CHECK(!exists("reports/3/6.data") && !exists("reports/3/6.part"));
    /* ... and a later attempt starts over */
    fake_reset(content, 80000);
    CHECK_INT(bw_cache_probe(c, "reports/3/6", "https://x/file", &info), 0);
    CHECK_INT(info.size, 80000);
    CHECK(read_all(c, "reports/3/6", 80000, &err));

    /* a final error reaches the reader; the next open retries */
    fake_reset(content, 1000);
    fk.fail = -ENOENT;
    CHECK(!read_all(c, "reports/3/7", 1000, &err));
    CHECK_INT(err, -ENOENT);
    fk.fail = 0;
    CHECK(read_all(c, "reports/3/7", 1000, &err));
    CHECK_INT(calls(), 2);
    /* connection lost every time: BW_CACHE_MAX_RESUMES then EIO */
    fake_reset(content, 10000);
    for (int i = 0; i < MAX_CALLS; i++)
        fk.cut[i] = 100 * (i + 1);
    CHECK(!read_all(c, "reports/3/8", 10000, &err));
    CHECK_INT(err, -EIO);
    CHECK_INT(calls(), 1 + BW_CACHE_MAX_RESUMES);
    bw_cache_free(c);
}

static void test_chunked(void)
{
    struct bw_cache *c = cache_in("chunked", 8 << 20);
    struct bw_cache_info info;
    ssize_t err;

    /* no size in the answer: the probe waits for the whole download */
    fake_reset(content, 123457);
    fk.chunked = 1;
    CHECK_INT(bw_cache_probe(c, "billing/1/abc-def", "https://x/file", &info), 0);
    CHECK_INT(info.size, 123457);
    CHECK_INT(info.complete, 1);
    CHECK_INT(calls(), 2); /* the probe, then the download */
    CHECK(exists("billing/1/abc-def.data"));
    CHECK(read_all(c, "billing/1/abc-def", 123457, &err));
    CHECK_INT(calls(), 2);

    /* chunked and cut: resumed by range */
    fake_reset(content, 50000);
    fk.chunked = 1;
    fk.cut[0] = 20000;
    CHECK(read_all(c, "billing/1/x2", 50000, &err));
    CHECK_INT(fk.offsets[1], 20000);
    bw_cache_free(c);
}

static void test_eviction(void)
{
    struct bw_cache *c = cache_in("evict", 1 << 20);
    struct bw_cache_handle *hd;
    char buf[16];
    ssize_t err;
    const long long sz = 300 * 1024;

    fake_reset(content, sz);
    /* D is read first and stays open: the least recent, but never evicted */
    CHECK_INT(bw_cache_open(c, "reports/5/d", "https://x/file", &hd), 0);
    CHECK_INT(bw_cache_read(hd, buf, sizeof buf, sz - 16), 16);
    CHECK(read_all(c, "reports/5/a", sz, &err));
    CHECK(read_all(c, "reports/5/b", sz, &err));
    CHECK(read_all(c, "reports/5/a", sz, &err)); /* a is now more recent than b */
    CHECK_INT(bw_cache_used(c), 3 * sz);
    CHECK(read_all(c, "reports/5/c", sz, &err)); /* 4 * 300 KiB > 1 MiB */
    CHECK(exists("reports/5/d.data"));
    CHECK(!exists("reports/5/b.data") && !exists("reports/5/b.meta"));
    CHECK(exists("reports/5/a.data") && exists("reports/5/c.data"));
    CHECK_INT(bw_cache_used(c), 3 * sz);
    CHECK_INT(calls(), 4);
    /* an evicted entry still knows its size, and comes back on read */
    struct bw_cache_info info;
    CHECK_INT(bw_cache_probe(c, "reports/5/b", "https://x/file", &info), 0);
    CHECK_INT(info.size, sz);
    CHECK_INT(info.complete, 0);
    CHECK_INT(calls(), 4);
    bw_cache_close(hd); /* d becomes evictable; nothing over the cap yet */
    CHECK(exists("reports/5/d.data"));
    CHECK(read_all(c, "reports/5/b", sz, &err)); /* evicts d, the least recent */
    CHECK(!exists("reports/5/d.data"));
    CHECK_INT(bw_cache_used(c), 3 * sz);
    bw_cache_free(c);

    /* The LRU order survives a remount (the .meta mtime): make c the least
     * recent on disk, although it was read after a in this session. */
    struct timespec old[2] = {{.tv_sec = 1000000}, {.tv_sec = 1000000}};
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/reports/5/c.meta", dir);
    CHECK_INT(utimensat(AT_FDCWD, p, old, 0), 0);
    c = cache_in("evict", 1 << 20);
    CHECK_INT(bw_cache_used(c), 3 * sz);
    CHECK(read_all(c, "reports/5/e", sz, &err));
    CHECK(!exists("reports/5/c.data"));
    CHECK(exists("reports/5/a.data") && exists("reports/5/b.data") && exists("reports/5/e.data"));
    bw_cache_free(c);
}

static void test_stale_and_keys(void)
{
    struct bw_cache *c;
    struct bw_cache_info info;
    struct bw_cache_handle *h = NULL;
    char p[PATH_MAX + 64];

    snprintf(dir, sizeof dir, "%s/stale", base); /* files planted before the cache starts */
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/reports", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/reports/9", dir);
    mkdir(p, 0700);
    put_file("reports/9/1.part", "half a download");
    put_file("reports/9/2.data", "orphan without meta");
    put_file("reports/9/3.meta", "bwreportfs-cache 1\nsize 5\nname x\n"); /* no .data */
    put_file("reports/9/4.data", "12345");
    put_file("reports/9/4.meta", "bwreportfs-cache 1\nsize 5\nname four.txt\n");
    put_file("reports/9/5.data", "1234");
    put_file("reports/9/5.meta", "bwreportfs-cache 1\nsize 5\nname short\n"); /* wrong size */
    put_file("reports/9/6.meta.tmp", "interrupted");
    fake_reset(content, 5);
    c = cache_in("stale", 8 << 20);
    CHECK(!exists("reports/9/1.part") && !exists("reports/9/2.data") && !exists("reports/9/3.meta"));
    CHECK(!exists("reports/9/5.data") && !exists("reports/9/5.meta") && !exists("reports/9/6.meta.tmp"));
    CHECK(exists("reports/9/4.data") && exists("reports/9/4.meta"));
    CHECK_INT(bw_cache_probe(c, "reports/9/4", "https://x/file", &info), 0);
    CHECK_INT(info.size, 5);
    CHECK_STR(info.name, "four.txt");
    CHECK_INT(calls(), 0);

    const char *bad[] = {"", "/abs", "reports/../x", "..", "reports/./x", "a//b", "a/",
                         "reports/1/x.part", "a/b.data/c", "sp ace", "new\nline", "q?x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_INT(bw_cache_probe(c, bad[i], "https://x/file", &info), -EINVAL);
        CHECK_INT(bw_cache_open(c, bad[i], "https://x/file", &h), -EINVAL);
    }
    CHECK(h == NULL);
    CHECK_INT(calls(), 0);
    bw_cache_free(c);
}

static void test_free_cancels(void)
{
    struct bw_cache *c = cache_in("cancel", 8 << 20);

    /* a download that only cancelling ends */
    fake_reset(content, CONTENT_LEN);
    fk.gate = 1000;
    fk.endless = 1;
    struct bw_cache_handle *h;
    CHECK_INT(bw_cache_open(c, "reports/6/1", "https://x/file", &h), 0);
    CHECK(wait_blocked());
    bw_cache_close(h);
    bw_cache_free(c); /* must return: on_data refuses once closing */
    CHECK(!exists("reports/6/1.part") && !exists("reports/6/1.data"));
}

int main(void)
{
    struct bw_cache *c = NULL;
    struct bw_cache_config bad = {.dir = "/tmp", .max_bytes = 1000,
                                  .fetcher = {.ctx = &fk, .fetch = fake_fetch}};

    pthread_mutex_init(&fk.lock, NULL);
    pthread_cond_init(&fk.cond, NULL);
    content = malloc(CONTENT_LEN);
    if (!content)
        return 1;
    srand(42);
    for (int i = 0; i < CONTENT_LEN; i++)
        content[i] = (char)(rand() & 0xff);
    snprintf(base, sizeof base, "%s/bwcache-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(base))
        return 1;

    CHECK_INT(bw_cache_new(&bad, &c), -EINVAL); /* cap under 1 MiB */
    test_probe_and_index();
    test_streaming_and_sharing();
    test_resume_restart_mismatch();
    test_chunked();
    test_single_flight();
    test_mixed_load();
    test_eviction();
    test_stale_and_keys();
    test_free_cancels();

    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
    free(content);
    return check_done("test_cache");
}
