/* cache: the on-disk content cache of report files. Reports are immutable
 * once ready: each is downloaded once into cache_dir, streamed to readers as
 * its bytes arrive, shared by concurrent readers, kept across remounts, and
 * evicted least-recently-used when the cache grows past its cap.
 *
 * Contract:
 *  - An entry is named by a key ("reports/<acct>/<iid>", "billing/<acct>/<uuid>":
 *    [A-Za-z0-9._/-], no "..") and fetched from a URL through the fetcher
 *    (the api's download call: credentials, redirects, errno mapping).
 *  - bw_cache_probe() tells a file's exact size and server-given name before
 *    any byte is read: from the index if known (memory, then disk), else by a
 *    metadata request (fetcher with probe=1: a 1-byte range request, or a
 *    transfer aborted after the headers). An answer without a size (chunked)
 *    can only be sized by downloading it whole: the probe then starts the
 *    download and waits for its end.
 *  - One download per entry at a time, in its own thread, written with
 *    pwrite to KEY.part; readers wait (condition variable) until the bytes
 *    they asked for are on disk, so the first bytes reach a reader before
 *    the download ends; memory does not grow with the report's size.
 *  - An entry becomes complete only when the bytes on disk equal the size
 *    the server announced (Content-Length, Content-Range total) or, for
 *    chunked answers, the transfer ended cleanly; then KEY.part is fsynced
 *    and renamed to KEY.data and KEY.meta (size, name) is written. A transfer
 *    cut short is resumed with a Range request from the bytes on disk (when
 *    the server honours ranges; else restarted), at most BW_CACHE_MAX_RESUMES
 *    times; after that, or on a non-retryable error, waiting readers get the
 *    error (-EIO, -ETIMEDOUT...) and the .part file is removed. Nothing
 *    truncated is ever served as complete or kept as complete.
 *  - Eviction: when complete entries exceed max_bytes, the least recently
 *    read entries that no handle holds open are unlinked. In-flight and open
 *    entries are never evicted.
 *  - Locking: cache->lock guards the entry table, the LRU list and every
 *    entry's state; it is NEVER held across a fetch or a disk write of
 *    report bytes (the download thread takes it only to publish progress).
 *    Lock order: tree locks are never taken while holding cache->lock.
 *  - No FUSE types; thread-safe.
 */
#ifndef BW_CACHE_H
#define BW_CACHE_H

#include <stddef.h>
#include <sys/types.h>

#define BW_CACHE_MAX_RESUMES 5
#define BW_CACHE_NAME_MAX 255

struct bw_cache;
struct bw_cache_handle;

/* What a fetch learned from the final response's headers. */
struct bw_cache_meta {
    long long size;       /* total size of the file, -1 unknown (chunked) */
    long long offset;     /* first byte this answer carries (Range honoured), else 0 */
    char name[BW_CACHE_NAME_MAX + 1]; /* Content-Disposition filename, raw, or "" */
};

/* Callbacks a fetch drives; both return 0 to go on or a negative errno to stop. */
struct bw_cache_sink {
    void *ctx;
    int (*on_meta)(void *ctx, const struct bw_cache_meta *meta);
    int (*on_data)(void *ctx, const char *buf, size_t len);
};

/* Where bytes come from (bw_api_download in the daemon, a fake in tests).
 * Called without any cache lock held, from cache threads and probing
 * callers. on_meta runs once, for the answer that carries the file (200 or
 * 206, empty or not), before any on_data; offset is where the download
 * asked to start (0: no Range). probe=1: only the headers are wanted (the
 * fetcher may stop after on_meta; data it passes anyway is ignored, up to
 * 64 KiB). Returns 0 when the transfer ended cleanly, or a negative errno
 * (-EAGAIN: not ready yet, -ENOENT, -EACCES, -ECONNRESET/-ETIMEDOUT: cut
 * short, resumed by the cache...) or the sink's own errno. */
struct bw_cache_fetcher {
    void *ctx;
    int (*fetch)(void *ctx, const char *url, long long offset, int probe,
                 const struct bw_cache_sink *sink);
};

struct bw_cache_config {
    const char *dir;              /* created if missing (0700) */
    unsigned long long max_bytes; /* cap of complete entries; >= 1 MiB */
    struct bw_cache_fetcher fetcher;
};

/* What is known of an entry. */
struct bw_cache_info {
    long long size;   /* exact size in bytes */
    char name[BW_CACHE_NAME_MAX + 1]; /* server-given file name, raw, or "" */
    int complete;     /* all bytes are on disk */
};

/* Opens the directory, loads the index of complete entries (removing stale
 * .part files). 0 or negative errno. */
int bw_cache_new(const struct bw_cache_config *cfg, struct bw_cache **out);

/* Waits for downloads to stop (they are cancelled), then frees. No handle may be open. */
void bw_cache_free(struct bw_cache *c);

/* Size and name of the file at url, without reading its bytes (see above).
 * 0, or the fetch's negative errno. */
int bw_cache_probe(struct bw_cache *c, const char *key, const char *url, struct bw_cache_info *out);

/* Opens an entry for reading, starting its download if it is not complete
 * and none runs. 0 or negative errno. */
int bw_cache_open(struct bw_cache *c, const char *key, const char *url, struct bw_cache_handle **out);

/* Reads up to len bytes at off, waiting for them to arrive (the bytes that
 * reach the end of the file wait for the download's clean end). Returns the
 * byte count (short only at end of file, 0 past it) or a negative errno when
 * the download this handle waits on failed for good: -EIO for a transfer cut
 * short or a size mismatch, else the fetch's errno. That error sticks to the
 * handle; a new bw_cache_open() starts a new download. Thread-safe, also for
 * parallel reads of one handle. */
ssize_t bw_cache_read(struct bw_cache_handle *h, char *buf, size_t len, off_t off);

void bw_cache_close(struct bw_cache_handle *h);

/* Bytes of complete entries on disk (for statfs and tests). */
unsigned long long bw_cache_used(struct bw_cache *c);

#endif
