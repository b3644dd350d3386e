/* test_state: state_dir's billing.ids and latest files: round trips, the
 * older two-field format, unknown lines kept, forget, bad ids refused, the
 * atomic rewrite (a reader never sees a partial file, no temporary file
 * left behind, a stale one from a crashed process replaced), concurrent
 * writers losing no line. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "state.h"

#define U1 "04d7b250-3b6d-44a2-b23d-a074f0cdc93e"
#define U2 "11111111-2222-3333-4444-555555555555"
#define U3 "aaaaaaaa-2222-3333-4444-555555555555"

static char root[256], sdir[512];

static char *read_file(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    size_t n = 0;

    buf[0] = '\0';
    if (!f)
        return NULL;
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(s, f);
        fclose(f);
    }
}

/* Entries of state_dir/1 whose name has ".tmp." in it. */
static int tmp_files(void)
{
    char d[1024];
    int n = 0;
    snprintf(d, sizeof d, "%s/1", sdir);
    DIR *dir = opendir(d);
    if (!dir)
        return 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (strstr(e->d_name, ".tmp."))
            n++;
    closedir(dir);
    return n;
}

static void test_billing(void)
{
    struct bw_state_billing_list l;
    char path[1024], *s;
    struct stat sb;

    /* nothing yet: an empty list, state_dir not even there */
    CHECK_INT(bw_state_billing_ids(sdir, "1", &l), 0);
    CHECK_INT(l.n, 0);
    CHECK_INT(bw_state_billing_ids(NULL, "1", &l), 0);

    /* first write creates state_dir (nested) and the account dir, 0700 */
    CHECK_INT(bw_state_remember_billing(sdir, "1", "BDR", U1, 1796094725), 0);
    CHECK(stat(sdir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    snprintf(path, sizeof path, "%s/1", sdir);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    snprintf(path, sizeof path, "%s/1/billing.ids", sdir);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK_STR(read_file(path), "BDR " U1 " 1796094725\n");

    /* the same again: no duplicate line; another one appended */
    CHECK_INT(bw_state_remember_billing(sdir, "1", "BDR", U1, 5), 0);
    CHECK_INT(bw_state_remember_billing(sdir, "1", "DIDSNAP", U2, 1796000000), 0);
    CHECK_STR(read_file(path), "BDR " U1 " 1796094725\nDIDSNAP " U2 " 1796000000\n");
    CHECK_INT(bw_state_billing_ids(sdir, "1", &l), 0);
    CHECK_INT(l.n, 2);
    if (l.n == 2) {
        CHECK_STR(l.items[0].type, "BDR");
        CHECK_STR(l.items[0].id, U1);
        CHECK_INT(l.items[0].created, 1796094725);
        CHECK_STR(l.items[1].type, "DIDSNAP");
        CHECK_INT(l.items[1].created, 1796000000);
    }
    bw_state_billing_list_free(&l);

    /* forget: the line goes; forgetting what is not there is fine */
    CHECK_INT(bw_state_forget_billing(sdir, "1", U1), 0);
    CHECK_STR(read_file(path), "DIDSNAP " U2 " 1796000000\n");
    CHECK_INT(bw_state_forget_billing(sdir, "1", U3), 0);
    CHECK_STR(read_file(path), "DIDSNAP " U2 " 1796000000\n");
    CHECK_INT(bw_state_forget_billing(sdir, "2", U3), 0); /* no file at all */

    /* the first format (two fields), a bad timestamp, junk, a last line
     * without '\n' */
    write_file(path, "BDR " U1 "\nINVOICE " U2 " soon\n# a comment from a newer version\n"
                     "NOPE " U3 " 1\n\nBDR " U1 " 99\nBDR ../x 1\nMDR " U3 " 12 extra\nMDR " U3 " 7");
    CHECK_INT(bw_state_billing_ids(sdir, "1", &l), 0);
    CHECK_INT(l.n, 3);
    if (l.n == 3) {
        CHECK_STR(l.items[0].id, U1);
        CHECK_INT(l.items[0].created, 0);
        CHECK_STR(l.items[1].type, "INVOICE");
        CHECK_INT(l.items[1].created, 0);
        CHECK_STR(l.items[2].type, "MDR");
        CHECK_INT(l.items[2].created, 7);
    }
    bw_state_billing_list_free(&l);
    /* a writer keeps what it does not understand (blank lines aside) */
    CHECK_INT(bw_state_remember_billing(sdir, "1", "CNAMBDR", U3, 3), 0);
    s = read_file(path);
    CHECK(s && strstr(s, "# a comment from a newer version\n") && strstr(s, "NOPE " U3 " 1\n") &&
          strstr(s, "MDR " U3 " 7\nCNAMBDR " U3 " 3\n") && !strstr(s, "\n\n"));
    CHECK_INT(bw_state_forget_billing(sdir, "1", U1), 0);
    s = read_file(path);
    CHECK(s && !strstr(s, U1) && strstr(s, "INVOICE " U2));

    /* bad input never reaches a path or the file */
    CHECK_INT(bw_state_remember_billing(NULL, "1", "BDR", U1, 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing("", "1", "BDR", U1, 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing(sdir, "..", "BDR", U1, 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing(sdir, "1/../2", "BDR", U1, 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing(sdir, "1", "NOPE", U1, 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing(sdir, "1", "BDR", "a b", 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing(sdir, "1", "BDR", "x\nBDR y", 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing(sdir, "1", "BDR", "../../etc", 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing(sdir, "1", "BDR", NULL, 1), -EINVAL);
    CHECK_INT(bw_state_remember_billing(sdir, "1", "BDR", U1, -1), -EINVAL);
    CHECK_INT(bw_state_forget_billing(sdir, "1", "a/b"), -EINVAL);
    CHECK_INT(bw_state_billing_ids(sdir, "..", &l), -EINVAL);
    s = read_file(path);
    CHECK(s && !strstr(s, U1));

    /* state_dir that cannot be made (a file in the way): the error, no file */
    char blocked[300];
    snprintf(blocked, sizeof blocked, "%s/plainfile", root);
    write_file(blocked, "x");
    snprintf(path, sizeof path, "%s/sub", blocked);
    CHECK_INT(bw_state_remember_billing(path, "1", "BDR", U1, 1), -ENOTDIR);
    CHECK_INT(tmp_files(), 0);
}

static void test_latest(void)
{
    char id[80], path[1024], *s;

    CHECK_INT(bw_state_get_latest(sdir, "1", "reports/14", id, sizeof id), -ENOENT);
    CHECK_INT(bw_state_get_latest(NULL, "1", "reports/14", id, sizeof id), -ENOENT);
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14", "500123"), 0);
    CHECK_INT(bw_state_set_latest(sdir, "1", "billing/BDR", U1), 0);
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14", "500124"), 0);
    CHECK_INT(bw_state_get_latest(sdir, "1", "reports/14", id, sizeof id), 0);
    CHECK_STR(id, "500124");
    CHECK_INT(bw_state_get_latest(sdir, "1", "billing/BDR", id, sizeof id), 0);
    CHECK_STR(id, U1);
    CHECK_INT(bw_state_get_latest(sdir, "1", "reports/15", id, sizeof id), -ENOENT);
    /* cleared after a failed request; the other directory keeps its own */
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14", NULL), 0);
    CHECK_INT(bw_state_get_latest(sdir, "1", "reports/14", id, sizeof id), -ENOENT);
    CHECK_INT(bw_state_get_latest(sdir, "1", "billing/BDR", id, sizeof id), 0);
    CHECK_STR(id, U1);
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14", NULL), 0); /* clearing twice is fine */
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14", "500124"), 0);
    CHECK_INT(bw_state_get_latest(sdir, "2", "reports/14", id, sizeof id), -ENOENT);
    CHECK_INT(bw_state_get_latest(sdir, "1", "billing/BDR", id, 10), -ERANGE);
    snprintf(path, sizeof path, "%s/1/latest", sdir);
    s = read_file(path);
    CHECK_STR(s, "billing/BDR " U1 "\nreports/14 500124\n");

    /* bad dirs and ids */
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/../x", "1"), -EINVAL);
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14/x", "1"), -EINVAL);
    CHECK_INT(bw_state_set_latest(sdir, "1", "billing/NOPE", "1"), -EINVAL);
    CHECK_INT(bw_state_set_latest(sdir, "1", "other/14", "1"), -EINVAL);
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports 14", "1"), -EINVAL);
    CHECK_INT(bw_state_set_latest(sdir, "1", NULL, "1"), -EINVAL);
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14", "1 2"), -EINVAL);
    CHECK_INT(bw_state_set_latest(sdir, "..", "reports/14", "1"), -EINVAL);
    CHECK_INT(bw_state_get_latest(sdir, "1", "reports/..", id, sizeof id), -EINVAL);
    CHECK_STR(read_file(path), "billing/BDR " U1 "\nreports/14 500124\n");
}

/* ---- atomicity ---- */

static volatile int stop_reader;
static int reader_bad, reader_reads; /* written by the reader thread only */

/* Reads latest over and over while the main thread rewrites it: every read
 * must be a whole file (old or new), never a partial one. */
static void *reader_main(void *arg)
{
    char path[1024], buf[4096];
    (void)arg;
    snprintf(path, sizeof path, "%s/1/latest", sdir);
    while (!stop_reader) {
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        reader_reads++;
        /* two lines, each "DIR ID\n" */
        const char *r = strstr(buf, "reports/14 "), *b = strstr(buf, "billing/BDR ");
        if (n == 0 || buf[n - 1] != '\n' || !r || !b || strchr(r, '\n') == NULL)
            reader_bad++;
    }
    return NULL;
}

static void test_atomic(void)
{
    pthread_t th;
    char id[32], path[1024];

    stop_reader = 0;
    pthread_create(&th, NULL, reader_main, NULL);
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "%d", 600000 + i * 7919); /* ids of varying length */
        CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14", id), 0);
    }
    stop_reader = 1;
    pthread_join(th, NULL);
    CHECK_INT(reader_bad, 0);
    CHECK(reader_reads > 0);
    CHECK_INT(tmp_files(), 0);

    /* a temporary file a crashed process with our pid and tid left behind */
    snprintf(path, sizeof path, "%s/1/latest.tmp.%ld.%ld", sdir, (long)getpid(),
             (long)syscall(SYS_gettid));
    write_file(path, "half a li");
    CHECK_INT(bw_state_set_latest(sdir, "1", "reports/14", "777"), 0);
    CHECK_INT(bw_state_get_latest(sdir, "1", "reports/14", id, sizeof id), 0);
    CHECK_STR(id, "777");
    CHECK_INT(tmp_files(), 0);
}

/* ---- concurrent writers ---- */

#define WRITERS 8
#define PER_WRITER 40

static int writer_errors; /* atomic */

static void *writer_main(void *arg)
{
    int w = (int)(long)arg;
    char id[64], dir[32];
    for (int i = 0; i < PER_WRITER; i++) {
        snprintf(id, sizeof id, "%08d-0000-0000-0000-%012d", w, i);
        if (bw_state_remember_billing(sdir, "3", i % 2 ? "BDR" : "INVOICE", id, 1000 + i) != 0)
            __atomic_add_fetch(&writer_errors, 1, __ATOMIC_SEQ_CST);
        snprintf(dir, sizeof dir, "reports/%d", w);
        if (bw_state_set_latest(sdir, "3", dir, id) != 0)
            __atomic_add_fetch(&writer_errors, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void test_concurrent(void)
{
    pthread_t th[WRITERS];
    struct bw_state_billing_list l;
    char id[80], want[64], dir[32];

    for (long i = 0; i < WRITERS; i++)
        pthread_create(&th[i], NULL, writer_main, (void *)i);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(writer_errors, 0);
    CHECK_INT(bw_state_billing_ids(sdir, "3", &l), 0);
    CHECK_INT(l.n, WRITERS * PER_WRITER);
    bw_state_billing_list_free(&l);
    for (int w = 0; w < WRITERS; w++) {
        snprintf(dir, sizeof dir, "reports/%d", w);
        snprintf(want, sizeof want, "%08d-0000-0000-0000-%012d", w, PER_WRITER - 1);
        CHECK_INT(bw_state_get_latest(sdir, "3", dir, id, sizeof id), 0);
        CHECK_STR(id, want);
    }
}

int main(void)
{
    snprintf(root, sizeof root, "%s/bwstate-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(sdir, sizeof sdir, "%s/state/bwreportfs", root);
    test_billing();
    test_latest();
    test_atomic();
    test_concurrent();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return check_done("test_state");
}
