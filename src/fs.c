/* fs: FUSE operations (getattr, readdir, statfs, init) over the tree, and the
 * conversion of the option table into a struct fuse_opt[]. */
#include "fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

enum {
    KEY_TIMEOUT = 10000, /* attr_timeout= / entry_timeout=: noted, left for libfuse */
};

struct parse_ctx {
    struct bw_options *o;
    struct bw_fs_cmdline *cl;
    char *err;
    size_t errlen;
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
    struct parse_ctx *p = data;
    (void)outargs;

    if (key >= 0 && (size_t)key < bw_opts_count) {
        const struct bw_optdesc *d = &bw_opts_table[key];
        if (d->sw == BW_SW_HELP) {
            p->cl->help = 1;
            return 0;
        }
        if (d->sw == BW_SW_VERSION) {
            p->cl->version = 1;
            return 0;
        }
        const char *value = strchr(arg, '=');
        return bw_opts_set(p->o, d, value ? value + 1 : "", p->err, p->errlen) ? -1 : 0;
    }
    if (key == KEY_TIMEOUT) {
        p->cl->timeouts_given = 1;
        return 1;
    }
    if (key == FUSE_OPT_KEY_OPT && bw_opts_is_secret(arg)) {
        snprintf(p->err, p->errlen,
                 "option %.*s refused: secrets are never accepted on the command line; "
                 "set BW_USERNAME and BW_PASSWORD in the environment",
                 (int)strcspn(arg, "="), arg);
        return -1;
    }
    return 1; /* FUSE's own options and the mount point stay in args */
}

int bw_fs_parse_args(struct fuse_args *args, struct bw_options *o, struct bw_fs_cmdline *cl,
                     char *err, size_t errlen)
{
    struct fuse_opt *spec = calloc(2 * bw_opts_count + 3, sizeof *spec);
    struct parse_ctx p = {.o = o, .cl = cl, .err = err, .errlen = errlen};
    size_t n = 0;

    memset(cl, 0, sizeof *cl);
    err[0] = '\0';
    if (!spec) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        if (d->type == BW_OPT_SWITCH && d->sw != BW_SW_HELP && d->sw != BW_SW_VERSION)
            continue; /* -f -d -s: fuse_parse_cmdline() */
        spec[n++] = (struct fuse_opt)FUSE_OPT_KEY(d->templ, (int)i);
        if (d->alias)
            spec[n++] = (struct fuse_opt)FUSE_OPT_KEY(d->alias, (int)i);
    }
    spec[n++] = (struct fuse_opt)FUSE_OPT_KEY("attr_timeout=", KEY_TIMEOUT);
    spec[n++] = (struct fuse_opt)FUSE_OPT_KEY("entry_timeout=", KEY_TIMEOUT);
    spec[n] = (struct fuse_opt)FUSE_OPT_END;

    int rc = fuse_opt_parse(args, &p, spec, opt_proc);
    free(spec);
    if (rc != 0 && !err[0])
        snprintf(err, errlen, "cannot parse the command line");
    return rc ? -1 : 0;
}

static struct bw_fs_ctx *ctx(void)
{
    return fuse_get_context()->private_data;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    struct bw_fs_ctx *c = ctx();
    (void)conn;

    if (!c->timeouts_given) {
        cfg->attr_timeout = (double)c->meta_ttl;
        cfg->entry_timeout = (double)c->meta_ttl;
    }
    cfg->negative_timeout = 0;
    cfg->use_ino = 0;
    return c;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    return bw_tree_getattr(ctx()->tree, path, st);
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    struct bw_tree_dir dir;
    (void)offset;
    (void)fi;
    (void)flags;

    int rc = bw_tree_readdir(ctx()->tree, path, &dir);
    if (rc)
        return rc;
    filler(buf, ".", NULL, 0, 0);
    filler(buf, "..", NULL, 0, 0);
    for (size_t i = 0; i < dir.n; i++)
        if (filler(buf, dir.names[i], NULL, 0, 0))
            break;
    bw_tree_dir_free(&dir);
    return 0;
}

static int fs_statfs(const char *path, struct statvfs *sv)
{
    (void)path;
    memset(sv, 0, sizeof *sv);
    sv->f_bsize = sv->f_frsize = 4096;
    sv->f_namemax = 255;
    sv->f_flag = ST_RDONLY;
    return 0;
}

static const struct fuse_operations ops = {
    .init = fs_init,
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .statfs = fs_statfs,
};

const struct fuse_operations *bw_fs_operations(void)
{
    return &ops;
}
