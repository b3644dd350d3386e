/* session: wires opts -> auth, http, api, tree and performs the start-up check (see session.h). */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "bw_config.h"
#include "cache.h"
#include "http.h"
#include "log.h"
#include "source.h"
#include "xml.h"

struct bw_session {
    const struct bw_options *opts; /* borrowed, read-only */
    struct bw_http *http;
    struct bw_auth *auth;
    struct bw_api *api;
    struct bw_source source; /* adapters: tree -> api/cache/state, cache -> api */
    struct bw_cache *cache;
    struct bw_tree *tree;
    char *cache_path;        /* cache_dir/<hash of api_url> */
};

int bw_session_global_init(void)
{
    bw_xml_init();
    return bw_http_global_init();
}

void bw_session_global_cleanup(void)
{
    bw_http_global_cleanup();
    bw_xml_cleanup();
}

/* cache_dir/<16 hex digits of FNV-1a(api_url)>: entries of different APIs
 * (a simulator, production) never meet, as report ids repeat across them. */
static char *cache_path(const char *cache_dir, const char *api_url)
{
    unsigned long long h = 14695981039346656037ull;
    char *out = NULL;

    for (const unsigned char *p = (const unsigned char *)api_url; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    if (asprintf(&out, "%s/%016llx", cache_dir, h) < 0)
        return NULL;
    return out;
}

int bw_session_new(const struct bw_options *o, struct bw_session **out, char *err, size_t errlen)
{
    struct bw_session *s = calloc(1, sizeof *s);
    int rc;

    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->opts = o;
    struct bw_http_config hc = {
        .cafile = o->cafile,
        .connect_timeout = o->connect_timeout,
        .stall_timeout = o->stall_timeout,
        .user_agent = BW_PROGNAME "/" BW_VERSION,
    };
    if ((rc = bw_http_new(&hc, &s->http))) {
        snprintf(err, errlen, "cannot set up HTTP: %s", strerror(-rc));
        goto fail;
    }
    struct bw_auth_config ac = {
        .credentials_file = o->credentials,
        .token_url = o->token_url,
        .api_url = o->api_url, /* its host picks the ~/.netrc entry */
        .http = s->http,
    };
    if ((rc = bw_auth_new(&ac, &s->auth, err, errlen)))
        goto fail;
    struct bw_api_config pc = {.base_url = o->api_url};
    if ((rc = bw_api_new(&pc, s->http, s->auth, &s->api))) {
        snprintf(err, errlen, "cannot set up the API client: %s", strerror(-rc));
        goto fail;
    }
    s->source.api = s->api;
    s->source.state_dir = o->state_dir;
    if (!o->cache_dir || !(s->cache_path = cache_path(o->cache_dir, o->api_url))) {
        rc = -ENOMEM;
        snprintf(err, errlen, "cannot set up the cache: no cache_dir");
        goto fail;
    }
    /* the cache creates its directory (0700) and starts no thread until a
     * file is probed or opened, so it is safe before fuse_daemonize() forks */
    struct bw_cache_config cc = {.dir = s->cache_path, .max_bytes = o->cache_size};
    bw_source_fetcher(&s->source, &cc.fetcher);
    if ((rc = bw_cache_new(&cc, &s->cache))) {
        snprintf(err, errlen, "cannot open the cache in %s: %s", s->cache_path, strerror(-rc));
        goto fail;
    }
    s->source.cache = s->cache;
    struct bw_tree_config tc = {
        .accounts = (const char *const *)o->accounts.ids,
        .naccounts = o->accounts.n,
        .ttl = o->meta_ttl,
        .status_ttl_ms = o->status_ttl * 1000,
    };
    bw_source_tree(&s->source, &tc.source);
    if ((rc = bw_tree_new(&tc, &s->tree))) {
        snprintf(err, errlen, "cannot set up the tree: %s", strerror(-rc));
        goto fail;
    }
    *out = s;
    return 0;
fail:
    bw_session_free(s);
    return rc;
}

int bw_session_check(struct bw_session *s, char *err, size_t errlen)
{
    struct bw_report_list list = {0};
    struct bw_api_status st;
    char line[1024];

    int rc = bw_api_list_reports(s->api, s->opts->accounts.ids[0], &list, &st);
    bw_model_report_list_free(&list);
    if (rc == 0) {
        BW_DEBUG("session", "start-up check passed: %s", st.url);
        return 0;
    }
    bw_api_status_format(&st, line, sizeof line);
    const char *hint = "";
    if (st.http_status == 401)
        hint = "; credentials rejected: check BW_USERNAME and BW_PASSWORD";
    else if (st.http_status == 403)
        hint = "; this user may not read that account";
    else if (st.http_status == 0 && st.err == -EIO)
        hint = "; if the server's certificate is from a private CA, add it with -o cafile=PATH";
    else if (st.http_status == 0)
        hint = "; is api_url right and the host reachable?";
    snprintf(err, errlen, "cannot use the API: %s%s", line, hint);
    return rc;
}

struct bw_tree *bw_session_tree(struct bw_session *s)
{
    return s->tree;
}

struct bw_cache *bw_session_cache(struct bw_session *s)
{
    return s->cache;
}

const struct bw_options *bw_session_options(const struct bw_session *s)
{
    return s->opts;
}

void bw_session_free(struct bw_session *s)
{
    if (!s)
        return;
    bw_tree_free(s->tree);
    bw_cache_free(s->cache); /* its downloads use the api: stop them first */
    free(s->cache_path);
    bw_api_free(s->api);
    bw_auth_free(s->auth);
    bw_http_free(s->http);
    free(s);
}
