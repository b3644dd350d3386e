/* opts: the option table (pure data) and the parsing, defaults and --help built on it. */
#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

#define OFF(field) offsetof(struct bw_options, field)

const struct bw_optdesc bw_opts_table[] = {
    {.name = "api_url", .templ = "api_url=%s", .type = BW_OPT_URL, .offset = OFF(api_url),
     .argname = "URL", .defval = "https://api.bandwidth.com/api",
     .help = "Base URL of the Bandwidth API; every call is URL/accounts/ID/... "
             "Other bases seen in the wild: https://dashboard.bandwidth.com/api, "
             "https://api.bandwidth.com/v1.0. Must be http:// or https:// and carry no "
             "user name or password."},
    {.name = "accounts", .templ = "accounts=%s", .type = BW_OPT_ACCOUNTS, .offset = OFF(accounts),
     .argname = "ID[:ID...]",
     .help = "Account ids to mount, separated by colons; each becomes a directory at the "
             "top of the mount. Required. The first one is checked before mounting."},
    {.name = "cafile", .templ = "cafile=%s", .type = BW_OPT_PATH, .offset = OFF(cafile),
     .argname = "PATH",
     .help = "PEM file of extra certificate authorities to trust, in addition to the "
             "system's. TLS certificates and host names are always verified."},
    {.name = "token_url", .templ = "token_url=%s", .type = BW_OPT_URL, .offset = OFF(token_url),
     .argname = "URL", .defval = "https://api.bandwidth.com/api/v1/oauth2/token",
     .help = "OAuth2 token endpoint, used when the credentials are a client id and secret "
             "(BW_CLIENT_ID and BW_CLIENT_SECRET): access tokens are fetched from it with "
             "the client credentials grant, shared by all requests and renewed before they "
             "expire."},
    {.name = "credentials", .templ = "credentials=%s", .type = BW_OPT_PATH,
     .offset = OFF(credentials), .argname = "FILE",
     .help = "File holding the credentials as KEY=VALUE lines, with the keys of the "
             "environment variables: BW_CLIENT_ID and BW_CLIENT_SECRET, or BW_USERNAME and "
             "BW_PASSWORD. Lines starting with # and blank lines are ignored; a value may be "
             "quoted. The file must belong to the user running bwreportfs and grant no "
             "permission to group or others (chmod 600), or bwreportfs refuses to start. "
             "Used only when neither pair of environment variables is set. Secrets are "
             "never accepted on the command line."},
    {.name = "cache_dir", .templ = "cache_dir=%s", .type = BW_OPT_PATH, .offset = OFF(cache_dir),
     .argname = "PATH",
     .help = "Directory where downloaded report files are cached, kept across mounts. "
             "Default: $XDG_CACHE_HOME/bwreportfs, or ~/.cache/bwreportfs when "
             "XDG_CACHE_HOME is unset."},
    {.name = "cache_size", .templ = "cache_size=%s", .type = BW_OPT_SIZE,
     .offset = OFF(cache_size), .argname = "SIZE", .defval = "10G",
     .size_min = 1024ull * 1024,
     .help = "Most bytes of report files kept in cache_dir; when a new download needs the "
             "room, the least recently used reports are removed. A whole number of bytes, "
             "or with a K, M, G or T suffix (powers of 1024): 512M, 10G."},
    {.name = "state_dir", .templ = "state_dir=%s", .type = BW_OPT_PATH, .offset = OFF(state_dir),
     .argname = "PATH",
     .help = "Directory where the ids of requested reports are remembered across mounts. "
             "Default: $XDG_STATE_HOME/bwreportfs, or ~/.local/state/bwreportfs when "
             "XDG_STATE_HOME is unset."},
    {.name = "connect_timeout", .templ = "connect_timeout=%s", .type = BW_OPT_SECONDS,
     .offset = OFF(connect_timeout), .argname = "SECONDS", .defval = "10", .min = 1,
     .max = 600,
     .help = "Give up connecting to the API (TCP and TLS handshake) after this many "
             "seconds; the call fails with ETIMEDOUT."},
    {.name = "stall_timeout", .templ = "stall_timeout=%s", .type = BW_OPT_SECONDS,
     .offset = OFF(stall_timeout), .argname = "SECONDS", .defval = "30", .min = 1, .max = 3600,
     .help = "Abort a transfer that received no data for this many seconds; the call "
             "fails with ETIMEDOUT."},
    {.name = "meta_ttl", .templ = "meta_ttl=%s", .type = BW_OPT_SECONDS, .offset = OFF(meta_ttl),
     .argname = "SECONDS", .defval = "60", .min = 1, .max = 86400,
     .help = "How long a directory listing fetched from the API (such as the report "
             "types) is reused before it is fetched again. Also the kernel's attribute "
             "and entry timeout unless attr_timeout or entry_timeout are given."},
    {.name = "status_ttl", .templ = "status_ttl=%s", .type = BW_OPT_SECONDS,
     .offset = OFF(status_ttl), .argname = "SECONDS", .defval = "2", .min = 1, .max = 60,
     .help = "How long an instance's status word, once fetched, is served from memory "
             "before the API is asked again; a status file shows a change within about "
             "this many seconds."},
    {.name = "-f", .templ = "-f", .type = BW_OPT_SWITCH, .sw = BW_SW_FOREGROUND,
     .help = "Stay in the foreground and log to stderr instead of syslog."},
    {.name = "-d", .templ = "-d", .type = BW_OPT_SWITCH, .sw = BW_SW_DEBUG,
     .help = "Debug: implies -f, logs every FUSE request and bwreportfs's debug lines. "
             "Headers and secrets are never logged."},
    {.name = "-s", .templ = "-s", .type = BW_OPT_SWITCH, .sw = BW_SW_SINGLE,
     .help = "Serve one request at a time (single-threaded)."},
    {.name = "-h", .templ = "-h", .alias = "--help", .type = BW_OPT_SWITCH, .sw = BW_SW_HELP,
     .help = "Print this help, with libfuse's own options, and exit."},
    {.name = "-V", .templ = "-V", .alias = "--version", .type = BW_OPT_SWITCH,
     .sw = BW_SW_VERSION, .help = "Print the versions of bwreportfs and libfuse and exit."},
};

const size_t bw_opts_count = sizeof bw_opts_table / sizeof bw_opts_table[0];

const struct bw_envdesc bw_opts_env[] = {
    {"BW_CLIENT_ID", "OAuth2 client id (client credentials grant, see token_url). Takes "
                     "precedence over every other source of credentials."},
    {"BW_CLIENT_SECRET", "Secret of that OAuth2 client. Needed with BW_CLIENT_ID."},
    {"BW_USERNAME", "Name of a Bandwidth API user (HTTP Basic). Used when BW_CLIENT_ID is "
                    "not set."},
    {"BW_PASSWORD", "Password of that API user. Needed with BW_USERNAME. Secrets are read "
                    "from the environment, a credentials file or ~/.netrc, never from the "
                    "command line, and never logged."},
    {"XDG_CACHE_HOME", "Base of the default cache_dir ($XDG_CACHE_HOME/bwreportfs); "
                       "ignored unless it is an absolute path."},
    {"XDG_STATE_HOME", "Base of the default state_dir ($XDG_STATE_HOME/bwreportfs); "
                       "ignored unless it is an absolute path."},
    {"HOME", "Home directory: where ~/.netrc is read, and the base of cache_dir "
             "(~/.cache/bwreportfs) and state_dir (~/.local/state/bwreportfs) when the XDG "
             "variables are unset. Without HOME, those two fall back on the home directory "
             "in the password database, and no ~/.netrc is read."},
};
const size_t bw_opts_env_count = sizeof bw_opts_env / sizeof bw_opts_env[0];

const char *const bw_opts_credentials_help[] = {
    "Credentials are never given on the command line. bwreportfs takes the first of these "
    "sources that is present, and says which one it uses at start-up (never the secret):",
    "1. OAuth2 client credentials from the environment: BW_CLIENT_ID and BW_CLIENT_SECRET. "
    "An access token is requested from token_url (grant_type=client_credentials, the client "
    "id and secret sent as HTTP Basic), shared by every request and renewed shortly before "
    "it expires; API calls then send it as a Bearer token.",
    "2. An API user from the environment: BW_USERNAME and BW_PASSWORD (HTTP Basic).",
    "3. The file named by -o credentials=FILE, holding either pair as KEY=VALUE lines "
    "(a client id and secret are used as in 1, a user and password as in 2). The file must "
    "be owned by the user running bwreportfs and readable by nobody else (chmod 600).",
    "4. ~/.netrc: the login and password of the machine entry for api_url's host (or the "
    "default entry), as HTTP Basic. If that entry is used, ~/.netrc must be private as well "
    "(owned by the user, chmod 600).",
    "Setting only one variable of a pair is an error rather than a reason to look further. "
    "Wrong credentials are reported at start-up, before mounting, with exit status 1.",
    NULL,
};

const char bw_opts_usage[] = "bwreportfs [FUSE options] [-o OPTION[,OPTION...]] MOUNTPOINT";

const char bw_opts_summary[] =
    "bwreportfs mounts the reports of one or more Bandwidth accounts as a file "
    "system: one directory per account, with the account's report types under "
    "reports/ and its billing reports under billing/. Finished reports are ordinary "
    "files; writing a parameter file to a type's `new` requests a report, and "
    "everything else is read-only. Before mounting it checks the "
    "credentials with one API call and exits with status 1 if that fails. It then "
    "runs in the background unless -f or -d is given.";

const char *bw_opts_type_name(enum bw_opt_type t)
{
    switch (t) {
    case BW_OPT_URL: return "url";
    case BW_OPT_PATH: return "path";
    case BW_OPT_SECONDS: return "seconds";
    case BW_OPT_ACCOUNTS: return "accounts";
    case BW_OPT_SIZE: return "size";
    case BW_OPT_SWITCH: return "switch";
    }
    return "?";
}

static void *field(struct bw_options *o, const struct bw_optdesc *d)
{
    return (char *)o + d->offset;
}

static int fail(char *err, size_t errlen, const struct bw_optdesc *d, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "option %s: %s", d->name, why);
    return -EINVAL;
}

static int has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int set_url(char **dst, const struct bw_optdesc *d, const char *v, char *err, size_t errlen)
{
    size_t skip;

    if (strncasecmp(v, "https://", 8) == 0)
        skip = 8;
    else if (strncasecmp(v, "http://", 7) == 0)
        skip = 7;
    else
        return fail(err, errlen, d, "must start with http:// or https://");
    if (has_ctl(v))
        return fail(err, errlen, d, "must not contain spaces or control characters");
    const char *host = v + skip;
    size_t hostlen = strcspn(host, "/?#");
    if (hostlen == 0)
        return fail(err, errlen, d, "has no host");
    if (memchr(host, '@', hostlen))
        return fail(err, errlen, d, "must not carry a user name or password");
    if (strpbrk(host, "?#"))
        return fail(err, errlen, d, "must not have a query or fragment");

    size_t len = strlen(v);
    while (len > skip + hostlen && v[len - 1] == '/')
        len--;
    char *copy = strndup(v, len);
    if (!copy)
        return -ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

static int set_path(char **dst, const struct bw_optdesc *d, const char *v, char *err, size_t errlen)
{
    if (!*v)
        return fail(err, errlen, d, "needs a path");
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20)
            return fail(err, errlen, d, "must not contain control characters");
    if (strlen(v) >= PATH_MAX)
        return fail(err, errlen, d, "path too long");
    char *copy = strdup(v);
    if (!copy)
        return -ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

static int set_seconds(unsigned *dst, const struct bw_optdesc *d, const char *v, char *err,
                       size_t errlen)
{
    char why[96];
    unsigned long n = 0;

    if (!*v)
        return fail(err, errlen, d, "needs a number of seconds");
    for (const char *p = v; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return fail(err, errlen, d, "must be a whole number of seconds");
        n = n * 10 + (unsigned long)(*p - '0');
        if (n > d->max)
            break;
    }
    if (n < d->min || n > d->max) {
        snprintf(why, sizeof why, "must be between %u and %u seconds", d->min, d->max);
        return fail(err, errlen, d, why);
    }
    *dst = (unsigned)n;
    return 0;
}

int bw_opts_parse_size(const char *text, unsigned long long *out)
{
    static const char units[] = "KMGT";
    unsigned long long n = 0, mult = 1;
    const char *p = text;

    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n > (ULLONG_MAX - d) / 10)
            return -EINVAL;
        n = n * 10 + d;
    }
    if (*p) {
        const char *u = strchr(units, toupper((unsigned char)*p));
        if (!u)
            return -EINVAL;
        for (const char *q = units; q <= u; q++)
            mult *= 1024;
        p++;
        /* "10G", "10GB" and "10GiB" all mean 10 * 2^30 */
        if (*p == 'i' || *p == 'I')
            p++;
        if (*p == 'b' || *p == 'B')
            p++;
        if (*p)
            return -EINVAL;
    }
    if (n > ULLONG_MAX / mult)
        return -EINVAL;
    *out = n * mult;
    return 0;
}

static int set_size(unsigned long long *dst, const struct bw_optdesc *d, const char *v, char *err,
                    size_t errlen)
{
    unsigned long long n;
    char why[96];

    if (bw_opts_parse_size(v, &n) != 0)
        return fail(err, errlen, d, "must be a whole number of bytes with an optional K, M, G or "
                                    "T suffix (512M, 10G)");
    if (n < d->size_min) {
        snprintf(why, sizeof why, "must be at least %llu bytes", d->size_min);
        return fail(err, errlen, d, why);
    }
    *dst = n;
    return 0;
}

static void accounts_free(struct bw_accounts *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->ids[i]);
    free(a->ids);
    a->ids = NULL;
    a->n = 0;
}

static int set_accounts(struct bw_accounts *dst, const struct bw_optdesc *d, const char *v,
                        char *err, size_t errlen)
{
    struct bw_accounts a = {0};
    int rc = 0;

    if (!*v)
        return fail(err, errlen, d, "needs at least one account id");
    a.ids = calloc(BW_MAX_ACCOUNTS, sizeof *a.ids);
    if (!a.ids)
        return -ENOMEM;
    for (const char *p = v;;) {
        size_t len = strcspn(p, ":");
        if (len == 0 || len > BW_ACCOUNT_ID_MAX) {
            rc = fail(err, errlen, d, "each account id must be 1 to 20 digits");
            goto out;
        }
        for (size_t i = 0; i < len; i++)
            if (!isdigit((unsigned char)p[i])) {
                rc = fail(err, errlen, d, "account ids are decimal numbers");
                goto out;
            }
        for (size_t i = 0; i < a.n; i++)
            if (strlen(a.ids[i]) == len && memcmp(a.ids[i], p, len) == 0) {
                rc = fail(err, errlen, d, "an account id is listed twice");
                goto out;
            }
        if (a.n == BW_MAX_ACCOUNTS) {
            rc = fail(err, errlen, d, "too many accounts (at most 256)");
            goto out;
        }
        a.ids[a.n] = strndup(p, len);
        if (!a.ids[a.n]) {
            rc = -ENOMEM;
            goto out;
        }
        a.n++;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    accounts_free(dst);
    *dst = a;
    return 0;
out:
    accounts_free(&a);
    return rc;
}

int bw_opts_set(struct bw_options *o, const struct bw_optdesc *d, const char *value, char *err,
                size_t errlen)
{
    if (d->type != BW_OPT_SWITCH && !value)
        return fail(err, errlen, d, "needs a value");
    switch (d->type) {
    case BW_OPT_URL: return set_url(field(o, d), d, value, err, errlen);
    case BW_OPT_PATH: return set_path(field(o, d), d, value, err, errlen);
    case BW_OPT_SECONDS: return set_seconds(field(o, d), d, value, err, errlen);
    case BW_OPT_ACCOUNTS: return set_accounts(field(o, d), d, value, err, errlen);
    case BW_OPT_SIZE: return set_size(field(o, d), d, value, err, errlen);
    case BW_OPT_SWITCH: return 0;
    }
    return fail(err, errlen, d, "unknown option type");
}

int bw_opts_init(struct bw_options *o)
{
    char err[128];

    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        if (d->type == BW_OPT_SWITCH || !d->defval)
            continue;
        int rc = bw_opts_set(o, d, d->defval, err, sizeof err);
        if (rc) {
            bw_opts_free(o);
            return rc;
        }
    }
    return 0;
}

const struct bw_optdesc *bw_opts_match(const char *arg, const char **value)
{
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        if (d->type == BW_OPT_SWITCH) {
            if (strcmp(arg, d->templ) == 0 || (d->alias && strcmp(arg, d->alias) == 0)) {
                if (value)
                    *value = NULL;
                return d;
            }
            continue;
        }
        size_t n = strlen(d->name);
        if (strncmp(arg, d->name, n) == 0 && arg[n] == '=') {
            if (value)
                *value = arg + n + 1;
            return d;
        }
    }
    return NULL;
}

int bw_opts_apply(struct bw_options *o, const char *arg, char *err, size_t errlen)
{
    const char *value;
    const struct bw_optdesc *d = bw_opts_match(arg, &value);

    if (!d || d->type == BW_OPT_SWITCH) {
        if (err && errlen)
            snprintf(err, errlen, "unknown option");
        return -ENOENT;
    }
    return bw_opts_set(o, d, value, err, errlen);
}

int bw_opts_apply_list(struct bw_options *o, const char *list, char *err, size_t errlen)
{
    char *copy = strdup(list), *save = NULL;
    int rc = 0;

    if (!copy)
        return -ENOMEM;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        rc = bw_opts_apply(o, item, err, errlen);
        if (rc)
            break;
    }
    free(copy);
    return rc;
}

static int make_absolute(char **path)
{
    char cwd[PATH_MAX], *abs;

    if (!*path || (*path)[0] == '/')
        return 0;
    if (!getcwd(cwd, sizeof cwd))
        return -errno;
    size_t need = strlen(cwd) + 1 + strlen(*path) + 1;
    abs = malloc(need);
    if (!abs)
        return -ENOMEM;
    snprintf(abs, need, "%s/%s", cwd, *path);
    free(*path);
    *path = abs;
    return 0;
}

/* The user's home: $HOME, else the password database (a daemon started by a
 * service manager may run without HOME). NULL if neither knows. */
static char *home_dir(void)
{
    const char *h = getenv("HOME");
    if (h && h[0] == '/')
        return strdup(h);
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_dir &&
        res->pw_dir[0] == '/')
        return strdup(res->pw_dir);
    return NULL;
}

/* *path = $XDG_VAR/bwreportfs, else HOME/fallback/bwreportfs (XDG base
 * directory spec: a relative XDG_* value is invalid and ignored). */
static int xdg_default(char **path, const char *xdg_var, const char *fallback,
                       const struct bw_optdesc *d, char *err, size_t errlen)
{
    const char *base = getenv(xdg_var);
    char *home = NULL;
    size_t need;

    if (*path)
        return 0;
    if (!base || base[0] != '/') {
        if (!(home = home_dir())) {
            snprintf(err, errlen, "option %s: no default without HOME or %s: give -o %s=PATH",
                     d->name, xdg_var, d->name);
            return -EINVAL;
        }
        need = strlen(home) + strlen(fallback) + sizeof "/bwreportfs" + 1;
        *path = malloc(need);
        if (*path)
            snprintf(*path, need, "%s/%s/bwreportfs", home, fallback);
        free(home);
    } else {
        need = strlen(base) + sizeof "/bwreportfs";
        *path = malloc(need);
        if (*path)
            snprintf(*path, need, "%s/bwreportfs", base);
    }
    if (!*path)
        return -ENOMEM;
    if (strlen(*path) >= PATH_MAX) {
        snprintf(err, errlen, "option %s: the default path is too long: give -o %s=PATH",
                 d->name, d->name);
        return -ENAMETOOLONG;
    }
    return 0;
}

static const struct bw_optdesc *find_desc(const char *name)
{
    for (size_t i = 0; i < bw_opts_count; i++)
        if (strcmp(bw_opts_table[i].name, name) == 0)
            return &bw_opts_table[i];
    return NULL;
}

int bw_opts_finish(struct bw_options *o, char *err, size_t errlen)
{
    int rc;

    if (o->accounts.n == 0) {
        snprintf(err, errlen, "no account given: use -o accounts=ID[:ID...]");
        return -EINVAL;
    }
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        if (d->type != BW_OPT_PATH)
            continue;
        char **p = field(o, d);
        rc = make_absolute(p);
        if (rc) {
            snprintf(err, errlen, "option %s: cannot make the path absolute: %s", d->name,
                     strerror(-rc));
            return rc;
        }
    }
    if ((rc = xdg_default(&o->cache_dir, "XDG_CACHE_HOME", ".cache", find_desc("cache_dir"), err,
                          errlen)) ||
        (rc = xdg_default(&o->state_dir, "XDG_STATE_HOME", ".local/state",
                          find_desc("state_dir"), err, errlen))) {
        if (rc == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        return rc;
    }
    if (o->cafile && access(o->cafile, R_OK) != 0) {
        int e = errno;
        snprintf(err, errlen, "option cafile: %s: %s", o->cafile, strerror(e));
        return -e;
    }
    return 0;
}

int bw_opts_is_secret(const char *arg)
{
    static const char *const words[] = {"password", "passwd", "secret", "token", "bearer",
                                        "apikey", "api_key"};
    char name[64];
    size_t n = strcspn(arg, "=");

    if (n >= sizeof name)
        n = sizeof name - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)tolower((unsigned char)arg[i]);
    name[n] = '\0';
    const struct bw_optdesc *d = bw_opts_match(arg, NULL);
    if (d && d->type != BW_OPT_SWITCH)
        return 0; /* a table option (token_url names a URL, not a token) */
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(name, words[i]))
            return 1;
    return 0;
}

void bw_opts_free(struct bw_options *o)
{
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        if (d->type == BW_OPT_URL || d->type == BW_OPT_PATH) {
            char **p = field(o, d);
            free(*p);
            *p = NULL;
        } else if (d->type == BW_OPT_ACCOUNTS) {
            accounts_free(field(o, d));
        }
    }
    memset(o, 0, sizeof *o);
}

/* Print text wrapped to width, every line indented by indent columns. */
static void wrap(FILE *out, const char *text, int indent, int width)
{
    int col = indent;

    fprintf(out, "%*s", indent, "");
    while (*text) {
        while (*text == ' ')
            text++;
        int wlen = (int)strcspn(text, " ");
        if (wlen == 0)
            break;
        if (col > indent && col + 1 + wlen > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, (size_t)wlen, out);
        col += wlen;
        text += wlen;
    }
    fputc('\n', out);
}

void bw_opts_print_help(FILE *out)
{
    fputs("bwreportfs options:\n", out);
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        if (d->type == BW_OPT_SWITCH)
            fprintf(out, "    %s%s%s\n", d->templ, d->alias ? ", " : "", d->alias ? d->alias : "");
        else
            fprintf(out, "    -o %s=%s\n", d->name, d->argname);
        wrap(out, d->help, 8, 79);
        if (d->defval)
            fprintf(out, "        Default: %s\n", d->defval);
    }
    fputs("\nCredentials:\n", out);
    for (size_t i = 0; bw_opts_credentials_help[i]; i++)
        wrap(out, bw_opts_credentials_help[i], 4, 79);
}
