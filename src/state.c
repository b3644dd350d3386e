/* state: remembered billing report ids and `latest` targets in state_dir,
 * read without locks, rewritten atomically under one process-wide mutex (see
 * state.h and docs/internals/state.md). */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "names.h"

#define BILLING_FILE "billing.ids"
#define LATEST_FILE "latest"

/* Serialises read-modify-rewrite cycles within the process: two writers
 * that both read the old file would otherwise each drop the other's line.
 * Held only around local file I/O. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- reading ---- */

static int seen(const struct bw_state_billing_list *l, const char *type, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].id, id) == 0 && strcmp(l->items[i].type, type) == 0)
            return 1;
    return 0;
}

/* "TYPE ID [CREATED]": 1 and the fields set when the line is one the reader
 * keeps (a known type, a valid id); created 0 when absent or not a number. */
static int billing_line(const char *line, char *type, size_t tsize, char *id, size_t isize,
                        time_t *created)
{
    char t[64], i[128], c[32], extra[2];
    int n = sscanf(line, "%63s %127s %31s %1s", t, i, c, extra);

    if (n != 2 && n != 3)
        return 0;
    if (!bw_names_billing_known(t) || strlen(t) >= tsize || !bw_model_id_ok(i) ||
        strlen(i) >= isize)
        return 0;
    *created = 0;
    if (n == 3) {
        char *end;
        errno = 0;
        long long v = strtoll(c, &end, 10);
        if (errno == 0 && *end == '\0' && c[0] >= '0' && c[0] <= '9' && v >= 0)
            *created = (time_t)v;
    }
    memcpy(type, t, strlen(t) + 1);
    memcpy(id, i, strlen(i) + 1);
    return 1;
}

static int account_path(char *path, size_t size, const char *state_dir, const char *account,
                        const char *file)
{
    int n = file ? snprintf(path, size, "%s/%s/%s", state_dir, account, file)
                 : snprintf(path, size, "%s/%s", state_dir, account);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int bw_state_billing_ids(const char *state_dir, const char *account,
                         struct bw_state_billing_list *out)
{
    char path[PATH_MAX], line[512];
    size_t cap = 0;
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (!state_dir)
        return 0;
    if (!account || !bw_model_id_ok(account))
        return -EINVAL;
    if ((rc = account_path(path, sizeof path, state_dir, account, BILLING_FILE)) != 0)
        return rc;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
    while (fgets(line, sizeof line, f)) {
        struct bw_state_billing b;
        if (!billing_line(line, b.type, sizeof b.type, b.id, sizeof b.id, &b.created) ||
            seen(out, b.type, b.id))
            continue;
        if (out->n == BW_STATE_MAX_IDS) {
            rc = -E2BIG;
            break;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct bw_state_billing *items = realloc(out->items, ncap * sizeof *items);
            if (!items) {
                rc = -ENOMEM;
                break;
            }
            out->items = items;
            cap = ncap;
        }
        out->items[out->n++] = b;
    }
    if (!rc && ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc)
        bw_state_billing_list_free(out);
    return rc;
}

void bw_state_billing_list_free(struct bw_state_billing_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* The whole file into a malloc'd, NUL-terminated buffer; a missing file is
 * "" (0). -E2BIG over BW_STATE_MAX_FILE. */
static int slurp(const char *path, char **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = 0;

    *out = NULL;
    *len = 0;
    if (!buf)
        return -ENOMEM;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        free(buf);
        return -errno;
    }
    while (fd >= 0) {
        if (n + 1 == cap) {
            if (cap >= BW_STATE_MAX_FILE) {
                rc = -E2BIG;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = -ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = -errno;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    if (fd >= 0)
        close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* ---- the atomic rewrite ---- */

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

static int mkdir_one(const char *path)
{
    struct stat sb;

    if (mkdir(path, 0700) == 0)
        return 0;
    if (errno != EEXIST)
        return -errno;
    /* something is there: it must be a directory (or a link to one) */
    if (stat(path, &sb) != 0)
        return -errno;
    return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
}

/* mkdir -p state_dir (each missing component 0700), then state_dir/<acct>. */
static int make_dirs(const char *state_dir, const char *acct_dir)
{
    char p[PATH_MAX];
    size_t n = strlen(state_dir);
    int rc;

    if (n == 0 || n >= sizeof p)
        return -EINVAL;
    memcpy(p, state_dir, n + 1);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        rc = mkdir_one(p);
        *s = '/';
        if (rc)
            return rc;
    }
    if ((rc = mkdir_one(p)) != 0)
        return rc;
    return mkdir_one(acct_dir);
}

/* Replace dir/file by content, atomically: a fresh temporary file in the
 * same directory (so rename stays on one file system), its data fsync'd
 * before the rename (so the name never points at unwritten blocks), the
 * directory fsync'd after it (so the rename itself survives a power cut).
 * The temporary file is removed on every failure. */
static int rewrite(const char *dir, const char *file, const char *content, size_t len)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int rc = 0;

    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%ld", path, (long)getpid(),
                 (long)syscall(SYS_gettid)) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) {
        /* left by a crashed process that had this pid and tid; ours now */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (fd < 0)
        return -errno;
    rc = write_all(fd, content, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc) {
        unlink(tmp);
        return rc;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    if (fsync(dfd) != 0)
        rc = -errno;
    close(dfd);
    return rc;
}

/* Decides a file's new content from its current one (old, NUL-terminated,
 * "" if absent). 0 and *out (malloc'd) / *out_len set; 1: nothing to
 * change (no rewrite); -errno. */
typedef int (*edit_fn)(void *ctx, const char *old, size_t old_len, char **out, size_t *out_len);

/* One read-modify-rewrite of state_dir/<acct>/file, under write_lock. */
static int update(const char *state_dir, const char *account, const char *file, edit_fn fn,
                  void *ctx)
{
    char dir[PATH_MAX], path[PATH_MAX];
    char *old = NULL, *neu = NULL;
    size_t old_len = 0, new_len = 0;
    int rc;

    if (!state_dir || !state_dir[0] || !account || !bw_model_id_ok(account))
        return -EINVAL;
    if ((rc = account_path(dir, sizeof dir, state_dir, account, NULL)) != 0 ||
        (rc = account_path(path, sizeof path, state_dir, account, file)) != 0)
        return rc;
    pthread_mutex_lock(&write_lock);
    rc = make_dirs(state_dir, dir);
    if (rc == 0)
        rc = slurp(path, &old, &old_len);
    if (rc == 0)
        rc = fn(ctx, old, old_len, &neu, &new_len);
    if (rc == 0)
        rc = rewrite(dir, file, neu, new_len);
    pthread_mutex_unlock(&write_lock);
    free(old);
    free(neu);
    return rc == 1 ? 0 : rc;
}

/* Copy the lines of old that keep(line) accepts, then `add` (may be NULL),
 * into a new buffer; a last line without '\n' gets one. *lines counts the
 * lines kept. */
static int filter_lines(const char *old, size_t old_len, int (*keep)(void *, const char *, size_t),
                        void *ctx, const char *add, char **out, size_t *out_len, size_t *lines)
{
    size_t addlen = add ? strlen(add) : 0;
    char *buf = malloc(old_len + addlen + 2);
    size_t n = 0;

    *lines = 0;
    if (!buf)
        return -ENOMEM;
    for (const char *p = old; p < old + old_len;) {
        const char *nl = memchr(p, '\n', (size_t)(old + old_len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(old + old_len - p);
        if (keep(ctx, p, l)) {
            memcpy(buf + n, p, l);
            n += l;
            buf[n++] = '\n';
            (*lines)++;
        }
        p += l + (nl ? 1 : 0);
    }
    if (addlen) {
        memcpy(buf + n, add, addlen);
        n += addlen;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}

/* The first two whitespace-separated fields of a line (l bytes). */
static void two_fields(const char *p, size_t l, char *a, size_t asz, char *b, size_t bsz)
{
    char line[512];
    if (l >= sizeof line)
        l = sizeof line - 1;
    memcpy(line, p, l);
    line[l] = '\0';
    a[0] = b[0] = '\0';
    char fa[128], fb[128];
    int n = sscanf(line, "%127s %127s", fa, fb);
    if (n >= 1 && strlen(fa) < asz)
        memcpy(a, fa, strlen(fa) + 1);
    if (n >= 2 && strlen(fb) < bsz)
        memcpy(b, fb, strlen(fb) + 1);
}

/* ---- billing.ids ---- */

struct billing_edit {
    const char *type, *id; /* type NULL: forget id, whatever its type */
    time_t created;
    int found;
};

static int keep_billing(void *ctx, const char *p, size_t l)
{
    struct billing_edit *e = ctx;
    char t[64], i[128];

    if (l == 0)
        return 0; /* blank lines: dropped, they carry nothing */
    two_fields(p, l, t, sizeof t, i, sizeof i);
    if (strcmp(i, e->id) != 0 || (e->type && strcmp(t, e->type) != 0))
        return 1;
    e->found = 1;
    return e->type != NULL; /* remember: keep the old line; forget: drop it */
}

static int edit_billing(void *ctx, const char *old, size_t old_len, char **out, size_t *out_len)
{
    struct billing_edit *e = ctx;
    char add[256];
    size_t lines;

    snprintf(add, sizeof add, "%s %s %lld\n", e->type ? e->type : "", e->id,
             (long long)e->created);
    int rc = filter_lines(old, old_len, keep_billing, e, e->type ? add : NULL, out, out_len,
                          &lines);
    if (rc)
        return rc;
    if (e->found == (e->type != NULL)) {
        /* remember: already there; forget: was not there. Nothing to write. */
        free(*out);
        *out = NULL;
        return 1;
    }
    if (e->type && (lines + 1 > BW_STATE_MAX_IDS || *out_len > BW_STATE_MAX_FILE)) {
        free(*out);
        *out = NULL;
        return -E2BIG;
    }
    return 0;
}

int bw_state_remember_billing(const char *state_dir, const char *account, const char *type,
                              const char *id, time_t created)
{
    struct billing_edit e = {.type = type, .id = id, .created = created};

    if (!type || !bw_names_billing_known(type) || strlen(type) >= 48 || !id ||
        !bw_model_id_ok(id) || created < 0)
        return -EINVAL;
    return update(state_dir, account, BILLING_FILE, edit_billing, &e);
}

int bw_state_forget_billing(const char *state_dir, const char *account, const char *id)
{
    struct billing_edit e = {.id = id};

    if (!id || !bw_model_id_ok(id))
        return -EINVAL;
    return update(state_dir, account, BILLING_FILE, edit_billing, &e);
}

/* ---- latest ---- */

/* "reports/<id>" or "billing/<known TYPE>". */
static int latest_dir_ok(const char *dir)
{
    if (!dir)
        return 0;
    const char *slash = strchr(dir, '/');
    if (!slash || strlen(slash + 1) > BW_MODEL_ID_MAX)
        return 0;
    if (strncmp(dir, "reports/", 8) == 0)
        return bw_model_id_ok(dir + 8);
    if (strncmp(dir, "billing/", 8) == 0)
        return bw_names_billing_known(dir + 8);
    return 0;
}

struct latest_edit {
    const char *dir, *id;
};

static int keep_latest(void *ctx, const char *p, size_t l)
{
    struct latest_edit *e = ctx;
    char d[128], i[128];

    if (l == 0)
        return 0;
    two_fields(p, l, d, sizeof d, i, sizeof i);
    return strcmp(d, e->dir) != 0;
}

static int edit_latest(void *ctx, const char *old, size_t old_len, char **out, size_t *out_len)
{
    struct latest_edit *e = ctx;
    char add[256];
    size_t lines;

    if (e->id)
        snprintf(add, sizeof add, "%s %s\n", e->dir, e->id);
    else
        add[0] = '\0'; /* cleared: the line for dir is dropped */
    return filter_lines(old, old_len, keep_latest, e, add, out, out_len, &lines);
}

int bw_state_set_latest(const char *state_dir, const char *account, const char *dir,
                        const char *id)
{
    struct latest_edit e = {.dir = dir, .id = id};

    if (!latest_dir_ok(dir) || (id && !bw_model_id_ok(id)))
        return -EINVAL;
    return update(state_dir, account, LATEST_FILE, edit_latest, &e);
}

int bw_state_get_latest(const char *state_dir, const char *account, const char *dir, char *id,
                        size_t idlen)
{
    char path[PATH_MAX], line[512], found[BW_MODEL_ID_MAX + 1] = "";
    int rc;

    if (idlen)
        id[0] = '\0';
    if (!account || !bw_model_id_ok(account) || !latest_dir_ok(dir))
        return -EINVAL;
    if (!state_dir)
        return -ENOENT;
    if ((rc = account_path(path, sizeof path, state_dir, account, LATEST_FILE)) != 0)
        return rc;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOTDIR ? -ENOENT : -errno;
    while (fgets(line, sizeof line, f)) {
        char d[128], i[128], extra[2];
        /* the last line for dir wins (a writer leaves only one) */
        if (sscanf(line, "%127s %127s %1s", d, i, extra) == 2 && strcmp(d, dir) == 0 &&
            bw_model_id_ok(i))
            memcpy(found, i, strlen(i) + 1);
    }
    rc = ferror(f) ? -EIO : 0;
    fclose(f);
    if (rc)
        return rc;
    if (!found[0])
        return -ENOENT;
    if (strlen(found) >= idlen)
        return -ERANGE;
    memcpy(id, found, strlen(found) + 1);
    return 0;
}
