/* api_download: streaming downloads of report files (bw_api_download), with
 * redirects followed by hand so credentials never leave the API origin, and
 * Content-Disposition decoding (see api.h). */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "api_priv.h"
#include "log.h"

/* ---- origins ---- */

struct origin {
    char *scheme, *host, *port;
};

static void origin_free(struct origin *o)
{
    curl_free(o->scheme);
    curl_free(o->host);
    curl_free(o->port);
}

static int origin_of(const char *url, struct origin *o)
{
    CURLU *u = curl_url();
    int ok = 0;

    memset(o, 0, sizeof *o);
    if (!u)
        return 0;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &o->host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        ok = 1;
    curl_url_cleanup(u);
    if (!ok)
        origin_free(o);
    return ok;
}

int bw_api_same_origin(const char *a, const char *b)
{
    struct origin x, y;
    int same = 0;

    if (!a || !b || !origin_of(a, &x))
        return 0;
    if (origin_of(b, &y)) {
        same = strcasecmp(x.scheme, y.scheme) == 0 && strcasecmp(x.host, y.host) == 0 &&
               strcmp(x.port, y.port) == 0;
        origin_free(&y);
    }
    origin_free(&x);
    return same;
}

/* The absolute http(s) URL a Location names, relative ones resolved against
 * cur. An absolute Location is kept byte for byte (a signed URL's signature
 * covers its query). NULL when unusable: another scheme, user info (curl
 * would send it as credentials), unparseable, or no memory. */
static char *resolve_location(const char *cur, const char *loc)
{
    CURLU *u = curl_url();
    char *abs = NULL, *scheme = NULL, *user = NULL, *out = NULL;

    if (!u)
        return NULL;
    if (curl_url_set(u, CURLUPART_URL, cur, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, loc, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &abs, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        goto done;
    if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
        goto done;
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
        goto done; /* user info present */
    size_t sl = strspn(loc, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    int absolute = sl > 0 && strncmp(loc + sl, "://", 3) == 0;
    out = strdup(absolute ? loc : abs);
done:
    curl_free(abs);
    curl_free(scheme);
    curl_free(user);
    curl_url_cleanup(u);
    return out;
}

/* ---- Content-Disposition (RFC 6266, RFC 5987) ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append byte c to out (size) at *len, keeping room for the NUL; 0 when full. */
static int put(char *out, size_t size, size_t *len, unsigned char c)
{
    if (*len + 1 >= size)
        return 0;
    out[(*len)++] = (char)c;
    return 1;
}

/* Cut a string that was truncated at size-1 back to a UTF-8 boundary. */
static void utf8_trim(char *s, size_t len, int truncated)
{
    if (truncated && len > 0) {
        size_t i = len;
        while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
            i--;
        /* i-1 is a lead byte (or ASCII): keep the sequence only if complete */
        if (i > 0 && ((unsigned char)s[i - 1] & 0x80)) {
            unsigned char lead = (unsigned char)s[i - 1];
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (len - (i - 1) < need)
                len = i - 1;
        }
    }
    s[len] = '\0';
}

/* filename*=charset'lang'%xx...: 0 and out set, or -EINVAL. */
static int ext_value(const char *v, size_t vlen, char *out, size_t size)
{
    const char *q1 = memchr(v, '\'', vlen);
    const char *q2 = q1 ? memchr(q1 + 1, '\'', vlen - (size_t)(q1 + 1 - v)) : NULL;
    size_t len = 0;
    int truncated = 0;

    if (!q1 || !q2)
        return -EINVAL;
    int latin1;
    if ((size_t)(q1 - v) == 5 && strncasecmp(v, "utf-8", 5) == 0)
        latin1 = 0;
    else if ((size_t)(q1 - v) == 10 && strncasecmp(v, "iso-8859-1", 10) == 0)
        latin1 = 1;
    else
        return -EINVAL;
    for (const char *p = q2 + 1; p < v + vlen; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            if (v + vlen - p < 3)
                return -EINVAL;
            int hi = hexval(p[1]), lo = hexval(p[2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = hi * 16 + lo;
            p += 2;
        }
        if (c == 0)
            return -EINVAL; /* a NUL cannot be part of a name */
        if (latin1 && c >= 0x80) {
            if (!put(out, size, &len, (unsigned char)(0xC0 | (c >> 6))) ||
                !put(out, size, &len, (unsigned char)(0x80 | (c & 0x3F)))) {
                truncated = 1;
                break;
            }
        } else if (!put(out, size, &len, (unsigned char)c)) {
            truncated = 1;
            break;
        }
    }
    utf8_trim(out, len, truncated);
    return out[0] ? 0 : -EINVAL;
}

int bw_api_disposition_filename(const char *h, char *out, size_t size)
{
    char plain[1024] = "";
    int have_plain = 0, have_ext = 0;

    if (size == 0)
        return -ENOENT;
    out[0] = '\0';
    if (!h)
        return -ENOENT;
    /* skip the disposition type ("attachment"); a header that starts with a
     * parameter right away ("filename=x.csv") is read from its start */
    const char *p = strchr(h, ';'), *eq = strchr(h, '=');
    int first = eq && (!p || eq < p);
    if (first)
        p = h;
    while (p && *p) {
        if (!first)
            p++; /* past ';' */
        first = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t nlen = (size_t)(p - name);
        while (nlen && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
            nlen--;
        if (*p != '=') {
            continue; /* a parameter without a value */
        }
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        char val[1024];
        size_t vlen = 0;
        int truncated = 0;
        if (*p == '"') { /* quoted-string: \x is x */
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (!put(val, sizeof val, &vlen, (unsigned char)*p))
                    truncated = 1;
            }
            if (*p == '"')
                p++;
            while (*p && *p != ';')
                p++;
        } else { /* token (liberal: anything up to ';', trimmed) */
            for (; *p && *p != ';'; p++)
                if (!put(val, sizeof val, &vlen, (unsigned char)*p))
                    truncated = 1;
            while (vlen && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
                vlen--;
        }
        val[vlen] = '\0';
        if (nlen == 9 && strncasecmp(name, "filename*", 9) == 0 && !have_ext) {
            if (!truncated && ext_value(val, vlen, out, size) == 0)
                have_ext = 1;
        } else if (nlen == 8 && strncasecmp(name, "filename", 8) == 0 && !have_plain) {
            utf8_trim(val, vlen, truncated);
            snprintf(plain, sizeof plain, "%s", val);
            have_plain = plain[0] != '\0';
        }
    }
    if (have_ext)
        return 0;
    if (!have_plain) {
        out[0] = '\0';
        return -ENOENT;
    }
    size_t l = strlen(plain);
    int cut = l >= size;
    if (cut)
        l = size - 1;
    memcpy(out, plain, l);
    utf8_trim(out, l, cut);
    return 0;
}

/* ---- the download ---- */

struct dl {
    const struct bw_api_sink *sink;
    int probe;
    long long want;       /* first byte asked for (0 for a probe) */
    long status;          /* of the answer being received */
    int content;          /* that answer carries the file (200/206) */
    int meta_done;        /* on_meta has run: no retry from now on */
    int probe_stop;       /* we aborted on purpose after on_meta */
    int sink_err;         /* the sink's own errno, if it aborted */
    long long delivered;  /* body bytes handed to on_data */
    char *err_body;       /* a 2xx answer without content (202): its envelope */
    size_t err_len;
};

static int dl_headers(void *ctx, const struct bw_http_response *r)
{
    struct dl *d = ctx;
    struct bw_api_file_meta m = {.size = -1, .offset = 0};

    d->status = r->status;
    d->content = r->status == 200 || r->status == 206;
    d->err_len = 0;
    if (r->status == 416 && r->range_total >= 0 && r->range_total == d->want) {
        /* Nothing from `want` on because the file ends there: an empty
         * report probed with bytes=0-0, or a resume from its very end. */
        d->content = 1;
        m.offset = d->want;
        m.size = r->range_total;
    } else if (!d->content) {
        return 0;
    } else if (r->status == 206) {
        if (r->range_first < 0)
            return -EPROTO; /* a partial answer that does not say which part */
        m.offset = r->range_first;
        m.size = r->range_total;
    } else {
        m.size = r->content_length;
    }
    bw_api_disposition_filename(r->content_disposition, m.name, sizeof m.name);
    d->meta_done = 1;
    if (d->sink && d->sink->on_meta) {
        int rc = d->sink->on_meta(d->sink->ctx, &m);
        if (rc) {
            d->sink_err = rc;
            return rc;
        }
    }
    if (d->probe) {
        d->probe_stop = 1;
        return -ECANCELED;
    }
    return 0;
}

static int dl_data(void *ctx, const char *buf, size_t len)
{
    struct dl *d = ctx;

    if (d->content) {
        if (d->probe)
            return -ECANCELED;
        d->delivered += (long long)len;
        if (!d->sink || !d->sink->on_data)
            return 0;
        int rc = d->sink->on_data(d->sink->ctx, buf, len);
        if (rc)
            d->sink_err = rc;
        return rc;
    }
    /* a 2xx without the file (202 + 19048): keep the envelope, capped */
    size_t room = BW_API_MAX_ERROR_BODY - d->err_len;
    if (len > room)
        len = room;
    if (len) {
        if (!d->err_body && !(d->err_body = malloc(BW_API_MAX_ERROR_BODY + 1)))
            return -ENOMEM;
        memcpy(d->err_body + d->err_len, buf, len);
        d->err_len += len;
        d->err_body[d->err_len] = '\0';
    }
    return 0;
}

static int is_redirect(long s)
{
    return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* One chain of requests: url, then up to BW_API_MAX_REDIRECTS hops. On
 * return *resp is the last answer (free it), st->url its redacted URL,
 * *authed whether credentials went with it. Returns http's result, or -EIO
 * with st->detail for a redirect that cannot be followed. */
static int chain(struct bw_api *api, const char *url, long long offset, struct dl *d,
                 struct bw_http_response *resp, struct bw_api_status *st, int *authed)
{
    const struct bw_http_sink hs = {.ctx = d, .on_headers = dl_headers, .on_data = dl_data};
    struct bw_http_request req = {
        .max_body = BW_API_MAX_ERROR_BODY,
        .accept = "*/*",
        .sink = &hs,
        .range = d->probe || offset > 0,
        .range_start = d->probe ? 0 : offset,
        .range_end = d->probe ? 0 : -1,
    };
    char *cur = strdup(url);
    int rc = -ENOMEM;

    memset(resp, 0, sizeof *resp);
    for (int hop = 0; cur; hop++) {
        struct bw_http_auth cred;
        /* credentials for the API origin only, whatever the URL came from */
        *authed = bw_api_same_origin(api->base, cur);
        bw_http_redact(cur, st->url, sizeof st->url);
        if (*authed && (rc = bw_auth_get(api->auth, &cred)) != 0) {
            snprintf(st->detail, sizeof st->detail, "no usable credential");
            break;
        }
        req.url = cur;
        req.auth = *authed ? &cred : NULL;
        d->status = 0;
        d->content = 0;
        rc = bw_http_get(api->http, &req, resp);
        if (*authed)
            bw_http_auth_wipe(&cred);
        if (rc || !is_redirect(resp->status))
            break;
        if (!resp->location || hop >= BW_API_MAX_REDIRECTS) {
            snprintf(st->detail, sizeof st->detail, "%s",
                     resp->location ? "too many redirects" : "redirect without Location");
            rc = -EIO;
            break;
        }
        char *next = resolve_location(cur, resp->location);
        if (!next) {
            snprintf(st->detail, sizeof st->detail, "unusable redirect Location");
            rc = -EIO;
            break;
        }
        char red[512];
        bw_http_redact(next, red, sizeof red);
        BW_DEBUG("api", "GET %s: %ld to %s%s", st->url, resp->status, red,
                 bw_api_same_origin(api->base, next) ? "" : " (other origin: no credentials)");
        free(cur);
        cur = next;
        bw_http_response_free(resp);
        memset(resp, 0, sizeof *resp);
    }
    free(cur);
    return rc;
}

int bw_api_download(struct bw_api *api, const char *url, long long offset, int probe,
                    const struct bw_api_sink *sink, struct bw_api_status *stout)
{
    struct bw_api_status st;
    struct bw_http_response resp;
    struct dl d = {.sink = sink, .probe = probe, .want = probe ? 0 : offset};
    int rc = 0, authed = 0;

    memset(&st, 0, sizeof st);
    if (!url || offset < 0) {
        st.err = -EINVAL;
        snprintf(st.detail, sizeof st.detail, "invalid download request");
        bw_api__report(&st, stout);
        return st.err;
    }
    for (int attempt = 1;; attempt++) {
        memset(&st, 0, sizeof st);
        rc = chain(api, url, offset, &d, &resp, &st, &authed);
        if (d.meta_done || d.sink_err || st.detail[0])
            break; /* bytes may have gone to the caller; or not retryable */
        long wait_ms = bw_api__retry_ms(api, rc, &resp, attempt, authed);
        if (wait_ms < 0)
            break;
        BW_DEBUG("api", "GET %s: %s, retry %d of %d in %ld ms", st.url,
                 rc ? resp.error : "transient HTTP status", attempt, BW_API_MAX_ATTEMPTS - 1,
                 wait_ms);
        bw_http_response_free(&resp);
        bw_api__pause_ms(wait_ms);
    }

    st.http_status = resp.status;
    if (rc == -ECANCELED && d.probe_stop) {
        rc = 0; /* the probe got what it wanted */
    } else if (rc && d.sink_err) {
        rc = d.sink_err;
        snprintf(st.detail, sizeof st.detail, "stopped by the reader after %lld bytes",
                 d.delivered);
    } else if (rc == -EPROTO) {
        rc = -EIO;
        snprintf(st.detail, sizeof st.detail, "206 without a usable Content-Range");
    } else if (rc) {
        if (!st.detail[0])
            snprintf(st.detail, sizeof st.detail, "%.200s%s", resp.error,
                     d.delivered ? " (cut short)" : "");
        rc = rc == -EFBIG ? -EIO : rc;
    } else if (!d.content) {
        const char *body = d.err_len ? d.err_body : resp.body;
        size_t len = d.err_len ? d.err_len : resp.len;
        rc = bw_api__fail_status(&st, resp.status, body, len);
    }
    st.err = rc;
    free(d.err_body);
    bw_http_response_free(&resp);
    bw_api__report(&st, stout);
    return rc;
}
