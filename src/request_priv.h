/* request_priv: helpers shared by request.c and request_parse.c (message
 * building, quoting, the text rule); not for other modules. No state. */
#ifndef BW_REQUEST_PRIV_H
#define BW_REQUEST_PRIV_H

#include <stddef.h>

#define QUOTE_MAX 60 /* bytes of user text quoted in a message */

/* A message being built: problems joined by "; ", cut with "..." when err
 * is too small, so the caller always gets one printable line. */
struct msg {
    char *buf;
    size_t cap, len;
    int count, full;
};

/* Start an empty message in buf (cap bytes; buf may be NULL / cap 0). */
void bw_request__msg_init(struct msg *m, char *buf, size_t cap);

/* Append formatted text to the current problem. */
__attribute__((format(printf, 2, 3))) void bw_request__msg_put(struct msg *m, const char *fmt, ...);

/* Start the next problem ("; " after the first). */
void bw_request__msg_new(struct msg *m);

/* Add one whole problem; returns -EINVAL so parsers can `return fail(...)`. */
__attribute__((format(printf, 2, 3))) int bw_request__fail(struct msg *m, const char *fmt, ...);

/* s in double quotes, at most QUOTE_MAX bytes of it (cut at a character
 * boundary, "..." added), control characters as '?'. Returns out. */
const char *bw_request__quote(char *out, size_t cap, const char *s);
#define Q(buf, s) bw_request__quote(buf, sizeof buf, s)

/* 1 if s[0..n) is text a request may hold: well-formed UTF-8 without
 * overlong forms, surrogates or U+FFFE/U+FFFF (XML refuses them), and no
 * control character but tab (it would break the line form or the XML). */
int bw_request__text_ok(const char *s, size_t n);

#endif
