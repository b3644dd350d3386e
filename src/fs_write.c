/* fs_write: per-open write buffers of `new` files and their submission on
 * flush (see fs_write.h). */
#include "fs_write.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fs_wbuf {
    char *path;            /* immutable: the `new` file's path */
    int append;            /* immutable: O_APPEND */
    pthread_mutex_t lock;  /* guards everything below */
    pthread_cond_t cond;   /* a submission ended */
    char *buf;
    size_t len, cap;
    int changed;           /* written or truncated since the last submission */
    int submitting;        /* a flush is submitting a copy of buf (no lock held) */
    int submitted;         /* last_rc is a submission's result */
    int last_rc;
};

int fs_wbuf_new(const char *path, int append, const char *init, size_t len,
                struct fs_wbuf **out)
{
    struct fs_wbuf *w = calloc(1, sizeof *w);

    *out = NULL;
    if (!w || !(w->path = strdup(path)) || (len && !(w->buf = malloc(len)))) {
        if (w)
            free(w->path);
        free(w);
        return -ENOMEM;
    }
    if (len)
        memcpy(w->buf, init, len);
    w->len = w->cap = len;
    w->append = append;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    *out = w;
    return 0;
}

/* Make room for size bytes, zero-filling from len (holes read as zeros).
 * Lock held. */
static int grow(struct fs_wbuf *w, size_t size)
{
    if (size > BW_TREE_NEW_MAX)
        return -EFBIG;
    if (size > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < size)
            cap *= 2;
        char *nb = realloc(w->buf, cap);
        if (!nb)
            return -ENOMEM;
        w->buf = nb;
        w->cap = cap;
    }
    if (size > w->len)
        memset(w->buf + w->len, 0, size - w->len);
    return 0;
}

int fs_wbuf_write(struct fs_wbuf *w, const char *buf, size_t size, off_t off)
{
    int rc;

    if (off < 0)
        return -EINVAL;
    pthread_mutex_lock(&w->lock);
    size_t at = w->append ? w->len : (size_t)off;
    if (at > BW_TREE_NEW_MAX || size > BW_TREE_NEW_MAX - at) {
        rc = -EFBIG;
    } else if ((rc = grow(w, at + size)) == 0) {
        memcpy(w->buf + at, buf, size);
        if (at + size > w->len)
            w->len = at + size;
        w->changed = 1;
        rc = (int)size; /* <= BW_TREE_NEW_MAX */
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int fs_wbuf_read(struct fs_wbuf *w, char *buf, size_t size, off_t off)
{
    size_t n = 0;

    if (off < 0)
        return -EINVAL;
    pthread_mutex_lock(&w->lock);
    if ((size_t)off < w->len) {
        n = w->len - (size_t)off < size ? w->len - (size_t)off : size;
        memcpy(buf, w->buf + off, n);
    }
    pthread_mutex_unlock(&w->lock);
    return (int)n;
}

int fs_wbuf_truncate(struct fs_wbuf *w, off_t size)
{
    int rc = 0;

    if (size < 0)
        return -EINVAL;
    if (size > BW_TREE_NEW_MAX)
        return -EFBIG;
    pthread_mutex_lock(&w->lock);
    if ((size_t)size > w->len)
        rc = grow(w, (size_t)size);
    if (rc == 0) {
        w->len = (size_t)size;
        w->changed = 1;
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int fs_wbuf_flush(struct fs_wbuf *w, struct bw_tree *t)
{
    pthread_mutex_lock(&w->lock);
    while (w->submitting) /* a dup'd descriptor's flush is sending this content */
        pthread_cond_wait(&w->cond, &w->lock);
    if (!w->changed || w->len == 0) {
        int rc = w->submitted ? w->last_rc : 0;
        pthread_mutex_unlock(&w->lock);
        return rc;
    }
    size_t len = w->len;
    char *copy = malloc(len);
    if (!copy) {
        pthread_mutex_unlock(&w->lock);
        return -ENOMEM;
    }
    memcpy(copy, w->buf, len);
    w->changed = 0;
    w->submitting = 1;
    pthread_mutex_unlock(&w->lock);

    int rc = bw_tree_submit(t, w->path, copy, len); /* the network call: no lock held */
    free(copy);

    pthread_mutex_lock(&w->lock);
    w->submitting = 0;
    w->submitted = 1;
    w->last_rc = rc;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void fs_wbuf_free(struct fs_wbuf *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w->buf);
    free(w->path);
    free(w);
}
