/* render: the small generated files, as text: a report type's `parameters`
 * (a commented template of what a request takes) and an instance's
 * `parameters` (what it was requested with, in the same key = value format),
 * and a billing type's request template.
 *
 * Contract: pure functions of model data (and today's date); no locking.
 * Text from the API is written with control characters replaced by spaces,
 * so a value can never start a new line.
 */
#ifndef BW_RENDER_H
#define BW_RENDER_H

#include <stddef.h>
#include <time.h>

#include "model.h"

#define BW_RENDER_EXPIRES_DAYS 30 /* ExpiresAt may be at most this many days ahead */

/* The template of a report type. now: the current time (for the latest ExpiresAt).
 * *out is malloc'd, *len its length. 0 or -ENOMEM. */
int bw_render_type_params(const struct bw_report_detail *d, time_t now, char **out, size_t *len);

/* The template of a billing-type directory's `new`: StartDate and EndDate
 * (YYYY-MM-DD, the end not after now's UTC day), each with a comment block.
 * 0 or -ENOMEM. */
int bw_render_billing_template(const char *type, time_t now, char **out, size_t *len);

/* An instance's parameters: "OutputFormat = fmt", then "Name = value" per
 * value. 0 or -ENOMEM. */
int bw_render_instance_params(const struct bw_instance *in, char **out, size_t *len);

#endif
