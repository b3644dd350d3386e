/* opts: the one table of bwreportfs options, their defaults, parsing and help.
 *
 * Contract:
 *  - bw_opts_table[] is pure data: every option and command-line switch, its
 *    template ("api_url=%s", as fuse_opt spells it), where it is stored
 *    (offsetof into struct bw_options), its argument name, default and help.
 *    --help, docs/options.md and the man page are all generated from it; the
 *    FUSE front converts it to a struct fuse_opt[] (FUSE is never used here).
 *  - bw_opts_init() sets every default by parsing the table's default text,
 *    so a default can never disagree with what the docs print.
 *  - Values are validated when set; error text names the option and the
 *    problem, never echoes a value that could be a secret.
 *  - Not thread-safe: options are parsed once at start, then read-only.
 */
#ifndef BW_OPTS_H
#define BW_OPTS_H

#include <stddef.h>
#include <stdio.h>

#define BW_MAX_ACCOUNTS 256
#define BW_ACCOUNT_ID_MAX 20 /* digits */

struct bw_accounts {
    char **ids; /* NUL-terminated decimal strings */
    size_t n;
};

struct bw_options {
    char *api_url;              /* no trailing '/' */
    struct bw_accounts accounts;
    char *cafile;               /* absolute after bw_opts_finish(), or NULL */
    char *token_url;
    char *credentials;          /* absolute path, or NULL */
    char *cache_dir;            /* absolute path; bw_opts_finish() resolves the XDG default */
    char *state_dir;            /* absolute path; bw_opts_finish() resolves the XDG default */
    unsigned long long cache_size; /* bytes the report cache may hold */
    unsigned status_ttl;        /* seconds a status word is served from memory */
    unsigned connect_timeout;   /* seconds */
    unsigned stall_timeout;     /* seconds without a byte before a transfer fails */
    unsigned meta_ttl;          /* seconds a listing stays cached, >= 1 */
};

enum bw_opt_type {
    BW_OPT_URL,      /* char *: http:// or https:// URL, no userinfo */
    BW_OPT_PATH,     /* char *: file system path, made absolute */
    BW_OPT_SECONDS,  /* unsigned: decimal seconds in [min, max] */
    BW_OPT_ACCOUNTS, /* struct bw_accounts: ID[:ID...], decimal ids */
    BW_OPT_SIZE,     /* unsigned long long: bytes, with an optional K/M/G/T suffix (1024) */
    BW_OPT_SWITCH,   /* command-line switch, no value, no storage */
};

/* Switches the FUSE front acts on itself; others are left to libfuse. */
enum bw_opt_switch {
    BW_SW_NONE = 0,
    BW_SW_HELP,
    BW_SW_VERSION,
    BW_SW_FOREGROUND,
    BW_SW_DEBUG,
    BW_SW_SINGLE,
};


struct bw_optdesc {
    const char *name;    /* "api_url", or the switch "-f" */
    const char *templ;   /* fuse_opt template: "api_url=%s", "-f" */
    const char *alias;   /* second spelling of a switch ("--help"), or NULL */
    enum bw_opt_type type;
    enum bw_opt_switch sw;
    size_t offset;       /* offsetof(struct bw_options, ...); unused for switches */
    const char *argname; /* "URL", "SECONDS"; NULL for switches */
    const char *defval;  /* default as option text, or NULL */
    unsigned min, max;   /* BW_OPT_SECONDS range */
    unsigned long long size_min; /* BW_OPT_SIZE lower bound, bytes */
    const char *help;    /* one paragraph of plain text */
};

extern const struct bw_optdesc bw_opts_table[];
extern const size_t bw_opts_count;

/* Environment variables the program reads (documented with the options). */
struct bw_envdesc {
    const char *name;
    const char *help;
};
extern const struct bw_envdesc bw_opts_env[];
extern const size_t bw_opts_env_count;

/* Where credentials come from, in order of precedence: one paragraph each,
 * NULL-terminated (printed by --help, docs/options.md and the man page). */
extern const char *const bw_opts_credentials_help[];

/* "bwreportfs [FUSE options] [-o OPTION[,OPTION...]] MOUNTPOINT" */
extern const char bw_opts_usage[];
/* One paragraph on what the program does. */
extern const char bw_opts_summary[];

/* Zero *o and set every table default. Returns 0 or -ENOMEM. */
int bw_opts_init(struct bw_options *o);

/* The descriptor whose template matches "name=value" (or a switch), or NULL.
 * On a match *value points into arg after '=' (NULL for switches). */
const struct bw_optdesc *bw_opts_match(const char *arg, const char **value);

/* Parse and store one value for d. 0, -EINVAL (err filled) or -ENOMEM. */
int bw_opts_set(struct bw_options *o, const struct bw_optdesc *d, const char *value, char *err,
                size_t errlen);

/* Apply one "name=value". -ENOENT if no table entry matches it. */
int bw_opts_apply(struct bw_options *o, const char *arg, char *err, size_t errlen);

/* Apply a comma-separated list, as in "-o a=1,b=2"; every item must match. */
int bw_opts_apply_list(struct bw_options *o, const char *list, char *err, size_t errlen);

/* Cross-checks after parsing: accounts given, paths made absolute, cafile
 * readable, cache_dir and state_dir defaulted from $XDG_CACHE_HOME /
 * $XDG_STATE_HOME (else $HOME/.cache, $HOME/.local/state). */
int bw_opts_finish(struct bw_options *o, char *err, size_t errlen);

/* Non-zero if arg ("name=value" or "name") names something that carries a
 * secret (password, secret, token value); such options are refused without
 * echoing them. */
int bw_opts_is_secret(const char *arg);

/* Free every string; leaves *o zeroed. */
void bw_opts_free(struct bw_options *o);

/* Print the option list for --help (no usage line). */
void bw_opts_print_help(FILE *out);

/* Accessors for generators and tests. */
const char *bw_opts_type_name(enum bw_opt_type t);

/* A byte count: a whole number with an optional K, M, G or T suffix (powers
 * of 1024; "KiB"/"KB" spellings too): "10G" is 10 GiB, "1.5G" is refused.
 * 0, or -EINVAL (empty, bad suffix, overflow). */
int bw_opts_parse_size(const char *text, unsigned long long *out);

#endif
