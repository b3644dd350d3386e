/* cache_int: the cache's private structures, shared by cache.c (entries,
 * downloads, reads) and cache_disk.c (file names, KEY.meta, start-up scan).
 * Not for other modules: they use cache.h. */
#ifndef BW_CACHE_INT_H
#define BW_CACHE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "cache.h"

/* An open file of an entry (KEY.part while downloading, the same inode as
 * KEY.data once renamed). Shared by the entry, its download thread and
 * readers in pread: refs counts them, and the fd is closed when the last one
 * goes, so a reader never preads from a descriptor number that was reused.
 * refs is guarded by cache->lock; fd is immutable. */
struct cfile {
    int fd;
    int refs;
};

/* One key. Entries live until bw_cache_free (eviction only drops their
 * files), so threads may keep a pointer without a reference count.
 * Every field but key and cache is guarded by cache->lock. */
struct entry {
    struct bw_cache *cache;   /* immutable */
    char *key;                /* immutable */
    struct entry *next;       /* hash chain */
    struct entry *reap_next;  /* on cache->reap: its download thread ended */
    char *url;                /* the last URL given; downloads use it */
    pthread_cond_t cond;      /* progress, completion, failure, probe end */
    int waiters;              /* threads in a wait on cond */

    long long size;           /* exact size, -1 unknown (kept after eviction) */
    char name[BW_CACHE_NAME_MAX + 1];
    int complete;             /* KEY.data + KEY.meta on disk, size bytes */
    unsigned long long last_use; /* LRU clock value of the last open/read */

    int downloading;          /* a download thread runs */
    int has_thread;           /* thread not joined yet */
    pthread_t thread;
    struct cfile *file;       /* open while downloading or opens > 0, else NULL */
    long long have;           /* bytes 0..have-1 of the download are in file */
    int opens;                /* handles open */
    unsigned dl_gen;          /* downloads started */
    unsigned fail_gen;        /* dl_gen of the last download that failed */
    int dl_err;               /* its errno (negative) */

    int probing;              /* a probe fetch is in flight (single flight) */
    unsigned probe_gen;       /* probes finished */
    int probe_err;            /* the last probe's result (0 or negative errno) */
};

struct bw_cache {
    char *dir;                      /* immutable */
    size_t key_max;                 /* longest key whose paths fit in PATH_MAX; immutable */
    unsigned long long max_bytes;   /* immutable */
    struct bw_cache_fetcher fetcher; /* immutable */
    atomic_int closing;             /* set by bw_cache_free: downloads stop */

    pthread_mutex_t lock;           /* guards everything below and every entry */
    pthread_cond_t cond;            /* download threads ending (running) */
    struct entry **buckets;
    size_t nbuckets, nentries;
    unsigned long long used;        /* bytes of complete entries */
    unsigned long long tick;        /* LRU clock */
    int running;                    /* download threads not yet ended */
    struct entry *reap;             /* entries whose ended thread awaits a join */
};

/* cache_disk.c */
int cache_key_ok(const char *key, size_t max_len);
/* dir/KEY+suffix into out (PATH_MAX bytes). */
void cache_path(const struct bw_cache *c, const char *key, const char *suffix, char *out);
/* mkdir -p (0700) of every directory in path after its first keep bytes. */
int cache_mkdirs(char *path, size_t keep);
/* KEY.meta, atomically (tmp + fsync + rename). 0 or -errno. */
int cache_meta_write(const struct bw_cache *c, const char *key, long long size, const char *name);
/* Loads complete entries (cache_index_add) and removes stale files. At start,
 * before any thread: no lock taken. */
void cache_scan(struct bw_cache *c);

/* cache.c: adds a complete entry found on disk. 0 or -ENOMEM. */
int cache_index_add(struct bw_cache *c, const char *key, long long size, const char *name,
                    unsigned long long last_use);

#endif
