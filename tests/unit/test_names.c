/* test_names: safe report file names from hostile Content-Disposition names,
 * desktop probe names, billing types (names.h), and remembered ids (state.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "names.h"
#include "state.h"

static const char *safe(const char *raw, const char *suffix)
{
    static char out[256];
    bw_names_file(raw, "report-7.csv", suffix, out, sizeof out);
    return out;
}

static void test_file_names(void)
{
    CHECK_STR(safe("Report Name 100002.csv", NULL), "Report Name 100002.csv");
    CHECK_STR(safe("output.csv", NULL), "output.csv");
    CHECK_STR(safe("", NULL), "report-7.csv");
    CHECK_STR(safe(NULL, NULL), "report-7.csv");
    CHECK_STR(safe(".", NULL), "report-7.csv");
    CHECK_STR(safe("..", NULL), "report-7.csv");
    CHECK_STR(safe("../../etc/passwd", NULL), "report-7.csv"); /* ".._.._etc_passwd": a dot name */
    CHECK_STR(safe("a/b\\c", NULL), "a_b_c");
    CHECK_STR(safe("x\ny\rz\tw\x7f.csv", NULL), "x_y_z_w_.csv");
    CHECK_STR(safe("  padded.csv  ", NULL), "padded.csv");
    CHECK_STR(safe("status", NULL), "report-7.csv");
    CHECK_STR(safe("info.xml", NULL), "report-7.csv");
    CHECK_STR(safe("parameters", NULL), "report-7.csv");
    CHECK_STR(safe("new", NULL), "report-7.csv");
    CHECK_STR(safe("latest", NULL), "report-7.csv");
    CHECK_STR(safe(".hidden", NULL), "report-7.csv");
    CHECK_STR(safe("desktop.ini", NULL), "report-7.csv");
    CHECK_STR(safe("Résumé.csv", NULL), "Résumé.csv");

    /* long names are cut at a UTF-8 boundary and keep their extension */
    char longname[1000];
    memset(longname, 'a', sizeof longname);
    memcpy(longname + 600, "\xc3\xa9\xc3\xa9", 4);
    strcpy(longname + 900, ".csv");
    const char *s = safe(longname, NULL);
    CHECK(strlen(s) <= BW_NAMES_FILE_MAX);
    CHECK(strcmp(s + strlen(s) - 4, ".csv") == 0);
    char mid[BW_NAMES_FILE_MAX + 10];
    memset(mid, 'b', sizeof mid);
    memcpy(mid + BW_NAMES_FILE_MAX - 5, "\xc3\xa9", 2);
    mid[sizeof mid - 1] = '\0';
    s = safe(mid, NULL);
    CHECK(strlen(s) <= BW_NAMES_FILE_MAX);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        CHECK(*p != 0xc3 || (p[1] & 0xc0) == 0x80); /* no lead byte without its continuation */

    /* billing: always .zip */
    CHECK_STR(safe("bdrs_2021-07-16_2021-09-16.zip", ".zip"), "bdrs_2021-07-16_2021-09-16.zip");
    CHECK_STR(safe("bdrs.ZIP", ".zip"), "bdrs.ZIP");
    CHECK_STR(safe("bdrs", ".zip"), "bdrs.zip");
    char out[256];
    bw_names_file("", "0b1c-uuid", ".zip", out, sizeof out);
    CHECK_STR(out, "0b1c-uuid.zip");
}

static void test_probes(void)
{
    const char *yes[] = {".hidden", ".Trash", ".Trash-1000", ".directory", "autorun.inf",
                         ".xdg-volume-info", ".thumbnails", ".cache", "desktop.ini",
                         "Desktop.ini", "folder.jpg", ".DS_Store", "._foo", ".git", ".svn",
                         "BDMV", ".localized", "."};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECK(bw_names_is_probe(yes[i]));
    CHECK(!bw_names_is_probe("status"));
    CHECK(!bw_names_is_probe("report.csv"));
    CHECK(!bw_names_is_probe("14"));
}

static void test_billing_types(void)
{
    CHECK_INT(bw_names_billing_count, 24);
    CHECK(bw_names_billing_known("DIDSNAP_MSG"));
    CHECK(!bw_names_billing_known("didsnap"));
    CHECK(bw_names_billing_listable("DIDSNAP") && bw_names_billing_listable("DIDSNAP_MSG"));
    CHECK(!bw_names_billing_listable("BDR"));
}

static void test_state(void)
{
    char dir[] = "/tmp/bwstate-XXXXXX", path[512];
    struct bw_state_billing_list l;

    CHECK(mkdtemp(dir) != NULL);
    CHECK_INT(bw_state_billing_ids(dir, "9900001", &l), 0); /* no file: empty */
    CHECK_INT(l.n, 0);
    CHECK_INT(bw_state_billing_ids(NULL, "9900001", &l), 0);
    snprintf(path, sizeof path, "%s/9900001", dir);
    CHECK_INT(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/9900001/billing.ids", dir);
    FILE *f = fopen(path, "w");
    fputs("BDR 1b2c3d4e-0000-1111-2222-333344445555\nNOPE abc\nBDR ../x\n"
          "INVOICE aa-bb\nBDR 1b2c3d4e-0000-1111-2222-333344445555\ngarbage\n\n", f);
    fclose(f);
    CHECK_INT(bw_state_billing_ids(dir, "9900001", &l), 0);
    CHECK_INT(l.n, 2);
    if (l.n == 2) {
        CHECK_STR(l.items[0].type, "BDR");
        CHECK_STR(l.items[0].id, "1b2c3d4e-0000-1111-2222-333344445555");
        CHECK_STR(l.items[1].type, "INVOICE");
    }
    bw_state_billing_list_free(&l);
    unlink(path);
    snprintf(path, sizeof path, "%s/9900001", dir);
    rmdir(path);
    rmdir(dir);
}

int main(void)
{
    test_file_names();
    test_probes();
    test_billing_types();
    test_state();
    return check_done("test_names");
}
