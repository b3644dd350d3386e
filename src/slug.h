/* slug: pure functions turning report names into unique directory names.
 *
 * Rules (the contract tests/unit/test_slug.c checks):
 *  - a name is lower-cased; every run of characters other than a-z and 0-9
 *    becomes one '-'; no '-' at either end; at most BW_SLUG_BASE_MAX bytes
 *    (cut at a character boundary of the result, trailing '-' dropped);
 *    "Port-in Orders" -> "port-in-orders", "E911 Addresses" -> "e911-addresses";
 *  - a name with no letter or digit becomes "report-<id>";
 *  - when several reports share a slug, the one with the lowest id keeps it
 *    and each other gets "-<id>" appended (ids compare numerically when both
 *    are decimal), so adding a newer report type never renames an older one;
 *  - if a suffixed name still collides, "-<id>" is appended once more; an
 *    entry that still collides (duplicate ids) gets an empty name: skip it.
 * No allocation beyond the caller's buffers except a scratch index array;
 * no locking, no global state.
 */
#ifndef BW_SLUG_H
#define BW_SLUG_H

#include <stddef.h>

#define BW_SLUG_BASE_MAX 120
#define BW_SLUG_NAME_MAX 255 /* base + two "-<id>" suffixes (ids <= 64 bytes) */

typedef char bw_slug_name[BW_SLUG_NAME_MAX + 1];

/* Slug of name into out (outsize >= 1). Returns its length; 0 when name has
 * no letter or digit. Never writes more than min(outsize-1, BW_SLUG_BASE_MAX). */
size_t bw_slug_make(const char *name, char *out, size_t outsize);

/* Unique names for n reports (names[i], ids[i]) into out[i], per the rules
 * above. Returns 0 or -ENOMEM. */
int bw_slug_assign(const char *const *names, const char *const *ids, size_t n, bw_slug_name *out);

/* Compare two ids: numerically if both are decimal, else bytewise. */
int bw_slug_idcmp(const char *a, const char *b);

#endif
