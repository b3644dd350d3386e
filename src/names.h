/* names: pure functions for the file names the mount shows: safe report file
 * names from Content-Disposition, desktop probe names, billing types.
 *
 * Contract: no I/O, no allocation, no locking, no global mutable state.
 */
#ifndef BW_NAMES_H
#define BW_NAMES_H

#include <stddef.h>

#define BW_NAMES_FILE_MAX 200 /* bytes kept of a server-given file name */

/* The billing report types, spelled as the API spells them. */
extern const char *const bw_names_billing_types[];
extern const size_t bw_names_billing_count;

/* Non-zero for a billing type the API can list (DIDSNAP, DIDSNAP_MSG). */
int bw_names_billing_listable(const char *type);

/* Non-zero if type is one of bw_names_billing_types. */
int bw_names_billing_known(const char *type);

/* Non-zero for names file managers and shells probe for (.hidden, .Trash-1000,
 * autorun.inf, desktop.ini, folder.jpg, BDMV, any name starting with '.'):
 * the mount answers them ENOENT from memory, without an API call. */
int bw_names_is_probe(const char *name);

/* Non-zero for a name an instance or report-type directory uses itself
 * (status, info.xml, parameters, new, latest). */
int bw_names_reserved(const char *name);

/* The file name of a report: the Content-Disposition file name `raw` reduced
 * to a safe single name (control characters and '/' and '\\' become '_',
 * leading/trailing blanks trimmed, at most BW_NAMES_FILE_MAX bytes cut at a
 * UTF-8 boundary keeping the extension, not "." or "..", not reserved, not a
 * probe name), or `fallback` when nothing usable is left. When `suffix` is
 * given (".zip"), a name that does not end in it (case-insensitively) gets it
 * appended. Writes at most outsize bytes (>= 16). Returns the length. */
size_t bw_names_file(const char *raw, const char *fallback, const char *suffix, char *out,
                     size_t outsize);

#endif
