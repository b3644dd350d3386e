/* test_opts: the option table, its defaults, parsing, validation and help (opts.h). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "opts.h"

static void test_table(void)
{
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        CHECK(d->name && d->templ && d->help && d->help[0]);
        if (d->type == BW_OPT_SWITCH) {
            CHECK(d->templ[0] == '-');
            continue;
        }
        /* template is "name=%s" so the FUSE front can match it */
        char want[128];
        snprintf(want, sizeof want, "%s=%%s", d->name);
        CHECK_STR(d->templ, want);
        CHECK(d->argname != NULL);
        CHECK(d->offset + sizeof(void *) <= sizeof(struct bw_options) ||
              d->type == BW_OPT_SECONDS);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(bw_opts_table[j].name, d->name) != 0);
    }
    /* every option the contract lists is in the table */
    const char *names[] = {"api_url", "accounts", "cafile", "token_url", "credentials",
                           "cache_dir", "state_dir", "connect_timeout", "stall_timeout",
                           "meta_ttl", "cache_size", "status_ttl", "-f", "-d", "-s", "-h",
                           "-V"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int found = 0;
        for (size_t j = 0; j < bw_opts_count; j++)
            found |= strcmp(bw_opts_table[j].name, names[i]) == 0;
        CHECK(found);
    }
}

static void test_defaults(void)
{
    struct bw_options o;

    CHECK_INT(bw_opts_init(&o), 0);
    CHECK_STR(o.api_url, "https://api.bandwidth.com/api");
    CHECK_STR(o.token_url, "https://api.bandwidth.com/api/v1/oauth2/token");
    CHECK_INT(o.connect_timeout, 10);
    CHECK_INT(o.stall_timeout, 30);
    CHECK_INT(o.meta_ttl, 60);
    CHECK_INT(o.status_ttl, 2);
    CHECK(o.cache_size == 10ull << 30);
    CHECK_INT(o.accounts.n, 0);
    CHECK(o.cafile == NULL && o.credentials == NULL && o.cache_dir == NULL);
    bw_opts_free(&o);
}

static void test_parse(void)
{
    struct bw_options o;
    char err[256];

    bw_opts_init(&o);
    CHECK_INT(bw_opts_apply_list(&o, "api_url=http://127.0.0.1:18080/api/,accounts=9900001:9900002,"
                                     "connect_timeout=5,stall_timeout=7,meta_ttl=1",
                                 err, sizeof err),
              0);
    CHECK_STR(o.api_url, "http://127.0.0.1:18080/api");
    CHECK_INT(o.accounts.n, 2);
    if (o.accounts.n == 2) {
        CHECK_STR(o.accounts.ids[0], "9900001");
        CHECK_STR(o.accounts.ids[1], "9900002");
    }
    CHECK_INT(o.connect_timeout, 5);
    CHECK_INT(o.stall_timeout, 7);
    CHECK_INT(o.meta_ttl, 1);

    /* later values replace earlier ones */
    CHECK_INT(bw_opts_apply(&o, "accounts=1", err, sizeof err), 0);
    CHECK_INT(o.accounts.n, 1);
    CHECK_INT(bw_opts_apply(&o, "api_url=HTTPS://Example.com", err, sizeof err), 0);
    CHECK_STR(o.api_url, "HTTPS://Example.com");
    CHECK_INT(bw_opts_apply(&o, "api_url=https://h/", err, sizeof err), 0);
    CHECK_STR(o.api_url, "https://h");

    /* bad values */
    CHECK_INT(bw_opts_apply(&o, "api_url=ftp://h/api", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "api_url") != NULL);
    CHECK_INT(bw_opts_apply(&o, "api_url=https://user:pw@h/api", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "pw") == NULL); /* never echoes the value */
    CHECK_INT(bw_opts_apply(&o, "api_url=https:///api", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "api_url=https://h/a b", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "api_url=https://h/a?x=1", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "api_url=", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "accounts=", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "accounts=12a", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "accounts=1::2", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "accounts=1:2:", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "accounts=1:2:1", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "accounts=123456789012345678901", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "accounts=../x", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "meta_ttl=0", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "between 1 and") != NULL);
    CHECK_INT(bw_opts_apply(&o, "connect_timeout=-1", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "connect_timeout=1.5", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "stall_timeout=99999999999999999999999", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "cafile=", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "nosuch=1", err, sizeof err), -ENOENT);
    CHECK_INT(bw_opts_apply(&o, "api_url", err, sizeof err), -ENOENT);
    CHECK_INT(bw_opts_apply(&o, "-f", err, sizeof err), -ENOENT);
    /* failed parses left the old values alone */
    CHECK_STR(o.api_url, "https://h");
    CHECK_INT(o.accounts.n, 1);
    CHECK_INT(o.meta_ttl, 1);

    /* matching */
    const char *v;
    CHECK(bw_opts_match("meta_ttl=5", &v) != NULL);
    CHECK_STR(v, "5");
    CHECK(bw_opts_match("meta_ttlx=5", &v) == NULL);
    CHECK(bw_opts_match("--help", &v) != NULL && bw_opts_match("--help", NULL)->sw == BW_SW_HELP);
    CHECK(bw_opts_match("-V", NULL)->sw == BW_SW_VERSION);
    bw_opts_free(&o);
}

static void test_size(void)
{
    struct bw_options o;
    unsigned long long n = 0;
    char err[256];

    CHECK_INT(bw_opts_parse_size("0", &n), 0);
    CHECK(n == 0);
    CHECK_INT(bw_opts_parse_size("1234", &n), 0);
    CHECK(n == 1234);
    CHECK_INT(bw_opts_parse_size("3K", &n), 0);
    CHECK(n == 3072);
    CHECK_INT(bw_opts_parse_size("512m", &n), 0);
    CHECK(n == 512ull << 20);
    CHECK_INT(bw_opts_parse_size("10G", &n), 0);
    CHECK(n == 10ull << 30);
    CHECK_INT(bw_opts_parse_size("10GiB", &n), 0);
    CHECK(n == 10ull << 30);
    CHECK_INT(bw_opts_parse_size("2TB", &n), 0);
    CHECK(n == 2ull << 40);
    CHECK_INT(bw_opts_parse_size("16777215T", &n), 0); /* 2^64 - 2^40 */
    const char *bad[] = {"", "G", "1.5G", "-1", "10 G", "10X", "10GG", "10Gx", "16777216T",
                         "99999999999999999999", " 1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(bw_opts_parse_size(bad[i], &n), -EINVAL);

    bw_opts_init(&o);
    CHECK_INT(bw_opts_apply(&o, "cache_size=2G", err, sizeof err), 0);
    CHECK(o.cache_size == 2ull << 30);
    CHECK_INT(bw_opts_apply(&o, "cache_size=1K", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "cache_size") && strstr(err, "at least"));
    CHECK_INT(bw_opts_apply(&o, "cache_size=lots", err, sizeof err), -EINVAL);
    CHECK(o.cache_size == 2ull << 30);
    CHECK_INT(bw_opts_apply(&o, "status_ttl=60", err, sizeof err), 0);
    CHECK_INT(o.status_ttl, 60);
    CHECK_INT(bw_opts_apply(&o, "status_ttl=61", err, sizeof err), -EINVAL);
    CHECK_INT(bw_opts_apply(&o, "status_ttl=0", err, sizeof err), -EINVAL);
    bw_opts_free(&o);
}

/* cache_dir and state_dir default from the XDG variables, else HOME. */
static void test_xdg_defaults(void)
{
    struct bw_options o;
    char err[512];

    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("XDG_STATE_HOME", "/x/state", 1);
    bw_opts_init(&o);
    bw_opts_apply(&o, "accounts=1", err, sizeof err);
    CHECK_INT(bw_opts_finish(&o, err, sizeof err), 0);
    CHECK_STR(o.cache_dir, "/x/cache/bwreportfs");
    CHECK_STR(o.state_dir, "/x/state/bwreportfs");
    bw_opts_free(&o);

    /* relative XDG values are invalid (base directory spec): HOME is used */
    setenv("XDG_CACHE_HOME", "rel", 1);
    unsetenv("XDG_STATE_HOME");
    setenv("HOME", "/home/someone", 1);
    bw_opts_init(&o);
    bw_opts_apply(&o, "accounts=1", err, sizeof err);
    CHECK_INT(bw_opts_finish(&o, err, sizeof err), 0);
    CHECK_STR(o.cache_dir, "/home/someone/.cache/bwreportfs");
    CHECK_STR(o.state_dir, "/home/someone/.local/state/bwreportfs");
    bw_opts_free(&o);

    /* given values win */
    bw_opts_init(&o);
    bw_opts_apply_list(&o, "accounts=1,cache_dir=/c,state_dir=/s", err, sizeof err);
    CHECK_INT(bw_opts_finish(&o, err, sizeof err), 0);
    CHECK_STR(o.cache_dir, "/c");
    CHECK_STR(o.state_dir, "/s");
    bw_opts_free(&o);

    /* without HOME: the password database */
    unsetenv("HOME");
    unsetenv("XDG_CACHE_HOME");
    bw_opts_init(&o);
    bw_opts_apply(&o, "accounts=1", err, sizeof err);
    CHECK_INT(bw_opts_finish(&o, err, sizeof err), 0);
    CHECK(o.cache_dir && o.cache_dir[0] == '/' && strstr(o.cache_dir, "/.cache/bwreportfs"));
    bw_opts_free(&o);
}

static void test_finish(void)
{
    struct bw_options o;
    char err[512];

    bw_opts_init(&o);
    CHECK_INT(bw_opts_finish(&o, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "accounts=") != NULL);
    bw_opts_apply_list(&o, "accounts=1,cache_dir=rel/dir", err, sizeof err);
    CHECK_INT(bw_opts_finish(&o, err, sizeof err), 0);
    CHECK(o.cache_dir && o.cache_dir[0] == '/');
    CHECK(o.cache_dir && strstr(o.cache_dir, "/rel/dir") != NULL);
    bw_opts_apply(&o, "cafile=/nonexistent/ca.pem", err, sizeof err);
    CHECK_INT(bw_opts_finish(&o, err, sizeof err), -ENOENT);
    CHECK(strstr(err, "cafile") != NULL);
    bw_opts_free(&o);
}

static void test_secret(void)
{
    CHECK(bw_opts_is_secret("password=hunter2"));
    CHECK(bw_opts_is_secret("PASSWORD=x"));
    CHECK(bw_opts_is_secret("client_secret=x"));
    CHECK(bw_opts_is_secret("token=abc"));
    CHECK(bw_opts_is_secret("bw_password"));
    CHECK(!bw_opts_is_secret("token_url=https://h/t"));
    CHECK(!bw_opts_is_secret("allow_other"));
    CHECK(!bw_opts_is_secret("api_url=https://h/password"));
}

static void test_help(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    CHECK(f != NULL);
    if (!f)
        return;
    bw_opts_print_help(f);
    fclose(f);
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        char want[128];
        if (d->type == BW_OPT_SWITCH)
            snprintf(want, sizeof want, "    %s", d->templ);
        else
            snprintf(want, sizeof want, "-o %s=%s", d->name, d->argname);
        CHECK(strstr(buf, want) != NULL);
        if (d->defval)
            CHECK(strstr(buf, d->defval) != NULL);
    }
    CHECK(strstr(buf, "Credentials:") && strstr(buf, "BW_CLIENT_ID") && strstr(buf, ".netrc"));
    for (char *line = buf; *line;) {
        size_t l = strcspn(line, "\n");
        CHECK(l <= 79);
        line += l + (line[l] ? 1 : 0);
    }
    free(buf);
}

int main(void)
{
    bw_log_init(BW_LOG_STDERR, BW_LOG_ERR);
    test_table();
    test_defaults();
    test_parse();
    test_size();
    test_finish();
    test_xdg_defaults();
    test_secret();
    test_help();
    return check_done("test_opts");
}
