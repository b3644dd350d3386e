/* test_authparse: the credentials file, ~/.netrc and token JSON parsers, and
 * the private-file check, fed good and hostile input (authparse.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authparse.h"
#include "check.h"

static struct bw_creds creds;

static int credfile(const char *text, char *err, size_t errlen)
{
    return bw_authparse_credfile(text, strlen(text), "creds", &creds, err, errlen);
}

static void test_credfile(void)
{
    char err[256];

    CHECK_INT(credfile("# my Bandwidth user\n\n  BW_USERNAME=demo\r\n"
                       "export BW_PASSWORD = \"pa ss=#word\" \n",
                       err, sizeof err),
              0);
    CHECK_STR(creds.username, "demo");
    CHECK_STR(creds.password, "pa ss=#word");
    CHECK_STR(creds.client_id, "");
    CHECK_INT(credfile("BW_CLIENT_ID=cid\nBW_CLIENT_SECRET='s3cr\"et'", err, sizeof err), 0);
    CHECK_STR(creds.client_id, "cid");
    CHECK_STR(creds.client_secret, "s3cr\"et");
    CHECK_INT(credfile("", err, sizeof err), 0);
    CHECK_STR(creds.username, "");

    /* errors name the line and the key, never the value */
    CHECK_INT(credfile("BW_USERNAME=demo\nBW_PASSWORD=hunter2\nBW_PASSWD=hunter3\n", err,
                       sizeof err),
              -EINVAL);
    CHECK(strstr(err, "line 3") && strstr(err, "BW_PASSWD") && !strstr(err, "hunter"));
    CHECK_INT(credfile("hunter2=x\n", err, sizeof err), -EINVAL); /* a pasted secret? */
    CHECK(strstr(err, "unknown key (") && !strstr(err, "hunter"));
    CHECK_INT(credfile("BW_PASSWORD=hunter2\nBW_PASSWORD=hunter3\n", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "twice") && !strstr(err, "hunter"));
    CHECK_INT(credfile("BW_PASSWORD=\n", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "empty") != NULL);
    CHECK_INT(credfile("BW_PASSWORD hunter2\n", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "KEY=VALUE") && !strstr(err, "hunter"));
    CHECK_INT(credfile("=hunter2\n", err, sizeof err), -EINVAL);
    CHECK_INT(credfile("BW_PASSWORD=hun\x01ter\n", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "control") && !strstr(err, "hun"));
    CHECK_INT(bw_authparse_credfile("BW_PASSWORD=a\0b", 15, "creds", &creds, err, sizeof err),
              -EINVAL); /* a NUL byte in the file */
    char *big = malloc(6000);
    if (big) {
        memcpy(big, "BW_USERNAME=", 12);
        memset(big + 12, 'u', 5000);
        big[5012] = '\0';
        CHECK_INT(credfile(big, err, sizeof err), -EINVAL);
        CHECK(strstr(err, "too long") != NULL);
        free(big);
    }
    bw_authparse_wipe_creds(&creds);
    CHECK_STR(creds.password, "");
}

static int netrc(const char *text, const char *host, char *user, char *pass, int *found, char *err)
{
    return bw_authparse_netrc(text, strlen(text), host, user, BW_AUTH_ID_MAX, pass,
                              BW_AUTH_SECRET_MAX, found, err, 256);
}

static void test_netrc(void)
{
    char user[BW_AUTH_ID_MAX], pass[BW_AUTH_SECRET_MAX], err[256];
    int found;

    const char *text = "# Bandwidth and others\n"
                       "machine other.example login o password op\n"
                       "machine api.bandwidth.com\n  login demo\n  password \"pw with space\"\n"
                       "macdef init\ncd /pub\nmachine evil login x password y\n\n"
                       "default login anon password anonpw\n";
    CHECK_INT(netrc(text, "API.Bandwidth.com", user, pass, &found, err), 0);
    CHECK_INT(found, 1);
    CHECK_STR(user, "demo");
    CHECK_STR(pass, "pw with space");
    CHECK_INT(netrc(text, "other.example", user, pass, &found, err), 0);
    CHECK_STR(user, "o");
    /* "machine evil" sits in a macdef body: not an entry */
    CHECK_INT(netrc(text, "evil", user, pass, &found, err), 0);
    CHECK_INT(found, 1);
    CHECK_STR(user, "anon");
    CHECK_STR(pass, "anonpw");
    /* a default entry before the machine entry does not hide it */
    CHECK_INT(netrc("default login d password dp machine h login u password p", "h", user, pass,
                    &found, err),
              0);
    CHECK_STR(user, "u");
    CHECK_INT(netrc("machine a login u password p", "b", user, pass, &found, err), 0);
    CHECK_INT(found, 0);
    CHECK_STR(pass, "");
    CHECK_INT(netrc("", "b", user, pass, &found, err), 0);
    CHECK_INT(found, 0);
    /* a password may start with '#'; account values are skipped */
    CHECK_INT(netrc("machine h account acct login u password #hash", "h", user, pass, &found, err),
              0);
    CHECK_STR(pass, "#hash");
    /* errors */
    CHECK_INT(netrc("machine h login u", "h", user, pass, &found, err), -EINVAL);
    CHECK(strstr(err, "no password") != NULL);
    CHECK_INT(found, 0);
    CHECK_INT(netrc("machine h login u password", "h", user, pass, &found, err), -EINVAL);
    CHECK_INT(netrc("machine", "h", user, pass, &found, err), -EINVAL);
    CHECK_INT(netrc("login u password p", "h", user, pass, &found, err), 0); /* no entry: found 0 */
    CHECK_INT(netrc("stray words", "h", user, pass, &found, err), -EINVAL);
    CHECK_INT(netrc("machine h login a:b password p", "h", user, pass, &found, err), -EINVAL);
    CHECK(strstr(err, "':'") != NULL && strstr(err, "p\n") == NULL);
    CHECK_INT(netrc("machine h login u password \"p\nq\"", "h", user, pass, &found, err), -EINVAL);
    CHECK_INT(found, 0);
}

static int token(const char *json, struct bw_token_answer *t)
{
    return bw_authparse_token(json, strlen(json), t);
}

static void test_token_json(void)
{
    static struct bw_token_answer t;

    CHECK_INT(token("{\"access_token\":\"abc.DEF-123_~+/=\",\"token_type\":\"Bearer\","
                    "\"expires_in\":3600,\"scope\":\"a b\"}",
                    &t),
              0);
    CHECK_STR(t.access_token, "abc.DEF-123_~+/=");
    CHECK_INT(t.expires_in, 3600);
    CHECK_STR(t.token_type, "Bearer");
    CHECK_INT(token(" \n{ \"expires_in\" : \"30\" , \"nested\": {\"a\": [1, -2.5e3, true, null, "
                    "{\"access_token\": \"no\"}]}, \"access_token\" : \"x\\/y\\u0041\" } \n",
                    &t),
              0);
    CHECK_STR(t.access_token, "x/yA");
    CHECK_INT(t.expires_in, 30);
    CHECK_INT(token("{\"access_token\":\"x\"}", &t), 0);
    CHECK_INT(t.expires_in, -1);
    CHECK_INT(token("{\"access_token\":\"x\",\"expires_in\":99999999999999999999999}", &t), 0);
    CHECK(t.expires_in > 0 && t.expires_in <= 10LL * 366 * 24 * 3600);
    CHECK_INT(token("{\"access_token\":\"x\",\"expires_in\":59.9}", &t), 0);
    CHECK_INT(t.expires_in, 59);
    CHECK_INT(token("{\"error\":\"invalid_client\",\"error_description\":\"bad\"}", &t), 0);
    CHECK_STR(t.error, "invalid_client");
    CHECK_STR(t.access_token, "");
    CHECK_INT(token("{}", &t), 0);

    /* hostile or broken answers */
    const char *bad[] = {
        "",
        "[]",
        "\"access_token\"",
        "{",
        "{\"access_token\":\"x\"",
        "{\"access_token\":\"x\",}",
        "{\"access_token\":\"x\"} trailing",
        "{\"access_token\":\"x\"}{}",
        "{\"access_token\":x}",
        "{\"access_token\":123}",
        "{\"access_token\":\"a b\"}",              /* space: not a token68 */
        "{\"access_token\":\"a\\r\\nX-Evil: 1\"}", /* header injection */
        "{\"access_token\":\"a\\u0000b\"}",
        "{\"access_token\":\"caf\\u00e9\"}",
        "{\"access_token\":\"caf\xc3\xa9\"}",
        "{\"access_token\":\"a\tb\"}",
        "{\"access_token\":\"a\\qb\"}",
        "{\"access_token\":\"a\\u12\"}",
        "{\"access_token\":\"a\",\"access_token\":\"b\"}",
        "{\"access_token\":\"a\",\"expires_in\":-5}",
        "{\"access_token\":\"a\",\"expires_in\":1e3}",
        "{\"access_token\":\"a\",\"expires_in\":\"soon\"}",
        "{\"access_token\":\"a\",\"expires_in\":true}",
        "{\"access_token\":\"a\",\"expires_in\":1,\"expires_in\":2}",
        "{\"access_token\":\"a\",\"x\":tru}",
        "{\"access_token\":\"a\",\"x\":01.}",
        "{\"access_token\":\"a\" \"x\":1}",
        "{'access_token':'a'}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = token(bad[i], &t);
        if (rc != -EBADMSG)
            fprintf(stderr, "accepted or misjudged: %s (%d)\n", bad[i], rc);
        CHECK_INT(rc, -EBADMSG);
        CHECK_STR(t.access_token, "");
    }
    /* not NUL-terminated: the length is the limit */
    CHECK_INT(bw_authparse_token("{\"access_token\":\"abc\"}XYZ", 22, &t), 0);
    CHECK_INT(bw_authparse_token("{\"access_token\":\"abc\"}", 10, &t), -EBADMSG);
    /* deep nesting is refused, not a stack overflow */
    static char deep[4200];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "{\"a\":");
    for (int i = 0; i < 2000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 2000; i++)
        deep[n++] = ']';
    memcpy(deep + n, ",\"access_token\":\"x\"}", 21);
    CHECK_INT(token(deep, &t), -EBADMSG);
    /* a token longer than the buffer */
    static char longtok[BW_AUTH_SECRET_MAX + 64];
    n = (size_t)snprintf(longtok, sizeof longtok, "{\"access_token\":\"");
    memset(longtok + n, 'a', BW_AUTH_SECRET_MAX);
    memcpy(longtok + n + BW_AUTH_SECRET_MAX, "\"}", 3);
    CHECK_INT(token(longtok, &t), -E2BIG);
    CHECK_STR(t.access_token, "");
    /* a long unknown key and long error strings are fine */
    CHECK_INT(token("{\"a_very_long_key_that_is_none_of_ours_at_all_really\":1,"
                    "\"access_token\":\"k\","
                    "\"token_type\":\"BearerBearerBearerBearerBearerBearer\"}",
                    &t),
              0);
    CHECK_STR(t.access_token, "k");
}

static void test_private_file(void)
{
    char dir[] = "/tmp/test_authparse.XXXXXX", path[128], err[512];
    char *buf;
    size_t len;

    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    snprintf(path, sizeof path, "%s/creds", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, "BW_USERNAME=u\n", 14) == 14);
    close(fd);
    CHECK_INT(bw_authparse_read_file(path, 1, &buf, &len, err, sizeof err), 0);
    CHECK_INT(len, 14);
    CHECK(buf && strcmp(buf, "BW_USERNAME=u\n") == 0);
    free(buf);
    const mode_t modes[] = {0644, 0640, 0604, 0620, 0601, 0610};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        chmod(path, modes[i]);
        CHECK_INT(bw_authparse_read_file(path, 1, &buf, &len, err, sizeof err), -EACCES);
        CHECK(strstr(err, "chmod 600") != NULL && strstr(err, path) != NULL);
        CHECK(buf == NULL);
    }
    /* without the check (the netrc's first look) it reads */
    CHECK_INT(bw_authparse_read_file(path, 0, &buf, &len, err, sizeof err), 0);
    free(buf);
    chmod(path, 0400);
    CHECK_INT(bw_authparse_read_file(path, 1, &buf, &len, err, sizeof err), 0);
    free(buf);
    if (geteuid() == 0) {
        /* owned by someone else: refused even with mode 0600 */
        CHECK(chown(path, 4242, 4242) == 0);
        CHECK_INT(bw_authparse_read_file(path, 1, &buf, &len, err, sizeof err), -EACCES);
        CHECK(strstr(err, "uid 4242") != NULL);
    }
    CHECK_INT(bw_authparse_read_file(dir, 1, &buf, &len, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "not a regular file") != NULL);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none", dir);
    CHECK_INT(bw_authparse_read_file(missing, 1, &buf, &len, err, sizeof err), -ENOENT);
    CHECK(strstr(err, missing) != NULL);
    /* too big */
    fd = open(missing, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(ftruncate(fd, BW_AUTH_FILE_MAX + 1) == 0);
    close(fd);
    CHECK_INT(bw_authparse_read_file(missing, 1, &buf, &len, err, sizeof err), -EFBIG);
    unlink(missing);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_credfile();
    test_netrc();
    test_token_json();
    test_private_file();
    return check_done("test_authparse");
}
