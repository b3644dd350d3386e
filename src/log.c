/* log: leveled, thread-safe log lines to stderr or syslog (see log.h). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "bw_config.h"

/* All three guarded by log_lock. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum bw_log_sink log_sink = BW_LOG_STDERR;
static enum bw_log_level log_max = BW_LOG_INFO;
static int log_syslog_open;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

static void set_sink_locked(enum bw_log_sink sink)
{
    if (sink == BW_LOG_SYSLOG && !log_syslog_open) {
        openlog(BW_PROGNAME, LOG_PID, LOG_DAEMON);
        log_syslog_open = 1;
    }
    log_sink = sink;
}

void bw_log_init(enum bw_log_sink sink, enum bw_log_level max_level)
{
    pthread_mutex_lock(&log_lock);
    set_sink_locked(sink);
    log_max = max_level;
    pthread_mutex_unlock(&log_lock);
}

void bw_log_set_sink(enum bw_log_sink sink)
{
    pthread_mutex_lock(&log_lock);
    set_sink_locked(sink);
    pthread_mutex_unlock(&log_lock);
}

int bw_log_enabled(enum bw_log_level level)
{
    pthread_mutex_lock(&log_lock);
    int on = level <= log_max;
    pthread_mutex_unlock(&log_lock);
    return on;
}

void bw_log(enum bw_log_level level, const char *module, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    if ((unsigned)level > BW_LOG_DEBUG)
        level = BW_LOG_DEBUG;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';

    pthread_mutex_lock(&log_lock);
    if (level <= log_max) {
        if (log_sink == BW_LOG_SYSLOG)
            syslog(syslog_prio[level], "%s%s%s", module ? module : "", module ? ": " : "", text);
        else
            fprintf(stderr, "%s: %s: %s%s%s\n", BW_PROGNAME, level_names[level], module ? module : "",
                    module ? ": " : "", text);
    }
    pthread_mutex_unlock(&log_lock);
}

void bw_log_close(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_syslog_open)
        closelog();
    log_syslog_open = 0;
    log_sink = BW_LOG_STDERR;
    pthread_mutex_unlock(&log_lock);
}
