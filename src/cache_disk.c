/* cache_disk: the cache's on-disk side: key validation, file names, mkdir -p,
 * the KEY.meta file (atomic write, parse) and the start-up scan (see cache.md). */
#include "cache_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_MAGIC "bwreportfs-cache 1"
#define SCAN_DEPTH 8 /* keys have 3 components; deeper trees are not ours */

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Our own suffixes may not end a key component, so no key's files can
 * collide with another key's files or directories. */
static int reserved(const char *comp, size_t len)
{
    return ends_with(comp, len, ".data") || ends_with(comp, len, ".meta") ||
           ends_with(comp, len, ".part") || ends_with(comp, len, ".tmp");
}

int cache_key_ok(const char *key, size_t max_len)
{
    size_t len = strlen(key), start = 0;

    if (len == 0 || len > max_len)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        char ch = key[i];
        if (ch == '/' || ch == '\0') {
            size_t n = i - start;
            const char *comp = key + start;
            if (n == 0 || (n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.') ||
                reserved(comp, n))
                return 0;
            start = i + 1;
        } else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')) {
            return 0;
        }
    }
    return 1;
}

void cache_path(const struct bw_cache *c, const char *key, const char *suffix, char *out)
{
    /* Keys are length-checked against dir at validation: this never truncates. */
    snprintf(out, PATH_MAX, "%s/%s%s", c->dir, key, suffix);
}

int cache_mkdirs(char *path, size_t keep)
{
    /* Creates every directory of path after its first keep bytes. */
    for (char *p = path + keep; (p = strchr(p, '/')); p++) {
        *p = '\0';
        int rc = mkdir(path, 0700);
        int e = errno;
        *p = '/';
        if (rc != 0 && e != EEXIST)
            return -e;
    }
    return 0;
}

int cache_meta_write(const struct bw_cache *c, const char *key, long long size, const char *name)
{
    char tmp[PATH_MAX], meta[PATH_MAX], buf[BW_CACHE_NAME_MAX + 128];
    int n, fd, rc = 0;

    cache_path(c, key, ".meta.tmp", tmp);
    cache_path(c, key, ".meta", meta);
    /* A name that cannot sit on one line is dropped, not mangled. */
    n = snprintf(buf, sizeof buf, META_MAGIC "\nsize %lld\nname %s\n", size,
                 strpbrk(name, "\r\n") ? "" : name);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    errno = 0;
    if (write(fd, buf, (size_t)n) != n || fsync(fd) != 0)
        rc = errno ? -errno : -EIO;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, meta) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

/* Reads a KEY.meta file: 0 and size/name, or -1 if it is not one of ours. */
static int meta_read(const char *path, long long *size, char *name)
{
    char buf[BW_CACHE_NAME_MAX + 256], *p, *end;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (strncmp(buf, META_MAGIC "\nsize ", sizeof META_MAGIC + 5) != 0)
        return -1;
    p = buf + sizeof META_MAGIC + 5;
    errno = 0;
    *size = strtoll(p, &end, 10);
    if (errno || end == p || *size < 0 || strncmp(end, "\nname ", 6) != 0)
        return -1;
    p = end + 6;
    end = strchr(p, '\n');
    if (!end || (size_t)(end - p) > BW_CACHE_NAME_MAX)
        return -1;
    memcpy(name, p, (size_t)(end - p));
    name[end - p] = '\0';
    return 0;
}

/* One KEY.meta found by the scan: index it if KEY.data matches, else drop both. */
static void scan_meta(struct bw_cache *c, char *path, size_t len, const char *key,
                      const struct stat *mst)
{
    char name[BW_CACHE_NAME_MAX + 1];
    long long size;
    struct stat dst;
    int ok = meta_read(path, &size, name) == 0;

    memcpy(path + len - 5, ".data", 5);
    ok = ok && cache_key_ok(key, c->key_max) && lstat(path, &dst) == 0 && S_ISREG(dst.st_mode) &&
         dst.st_size == size;
    if (ok && cache_index_add(c, key, size, name,
                              (unsigned long long)mst->st_mtim.tv_sec * 1000000000ull +
                                  (unsigned long long)mst->st_mtim.tv_nsec) == 0)
        return;
    unlink(path); /* .data */
    memcpy(path + len - 5, ".meta", 5);
    unlink(path);
}

static void scan_dir(struct bw_cache *c, char *path, size_t len, size_t base, int depth)
{
    DIR *d = opendir(path);
    struct dirent *de;
    char key[PATH_MAX];

    if (!d)
        return;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name), plen = len + 1 + n;
        struct stat st;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || plen >= PATH_MAX)
            continue;
        path[len] = '/';
        memcpy(path + len + 1, de->d_name, n + 1);
        if (lstat(path, &st) != 0) {
            path[len] = '\0';
            continue;
        }
        if (S_ISDIR(st.st_mode) && depth < SCAN_DEPTH) {
            scan_dir(c, path, plen, base, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            if (ends_with(path, plen, ".part") || ends_with(path, plen, ".tmp")) {
                unlink(path); /* an interrupted download or meta write */
            } else if (ends_with(path, plen, ".meta")) {
                memcpy(key, path + base, plen - base - 5);
                key[plen - base - 5] = '\0';
                scan_meta(c, path, plen, key, &st);
            } else if (ends_with(path, plen, ".data")) {
                memcpy(path + plen - 5, ".meta", 5);
                int orphan = access(path, F_OK) != 0;
                memcpy(path + plen - 5, ".data", 5);
                if (orphan)
                    unlink(path); /* completed but its meta never landed */
            }
        }
        path[len] = '\0';
    }
    closedir(d);
}

void cache_scan(struct bw_cache *c)
{
    char path[PATH_MAX];
    size_t len = strlen(c->dir);

    memcpy(path, c->dir, len + 1);
    scan_dir(c, path, len, len + 1, 0);
}
