/* request: the codec of a report request a user writes into `new`. Reads
 * the two forms a user may write (the `Name = value` lines of a `parameters`
 * file, or the API's own <Instance> / <BillingReport> XML), checks a request
 * against a report type's parameter metadata in plain words, and writes the
 * XML body the API takes.
 *
 * Contract: pure code. No I/O, no globals, no locks: thread-safe once
 * libxml2 is initialised (bw_xml_init()). Inputs are untrusted: at most
 * BW_REQUEST_MAX bytes, no NUL bytes, valid UTF-8, no DTD or entity.
 * Functions that take err/errlen write one line of plain words there on
 * failure (never a secret; quoted user text is cut short and made printable).
 */
#ifndef BW_REQUEST_H
#define BW_REQUEST_H

#include <stddef.h>
#include <time.h>

#include "model.h"

#define BW_REQUEST_MAX (64u << 10) /* bytes of one written request */
#define BW_REQUEST_EXPIRES_DAYS 30 /* ExpiresAt may be at most this many days ahead */

/* One parameter: its name and its values in the order given (never empty
 * after parsing: a `Name =` line with no value is not a value). */
struct bw_request_param {
    char *name;
    char **values;
    size_t n_values;
};

/* An account report request. output_format and expires_at are NULL when not
 * given. Zero-initialise, fill with bw_request_parse() (or
 * bw_request_add_value()), release with bw_request_free(). */
struct bw_request {
    char *output_format;
    char *expires_at;
    struct bw_request_param *params;
    size_t n_params;
};

/* A billing report request. Strings are "" when not given. */
struct bw_billing_request {
    char type[48];
    char start[11]; /* YYYY-MM-DD */
    char end[11];
};

/* Parse a written request: `Name = value` lines (split on the first '=';
 * spaces and tabs around name and value trimmed; blank lines and lines whose
 * first non-space is '#' ignored; a repeated name adds a value; a `Name =`
 * line with nothing after '=' means "not given"; the keys OutputFormat and
 * ExpiresAt, in any case, fill those fields), or an <Instance> document
 * (chosen when the first byte after spaces and a UTF-8 BOM is '<').
 * *out is overwritten (not freed first). 0, or -EINVAL / -EFBIG (over
 * BW_REQUEST_MAX) with *out empty and a message in err, or -ENOMEM. */
int bw_request_parse(const char *buf, size_t len, struct bw_request *out, char *err, size_t errlen);

/* Check r against the report type and normalise it: fill an absent
 * parameter of type `Account ID` with account (if account is non-empty);
 * OutputFormat present and one of type->formats (any case; or, when the type
 * lists none, pdf csv xls xlsx html xml), rewritten to the listed spelling;
 * no unknown names; required ones present; repeated equal values dropped;
 * one value unless MultiSelectAllowed; Enum values among the InternalNames
 * (a DisplayName, or a name in another case that matches one value, is
 * replaced by its InternalName); Date a real YYYY-MM-DD; Integer -?digits;
 * Boolean true/false (any case, written lower case); `... ID` types digits;
 * ExpiresAt a real date from today to today + 30 days (UTC day of now).
 * 0, or -EINVAL with every problem found in err ("; "-separated), or -ENOMEM. */
int bw_request_validate(struct bw_request *r, const struct bw_report_detail *type,
                        const char *account, time_t now, char *err, size_t errlen);

/* The <Instance> body (XML declaration, UTF-8, text escaped), ExpiresAt only
 * when given. *out is malloc'd and NUL-terminated, *len its length.
 * 0, -EINVAL (a string that is not valid UTF-8 text), -ENOMEM. */
int bw_request_instance_xml(const struct bw_request *r, char **out, size_t *len);

/* Parse a billing request for the directory of type dir_type: `StartDate =`,
 * `EndDate =` (and optionally `Type =`) lines, keys in any case, or a
 * <BillingReport> document whose Type, if present, equals dir_type (any
 * case). out->type is dir_type. Values longer than a date are refused here;
 * the dates themselves are checked by bw_request_validate_billing().
 * 0, or -EINVAL / -EFBIG with a message. */
int bw_request_parse_billing(const char *buf, size_t len, const char *dir_type,
                             struct bw_billing_request *out, char *err, size_t errlen);

/* Both dates given and real, start not after end, end not after today (UTC
 * day of now), type non-empty. 0 or -EINVAL with a message. */
int bw_request_validate_billing(const struct bw_billing_request *b, time_t now, char *err,
                                size_t errlen);

/* The <BillingReport> body. 0, -EINVAL (bad type text), -ENOMEM. */
int bw_request_billing_xml(const struct bw_billing_request *b, char **out, size_t *len);

/* 1 if instance in was requested with r: the same OutputFormat (any case)
 * and the same multiset of (name, value) pairs; ExpiresAt is not compared.
 * r should be the request as validated (and so sent): Account ID filled,
 * Enum values as InternalNames. 0 otherwise (also when out of memory: the
 * caller must then not adopt). */
int bw_request_same(const struct bw_request *r, const struct bw_instance *in);

/* Add a value to parameter name (created at the end if new). 0, -ENOMEM,
 * -E2BIG (over BW_MODEL_MAX_PARAMS or BW_MODEL_MAX_VALUES). */
int bw_request_add_value(struct bw_request *r, const char *name, const char *value);

/* Release everything r holds and zero it (r may be zeroed already). */
void bw_request_free(struct bw_request *r);

/* Parse a strict "YYYY-MM-DD" (a real day of the Gregorian calendar, years
 * 0001-9999) into days since 1970-01-01. 0 or -EINVAL. */
int bw_request_parse_day(const char *s, long *days);

#endif
