/* session: wires opts -> auth, http, api, tree and performs the start-up check (see session.h). */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "bw_config.h"
#include "http.h"
#include "log.h"
#include "xml.h"

struct bw_session {
    const struct bw_options *opts; /* borrowed, read-only */
    struct bw_http *http;
    struct bw_auth *auth;
    struct bw_api *api;
    struct bw_tree *tree;
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

static int source_list_reports(void *ctx, const char *account, struct bw_report_list *out)
{
    return bw_api_list_reports(ctx, account, out, NULL);
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
        .http = s->http,
    };
    if ((rc = bw_auth_new(&ac, &s->auth, err, errlen)))
        goto fail;
    struct bw_api_config pc = {.base_url = o->api_url};
    if ((rc = bw_api_new(&pc, s->http, s->auth, &s->api))) {
        snprintf(err, errlen, "cannot set up the API client: %s", strerror(-rc));
        goto fail;
    }
    struct bw_tree_config tc = {
        .accounts = (const char *const *)o->accounts.ids,
        .naccounts = o->accounts.n,
        .ttl = o->meta_ttl,
        .source = {.ctx = s->api, .list_reports = source_list_reports},
    };
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

const struct bw_options *bw_session_options(const struct bw_session *s)
{
    return s->opts;
}

void bw_session_free(struct bw_session *s)
{
    if (!s)
        return;
    bw_tree_free(s->tree);
    bw_api_free(s->api);
    bw_auth_free(s->auth);
    bw_http_free(s->http);
    free(s);
}
