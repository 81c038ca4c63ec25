// Syslog plus optional stderr; see log.h.
#include "base/log.h"

#include <syslog.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace sendas {
namespace {
std::atomic<bool> syslog_on{true}, stderr_on{false}, debug_on{false};
const char *program = "";  // set once by log_open, before any thread
}  // namespace

void log_open(const char *ident, bool also_stderr) {
    stderr_on = also_stderr;
    program = ident;
    openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_targets(bool to_syslog, bool to_stderr) {
    syslog_on = to_syslog;
    stderr_on = to_stderr;
}

void log_debug(bool on) { debug_on = on; }
bool log_debug_enabled() { return debug_on; }

void log(Severity severity, const std::string &line) {
    if (severity == Severity::debug && !debug_on) return;
    // Postfix style: the severity is a word in the text, for grep.
    // A notice (first_use) reads like an info line; syslog filters may route it apart.
    static constexpr int priorities[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR};
    static constexpr const char *prefixes[] = {"debug: ", "", "", "warning: ", "error: "};
    const auto index = static_cast<size_t>(severity);
    const int priority = priorities[index];
    const char *prefix = prefixes[index];
    if (syslog_on) syslog(priority, "%s%s", prefix, line.c_str());
    if (stderr_on) {
        // One write(2) per line: whole lines however many threads log, and
        // no stdio lock for them to queue on.
        std::string out;
        if ((severity == Severity::warning || severity == Severity::error) && *program)
            out.append(program).append(": ");
        out.append(prefix).append(line) += '\n';
        for (size_t done = 0; done < out.size();) {
            ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // nowhere left to report it
            done += static_cast<size_t>(n);
        }
    }
}

std::string error_text(int error_number) {
    char buffer[256];
    // The GNU strerror_r returns the text, in `buffer` or static.
    return strerror_r(error_number, buffer, sizeof buffer);
}

}  // namespace sendas
