/* model: plain data the Bandwidth API returns (report types and their
 * parameters, instances, billing reports, error envelopes) and its dates.
 *
 * Contract: no I/O and no locking; values are owned by whoever holds the
 * struct and released with the matching bw_model_*_free(). Filled by xml,
 * passed up by api, consumed by tree.
 */
#ifndef BW_MODEL_H
#define BW_MODEL_H

#include <stddef.h>
#include <time.h>

/* Hard caps on what one API answer may make us hold. */
#define BW_MODEL_MAX_REPORTS 10000
#define BW_MODEL_MAX_INSTANCES 20000  /* per list, all pages together */
#define BW_MODEL_MAX_BILLING 10000    /* per list */
#define BW_MODEL_MAX_PARAMS 256       /* parameters of one report type or instance */
#define BW_MODEL_MAX_VALUES 1024      /* values / filter words of one parameter */
#define BW_MODEL_MAX_FORMATS 32       /* output formats of one report type */
#define BW_MODEL_ID_MAX 64            /* bytes of an id */
#define BW_MODEL_TEXT_MAX 4096        /* bytes of a name or description */
#define BW_MODEL_DESC_MAX 512         /* bytes kept of an error description */
#define BW_MODEL_XML_MAX (256u << 10) /* bytes of one serialised element (info.xml) */

/* A time the API did not send or that could not be parsed. */
#define BW_MODEL_NO_TIME ((time_t)-1)

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

/* One allowed value of an Enum parameter. */
struct bw_param_value {
    char *internal_name; /* what a request sends: "COMPLETE" */
    char *display_name;  /* what a person reads: "Complete"; may be "" */
};

/* One parameter a report type accepts (GET /reports/{id}). Strings are never
 * NULL ("" when the API left the field out). */
struct bw_report_param {
    char *name;         /* "StartDate" */
    char *type;         /* "Date", "Enum", "Account ID", ... as the API spells it */
    char *description;
    char *help;         /* HelpInformation */
    char *recommended;  /* RecommendedValue, "" if none */
    int required;       /* Required is "true" (any case) or "1" */
    int multi;          /* MultiSelectAllowed likewise */
    char **filter;      /* ValueFilter split on ';', empty words dropped */
    size_t n_filter;
    struct bw_param_value *values; /* <Values><Value>, in document order */
    size_t n_values;
};

/* GET /reports/{id}: a report type with its parameters. */
struct bw_report_detail {
    char *id, *name, *description;
    char **formats;     /* <OutputFormats><OutputFormat>, if listed (the simulator does) */
    size_t n_formats;
    struct bw_report_param *params;
    size_t n_params;
};

/* One parameter of an instance: a name and its values, in document order.
 * Repeated <Parameter> elements with the same Name are merged. */
struct bw_instance_param {
    char *name;
    char **values;
    size_t n_values;
};

/* One report instance (GET .../instances, .../instances/{iid}). Strings are
 * never NULL ("" when absent); times are BW_MODEL_NO_TIME when absent or not
 * understood (the raw text is kept either way). */
struct bw_instance {
    char *id;             /* "100001", bw_model_id_ok() */
    char *report_id;      /* "4" ("" if absent) */
    char *report_name;
    char *output_format;  /* "csv", "pdf", ... */
    char *requested_by;   /* RequestedByUserName */
    char *requested_at;   /* raw: "2022-9-16 11:05:12" */
    time_t requested_at_t;
    char *status;         /* "Ready", "Expired", "Error", or an in-progress word */
    char *expires_at;     /* raw "YYYY-MM-DD"; "" for expired instances */
    time_t expires_at_t;
    char *description;
    char *completed_at;   /* raw, like requested_at */
    time_t completed_at_t;
    long error_code;      /* ErrorDetails/Code, 0 if none */
    char *error_message;  /* ErrorDetails/Message */
    struct bw_instance_param *params;
    size_t n_params;
    char *xml;            /* the <Instance> element as the API sent it, with an
                           * XML declaration in front and a final newline */
    size_t xml_len;
};

struct bw_instance_list {
    struct bw_instance *items;
    size_t n, cap;
    char *next_url;       /* pagination: <Links><next> target, or NULL */
};

/* One billing report: an entry of GET /billingreports, or the status answer
 * of GET /billingreports/{uuid} (which carries only status and description;
 * the other strings are "" then, except id, which api fills in). */
struct bw_billing {
    char *id;             /* BillingReportId: a UUID */
    char *kind;           /* BillingReportKind: "DIDSNAP" */
    char *user_id;
    char *status;         /* ReportStatus: RECEIVED, PROCESSING, COMPLETED, ... */
    char *description;
    char *created;        /* CreatedDate raw: "2026-12-01T03:12:05.000Z" */
    time_t created_t;
    char *start, *end;    /* DateRange StartDate / EndDate, raw "YYYY-MM-DD" */
    char *xml;            /* the <BillingReport> element (list) or the whole
                           * answer's root element (single), declaration in front */
    size_t xml_len;
};

struct bw_billing_list {
    struct bw_billing *items;
    size_t n, cap;
};

/* Append a copy of (id, name, description). 0, -ENOMEM or -E2BIG (over the cap). */
int bw_model_report_list_add(struct bw_report_list *l, const char *id, const char *name,
                             const char *description);

/* Move every item of src to the end of dst (src is left empty). 0, -ENOMEM, -E2BIG. */
int bw_model_report_list_join(struct bw_report_list *dst, struct bw_report_list *src);

void bw_model_report_list_free(struct bw_report_list *l);

void bw_model_report_detail_free(struct bw_report_detail *d);

/* Free the strings, parameters and xml of one instance and zero it. */
void bw_model_instance_free(struct bw_instance *in);

/* Move *in (which is zeroed) to the end of l. 0, -ENOMEM, -E2BIG (over
 * BW_MODEL_MAX_INSTANCES; *in is then left to the caller). */
int bw_model_instance_list_push(struct bw_instance_list *l, struct bw_instance *in);

/* Move every item of src to the end of dst. 0, -ENOMEM, -E2BIG. */
int bw_model_instance_list_join(struct bw_instance_list *dst, struct bw_instance_list *src);

void bw_model_instance_list_free(struct bw_instance_list *l);

void bw_model_billing_free(struct bw_billing *b);

/* Move *b (zeroed afterwards) to the end of l. 0, -ENOMEM, -E2BIG. */
int bw_model_billing_list_push(struct bw_billing_list *l, struct bw_billing *b);

void bw_model_billing_list_free(struct bw_billing_list *l);

/* Parse an API date or time, taken as UTC unless it names an offset:
 *   "2022-9-16 11:05:12" (unpadded, the API's usual form), "2015-05-19 11:05:12",
 *   "2026-12-01T03:12:05.000Z" (ISO 8601: 'T' or ' ', fraction, 'Z' or
 *   +HH:MM / -HH:MM / +HHMM), "2022-09-16 11:05" (no seconds), "2027-01-02"
 *   (a date alone: midnight UTC). Surrounding spaces are allowed.
 * Fields are range-checked (month 1-12, day within the month, leap years,
 * hour 0-23, minute 0-59, second 0-60); years 1970-9999.
 * 0 and *out set, or -EINVAL (*out = BW_MODEL_NO_TIME). */
int bw_model_parse_time(const char *s, time_t *out);

/* Non-zero if s is acceptable as an id (non-empty, <= BW_MODEL_ID_MAX,
 * [A-Za-z0-9._-] only, not "." or ".."). Ids end up in URLs and file names. */
int bw_model_id_ok(const char *s);

/* Non-zero if s is one or more ASCII digits and nothing else (numeric ids,
 * Integer parameters). */
int bw_model_all_digits(const char *s);

#endif
