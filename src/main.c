/* main: bwreportfs's entry point: parse options, check the API, mount,
 * daemonize, serve, clean up. All real work lives in libbwcore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_config.h"
#include "fs.h" /* defines FUSE_USE_VERSION, includes fuse.h */
#include <fuse_lowlevel.h> /* fuse_parse_cmdline(), fuse_cmdline_help() */
#include "log.h"
#include "opts.h"
#include "session.h"

/* Our defaults for the mount; placed first so the user's -o can override them.
 * Not "ro": the `new` files are writable (everything else refuses writes). */
#define MOUNT_DEFAULTS "-odefault_permissions,fsname=bwreportfs,subtype=bwreportfs"

static void usage(FILE *out)
{
    fprintf(out, "usage: %s\n\n", bw_opts_usage);
}

static int die(const char *msg)
{
    fprintf(stderr, "%s: %s\n", BW_PROGNAME, msg);
    return 1;
}

int main(int argc, char *argv[])
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse_cmdline_opts fo;
    struct bw_fs_cmdline cl;
    struct bw_options o;
    struct bw_session *s = NULL;
    struct fuse *fuse = NULL;
    char err[1536];
    int ret = 1, mounted = 0, global = 0;

    memset(&fo, 0, sizeof fo);
    bw_log_init(BW_LOG_STDERR, BW_LOG_INFO);
    if (bw_opts_init(&o) != 0) {
        ret = die("out of memory");
        goto out;
    }
    if (bw_fs_parse_args(&args, &o, &cl, err, sizeof err) != 0) {
        ret = die(err);
        goto out;
    }
    if (cl.help) {
        usage(stdout);
        bw_opts_print_help(stdout);
        printf("\nFUSE options:\n");
        fflush(stdout);
        fuse_cmdline_help();
        fuse_lib_help(&args);
        ret = 0;
        goto out;
    }
    if (cl.version) {
        printf("bwreportfs version %s\nlibfuse version %s\n", BW_VERSION, fuse_pkgversion());
        ret = 0;
        goto out;
    }
    if (fuse_parse_cmdline(&args, &fo) != 0)
        goto out;
    if (!fo.mountpoint) {
        usage(stderr);
        ret = die("no mount point given (see --help)");
        goto out;
    }
    if (fo.debug)
        bw_log_init(BW_LOG_STDERR, BW_LOG_DEBUG);
    if (bw_opts_finish(&o, err, sizeof err) != 0) {
        ret = die(err);
        goto out;
    }
    if (bw_session_global_init() != 0) {
        ret = die("cannot initialise libcurl");
        goto out;
    }
    global = 1;
    if (bw_session_new(&o, &s, err, sizeof err) != 0) {
        ret = die(err);
        goto out;
    }

    struct bw_fs_ctx fsctx = {
        .tree = bw_session_tree(s),
        .cache = bw_session_cache(s),
        .meta_ttl = o.meta_ttl,
        .timeouts_given = cl.timeouts_given,
    };
    if (fuse_opt_insert_arg(&args, 1, MOUNT_DEFAULTS) != 0) {
        ret = die("out of memory");
        goto out;
    }
    /* fuse_new() checks libfuse's options but mounts nothing: a typo fails
     * here, before any network traffic. */
    fuse = fuse_new(&args, bw_fs_operations(), sizeof(struct fuse_operations), &fsctx);
    if (!fuse)
        goto out; /* libfuse printed why */
    /* One API call before mounting and daemonizing: wrong credentials or an
     * unreachable host end here with exit status 1. */
    if (bw_session_check(s, err, sizeof err) != 0) {
        ret = die(err);
        goto out;
    }
    if (fuse_mount(fuse, fo.mountpoint) != 0)
        goto out;
    mounted = 1;
    if (fuse_daemonize(fo.foreground) != 0)
        goto out;
    if (!fo.foreground)
        bw_log_set_sink(BW_LOG_SYSLOG);
    struct fuse_session *se = fuse_get_session(fuse);
    if (fuse_set_signal_handlers(se) != 0)
        goto out;
    BW_INFO(NULL, "mounted %s on %s (%zu account(s))", o.api_url, fo.mountpoint, o.accounts.n);
    int rc = fo.singlethread ? fuse_loop(fuse) : fuse_loop_mt(fuse, fo.clone_fd);
    fuse_remove_signal_handlers(se);
    ret = rc < 0 ? 1 : 0;
    BW_INFO(NULL, "unmounted %s", fo.mountpoint);

out:
    if (mounted)
        fuse_unmount(fuse);
    if (fuse)
        fuse_destroy(fuse);
    bw_session_free(s);
    if (global)
        bw_session_global_cleanup();
    bw_opts_free(&o);
    free(fo.mountpoint);
    fuse_opt_free_args(&args);
    bw_log_close();
    return ret;
}
