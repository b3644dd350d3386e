/* test_auth: credential sources and their precedence, and the OAuth2 token
 * life cycle against a fake token endpoint with a fake clock: the request's
 * shape, renewal timing, single-flight refresh under threads, 401 handling
 * and failures (auth.h). Parsers: test_authparse.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "authparse.h"
#include "check.h"
#include "log.h"
#include "testsrv.h"

/* ---- the fake clock ------------------------------------------------------- */

static double fake_now;  /* atomic (read by every thread) */

static double fake_clock(void)
{
    double v;
    __atomic_load(&fake_now, &v, __ATOMIC_SEQ_CST);
    return v;
}

static void set_clock(double v)
{
    __atomic_store(&fake_now, &v, __ATOMIC_SEQ_CST);
}

/* ---- the fake token endpoint ---------------------------------------------- */

static pthread_mutex_t ep_lock = PTHREAD_MUTEX_INITIALIZER;
static int ep_status = 200;         /* guarded by ep_lock */
static long ep_expires = 300;       /* guarded by ep_lock */
static int ep_delay_ms;             /* guarded by ep_lock */
static double ep_advance;           /* fake seconds each request takes; ep_lock */
static int ep_calls;                /* guarded by ep_lock */
static char ep_last[8192];          /* head + body of the last token request; ep_lock */

static void ep_set(int status, long expires, int delay_ms)
{
    pthread_mutex_lock(&ep_lock);
    ep_status = status;
    ep_expires = expires;
    ep_delay_ms = delay_ms;
    pthread_mutex_unlock(&ep_lock);
}

static int ep_count(void)
{
    pthread_mutex_lock(&ep_lock);
    int n = ep_calls;
    pthread_mutex_unlock(&ep_lock);
    return n;
}

static int ep_last_has(const char *needle)
{
    pthread_mutex_lock(&ep_lock);
    int found = strstr(ep_last, needle) != NULL;
    pthread_mutex_unlock(&ep_lock);
    return found;
}

static int handle(int fd, const char *path, const char *req)
{
    char body[256], all[8192];
    (void)path;

    /* testsrv reads the head only: read the rest of the POST body here, so
     * the kept-alive connection stays in step */
    const char *cl = strstr(req, "Content-Length: ");
    const char *head_end = strstr(req, "\r\n\r\n");
    size_t want = cl ? (size_t)strtoul(cl + 16, NULL, 10) : 0;
    size_t have = head_end ? strlen(head_end + 4) : 0;
    snprintf(all, sizeof all, "%s", req);
    while (have < want && have < 4000) {
        char tmp[512];
        ssize_t r = recv(fd, tmp, sizeof tmp - 1 < want - have ? sizeof tmp - 1 : want - have, 0);
        if (r <= 0)
            return -1;
        tmp[r] = '\0';
        strncat(all, tmp, sizeof all - strlen(all) - 1);
        have += (size_t)r;
    }
    if (strncmp(req, "POST /oauth2/token ", 19) != 0) {
        testsrv_reply(fd, "404 Not Found", "", "");
        return 0;
    }
    pthread_mutex_lock(&ep_lock);
    int n = ++ep_calls, status = ep_status, delay = ep_delay_ms;
    long expires = ep_expires;
    if (ep_advance > 0)
        set_clock(fake_clock() + ep_advance);
    snprintf(ep_last, sizeof ep_last, "%s", all);
    pthread_mutex_unlock(&ep_lock);
    if (delay) {
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (status == 200) {
        snprintf(body, sizeof body,
                 "{\"access_token\":\"tok-%d\",\"token_type\":\"Bearer\",\"expires_in\":%ld,"
                 "\"scope\":\"\"}",
                 n, expires);
        testsrv_reply(fd, "200 OK", "Content-Type: application/json\r\n", body);
    } else if (status == 401) {
        testsrv_reply(fd, "401 Unauthorized", "Content-Type: application/json\r\n",
                      "{\"error\":\"invalid_client\"}");
    } else if (status == 299) { /* 200 with garbage */
        testsrv_reply(fd, "200 OK", "", "{\"access_token\":\"a\r\nX-Evil: 1\"}");
    } else {
        testsrv_reply(fd, "500 Internal Server Error", "", "oops");
    }
    return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static char token_url[128], dir[64], api_url[] = "https://api.example.com:8443/api";
static struct bw_http *http;

static void clear_env(void)
{
    unsetenv("BW_CLIENT_ID");
    unsetenv("BW_CLIENT_SECRET");
    unsetenv("BW_USERNAME");
    unsetenv("BW_PASSWORD");
}

static void write_file(const char *name, mode_t mode, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    fchmod(fd, mode);
    close(fd);
}

static struct bw_auth *make(const char *file, int want_rc, char *err, size_t errlen)
{
    char path[128];
    struct bw_auth *a = NULL;
    if (file)
        snprintf(path, sizeof path, "%s/%s", dir, file);
    struct bw_auth_config c = {
        .credentials_file = file ? path : NULL,
        .token_url = token_url,
        .api_url = api_url,
        .http = http,
        .clock = fake_clock,
    };
    int rc = bw_auth_new(&c, &a, err, errlen);
    CHECK_INT(rc, want_rc);
    if (rc != want_rc)
        fprintf(stderr, "  message: %s\n", err);
    return a;
}

/* The credential bw_auth_get() hands out, as "basic:user:secret" or "bearer:token". */
static const char *cred(struct bw_auth *a)
{
    /* per thread: the workers call it at once */
    static __thread char out[BW_AUTH_SECRET_MAX + BW_AUTH_ID_MAX + 32];
    struct bw_http_auth c;
    int rc = bw_auth_get(a, &c);
    if (rc)
        snprintf(out, sizeof out, "error %d", rc);
    else if (c.kind == BW_HTTP_AUTH_BASIC)
        snprintf(out, sizeof out, "basic:%s:%s", c.user, c.secret);
    else
        snprintf(out, sizeof out, "bearer:%s", c.secret);
    bw_http_auth_wipe(&c);
    return out;
}

/* ---- sources and precedence ----------------------------------------------- */

static void test_sources(void)
{
    char err[1024];
    struct bw_auth *a;

    clear_env();
    setenv("HOME", dir, 1);
    /* nothing anywhere: one line naming every way */
    a = make(NULL, -EINVAL, err, sizeof err);
    CHECK(strstr(err, "BW_CLIENT_ID") && strstr(err, "BW_USERNAME") &&
          strstr(err, "credentials=FILE") && strstr(err, ".netrc") && !strchr(err, '\n'));

    /* 4: ~/.netrc, the entry for api_url's host */
    write_file(".netrc", 0600, "machine other login x password y\n"
                               "machine api.example.com login nuser password npass\n");
    a = make(NULL, 0, err, sizeof err);
    CHECK_STR(cred(a), "basic:nuser:npass");
    CHECK(strstr(bw_auth_describe(a), "nuser") && strstr(bw_auth_describe(a), ".netrc") &&
          !strstr(bw_auth_describe(a), "npass"));
    CHECK_INT(bw_auth_rejected(a), 0);
    CHECK_INT(bw_auth_token_fetches(a), 0);
    bw_auth_free(a);
    /* a netrc others may read: refused when it holds our entry... */
    write_file(".netrc", 0644, "machine api.example.com login nuser password npass\n");
    make(NULL, -EACCES, err, sizeof err);
    CHECK(strstr(err, "chmod 600") && !strstr(err, "npass"));
    /* ...ignored when it does not */
    write_file(".netrc", 0644, "machine elsewhere login nuser password npass\n");
    make(NULL, -EINVAL, err, sizeof err);
    CHECK(strstr(err, "no credentials") != NULL);
    write_file(".netrc", 0600, "machine api.example.com login nuser password npass\n");

    /* 3: the credentials file beats ~/.netrc */
    write_file("creds", 0600, "# test\nBW_USERNAME=fuser\nBW_PASSWORD=fpass\n");
    a = make("creds", 0, err, sizeof err);
    CHECK_STR(cred(a), "basic:fuser:fpass");
    CHECK(strstr(bw_auth_describe(a), "/creds") && !strstr(bw_auth_describe(a), "fpass"));
    bw_auth_free(a);
    write_file("creds", 0644, "BW_USERNAME=fuser\nBW_PASSWORD=fpass\n");
    make("creds", -EACCES, err, sizeof err);
    CHECK(strstr(err, "chmod 600") && strstr(err, "creds") && !strstr(err, "fpass"));
    write_file("creds", 0600, "BW_USERNAME=fuser\n");
    make("creds", -EINVAL, err, sizeof err);
    CHECK(strstr(err, "BW_PASSWORD") != NULL);
    write_file("creds", 0600, "BW_CLIENT_SECRET=csec\nBW_USERNAME=u\nBW_PASSWORD=p\n");
    make("creds", -EINVAL, err, sizeof err);
    CHECK(strstr(err, "BW_CLIENT_ID") && !strstr(err, "csec"));
    write_file("creds", 0600, "# nothing\n");
    make("creds", -EINVAL, err, sizeof err);
    CHECK(strstr(err, "holds no credentials") != NULL);
    write_file("creds", 0600, "BW_USERNAME=a:b\nBW_PASSWORD=p\n");
    make("creds", -EINVAL, err, sizeof err);
    CHECK(strstr(err, "':'") != NULL);
    make("missing", -ENOENT, err, sizeof err);
    CHECK(strstr(err, "missing") != NULL);
    /* a client pair in the file: OAuth2 (the file's client pair beats its user pair) */
    ep_set(200, 300, 0);
    write_file("creds", 0600, "BW_USERNAME=u\nBW_PASSWORD=p\nBW_CLIENT_ID=fcid\n"
                              "BW_CLIENT_SECRET=fcsec\n");
    int before = ep_count();
    a = make("creds", 0, err, sizeof err);
    CHECK_INT(ep_count(), before + 1);
    CHECK(strncmp(cred(a), "bearer:tok-", 11) == 0);
    CHECK(strstr(bw_auth_describe(a), "OAuth2 client 'fcid'") != NULL);
    bw_auth_free(a);

    /* 2: BW_USERNAME/BW_PASSWORD beat the file */
    setenv("BW_USERNAME", "euser", 1);
    setenv("BW_PASSWORD", "epass", 1);
    a = make("creds", 0, err, sizeof err);
    CHECK_STR(cred(a), "basic:euser:epass");
    CHECK(strstr(bw_auth_describe(a), "BW_USERNAME") != NULL);
    bw_auth_free(a);
    /* half a pair is an error, not a fall-through */
    unsetenv("BW_PASSWORD");
    make("creds", -EINVAL, err, sizeof err);
    CHECK(strstr(err, "BW_USERNAME is set but BW_PASSWORD is not") != NULL);
    setenv("BW_PASSWORD", "epass", 1);

    /* 1: BW_CLIENT_ID/BW_CLIENT_SECRET beat everything */
    setenv("BW_CLIENT_ID", "ecid", 1);
    setenv("BW_CLIENT_SECRET", "ecsec", 1);
    a = make("creds", 0, err, sizeof err);
    CHECK(strncmp(cred(a), "bearer:tok-", 11) == 0);
    CHECK(strstr(bw_auth_describe(a), "'ecid' from BW_CLIENT_ID") &&
          !strstr(bw_auth_describe(a), "ecsec"));
    /* the token request: POST, form body, client id and secret as Basic, JSON wanted */
    CHECK(ep_last_has("POST /oauth2/token HTTP/1.1"));
    CHECK(ep_last_has("grant_type=client_credentials"));
    CHECK(ep_last_has("Authorization: Basic ZWNpZDplY3NlYw==")); /* ecid:ecsec */
    CHECK(ep_last_has("Accept: application/json"));
    CHECK(ep_last_has("Content-Type: application/x-www-form-urlencoded"));
    bw_auth_free(a);
    unsetenv("BW_CLIENT_SECRET");
    make("creds", -EINVAL, err, sizeof err);
    CHECK(strstr(err, "BW_CLIENT_SECRET") != NULL);
    clear_env();
}

/* ---- token life cycle ----------------------------------------------------- */

static void *reject_and_get(void *arg)
{
    struct bw_auth *a = arg;
    cred(a);
    CHECK_INT(bw_auth_rejected(a), 1);
    cred(a);
    return NULL;
}

static void test_refresh_timing(void)
{
    char err[1024];
    struct bw_auth *a;

    clear_env();
    setenv("BW_CLIENT_ID", "cid", 1);
    setenv("BW_CLIENT_SECRET", "csecret", 1);

    /* a long-lived token: renewed when 60 s remain */
    ep_set(200, 300, 0);
    set_clock(1000);
    int n0 = ep_count();
    a = make(NULL, 0, err, sizeof err);
    CHECK_INT(ep_count(), n0 + 1);
    char first[64];
    snprintf(first, sizeof first, "%s", cred(a));
    for (double t = 1000; t < 1239.9; t += 20) {
        set_clock(t);
        CHECK_STR(cred(a), first);
    }
    set_clock(1239.9);
    CHECK_STR(cred(a), first);
    CHECK_INT(ep_count(), n0 + 1);
    set_clock(1240.1);
    CHECK(strcmp(cred(a), first) != 0);
    CHECK_INT(ep_count(), n0 + 2);
    CHECK_INT(bw_auth_token_fetches(a), 2);
    bw_auth_free(a);

    /* a short-lived token (3 s): renewed when a third of it remains */
    ep_set(200, 3, 0);
    set_clock(2000);
    n0 = ep_count();
    a = make(NULL, 0, err, sizeof err);
    set_clock(2001.9);
    cred(a);
    CHECK_INT(ep_count(), n0 + 1);
    set_clock(2002.1);
    cred(a);
    CHECK_INT(ep_count(), n0 + 2);
    bw_auth_free(a);

    /* expires_in 0: at most one fetch per second, not one per request */
    ep_set(200, 0, 0);
    set_clock(3000);
    n0 = ep_count();
    a = make(NULL, 0, err, sizeof err);
    for (int i = 0; i < 5; i++)
        cred(a);
    CHECK_INT(ep_count(), n0 + 1);
    bw_auth_free(a);

    /* an endpoint slower than the token lives: each call still gets a token,
     * one fetch each, instead of fetching in a loop */
    ep_set(200, 1, 0);
    pthread_mutex_lock(&ep_lock);
    ep_advance = 5;
    pthread_mutex_unlock(&ep_lock);
    set_clock(3500);
    n0 = ep_count();
    a = make(NULL, 0, err, sizeof err);
    CHECK_INT(ep_count(), n0 + 1);
    CHECK(strncmp(cred(a), "bearer:tok-", 11) == 0);
    CHECK_INT(ep_count(), n0 + 2);
    CHECK(strncmp(cred(a), "bearer:tok-", 11) == 0);
    CHECK_INT(ep_count(), n0 + 3);
    pthread_mutex_lock(&ep_lock);
    ep_advance = 0;
    pthread_mutex_unlock(&ep_lock);
    bw_auth_free(a);

    /* 401 from the API: the token is dropped and re-fetched */
    ep_set(200, 300, 0);
    set_clock(4000);
    n0 = ep_count();
    a = make(NULL, 0, err, sizeof err);
    snprintf(first, sizeof first, "%s", cred(a));
    CHECK_INT(bw_auth_rejected(a), 1);
    CHECK(strcmp(cred(a), first) != 0);
    CHECK_INT(ep_count(), n0 + 2);
    /* another thread renewed it after ours was rejected: the newer one stays */
    cred(a);
    pthread_t th;
    pthread_create(&th, NULL, reject_and_get, a);
    pthread_join(th, NULL);
    CHECK_INT(ep_count(), n0 + 3);
    CHECK_INT(bw_auth_rejected(a), 1);
    cred(a);
    CHECK_INT(ep_count(), n0 + 3);

    /* the endpoint fails later: the old token (fetched at 4000 for 300 s)
     * serves until it expires... */
    ep_set(500, 300, 0);
    set_clock(4010 + 250);
    CHECK(strncmp(cred(a), "bearer:", 7) == 0);
    CHECK_INT(ep_count(), n0 + 4);
    set_clock(4010 + 251); /* within the retry pause: no new request */
    CHECK(strncmp(cred(a), "bearer:", 7) == 0);
    CHECK_INT(ep_count(), n0 + 4);
    /* ...then the error: EIO, or EACCES once the client is rejected */
    set_clock(4010 + 301);
    CHECK_STR(cred(a), "error -5");
    CHECK_INT(ep_count(), n0 + 5);
    CHECK_STR(cred(a), "error -5"); /* shared, not retried at once */
    CHECK_INT(ep_count(), n0 + 5);
    ep_set(401, 300, 0);
    set_clock(4010 + 304);
    CHECK_STR(cred(a), "error -13");
    ep_set(299, 300, 0); /* 200 with a token that would inject a header */
    set_clock(4010 + 307);
    CHECK_STR(cred(a), "error -5");
    ep_set(200, 300, 0);
    set_clock(4010 + 310);
    CHECK(strncmp(cred(a), "bearer:tok-", 11) == 0);
    bw_auth_free(a);
    clear_env();
}

static void test_startup_failures(void)
{
    char err[1024];

    clear_env();
    setenv("BW_CLIENT_ID", "cid", 1);
    setenv("BW_CLIENT_SECRET", "wrong-client-secret", 1);
    ep_set(401, 300, 0);
    make(NULL, -EACCES, err, sizeof err);
    CHECK(strstr(err, "client credentials rejected by") && strstr(err, "/oauth2/token"));
    CHECK(strstr(err, "'cid'") && !strstr(err, "wrong-client-secret"));
    ep_set(500, 300, 0);
    make(NULL, -EIO, err, sizeof err);
    CHECK(strstr(err, "HTTP 500") != NULL);
    ep_set(299, 300, 0);
    make(NULL, -EIO, err, sizeof err);
    CHECK(strstr(err, "access_token") != NULL);
    /* nobody listening */
    char saved[128];
    snprintf(saved, sizeof saved, "%s", token_url);
    snprintf(token_url, sizeof token_url, "http://127.0.0.1:%d/oauth2/token", testsrv_dead_port());
    make(NULL, -EIO, err, sizeof err);
    CHECK(strstr(err, "cannot get an OAuth2 token from") != NULL);
    snprintf(token_url, sizeof token_url, "%s", saved);
    ep_set(200, 300, 0);
    clear_env();
}

/* ---- single flight -------------------------------------------------------- */

#define NTHREADS 16

struct worker {
    struct bw_auth *a;
    pthread_barrier_t *go;
    char got[64];
    double took;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct timespec t0, t1;
    pthread_barrier_wait(w->go);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snprintf(w->got, sizeof w->got, "%s", cred(w->a));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    w->took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return NULL;
}

/* All threads ask at once; returns how many token requests that cost. */
static int burst(struct bw_auth *a, struct worker *w)
{
    pthread_t th[NTHREADS];
    pthread_barrier_t go;
    int before = ep_count();

    pthread_barrier_init(&go, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){.a = a, .go = &go};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    return ep_count() - before;
}

static void test_single_flight(void)
{
    static struct worker w[NTHREADS];
    char err[1024], old[64];

    clear_env();
    setenv("BW_CLIENT_ID", "cid", 1);
    setenv("BW_CLIENT_SECRET", "csecret", 1);
    ep_set(200, 300, 0);
    set_clock(5000);
    struct bw_auth *a = make(NULL, 0, err, sizeof err);
    snprintf(old, sizeof old, "%s", cred(a));

    /* due for renewal but still valid: one thread renews, nobody waits for it */
    ep_set(200, 300, 400);
    set_clock(5000 + 250);
    CHECK_INT(burst(a, w), 1);
    int fresh = 0;
    for (int i = 0; i < NTHREADS; i++) {
        CHECK(strncmp(w[i].got, "bearer:tok-", 11) == 0);
        if (strcmp(w[i].got, old) != 0)
            fresh++;
        else
            CHECK(w[i].took < 0.3); /* the old token, handed out without waiting */
    }
    CHECK(fresh >= 1);

    /* expired: everybody waits for the one fetch and gets its token */
    set_clock(5000 + 250 + 400);
    CHECK_INT(burst(a, w), 1);
    for (int i = 0; i < NTHREADS; i++)
        CHECK_STR(w[i].got, w[0].got);
    CHECK(strcmp(w[0].got, old) != 0);

    /* expired and the endpoint fails: one request, every thread sees the error */
    ep_set(500, 300, 300);
    set_clock(5000 + 2000);
    CHECK_INT(burst(a, w), 1);
    for (int i = 0; i < NTHREADS; i++)
        CHECK_STR(w[i].got, "error -5");
    bw_auth_free(a);
    ep_set(200, 300, 0);
    clear_env();
}

int main(void)
{
    bw_log_init(BW_LOG_STDERR, BW_LOG_ERR);
    CHECK_INT(bw_http_global_init(), 0);
    int port = testsrv_start(handle);
    CHECK(port > 0);
    snprintf(token_url, sizeof token_url, "http://127.0.0.1:%d/oauth2/token", port);
    struct bw_http_config hc = {.connect_timeout = 5, .stall_timeout = 5, .user_agent = "test"};
    CHECK_INT(bw_http_new(&hc, &http), 0);
    snprintf(dir, sizeof dir, "/tmp/test_auth.XXXXXX");
    CHECK(mkdtemp(dir) != NULL);

    test_sources();
    test_refresh_timing();
    test_startup_failures();
    test_single_flight();

    char path[128];
    const char *files[] = {".netrc", "creds"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    bw_http_free(http);
    testsrv_stop();
    bw_http_global_cleanup();
    return check_done("test_auth");
}
