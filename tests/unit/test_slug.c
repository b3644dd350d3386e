/* test_slug: the slug rules and clash handling (slug.h). */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "slug.h"

static const char *slug(const char *name)
{
    static char buf[BW_SLUG_NAME_MAX + 1];
    bw_slug_make(name, buf, sizeof buf);
    return buf;
}

static void test_make(void)
{
    CHECK_STR(slug("Port-in Orders"), "port-in-orders");
    CHECK_STR(slug("Full Phone Number Details"), "full-phone-number-details");
    CHECK_STR(slug("E911 Addresses"), "e911-addresses");
    CHECK_STR(slug("UC Account Summary"), "uc-account-summary");
    CHECK_STR(slug("End-User Phone Number Assignment"), "end-user-phone-number-assignment");
    CHECK_STR(slug("  --Leading and trailing!!  "), "leading-and-trailing");
    CHECK_STR(slug("a  --  b"), "a-b");
    CHECK_STR(slug("ABC"), "abc");
    CHECK_STR(slug("x/y\\z..w"), "x-y-z-w");
    CHECK_STR(slug("Caf\xc3\xa9 R\xc3\xa9sum\xc3\xa9"), "caf-r-sum");
    CHECK_STR(slug("100% Fun"), "100-fun");
    CHECK_STR(slug(""), "");
    CHECK_STR(slug("!!!"), "");
    CHECK_INT(bw_slug_make("Port-in Orders", (char[32]){0}, 32), 14);

    /* length cap, no trailing '-' after the cut */
    char longname[400];
    memset(longname, 'a', sizeof longname);
    longname[sizeof longname - 1] = '\0';
    CHECK_INT(strlen(slug(longname)), BW_SLUG_BASE_MAX);
    memset(longname, 'b', BW_SLUG_BASE_MAX - 1);
    strcpy(longname + BW_SLUG_BASE_MAX - 1, " cdef");
    const char *s = slug(longname);
    CHECK(strlen(s) <= BW_SLUG_BASE_MAX);
    CHECK(s[strlen(s) - 1] != '-');

    /* small buffers are respected */
    char small[5];
    CHECK_INT(bw_slug_make("Hello World", small, sizeof small), 4);
    CHECK_STR(small, "hell");
    char tiny[3];
    bw_slug_make("a b c", tiny, sizeof tiny);
    CHECK_STR(tiny, "a");
}

static void test_idcmp(void)
{
    CHECK(bw_slug_idcmp("2", "10") < 0);
    CHECK(bw_slug_idcmp("10", "2") > 0);
    CHECK(bw_slug_idcmp("007", "7") == 0);
    CHECK(bw_slug_idcmp("14", "14") == 0);
    CHECK(bw_slug_idcmp("abc", "abd") < 0);
}

static void test_assign(void)
{
    {
        const char *names[] = {"Port-in Orders", "Port-out Orders", "New Numbers"};
        const char *ids[] = {"14", "8", "59"};
        bw_slug_name out[3];
        CHECK_INT(bw_slug_assign(names, ids, 3, out), 0);
        CHECK_STR(out[0], "port-in-orders");
        CHECK_STR(out[1], "port-out-orders");
        CHECK_STR(out[2], "new-numbers");
    }
    {   /* clash: lowest id keeps the plain slug, whatever the order */
        const char *names[] = {"Port In Orders", "port-in orders", "PORT-IN-ORDERS"};
        const char *ids[] = {"100", "14", "9"};
        bw_slug_name out[3];
        CHECK_INT(bw_slug_assign(names, ids, 3, out), 0);
        CHECK_STR(out[0], "port-in-orders-100");
        CHECK_STR(out[1], "port-in-orders-14");
        CHECK_STR(out[2], "port-in-orders");
    }
    {   /* names without letters or digits */
        const char *names[] = {"???", "", "Ok"};
        const char *ids[] = {"5", "6", "7"};
        bw_slug_name out[3];
        CHECK_INT(bw_slug_assign(names, ids, 3, out), 0);
        CHECK_STR(out[0], "report-5");
        CHECK_STR(out[1], "report-6");
        CHECK_STR(out[2], "ok");
    }
    {   /* a suffixed name colliding with a natural one gets a second suffix */
        const char *names[] = {"Foo", "Foo", "Foo 12"};
        const char *ids[] = {"1", "12", "3"};
        bw_slug_name out[3];
        CHECK_INT(bw_slug_assign(names, ids, 3, out), 0);
        CHECK_STR(out[0], "foo");
        CHECK_STR(out[1], "foo-12-12");
        CHECK_STR(out[2], "foo-12");
    }
    {   /* duplicate ids and names: suffixes run out, the last is dropped (empty name) */
        const char *names[] = {"Dup", "Dup", "Dup", "Dup"};
        const char *ids[] = {"4", "4", "4", "4"};
        bw_slug_name out[4];
        CHECK_INT(bw_slug_assign(names, ids, 4, out), 0);
        CHECK_STR(out[0], "dup");
        CHECK_STR(out[1], "dup-4");
        CHECK_STR(out[2], "dup-4-4");
        CHECK_STR(out[3], "");
    }
    {   /* numeric id order, not string order */
        const char *names[] = {"X", "X"};
        const char *ids[] = {"10", "9"};
        bw_slug_name out[2];
        CHECK_INT(bw_slug_assign(names, ids, 2, out), 0);
        CHECK_STR(out[0], "x-10");
        CHECK_STR(out[1], "x");
    }
    {
        bw_slug_name out[1];
        CHECK_INT(bw_slug_assign(NULL, NULL, 0, out), 0);
    }
}

int main(void)
{
    test_make();
    test_idcmp();
    test_assign();
    return check_done("test_slug");
}
