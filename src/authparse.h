/* authparse: the pure parsers behind auth: the credentials file, ~/.netrc,
 * the OAuth2 token endpoint's JSON answer, and reading a private file.
 *
 * Contract:
 *  - No global state, no network; every function is reentrant.
 *  - Input is untrusted (a file anyone may have edited, a token endpoint's
 *    body): every length is bounded, control characters are refused where a
 *    value would end up in an HTTP header, nothing is trusted to be
 *    NUL-terminated (all take a length).
 *  - Error text names the file and line and the key at fault, never a value:
 *    values may be secrets.
 *  - Output buffers holding secrets must be wiped by the caller
 *    (bw_authparse_wipe_creds(), explicit_bzero()).
 */
#ifndef BW_AUTHPARSE_H
#define BW_AUTHPARSE_H

#include <stddef.h>

#define BW_AUTH_ID_MAX 256      /* user name / client id, with the NUL; = bw_http_auth.user */
#define BW_AUTH_SECRET_MAX 4096 /* password / client secret / token; = bw_http_auth.secret */
#define BW_AUTH_FILE_MAX (64 * 1024) /* credentials files and ~/.netrc are small */

/* What a credentials source holds: a client id + secret and/or a user + password. */
struct bw_creds {
    char client_id[BW_AUTH_ID_MAX];
    char client_secret[BW_AUTH_SECRET_MAX];
    char username[BW_AUTH_ID_MAX];
    char password[BW_AUTH_SECRET_MAX];
};

/* Parse KEY=VALUE lines (the keys are the environment variables' names:
 * BW_CLIENT_ID, BW_CLIENT_SECRET, BW_USERNAME, BW_PASSWORD). Blank lines and
 * lines starting with '#' are skipped; an "export " prefix, spaces around
 * '=' and one pair of matching quotes around the value are allowed. Unknown
 * or repeated keys, empty values, control characters and over-long values
 * are errors. `name` is used in messages. 0 or -EINVAL (err filled). */
int bw_authparse_credfile(const char *text, size_t len, const char *name, struct bw_creds *out,
                          char *err, size_t errlen);

/* Find host's entry in netrc text ("machine HOST login U password P", the
 * "default" entry when no machine matches; macdef bodies and '#' comment
 * lines skipped; tokens may be double-quoted). *found = 1 and user/password
 * filled when an entry with a login matched. -EINVAL (err filled) for a
 * malformed file or a matching entry without a password. */
int bw_authparse_netrc(const char *text, size_t len, const char *host, char *user,
                       size_t userlen, char *password, size_t passlen, int *found, char *err,
                       size_t errlen);

/* The parts of a token endpoint's JSON answer that matter. */
struct bw_token_answer {
    char access_token[BW_AUTH_SECRET_MAX]; /* "" when absent */
    long long expires_in;                  /* seconds; -1 when absent */
    char token_type[32];                   /* "" when absent */
    char error[64];                        /* OAuth2 "error" code, "" when absent */
};

/* Parse a JSON object. access_token must be visible ASCII (it becomes an
 * HTTP header); expires_in a non-negative number without exponent (or such
 * a number as a string; a fraction is dropped), capped at 10 years; other
 * members are skipped, nesting at most 32 deep.
 * 0, or -EBADMSG (not such a JSON object, or a member of the wrong type),
 * -E2BIG (a value too long for its buffer). */
int bw_authparse_token(const char *json, size_t len, struct bw_token_answer *out);

/* Read a whole file of at most BW_AUTH_FILE_MAX bytes into *buf (malloc'ed,
 * NUL-terminated; wipe and free it). With `private`, refuse a file that is
 * not a regular file owned by the effective user or that has any group or
 * other permission bit, explaining how to fix it. 0, or -errno (err filled). */
int bw_authparse_read_file(const char *path, int private, char **buf, size_t *len, char *err,
                           size_t errlen);

/* Wipe every secret in c. */
void bw_authparse_wipe_creds(struct bw_creds *c);

#endif
