/* model: plain data the Bandwidth API returns (report types, error envelopes).
 *
 * Contract: no I/O and no locking; values are owned by whoever holds the
 * struct and released with the matching bw_model_*_free(). Filled by xml,
 * passed up by api, consumed by tree.
 */
#ifndef BW_MODEL_H
#define BW_MODEL_H

#include <stddef.h>

/* Hard caps on what one API answer may make us hold. */
#define BW_MODEL_MAX_REPORTS 10000
#define BW_MODEL_ID_MAX 64          /* bytes of an id */
#define BW_MODEL_TEXT_MAX 4096      /* bytes of a name or description */
#define BW_MODEL_DESC_MAX 512       /* bytes kept of an error description */

/* One report type from GET /reports. */
struct bw_report {
    char *id;          /* "14": letters, digits, '-', '_' and '.' only */
    char *name;        /* "Port-in Orders" */
    char *description; /* may be "" */
};

struct bw_report_list {
    struct bw_report *items;
    size_t n, cap;
    char *next_url;    /* pagination: <Links><next> target, or NULL */
};

/* An error envelope, in any of the forms the API uses. */
struct bw_api_error {
    int found;          /* 1 if an envelope with a code was present */
    long code;          /* ErrorCode / Code / resultCode; 0 if absent or not a number */
    char description[BW_MODEL_DESC_MAX]; /* printable ASCII/UTF-8, may be "" */
};

/* Append a copy of (id, name, description). 0, -ENOMEM or -E2BIG (over the cap). */
int bw_model_report_list_add(struct bw_report_list *l, const char *id, const char *name,
                             const char *description);

/* Move every item of src to the end of dst (src is left empty). 0, -ENOMEM, -E2BIG. */
int bw_model_report_list_join(struct bw_report_list *dst, struct bw_report_list *src);

void bw_model_report_list_free(struct bw_report_list *l);

/* Non-zero if s is acceptable as an id (non-empty, <= BW_MODEL_ID_MAX,
 * [A-Za-z0-9._-] only, not "." or ".."). Ids end up in URLs and file names. */
int bw_model_id_ok(const char *s);

#endif
