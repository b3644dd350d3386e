/* opts: the option table (pure data) and the parsing, defaults and --help built on it. */
#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
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
     .flags = BW_OPTF_PENDING,
     .help = "OAuth2 token endpoint used with client credentials (client id and secret) "
             "instead of a Basic API user."},
    {.name = "credentials", .templ = "credentials=%s", .type = BW_OPT_PATH,
     .offset = OFF(credentials), .argname = "FILE", .flags = BW_OPTF_PENDING,
     .help = "File holding the credentials (Basic user or OAuth2 client); it must not be "
             "readable by others. Secrets are never accepted on the command line."},
    {.name = "cache_dir", .templ = "cache_dir=%s", .type = BW_OPT_PATH, .offset = OFF(cache_dir),
     .argname = "PATH", .flags = BW_OPTF_PENDING,
     .help = "Directory where downloaded report files are cached. Default: "
             "$XDG_CACHE_HOME/bwreportfs."},
    {.name = "state_dir", .templ = "state_dir=%s", .type = BW_OPT_PATH, .offset = OFF(state_dir),
     .argname = "PATH", .flags = BW_OPTF_PENDING,
     .help = "Directory where the ids of requested reports are remembered across mounts. "
             "Default: $XDG_STATE_HOME/bwreportfs."},
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
    {"BW_USERNAME", "Name of the Bandwidth API user (HTTP Basic)."},
    {"BW_PASSWORD", "Password of that API user. Secrets are read from the environment "
                    "(or, in a later version, a credentials file), never from the command "
                    "line, and never logged."},
};
const size_t bw_opts_env_count = sizeof bw_opts_env / sizeof bw_opts_env[0];

const char bw_opts_usage[] = "bwreportfs [FUSE options] [-o OPTION[,OPTION...]] MOUNTPOINT";

const char bw_opts_summary[] =
    "bwreportfs mounts the reports of one or more Bandwidth accounts as a read-only "
    "file system: one directory per account, with the account's report types under "
    "reports/ and its billing reports under billing/. Before mounting it checks the "
    "credentials with one API call and exits with status 1 if that fails. It then "
    "runs in the background unless -f or -d is given.";

const char *bw_opts_type_name(enum bw_opt_type t)
{
    switch (t) {
    case BW_OPT_URL: return "url";
    case BW_OPT_PATH: return "path";
    case BW_OPT_SECONDS: return "seconds";
    case BW_OPT_ACCOUNTS: return "accounts";
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

int bw_opts_finish(struct bw_options *o, char *err, size_t errlen)
{
    if (o->accounts.n == 0) {
        snprintf(err, errlen, "no account given: use -o accounts=ID[:ID...]");
        return -EINVAL;
    }
    for (size_t i = 0; i < bw_opts_count; i++) {
        const struct bw_optdesc *d = &bw_opts_table[i];
        if (d->type != BW_OPT_PATH)
            continue;
        char **p = field(o, d);
        int rc = make_absolute(p);
        if (rc) {
            snprintf(err, errlen, "option %s: cannot make the path absolute: %s", d->name,
                     strerror(-rc));
            return rc;
        }
        if (*p && (d->flags & BW_OPTF_PENDING))
            BW_INFO("opts", "option %s is accepted but not used by this version yet", d->name);
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
        if (d->flags & BW_OPTF_PENDING)
            fputs("        (Accepted and checked; not used by this version yet.)\n", out);
    }
}
