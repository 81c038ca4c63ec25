// Syslog plus optional stderr; see log.h.
#include "log.h"

#include <atomic>
#include <cstdio>
#include <syslog.h>

namespace sendas {
namespace {
std::atomic<bool> syslog_on{true}, stderr_on{false};
}

void log_open(const char *ident, bool also_stderr) {
    stderr_on = also_stderr;
    openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_targets(bool to_syslog, bool to_stderr) {
    syslog_on = to_syslog;
    stderr_on = to_stderr;
}

void log(Severity severity, const std::string &line) {
    // Postfix style: the severity is a word in the text, for grep.
    int priority = severity == Severity::info ? LOG_INFO : severity == Severity::warning ? LOG_WARNING : LOG_ERR;
    const char *prefix = severity == Severity::info ? "" : severity == Severity::warning ? "warning: " : "error: ";
    if (syslog_on) syslog(priority, "%s%s", prefix, line.c_str());
    if (stderr_on) std::fprintf(stderr, "%s%s\n", prefix, line.c_str());
}

}  // namespace sendas
