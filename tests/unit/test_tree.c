/* test_tree: layout, names, errno propagation, request costs and the metadata
 * cache of the tree, with a fake source and a fake clock (tree.h). */
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

enum { C_TYPES, C_PARAMS, C_ILIST, C_INST, C_BLIST, C_BILL, C_REMEMBER, C_PROBE, C_N };

struct fake {
    int calls[C_N]; /* atomic */
    int fail;       /* negative errno for account "9999999" */
    int delay_ms;
    char status_1002[32]; /* what get_instance says of 1002 */
};

static void count(struct fake *f, int which)
{
    __atomic_add_fetch(&f->calls[which], 1, __ATOMIC_SEQ_CST);
}

static int calls(struct fake *f, int which)
{
    return __atomic_load_n(&f->calls[which], __ATOMIC_SEQ_CST);
}

static int total(struct fake *f)
{
    int n = 0;
    for (int i = 0; i < C_N; i++)
        n += calls(f, i);
    return n;
}

static int fake_list(void *ctx, const char *account, struct bw_report_list *out)
{
    struct fake *f = ctx;
    count(f, C_TYPES);
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

static int fake_params(void *ctx, const char *acct, const char *rid, struct bw_tree_text *out)
{
    (void)acct;
    count(ctx, C_PARAMS);
    out->len = (size_t)asprintf(&out->buf, "params of %s\n", rid);
    return 0;
}

static void inst(struct bw_tree_instance *i, const char *id, const char *status, time_t mtime)
{
    memset(i, 0, sizeof *i);
    snprintf(i->id, sizeof i->id, "%s", id);
    snprintf(i->status, sizeof i->status, "%s", status);
    snprintf(i->format, sizeof i->format, "csv");
    i->mtime = mtime;
    i->info_len = (size_t)asprintf(&i->info, "<Instance><Id>%s</Id></Instance>\n", id);
    i->params_len = (size_t)asprintf(&i->params, "OutputFormat = csv\n");
}

static int fake_ilist(void *ctx, const char *acct, const char *rid,
                      struct bw_tree_instance_list *out)
{
    (void)acct;
    count(ctx, C_ILIST);
    if (strcmp(rid, "14") != 0)
        return 0;
    out->items = calloc(3, sizeof *out->items);
    inst(&out->items[0], "1001", "Ready", 1000);
    inst(&out->items[1], "1002", "Processing", 2000);
    inst(&out->items[2], "1003", "Expired", 3000);
    out->n = 3;
    return 0;
}

static int fake_inst(void *ctx, const char *acct, const char *rid, const char *iid,
                     struct bw_tree_instance *out)
{
    struct fake *f = ctx;
    (void)acct;
    count(f, C_INST);
    if (strcmp(rid, "14") != 0)
        return -ENOENT;
    if (strcmp(iid, "1001") == 0)
        inst(out, iid, "Ready", 1000);
    else if (strcmp(iid, "1002") == 0)
        inst(out, iid, f->status_1002, 2000);
    else if (strcmp(iid, "1004") == 0) /* created after the list was fetched */
        inst(out, iid, "Processing", 4000);
    else
        return -ENOENT;
    return 0;
}

static void bill(struct bw_tree_billing *b, const char *id, const char *type, const char *st)
{
    memset(b, 0, sizeof *b);
    snprintf(b->id, sizeof b->id, "%s", id);
    snprintf(b->type, sizeof b->type, "%s", type);
    snprintf(b->status, sizeof b->status, "%s", st);
    b->mtime = 5000;
    b->info_len = (size_t)asprintf(&b->info, "<BillingReport/>\n");
}

static int fake_blist(void *ctx, const char *acct, const char *type,
                      struct bw_tree_billing_list *out)
{
    (void)acct;
    count(ctx, C_BLIST);
    if (strcmp(type, "DIDSNAP") != 0)
        return 0;
    out->items = calloc(2, sizeof *out->items);
    bill(&out->items[0], "aaaa-1", "DIDSNAP", "COMPLETED");
    bill(&out->items[1], "aaaa-2", "DIDSNAP", "PROCESSING");
    out->n = 2;
    return 0;
}

static int fake_bill(void *ctx, const char *acct, const char *uuid, struct bw_tree_billing *out)
{
    (void)acct;
    count(ctx, C_BILL);
    bill(out, uuid, "", "COMPLETED");
    out->mtime = 0; /* the detail answer carries no date */
    return 0;
}

static int fake_remembered(void *ctx, const char *acct, struct bw_tree_billing_list *out)
{
    (void)acct;
    count(ctx, C_REMEMBER);
    out->items = calloc(1, sizeof *out->items);
    snprintf(out->items[0].id, sizeof out->items[0].id, "bbbb-2");
    snprintf(out->items[0].type, sizeof out->items[0].type, "BDR");
    out->n = 1;
    return 0;
}

static int fake_url(void *ctx, const char *acct, const char *rid, const char *id, char **out)
{
    (void)ctx;
    return asprintf(out, "https://x/%s/%s/%s", acct, rid ? rid : "billing", id) < 0 ? -ENOMEM : 0;
}

static int fake_probe(void *ctx, const char *key, const char *url, struct bw_tree_probe *out)
{
    count(ctx, C_PROBE);
    CHECK(strncmp(url, "https://x/", 10) == 0);
    out->size = 12345;
    if (strcmp(key, "reports/9900001/1001") == 0)
        snprintf(out->name, sizeof out->name, "../../etc/passwd");
    else if (strcmp(key, "billing/9900001/aaaa-1") == 0)
        snprintf(out->name, sizeof out->name, "bdrs_2026-10-01_2026-10-31.zip");
    return 0;
}

/* ---- requesting: fakes for the create side of the source ---- */

struct reqfake {
    int creates, bcreates, remembers;
    char body[4096];     /* the last body created */
    char latest[64];     /* what set_latest stored, "" if none */
    int fail;            /* negative errno create_* return */
};
static struct reqfake rq;

static int fake_detail(void *ctx, const char *acct, const char *rid, struct bw_report_detail *out)
{
    (void)ctx;
    (void)acct;
    memset(out, 0, sizeof *out);
    out->id = strdup(rid);
    out->name = strdup("Port-in Orders");
    out->description = strdup("");
    out->formats = calloc(1, sizeof *out->formats);
    out->formats[0] = strdup("csv");
    out->n_formats = 1;
    out->params = calloc(2, sizeof *out->params);
    const char *names[] = {"AccountId", "StartDate"}, *types[] = {"Account ID", "Date"};
    for (int i = 0; i < 2; i++) {
        struct bw_report_param *p = &out->params[i];
        p->name = strdup(names[i]);
        p->type = strdup(types[i]);
        p->description = strdup("");
        p->help = strdup("");
        p->recommended = strdup("");
        p->required = 1;
    }
    out->n_params = 2;
    return 0;
}

static int fake_create(void *ctx, const char *acct, const char *rid, const struct bw_request *req,
                       const char *body, size_t len, char *id, size_t idlen, char *why,
                       size_t whylen)
{
    (void)ctx;
    (void)acct;
    (void)rid;
    (void)req;
    rq.creates++;
    snprintf(rq.body, sizeof rq.body, "%.*s", (int)len, body);
    if (rq.fail) {
        snprintf(why, whylen, "the API refused it: HTTP 400, ErrorCode 19023: no");
        return rq.fail;
    }
    snprintf(id, idlen, "5000");
    return 0;
}

static int fake_bcreate(void *ctx, const char *acct, const char *type, const char *body,
                        size_t len, char *id, size_t idlen, char *why, size_t whylen)
{
    (void)ctx;
    (void)acct;
    (void)type;
    (void)why;
    (void)whylen;
    rq.bcreates++;
    snprintf(rq.body, sizeof rq.body, "%.*s", (int)len, body);
    snprintf(id, idlen, "cccc-1");
    return 0;
}

static int fake_remember(void *ctx, const char *acct, const char *type, const char *id,
                         time_t created)
{
    (void)ctx;
    (void)acct;
    (void)created;
    CHECK(strcmp(type, "BDR") == 0 && strcmp(id, "cccc-1") == 0);
    rq.remembers++;
    return 0;
}

static int fake_set_latest(void *ctx, const char *acct, const char *dir, const char *id)
{
    (void)ctx;
    (void)acct;
    if (id)
        snprintf(rq.latest, sizeof rq.latest, "%s %s", dir, id);
    else
        rq.latest[0] = '\0'; /* cleared */
    return 0;
}

static struct bw_tree *make(struct fake *f, unsigned ttl)
{
    static const char *const accts[] = {"9900001", "9900002", "9999999"};
    struct bw_tree_config cfg = {
        .accounts = accts,
        .naccounts = 3,
        .ttl = ttl,
        .status_ttl_ms = 2000,
        .source = {.ctx = f, .list_reports = fake_list, .report_params = fake_params,
                   .list_instances = fake_ilist, .get_instance = fake_inst,
                   .list_billing = fake_blist, .get_billing = fake_bill,
                   .remembered_billing = fake_remembered, .file_url = fake_url,
                   .probe = fake_probe},
        .clock_ms = fake_clock,
    };
    struct bw_tree *t = NULL;
    snprintf(f->status_1002, sizeof f->status_1002, "Processing");
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

static long long size_of(struct bw_tree *t, const char *path)
{
    struct stat st;
    int rc = bw_tree_getattr(t, path, &st);
    return rc ? rc : (long long)st.st_size;
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
    CHECK_INT(bw_tree_getattr(t, "/1234", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/nope", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/billing", &st), 0);
    CHECK_INT(bw_tree_getattr(t, "/9900001/billing/NOPE", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/billing/BDR", &st), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(bw_tree_readdir(t, "/9900001/billing", &d), 0);
    CHECK_INT(d.n, 24);
    CHECK(has(&d, "DIDSNAP_MSG") && has(&d, "UNPROVISIONED_CALLS_BDR") && has(&d, "BDR"));
    bw_tree_dir_free(&d);
    CHECK_INT(total(&f), 0); /* nothing so far needed the API */

    /* desktop probes: ENOENT from memory, at any depth */
    const char *probes[] = {"/.hidden", "/9900001/.Trash-1000", "/9900001/reports/.directory",
                            "/9900001/reports/autorun.inf", "/9900001/reports/port-in-orders/.git",
                            "/9900001/reports/port-in-orders/desktop.ini",
                            "/9900001/reports/port-in-orders/1001/._x", "/9900001/billing/BDMV"};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
        CHECK_INT(bw_tree_getattr(t, probes[i], &st), -ENOENT);
    CHECK_INT(total(&f), 0);

    CHECK_INT(bw_tree_readdir(t, "/9900001/reports", &d), 0);
    CHECK_INT(d.n, 4);
    CHECK(has(&d, "port-in-orders") && has(&d, "port-in-orders-100") &&
          has(&d, "port-out-orders") && has(&d, "full-phone-number-details"));
    CHECK(!has(&d, "14"));
    bw_tree_dir_free(&d);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/port-in-orders", &st), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/14", &st), 0); /* numeric alias */
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/nope", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/port-in-orders/abc", &st), -ENOENT);
    CHECK_INT(calls(&f, C_TYPES), 1);
    CHECK_INT(total(&f), 1);

    /* a report type: parameters + one directory per instance */
    CHECK_INT(bw_tree_readdir(t, "/9900001/reports/port-in-orders", &d), 0);
    CHECK_INT(d.n, 5); /* and `new` (no `latest` before a request) */
    CHECK(has(&d, "parameters") && has(&d, "1001") && has(&d, "1002") && has(&d, "1003"));
    CHECK(has(&d, "new") && !has(&d, "latest"));
    bw_tree_dir_free(&d);
    CHECK_INT(size_of(t, "/9900001/reports/14/parameters"), strlen("params of 14\n"));
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/port-in-orders/1001", &st), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(st.st_mtime, 1000);
    CHECK_INT(calls(&f, C_ILIST), 1);
    CHECK_INT(calls(&f, C_PARAMS), 1);
    CHECK_INT(calls(&f, C_INST), 0); /* the list told everything */

    /* a ready instance: its file, named safely (a hostile name falls back) */
    CHECK_INT(bw_tree_readdir(t, "/9900001/reports/14/1001", &d), 0);
    CHECK_INT(d.n, 4);
    CHECK(has(&d, "status") && has(&d, "info.xml") && has(&d, "parameters") &&
          has(&d, "report-1001.csv"));
    bw_tree_dir_free(&d);
    CHECK_INT(size_of(t, "/9900001/reports/14/1001/report-1001.csv"), 12345);
    CHECK_INT(size_of(t, "/9900001/reports/14/1001/status"), 6);
    CHECK_INT(size_of(t, "/9900001/reports/14/1001/info.xml"),
              strlen("<Instance><Id>1001</Id></Instance>\n"));
    CHECK_INT(size_of(t, "/9900001/reports/14/1001/passwd"), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/14/1001/status", &st), 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK_INT(st.st_mode & 07777, 0444);
    CHECK_INT(st.st_mtime, 1000);
    CHECK_INT(calls(&f, C_PROBE), 1);
    /* in progress and expired: no file, and no probe */
    CHECK_INT(bw_tree_readdir(t, "/9900001/reports/14/1002", &d), 0);
    CHECK_INT(d.n, 3);
    bw_tree_dir_free(&d);
    CHECK_INT(bw_tree_readdir(t, "/9900001/reports/14/1003", &d), 0);
    CHECK_INT(d.n, 3);
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f, C_PROBE), 1);
    CHECK_INT(calls(&f, C_INST), 0);
    CHECK_INT(bw_tree_readdir(t, "/9900001/reports/14/1001/status", &d), -ENOTDIR);

    /* an instance not (yet) listed is asked for; unknown ones are ENOENT, remembered */
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/14/1004", &st), 0);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/14/9999", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/14/9999", &st), -ENOENT);
    CHECK_INT(calls(&f, C_INST), 2);

    /* a forbidden account: the directory exists, its listing is EACCES */
    CHECK_INT(bw_tree_getattr(t, "/9999999/reports", &st), 0);
    CHECK_INT(bw_tree_readdir(t, "/9999999/reports", &d), -EACCES);
    CHECK_INT(d.n, 0);
    CHECK_INT(bw_tree_getattr(t, "/9999999/reports/x", &st), -EACCES);
    CHECK_INT(calls(&f, C_TYPES), 2); /* the failure is remembered, too */

    CHECK_INT(bw_tree_readdir(t, "/nope", &d), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "relative", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/a/b/c/d/e", &st), -ENOENT);
    bw_tree_free(t);
}

static void test_open_and_status(void)
{
    struct fake f = {0};
    struct bw_tree *t = make(&f, 60);
    struct bw_tree_file file;

    now_ms = 5000000;
    CHECK_INT(bw_tree_open(t, "/9900001/reports/14/1002/status", &file), 0);
    CHECK(file.direct_io && !file.is_report);
    CHECK_INT(file.len, strlen("Processing\n"));
    CHECK(memcmp(file.data, "Processing\n", file.len) == 0);
    bw_tree_file_free(&file);
    int inst0 = calls(&f, C_INST);

    /* the status changes: seen once status_ttl has passed, not before */
    snprintf(f.status_1002, sizeof f.status_1002, "Ready");
    now_ms += 1000;
    CHECK_INT(bw_tree_open(t, "/9900001/reports/14/1002/status", &file), 0);
    CHECK(memcmp(file.data, "Processing\n", file.len) == 0);
    bw_tree_file_free(&file);
    now_ms += 1500;
    CHECK_INT(bw_tree_open(t, "/9900001/reports/14/1002/status", &file), 0);
    CHECK_INT(file.len, 6);
    CHECK(memcmp(file.data, "Ready\n", 6) == 0);
    bw_tree_file_free(&file);
    CHECK_INT(calls(&f, C_INST), inst0 + 1);
    /* ... and the directory now has the report, though the list still says Processing */
    CHECK_INT(size_of(t, "/9900001/reports/14/1002/report-1002.csv"), 12345);

    CHECK_INT(bw_tree_open(t, "/9900001/reports/14/1001/report-1001.csv", &file), 0);
    CHECK(file.is_report && !file.direct_io);
    CHECK_STR(file.key, "reports/9900001/1001");
    CHECK_STR(file.url, "https://x/9900001/14/1001");
    CHECK_INT(file.size, 12345);
    bw_tree_file_free(&file);
    CHECK_INT(bw_tree_open(t, "/9900001/reports/14/parameters", &file), 0);
    CHECK(memcmp(file.data, "params of 14\n", file.len) == 0);
    bw_tree_file_free(&file);
    CHECK_INT(bw_tree_open(t, "/9900001/reports/14", &file), -EISDIR);
    bw_tree_free(t);
}

static void test_billing(void)
{
    struct fake f = {0};
    struct bw_tree *t = make(&f, 60);
    struct bw_tree_dir d;
    struct stat st;

    now_ms = 9000000;
    CHECK_INT(bw_tree_readdir(t, "/9900001/billing/DIDSNAP", &d), 0);
    CHECK_INT(d.n, 3); /* and `new` */
    CHECK(has(&d, "aaaa-1") && has(&d, "aaaa-2") && has(&d, "new"));
    bw_tree_dir_free(&d);
    CHECK_INT(bw_tree_readdir(t, "/9900001/billing/BDR", &d), 0); /* remembered only */
    CHECK_INT(d.n, 2);
    CHECK(has(&d, "bbbb-2") && has(&d, "new"));
    bw_tree_dir_free(&d);
    CHECK_INT(bw_tree_readdir(t, "/9900001/billing/MDR", &d), 0);
    CHECK_INT(d.n, 1); /* `new` only */
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f, C_BLIST), 1); /* only DIDSNAP asked the API */
    CHECK_INT(calls(&f, C_REMEMBER), 1);

    CHECK_INT(bw_tree_readdir(t, "/9900001/billing/DIDSNAP/aaaa-1", &d), 0);
    CHECK_INT(d.n, 3);
    CHECK(has(&d, "status") && has(&d, "info.xml") && has(&d, "bdrs_2026-10-01_2026-10-31.zip"));
    bw_tree_dir_free(&d);
    CHECK_INT(bw_tree_getattr(t, "/9900001/billing/DIDSNAP/aaaa-1", &st), 0);
    CHECK_INT(st.st_mtime, 5000);
    CHECK_INT(bw_tree_readdir(t, "/9900001/billing/DIDSNAP/aaaa-2", &d), 0);
    CHECK_INT(d.n, 2); /* PROCESSING: no zip */
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f, C_BILL), 0);
    CHECK_INT(bw_tree_readdir(t, "/9900001/billing/BDR/bbbb-2", &d), 0);
    CHECK_INT(d.n, 3);
    CHECK(has(&d, "bbbb-2.zip"));
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f, C_BILL), 1);
    CHECK_INT(size_of(t, "/9900001/billing/BDR/bbbb-2/status"), strlen("COMPLETED\n"));
    CHECK_INT(bw_tree_getattr(t, "/9900001/billing/MDR/bbbb-2", &st), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/billing/DIDSNAP/zzzz", &st), -ENOENT);
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
    CHECK_INT(calls(&f, C_TYPES), 1);
    now_ms += 1;
    CHECK_INT(bw_tree_readdir(t, "/9900002/reports", &d), 0);
    bw_tree_dir_free(&d);
    CHECK_INT(calls(&f, C_TYPES), 2);

    /* errors are remembered for min(ttl, 5) s */
    CHECK_INT(bw_tree_readdir(t, "/9999999/reports", &d), -EAGAIN);
    now_ms += 4999;
    CHECK_INT(bw_tree_readdir(t, "/9999999/reports", &d), -EAGAIN);
    CHECK_INT(calls(&f, C_TYPES), 3);
    now_ms += 1;
    CHECK_INT(bw_tree_readdir(t, "/9999999/reports", &d), -EAGAIN);
    CHECK_INT(calls(&f, C_TYPES), 4);
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
    /* While the fetch runs, the cache lock is free: other paths answer at once. */
    usleep(50000);
    struct stat st;
    CHECK_INT(bw_tree_getattr(t, "/9900002", &st), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].rc, 0);
    }
    CHECK_INT(calls(&f, C_TYPES), 1);
    bw_tree_free(t);
}

static void test_config(void)
{
    struct fake f = {0};
    struct bw_tree *t = NULL;
    static const char *const bad[] = {"../x"};
    struct bw_tree_config cfg = {.accounts = bad, .naccounts = 1, .ttl = 60,
                                 .source = {.ctx = &f, .list_reports = fake_list}};
    CHECK_INT(bw_tree_new(&cfg, &t), -EINVAL); /* the source is incomplete */
    cfg.accounts = NULL;
    cfg.naccounts = 0;
    cfg.ttl = 0;
    CHECK_INT(bw_tree_new(&cfg, &t), -EINVAL);
    CHECK(t == NULL);
}

/* new, latest and bw_tree_submit() with a source that can create. */
static void test_requests(void)
{
    static const char *const accts[] = {"9900001"};
    struct fake f = {0};
    struct bw_tree_config cfg = {
        .accounts = accts, .naccounts = 1, .ttl = 60, .status_ttl_ms = 2000,
        .source = {.ctx = &f, .list_reports = fake_list, .report_params = fake_params,
                   .list_instances = fake_ilist, .get_instance = fake_inst,
                   .list_billing = fake_blist, .get_billing = fake_bill,
                   .remembered_billing = fake_remembered, .file_url = fake_url,
                   .probe = fake_probe, .report_detail = fake_detail,
                   .create_instance = fake_create, .create_billing = fake_bcreate,
                   .remember_billing = fake_remember, .set_latest = fake_set_latest},
        .clock_ms = fake_clock,
    };
    struct bw_tree *t = NULL;
    struct bw_tree_file fl;
    struct bw_tree_dir d;
    struct stat st;
    char link[64];
    const char *new = "/9900001/reports/port-in-orders/new";
    const char *good = "OutputFormat = csv\nStartDate = 2026-11-01\n";

    snprintf(f.status_1002, sizeof f.status_1002, "Processing");
    CHECK_INT(bw_tree_new(&cfg, &t), 0);
    CHECK_INT(bw_tree_getattr(t, new, &st), 0);
    CHECK(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644);
    CHECK_INT(bw_tree_open(t, new, &fl), 0);
    CHECK(fl.is_new && fl.direct_io && (off_t)fl.len == st.st_size);
    bw_tree_file_free(&fl);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/port-in-orders/latest", &st), -ENOENT);

    /* a bad request: nothing created, the reason on top of new, its size follows */
    CHECK_INT(bw_tree_submit(t, new, "Colour = red\n", 13), -EINVAL);
    CHECK_INT(rq.creates, 0);
    CHECK_INT(bw_tree_open(t, new, &fl), 0);
    CHECK(strncmp(fl.data, "# THE LAST REQUEST", 18) == 0 && strstr(fl.data, "Colour"));
    CHECK_INT(bw_tree_getattr(t, new, &st), 0);
    CHECK_INT(st.st_size, (off_t)fl.len);
    bw_tree_file_free(&fl);
    CHECK_INT(bw_tree_submit(t, "/9900001/reports/port-in-orders/parameters", good,
                             strlen(good)), -EROFS);

    /* a good one: the account filled in, latest, the new id listed */
    CHECK_INT(bw_tree_submit(t, new, good, strlen(good)), 0);
    CHECK_INT(rq.creates, 1);
    CHECK(strstr(rq.body, "<Value>9900001</Value>") != NULL);
    CHECK(strcmp(rq.latest, "reports/14 5000") == 0);
    CHECK_INT(bw_tree_readlink(t, "/9900001/reports/14/latest", link, sizeof link), 0);
    CHECK(strcmp(link, "5000") == 0);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/14/latest", &st), 0);
    CHECK(S_ISLNK(st.st_mode) && st.st_size == 4);
    CHECK_INT(bw_tree_readdir(t, "/9900001/reports/14", &d), 0);
    CHECK(has(&d, "new") && has(&d, "latest") && has(&d, "5000"));
    bw_tree_dir_free(&d);
    CHECK_INT(bw_tree_open(t, new, &fl), 0);
    CHECK(strncmp(fl.data, "# THE LAST", 10) != 0);
    bw_tree_file_free(&fl);

    /* the API refuses: its words on top, and no latest any more (in memory
     * and in state_dir), so `readlink latest` cannot name the older report */
    rq.fail = -EINVAL;
    CHECK_INT(bw_tree_submit(t, new, good, strlen(good)), -EINVAL);
    CHECK_INT(bw_tree_open(t, new, &fl), 0);
    CHECK(strstr(fl.data, "ErrorCode 19023") != NULL);
    bw_tree_file_free(&fl);
    CHECK_INT(bw_tree_readlink(t, "/9900001/reports/14/latest", link, sizeof link), -ENOENT);
    CHECK_INT(bw_tree_getattr(t, "/9900001/reports/14/latest", &st), -ENOENT);
    CHECK_INT(bw_tree_readdir(t, "/9900001/reports/14", &d), 0);
    CHECK(has(&d, "new") && !has(&d, "latest"));
    bw_tree_dir_free(&d);
    CHECK(rq.latest[0] == '\0');
    rq.fail = 0;
    /* the next success brings it back */
    CHECK_INT(bw_tree_submit(t, new, good, strlen(good)), 0);
    CHECK_INT(bw_tree_readlink(t, "/9900001/reports/14/latest", link, sizeof link), 0);

    /* billing: remembered before submit returns, latest, listed */
    const char *period = "StartDate = 2026-11-01\nEndDate = 2026-11-30\n";
    CHECK_INT(bw_tree_submit(t, "/9900001/billing/BDR/new", period, strlen(period)), 0);
    CHECK_INT(rq.bcreates, 1);
    CHECK_INT(rq.remembers, 1);
    CHECK(strcmp(rq.latest, "billing/BDR cccc-1") == 0);
    CHECK_INT(bw_tree_readdir(t, "/9900001/billing/BDR", &d), 0);
    CHECK(has(&d, "new") && has(&d, "latest") && has(&d, "cccc-1"));
    bw_tree_dir_free(&d);
    bw_tree_free(t);
}

int main(void)
{
    bw_log_init(BW_LOG_STDERR, BW_LOG_ERR);
    test_layout();
    test_open_and_status();
    test_billing();
    test_ttl();
    test_single_flight();
    test_config();
    test_requests();
    return check_done("test_tree");
}
