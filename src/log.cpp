// Syslog plus optional stderr; see log.h.
#include "log.h"

#include <cstdio>
#include <syslog.h>

namespace sendas {
namespace {
bool to_stderr = false;
}

void log_open(const char *ident, bool also_stderr) {
    to_stderr = also_stderr;
    openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log(Severity severity, const std::string &line) {
    // Postfix style: the severity is a word in the text, for grep.
    int priority = severity == Severity::info ? LOG_INFO : severity == Severity::warning ? LOG_WARNING : LOG_ERR;
    const char *prefix = severity == Severity::info ? "" : severity == Severity::warning ? "warning: " : "error: ";
    syslog(priority, "%s%s", prefix, line.c_str());
    if (to_stderr) std::fprintf(stderr, "%s%s\n", prefix, line.c_str());
}

}  // namespace sendas
