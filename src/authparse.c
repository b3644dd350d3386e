/* authparse: credentials file, ~/.netrc and token JSON parsers, private
 * file reading (see authparse.h). */
#include "authparse.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void bw_authparse_wipe_creds(struct bw_creds *c)
{
    explicit_bzero(c, sizeof *c);
}

/* ---- credentials file ---------------------------------------------------- */

static const struct {
    const char *key;
    size_t off, size;
} cred_keys[] = {
    {"BW_CLIENT_ID", offsetof(struct bw_creds, client_id), BW_AUTH_ID_MAX},
    {"BW_CLIENT_SECRET", offsetof(struct bw_creds, client_secret), BW_AUTH_SECRET_MAX},
    {"BW_USERNAME", offsetof(struct bw_creds, username), BW_AUTH_ID_MAX},
    {"BW_PASSWORD", offsetof(struct bw_creds, password), BW_AUTH_SECRET_MAX},
};

static int line_err(char *err, size_t errlen, const char *name, unsigned line, const char *what)
{
    snprintf(err, errlen, "%s, line %u: %s", name, line, what);
    return -EINVAL;
}

int bw_authparse_credfile(const char *text, size_t len, const char *name, struct bw_creds *out,
                          char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    unsigned lineno = 0;
    char what[160];

    memset(out, 0, sizeof *out);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        if (!eol)
            eol = end;
        lineno++;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        const char *le = eol;
        while (le > p && (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
            le--;
        if (p == le || *p == '#') {
            p = next;
            continue;
        }
        /* shell-style files ("export BW_USERNAME=...") can be sourced as well */
        if ((size_t)(le - p) > 7 && memcmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
            p += 7;
            while (p < le && (*p == ' ' || *p == '\t'))
                p++;
        }
        const char *k = p;
        while (p < le && (isalnum((unsigned char)*p) || *p == '_'))
            p++;
        size_t klen = (size_t)(p - k);
        while (p < le && (*p == ' ' || *p == '\t'))
            p++;
        if (klen == 0 || p == le || *p != '=')
            return line_err(err, errlen, name, lineno, "expected KEY=VALUE");
        p++;
        while (p < le && (*p == ' ' || *p == '\t'))
            p++;
        const char *v = p, *ve = le;
        if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
            v++;
            ve--;
        }
        size_t i, n = sizeof cred_keys / sizeof cred_keys[0];
        for (i = 0; i < n; i++)
            if (strlen(cred_keys[i].key) == klen && memcmp(cred_keys[i].key, k, klen) == 0)
                break;
        if (i == n) {
            /* a BW_ typo is worth showing; anything else might be a pasted secret */
            int show = klen > 3 && memcmp(k, "BW_", 3) == 0;
            snprintf(what, sizeof what,
                     "unknown key%s%.*s (known: BW_CLIENT_ID, BW_CLIENT_SECRET, BW_USERNAME, "
                     "BW_PASSWORD)",
                     show ? " " : "", show ? (int)(klen > 40 ? 40 : klen) : 0, k);
            return line_err(err, errlen, name, lineno, what);
        }
        char *dst = (char *)out + cred_keys[i].off;
        if (dst[0]) {
            snprintf(what, sizeof what, "%s is given twice", cred_keys[i].key);
            return line_err(err, errlen, name, lineno, what);
        }
        if (ve == v) {
            snprintf(what, sizeof what, "%s is empty", cred_keys[i].key);
            return line_err(err, errlen, name, lineno, what);
        }
        if ((size_t)(ve - v) >= cred_keys[i].size) {
            snprintf(what, sizeof what, "the value of %s is too long", cred_keys[i].key);
            return line_err(err, errlen, name, lineno, what);
        }
        for (const char *c = v; c < ve; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                snprintf(what, sizeof what, "the value of %s has a control character",
                         cred_keys[i].key);
                return line_err(err, errlen, name, lineno, what);
            }
        memcpy(dst, v, (size_t)(ve - v));
        dst[ve - v] = '\0';
        p = next;
    }
    return 0;
}

/* ---- ~/.netrc ------------------------------------------------------------ */

struct netrc_lexer {
    const char *p, *end;
    unsigned line;
    int line_start; /* only whitespace since the last newline */
};

/* Next whitespace-separated token into buf (quoted "..." with \-escapes).
 * 1: got one; 0: end of input; -E2BIG: longer than buf. */
static int netrc_token(struct netrc_lexer *lx, char *buf, size_t size, int allow_comment)
{
    for (;;) {
        while (lx->p < lx->end && isspace((unsigned char)*lx->p)) {
            if (*lx->p == '\n') {
                lx->line++;
                lx->line_start = 1;
            }
            lx->p++;
        }
        if (lx->p == lx->end)
            return 0;
        /* '#' opens a comment line (as Python's netrc and curl read it), but
         * only where a keyword is due: a password may start with '#'. */
        if (allow_comment && lx->line_start && *lx->p == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
            continue;
        }
        break;
    }
    lx->line_start = 0;
    size_t n = 0;
    int quoted = *lx->p == '"';
    if (quoted)
        lx->p++;
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (quoted ? c == '"' : isspace((unsigned char)c))
            break;
        if (quoted && c == '\\' && lx->p + 1 < lx->end)
            c = *++lx->p;
        if (c == '\n')
            lx->line++;
        if (n + 1 >= size)
            return -E2BIG;
        buf[n++] = c;
        lx->p++;
    }
    if (quoted && lx->p < lx->end)
        lx->p++; /* closing quote */
    buf[n] = '\0';
    return 1;
}

/* Skip a macdef body: everything up to the next empty line. */
static void netrc_skip_macro(struct netrc_lexer *lx)
{
    while (lx->p < lx->end && *lx->p != '\n')
        lx->p++; /* rest of the macdef line */
    while (lx->p < lx->end) {
        lx->p++;
        lx->line++;
        if (lx->p < lx->end && *lx->p == '\n')
            break;
        while (lx->p < lx->end && *lx->p != '\n')
            lx->p++;
    }
    lx->line_start = 1;
}

/* One entry's fields, and whether it is the host's (1), the default (2) or
 * another machine's (3). */
struct netrc_entry {
    int kind, have_user, have_pass;
    unsigned line;
    char user[BW_AUTH_ID_MAX];
    char pass[BW_AUTH_SECRET_MAX];
};

int bw_authparse_netrc(const char *text, size_t len, const char *host, char *user,
                       size_t userlen, char *password, size_t passlen, int *found, char *err,
                       size_t errlen)
{
    struct netrc_lexer lx = {.p = text, .end = text + len, .line = 1, .line_start = 1};
    char tok[BW_AUTH_SECRET_MAX];
    /* cur: the entry being read; best: the host's entry, else the default one */
    struct netrc_entry *cur = calloc(2, sizeof *cur), *best;
    int rc = 0;

    *found = 0;
    user[0] = password[0] = '\0';
    if (!cur) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    best = cur + 1;
    for (;;) {
        int t = netrc_token(&lx, tok, sizeof tok, 1);
        if (t < 0)
            goto bad;
        if (t == 0 || strcmp(tok, "machine") == 0 || strcmp(tok, "default") == 0) {
            /* the previous entry ends: the host's wins at once; a default
             * entry only if no machine entry matches (it should come last) */
            if (cur->have_user && (cur->kind == 1 || (cur->kind == 2 && best->kind == 0)))
                *best = *cur;
            if (best->kind == 1 || t == 0)
                break;
            explicit_bzero(cur, sizeof *cur);
            cur->line = lx.line;
            if (strcmp(tok, "default") == 0) {
                cur->kind = 2;
                continue;
            }
            if (netrc_token(&lx, tok, sizeof tok, 0) != 1)
                goto bad;
            cur->kind = strcasecmp(tok, host) == 0 ? 1 : 3;
            continue;
        }
        int is_login = strcmp(tok, "login") == 0, is_pass = strcmp(tok, "password") == 0;
        if (is_login || is_pass || strcmp(tok, "account") == 0) {
            if (netrc_token(&lx, tok, sizeof tok, 0) != 1)
                goto bad;
            size_t n = strlen(tok);
            if (is_login && n < sizeof cur->user) {
                memcpy(cur->user, tok, n + 1);
                cur->have_user = 1;
            } else if (is_pass && n < sizeof cur->pass) {
                memcpy(cur->pass, tok, n + 1);
                cur->have_pass = 1;
            } else if (is_login || is_pass) {
                goto bad;
            }
        } else if (strcmp(tok, "macdef") == 0) {
            netrc_skip_macro(&lx);
        } else if (cur->kind == 0) {
            goto bad; /* a word outside any entry */
        }
        /* other words inside an entry: ignored, as other netrc readers do */
    }
    if (best->kind == 0)
        goto out; /* nothing for this host */
    const char *which = best->kind == 1 ? host : "default";
    if (!best->have_pass) {
        snprintf(err, errlen, "the entry for %s (line %u) has a login but no password", which,
                 best->line);
        rc = -EINVAL;
        goto out;
    }
    for (const char *c = best->user; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == ':')
            goto bad_value;
    for (const char *c = best->pass; *c; c++)
        if ((unsigned char)*c < 0x20)
            goto bad_value;
    if (strlen(best->user) >= userlen || strlen(best->pass) >= passlen) {
        snprintf(err, errlen, "the login or password of the entry for %s is too long", which);
        rc = -EINVAL;
        goto out;
    }
    snprintf(user, userlen, "%s", best->user);
    snprintf(password, passlen, "%s", best->pass);
    *found = 1;
    goto out;
bad_value:
    snprintf(err, errlen,
             "the entry for %s (line %u) has a control character in its login or password, "
             "or a ':' in its login",
             which, best->line);
    rc = -EINVAL;
    goto out;
bad:
    snprintf(err, errlen,
             "cannot read line %u (a keyword without its value, or a value that is too long)",
             lx.line);
    rc = -EINVAL;
out:
    explicit_bzero(tok, sizeof tok);
    explicit_bzero(cur, 2 * sizeof *cur);
    free(cur);
    return rc;
}

/* ---- token JSON ---------------------------------------------------------- */

struct json {
    const char *p, *end;
};

static void json_ws(struct json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A JSON string at j->p into out (size bytes; out NULL: skip it). \u escapes
 * above U+007F decode to 0xFF, which no value we keep may contain. */
static int json_string(struct json *j, char *out, size_t size)
{
    size_t n = 0;
    int toolong = 0;

    if (j->p >= j->end || *j->p != '"')
        return -EBADMSG;
    j->p++;
    for (;;) {
        if (j->p >= j->end)
            return -EBADMSG;
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            return -EBADMSG;
        if (c == '\\') {
            if (j->p >= j->end)
                return -EBADMSG;
            char e = *j->p++;
            switch (e) {
            case '"': case '\\': case '/': c = (unsigned char)e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned cp = 0;
                if (j->end - j->p < 4)
                    return -EBADMSG;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(*j->p++);
                    if (h < 0)
                        return -EBADMSG;
                    cp = cp * 16 + (unsigned)h;
                }
                c = cp == 0 ? 0xFF : cp < 0x80 ? (unsigned char)cp : 0xFF;
                break;
            }
            default: return -EBADMSG;
            }
        }
        if (out) {
            if (n + 1 < size)
                out[n++] = (char)c;
            else
                toolong = 1;
        }
    }
    if (out)
        out[n] = '\0';
    return toolong ? -E2BIG : 0;
}

/* A JSON number; *val gets its integer part (saturated), *neg its sign,
 * *frac_or_exp whether it had a fraction or exponent. */
static int json_number(struct json *j, long long *val, int *neg, int *frac_or_exp)
{
    long long v = 0;

    *neg = 0;
    *frac_or_exp = 0;
    if (j->p < j->end && *j->p == '-') {
        *neg = 1;
        j->p++;
    }
    if (j->p >= j->end || !isdigit((unsigned char)*j->p))
        return -EBADMSG;
    while (j->p < j->end && isdigit((unsigned char)*j->p)) {
        if (v < 1000000000000000LL)
            v = v * 10 + (*j->p - '0');
        j->p++;
    }
    if (j->p < j->end && *j->p == '.') {
        *frac_or_exp = 1;
        j->p++;
        if (j->p >= j->end || !isdigit((unsigned char)*j->p))
            return -EBADMSG;
        while (j->p < j->end && isdigit((unsigned char)*j->p))
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        *frac_or_exp = 2;
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || !isdigit((unsigned char)*j->p))
            return -EBADMSG;
        while (j->p < j->end && isdigit((unsigned char)*j->p))
            j->p++;
    }
    *val = v;
    return 0;
}

static int json_skip(struct json *j, int depth)
{
    long long v;
    int neg, fe;

    json_ws(j);
    if (j->p >= j->end)
        return -EBADMSG;
    char c = *j->p;
    if (c == '"')
        return json_string(j, NULL, 0);
    if (c == '-' || isdigit((unsigned char)c))
        return json_number(j, &v, &neg, &fe);
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i], n) == 0) {
            j->p += n;
            return 0;
        }
    }
    if (c != '{' && c != '[')
        return -EBADMSG;
    if (depth >= 32)
        return -EBADMSG;
    char close = c == '{' ? '}' : ']';
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        int rc;
        if (c == '{') {
            json_ws(j);
            if ((rc = json_string(j, NULL, 0)))
                return rc;
            json_ws(j);
            if (j->p >= j->end || *j->p != ':')
                return -EBADMSG;
            j->p++;
        }
        if ((rc = json_skip(j, depth + 1)))
            return rc;
        json_ws(j);
        if (j->p >= j->end)
            return -EBADMSG;
        if (*j->p == close) {
            j->p++;
            return 0;
        }
        if (*j->p != ',')
            return -EBADMSG;
        j->p++;
    }
}

#define TEN_YEARS (10LL * 366 * 24 * 3600)

static int token_expires(struct json *j, long long *out)
{
    long long v;
    int neg, fe, rc;

    if (j->p < j->end && *j->p == '"') {
        /* some servers send "3600" */
        char num[32];
        if ((rc = json_string(j, num, sizeof num)))
            return rc == -E2BIG ? -EBADMSG : rc;
        struct json sub = {num, num + strlen(num)};
        if (json_number(&sub, &v, &neg, &fe) || sub.p != sub.end)
            return -EBADMSG;
    } else if ((rc = json_number(j, &v, &neg, &fe))) {
        return rc;
    }
    if (neg || fe == 2)
        return -EBADMSG;
    *out = v > TEN_YEARS ? TEN_YEARS : v;
    return 0;
}

int bw_authparse_token(const char *json, size_t len, struct bw_token_answer *out)
{
    struct json j = {json, json + len};
    int rc = 0, seen_token = 0, seen_expires = 0;

    memset(out, 0, sizeof *out);
    out->expires_in = -1;
    json_ws(&j);
    if (j.p >= j.end || *j.p != '{')
        return -EBADMSG;
    j.p++;
    json_ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
        goto tail;
    }
    for (;;) {
        char key[32];
        json_ws(&j);
        rc = json_string(&j, key, sizeof key);
        if (rc == -E2BIG)
            key[0] = '\0'; /* a long key is none of ours */
        else if (rc)
            goto fail;
        json_ws(&j);
        if (j.p >= j.end || *j.p != ':') {
            rc = -EBADMSG;
            goto fail;
        }
        j.p++;
        json_ws(&j);
        if (strcmp(key, "access_token") == 0) {
            /* two different tokens: which one to trust? neither */
            if (seen_token++) {
                rc = -EBADMSG;
                goto fail;
            }
            if ((rc = json_string(&j, out->access_token, sizeof out->access_token)))
                goto fail;
        } else if (strcmp(key, "expires_in") == 0) {
            if (seen_expires++ || (rc = token_expires(&j, &out->expires_in))) {
                rc = rc ? rc : -EBADMSG;
                goto fail;
            }
        } else if (strcmp(key, "token_type") == 0 || strcmp(key, "error") == 0) {
            char *dst = key[0] == 't' ? out->token_type : out->error;
            size_t size = key[0] == 't' ? sizeof out->token_type : sizeof out->error;
            if (j.p < j.end && *j.p == '"') {
                rc = json_string(&j, dst, size);
                if (rc == -E2BIG)
                    rc = 0; /* kept cut short: only shown in messages */
                if (rc)
                    goto fail;
                for (char *c = dst; *c; c++)
                    if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                        *c = '?';
            } else if ((rc = json_skip(&j, 1))) {
                goto fail;
            }
        } else if ((rc = json_skip(&j, 1))) {
            goto fail;
        }
        json_ws(&j);
        if (j.p >= j.end) {
            rc = -EBADMSG;
            goto fail;
        }
        if (*j.p == '}') {
            j.p++;
            break;
        }
        if (*j.p != ',') {
            rc = -EBADMSG;
            goto fail;
        }
        j.p++;
    }
tail:
    json_ws(&j);
    if (j.p != j.end) {
        rc = -EBADMSG;
        goto fail;
    }
    /* the token goes into an Authorization header: visible ASCII only */
    for (const char *c = out->access_token; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) {
            rc = -EBADMSG;
            goto fail;
        }
    return 0;
fail:
    explicit_bzero(out->access_token, sizeof out->access_token);
    return rc;
}

/* ---- reading a private file ---------------------------------------------- */

int bw_authparse_read_file(const char *path, int private, char **buf, size_t *len, char *err,
                           size_t errlen)
{
    struct stat st;
    int rc = 0;

    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO in its place must not hang the start-up */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    /* checked on the open file, so a rename in between cannot swap it */
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        rc = -EINVAL;
        goto out;
    }
    if (private && st.st_uid != geteuid()) {
        snprintf(err, errlen,
                 "%s belongs to uid %u, not to the user running bwreportfs (uid %u): "
                 "refusing to read secrets from it",
                 path, (unsigned)st.st_uid, (unsigned)geteuid());
        rc = -EACCES;
        goto out;
    }
    if (private && (st.st_mode & 077)) {
        snprintf(err, errlen,
                 "%s may be read or changed by others (mode %04o): refusing to use it; "
                 "run: chmod 600 %s",
                 path, (unsigned)(st.st_mode & 07777), path);
        rc = -EACCES;
        goto out;
    }
    if (st.st_size > BW_AUTH_FILE_MAX) {
        snprintf(err, errlen, "%s is larger than %d bytes", path, BW_AUTH_FILE_MAX);
        rc = -EFBIG;
        goto out;
    }
    char *b = malloc((size_t)st.st_size + 1);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, b + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            snprintf(err, errlen, "%s: %s", path, strerror(-rc));
            explicit_bzero(b, n);
            free(b);
            goto out;
        }
        if (r == 0)
            break; /* shrank meanwhile: use what is there */
        n += (size_t)r;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
out:
    close(fd);
    return rc;
}
