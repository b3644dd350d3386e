/* log: leveled, thread-safe log lines to stderr (foreground) or syslog (daemon).
 *
 * Contract:
 *  - One call writes one whole line; concurrent callers never interleave.
 *  - Callers must never pass secrets (passwords, tokens, Authorization headers,
 *    signed URLs' query strings). The logger does not scrub.
 *  - Control characters in the formatted text are replaced by '?', so text that
 *    came from the network cannot forge extra log lines.
 *  - Safe to call from any thread at any time, including before bw_log_init().
 */
#ifndef BW_LOG_H
#define BW_LOG_H

enum bw_log_level {
    BW_LOG_ERR = 0,
    BW_LOG_WARN = 1,
    BW_LOG_INFO = 2,
    BW_LOG_DEBUG = 3,
};

enum bw_log_sink {
    BW_LOG_STDERR = 0, /* default */
    BW_LOG_SYSLOG = 1, /* after daemonizing */
};

/* Set the sink and the most verbose level that is written. */
void bw_log_init(enum bw_log_sink sink, enum bw_log_level max_level);

/* Switch the sink (e.g. to syslog right after fuse_daemonize()). */
void bw_log_set_sink(enum bw_log_sink sink);

/* Whether a message of this level would be written. */
int bw_log_enabled(enum bw_log_level level);

/* Write one line: "bwreportfs: LEVEL: MODULE: text". MODULE may be NULL. */
void bw_log(enum bw_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Release the syslog connection, if any. */
void bw_log_close(void);

#define BW_ERR(mod, ...) bw_log(BW_LOG_ERR, (mod), __VA_ARGS__)
#define BW_WARN(mod, ...) bw_log(BW_LOG_WARN, (mod), __VA_ARGS__)
#define BW_INFO(mod, ...) bw_log(BW_LOG_INFO, (mod), __VA_ARGS__)
#define BW_DEBUG(mod, ...) bw_log(BW_LOG_DEBUG, (mod), __VA_ARGS__)

#endif
