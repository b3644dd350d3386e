/* check: a tiny assertion helper for bwreportfs unit tests. Each test is its
 * own executable; CHECK* record failures and keep going; return check_done(). */
#ifndef BW_CHECK_H
#define BW_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        check_count++;                                                                \
        if (!(cond)) {                                                                \
            check_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

#define CHECK_INT(got, want)                                                          \
    do {                                                                              \
        long long g_ = (long long)(got), w_ = (long long)(want);                      \
        check_count++;                                                                \
        if (g_ != w_) {                                                               \
            check_failures++;                                                         \
            fprintf(stderr, "%s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #got, \
                    g_, w_);                                                          \
        }                                                                             \
    } while (0)

#define CHECK_STR(got, want)                                                          \
    do {                                                                              \
        const char *g_ = (got), *w_ = (want);                                         \
        check_count++;                                                                \
        if (!g_ || !w_ || strcmp(g_, w_) != 0) {                                      \
            check_failures++;                                                         \
            fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__,  \
                    #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");                    \
        }                                                                             \
    } while (0)

static inline int check_done(const char *name)
{
    if (check_failures)
        fprintf(stderr, "%s: %d of %d checks failed\n", name, check_failures, check_count);
    else
        printf("%s: %d checks passed\n", name, check_count);
    return check_failures ? 1 : 0;
}

#endif
