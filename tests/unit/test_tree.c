/* test_tree: layout, errno propagation and the listing cache of the tree,
 * with a fake source and a fake clock (tree.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "tree.h"

static long long now_ms;
static long long fake_clock(void)
{
    return __atomic_load_n(&now_ms, __ATOMIC_SEQ_CST);
}

struct fake {
    int calls;       /* atomic */
    int fail;        /* negative errno to return for account "9999999" */
    int delay_ms;
};

static int fake_list(void *ctx, const char *account, struct bw_report_list *out)
{
    struct fake *f = ctx;
    __atomic_add_fetch(&f->calls, 1, __ATOMIC_SEQ_CST);
    if (f->delay_ms)
        usleep((useconds_t)f->delay_ms * 1000);
    if (strcmp(account, "9999999") == 0)
        return f->fail;
    bw_model_report_list_add(out, "14", "Port-in Orders", "");
    bw_model_report_list_add(out, "8", "Port-out Orders", "");
    bw_model_report_list_add(out, "100", "Port-in  orders", "a clash");
    bw_model_report_list_add(out, "2", "Full Phone Number Details", "");
    return 0;
}

static int calls(struct fake *f)
{
    return __atomic_load_n(&f->calls, __ATOMIC_SEQ_CST);
}

static struct bw_tree *make(struct fake *f, unsigned ttl)
{
    static const char *const accts[] = {"9900001", "9900002", "9999999"};
    struct bw_tree_config cfg = {
        .accounts = accts,
        .naccounts = 3,
        .ttl = ttl,
        .source = {.ctx = f, .list_reports = fake_list},
        .clock_ms = fake_clock,
    };
    struct bw_tree *t = NULL;
    CHECK_INT(bw_tree_new(&cfg, &t), 0);
    return t;
}

static int has(const struct bw_tree_dir *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->names[i], name) == 0)
            return 1;
    return 0;
}

static void test_layout(void)
{
    struct fake f = {.fail = -EACCES};
    struct bw_tree *t = make(&f, 60);
    struct bw_tree_dir d;
    struct stat st;

    CHECK_INT(bw_tree_readdir(t, "/", &d), 0);
    CHECK_INT(d.n, 3);
    CHECK(has(&d, "9900001") && has(&d, "9999999"));
    bw_tree_dir_free(&d);

    CHECK_INT(bw_tree_getattr(t, "/", &st), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(st.st_mode & 07777, 0555);
    CHECK_INT(st.st_nlink, 5);
    CHECK_INT(st.st_uid, getuid());

    CHECK_INT(bw_tree_getattr(t, "/9900001", &st), 0);
    CHECK_INT(bw_tree_getattr(t, "/1234", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/nope", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/billing", &st), 0);
    CHECK_INT(bw_tree_getattr(t, "/9900001/billing/x", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports", &st), 0);
    CHECK_INT(calls(&f), 0); /* nothing so far needed the API */

    CHECK_INT(bw_tree_readdir(t, "/9900001", &d), 0);
    CHECK_INT(d.n, 2);
    CHECK(has(&d, "reports") && has(&d, "billing"));
    bw_tree_dir_free(&d);

    CHECK_INT(bw_tree_readdir(t, "/9900001/reports", &d), 0);
    CHECK_INT(d.n, 4);
    CHECK(has(&d, "port-in-orders") && has(&d, "port-in-orders-100") &&
          has(&d, "port-out-orders") && has(&d, "full-phone-number-details"));
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f), 1);

    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/port-in-orders", &st), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/port-in-orders-100", &st), 0);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/nope", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/port-in-orders/x", &st), -ENOENT);
    CHECK_INT(bw_tree_readdir(t, "/9900001/reports/port-in-orders", &d), 0);
    CHECK_INT(d.n, 0);
    bw_tree_dir_free(&d);
    CHECK_INT(bw_tree_readdir(t, "/9900001/billing", &d), 0);
    CHECK_INT(d.n, 0);
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f), 1); /* all served from the cache */

    /* a forbidden account: the directory exists, its listing is EACCES */
    CHECK_INT(bw_tree_getattr(t, "/9999999/reports", &st), 0);
    CHECK_INT(bw_tree_readdir(t, "/9999999/reports", &d), -EACCES);
    CHECK_INT(d.n, 0);
    CHECK_INT(bw_tree_getattr(t, "/9999999/reports/x", &st), -EACCES);
    CHECK_INT(calls(&f), 2); /* the failure is remembered, too */

    CHECK_INT(bw_tree_readdir(t, "/nope", &d), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "relative", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/a/b/c", &st), -ENOENT);
    bw_tree_free(t);
}

static void test_ttl(void)
{
    struct fake f = {.fail = -EAGAIN};
    struct bw_tree *t = make(&f, 60);
    struct bw_tree_dir d;

    now_ms = 1000000;
    CHECK_INT(bw_tree_readdir(t, "/9900002/reports", &d), 0);
    bw_tree_dir_free(&d);
    now_ms += 59999;
    CHECK_INT(bw_tree_readdir(t, "/9900002/reports", &d), 0);
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f), 1);
    now_ms += 1;
    CHECK_INT(bw_tree_readdir(t, "/9900002/reports", &d), 0);
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f), 2);

    /* errors are remembered for min(ttl, 5) s */
    CHECK_INT(bw_tree_readdir(t, "/9999999/reports", &d), -EAGAIN);
    now_ms += 4999;
    CHECK_INT(bw_tree_readdir(t, "/9999999/reports", &d), -EAGAIN);
    CHECK_INT(calls(&f), 3);
    now_ms += 1;
    CHECK_INT(bw_tree_readdir(t, "/9999999/reports", &d), -EAGAIN);
    CHECK_INT(calls(&f), 4);
    bw_tree_free(t);
}

struct worker {
    struct bw_tree *t;
    int rc;
};

static void *reader(void *arg)
{
    struct worker *w = arg;
    struct bw_tree_dir d;
    w->rc = bw_tree_readdir(w->t, "/9900001/reports", &d);
    bw_tree_dir_free(&d);
    return NULL;
}

static void test_single_flight(void)
{
    struct fake f = {.delay_ms = 200};
    struct bw_tree *t = make(&f, 60);
    pthread_t th[8];
    struct worker w[8];

    for (int i = 0; i < 8; i++) {
        w[i].t = t;
        pthread_create(&th[i], NULL, reader, &w[i]);
    }
    /* While the fetch runs, the tree lock is free: other paths answer at once. */
    usleep(50000);
    struct stat st;
    CHECK_INT(bw_tree_getattr(t, "/9900002", &st), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].rc, 0);
    }
    CHECK_INT(calls(&f), 1);
    bw_tree_free(t);
}

static void test_config(void)
{
    struct fake f = {0};
    struct bw_tree *t = NULL;
    static const char *const bad[] = {"../x"};
    struct bw_tree_config cfg = {.accounts = bad, .naccounts = 1, .ttl = 60,
                                 .source = {.ctx = &f, .list_reports = fake_list}};
    CHECK_INT(bw_tree_new(&cfg, &t), -EINVAL);
    cfg.accounts = NULL;
    cfg.naccounts = 0;
    cfg.ttl = 0;
    CHECK_INT(bw_tree_new(&cfg, &t), -EINVAL);
    CHECK(t == NULL);
}

int main(void)
{
    bw_log_init(BW_LOG_STDERR, BW_LOG_ERR);
    test_layout();
    test_ttl();
    test_single_flight();
    test_config();
    return check_done("test_tree");
}
