/* auth: credential sources (Basic from the environment today) behind bw_auth_get() (see auth.h). */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bw_auth {
    pthread_mutex_t lock;          /* guards cred (a token refresh will replace it) */
    struct bw_http_auth cred;      /* the credential handed out */
    char describe[320];            /* immutable, no secrets */
};

int bw_auth_new(const struct bw_auth_config *cfg, struct bw_auth **out, char *err, size_t errlen)
{
    const char *user = getenv("BW_USERNAME");
    const char *pass = getenv("BW_PASSWORD");

    (void)cfg;
    *out = NULL;
    if (!user || !*user || !pass || !*pass) {
        snprintf(err, errlen, "no credentials: set BW_USERNAME and BW_PASSWORD in the environment");
        return -EINVAL;
    }
    struct bw_auth *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (strlen(user) >= sizeof a->cred.user || strlen(pass) >= sizeof a->cred.secret ||
        strchr(user, ':')) {
        free(a);
        snprintf(err, errlen, "BW_USERNAME or BW_PASSWORD is too long, or BW_USERNAME has a ':'");
        return -EINVAL;
    }
    pthread_mutex_init(&a->lock, NULL);
    a->cred.kind = BW_HTTP_AUTH_BASIC;
    snprintf(a->cred.user, sizeof a->cred.user, "%s", user);
    snprintf(a->cred.secret, sizeof a->cred.secret, "%s", pass);
    snprintf(a->describe, sizeof a->describe, "Basic user '%.200s' from BW_USERNAME/BW_PASSWORD",
             user);
    for (char *p = a->describe; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    *out = a;
    return 0;
}

int bw_auth_get(struct bw_auth *a, struct bw_http_auth *out)
{
    pthread_mutex_lock(&a->lock);
    *out = a->cred;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

int bw_auth_rejected(struct bw_auth *a)
{
    (void)a;
    return 0; /* Basic: the same password would be rejected again */
}

const char *bw_auth_describe(const struct bw_auth *a)
{
    return a->describe;
}

void bw_auth_free(struct bw_auth *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->lock);
    explicit_bzero(a, sizeof *a);
    free(a);
}
