/* names: safe file names, desktop probe names, billing types and API dates (see names.h). */
#include "names.h"

#include <string.h>
#include <strings.h>

const char *const bw_names_billing_types[] = {
    "BDR", "MDR", "INVOICE", "STMTBDR", "DIDSNAP", "DIDSNAP_MSG", "RECORDINGBDR",
    "RECORDINGSTMTBDR", "TRANSCRIPTIONBDR", "TRANSCRIPTIONSTMTBDR", "CNAMBDR", "CNAMSTMTBDR",
    "CONFBDR", "CONFSTMTBDR", "TFPEERINGSTMTBDR", "TNLOOKUPBDR", "TNLOOKUPSTMTBDR",
    "MSG_CAMPAIGN_REGISTRY_BDR", "MSG_CAMPAIGN_CARRIER_ACTIVATION_BDR", "AMDBDR", "AMDSTMTBDR",
    "SIPURIBDR", "SIPURISTMTBDR", "UNPROVISIONED_CALLS_BDR",
};
const size_t bw_names_billing_count =
    sizeof bw_names_billing_types / sizeof bw_names_billing_types[0];

int bw_names_billing_listable(const char *type)
{
    return strcmp(type, "DIDSNAP") == 0 || strcmp(type, "DIDSNAP_MSG") == 0;
}

int bw_names_billing_known(const char *type)
{
    for (size_t i = 0; i < bw_names_billing_count; i++)
        if (strcmp(bw_names_billing_types[i], type) == 0)
            return 1;
    return 0;
}

int bw_names_is_probe(const char *name)
{
    /* Dot names cover .hidden .Trash .Trash-UID .directory .xdg-volume-info
     * .thumbnails .cache .DS_Store ._* .git .svn .localized: the mount never
     * shows a name starting with '.', so none can be a real entry. */
    static const char *const probes[] = {"autorun.inf", "desktop.ini", "Desktop.ini",
                                         "folder.jpg", "Folder.jpg", "BDMV", "Thumbs.db"};
    if (name[0] == '.')
        return 1;
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
        if (strcmp(name, probes[i]) == 0)
            return 1;
    return 0;
}

int bw_names_reserved(const char *name)
{
    static const char *const reserved[] = {"status", "info.xml", "parameters", "new", "latest"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return 1;
    return 0;
}

/* Length of the longest prefix of s[0..n) that does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n)
{
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--; /* s[i] is a continuation byte: the sequence starting before it is cut */
    return i;
}

static int ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);
    return len >= sl && strncasecmp(s + len - sl, suffix, sl) == 0;
}

static size_t clean(const char *raw, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)raw;

    if (!raw)
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    for (; *p && n < cap; p++)
        out[n++] = (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\') ? '_' : (char)*p;
    if (*p) {
        /* too long: keep the head and the extension (".csv"), cut at UTF-8 boundaries */
        const char *dot = strrchr(raw, '.');
        size_t ext = dot ? strlen(dot) : 0;
        if (ext > 16 || ext >= cap / 2)
            ext = 0;
        n = utf8_cut(out, cap - ext);
        for (size_t i = 0; i < ext; i++) {
            unsigned char c = (unsigned char)dot[i];
            out[n++] = (c < 0x20 || c == 0x7f || c == '/' || c == '\\') ? '_' : (char)c;
        }
    }
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        n--;
    out[n] = '\0';
    return n;
}

size_t bw_names_file(const char *raw, const char *fallback, const char *suffix, char *out,
                     size_t outsize)
{
    size_t slen = suffix ? strlen(suffix) : 0;
    size_t cap = outsize - 1 - slen;
    size_t n;

    if (cap > BW_NAMES_FILE_MAX)
        cap = BW_NAMES_FILE_MAX;
    n = clean(raw, out, cap);
    if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0 || bw_names_reserved(out) ||
        bw_names_is_probe(out))
        n = clean(fallback, out, cap);
    if (n == 0 || bw_names_is_probe(out) || bw_names_reserved(out)) {
        memcpy(out, "report", sizeof "report"); /* outsize >= 16 */
        n = sizeof "report" - 1;
    }
    if (suffix && !ends_with_ci(out, n, suffix)) {
        memcpy(out + n, suffix, slen + 1);
        n += slen;
    }
    return n;
}
