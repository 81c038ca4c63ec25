// Logging to syslog (facility mail) and, in the foreground, to stderr.
// Thread-safe: syslog(3) is, and stderr lines are written whole.
#ifndef SENDAS_LOG_H
#define SENDAS_LOG_H

#include <string>

namespace sendas {

enum class Severity { info, notice, warning, error };

// Opens syslog as `ident`; with `also_stderr` every line goes to stderr too.
void log_open(const char *ident, bool also_stderr);

// Where lines go from now on (config `syslog`; stderr until detached).
// Without a syslog daemon, syslog(3) tries to reconnect for every line.
void log_targets(bool to_syslog, bool to_stderr);

void log(Severity severity, const std::string &line);

// strerror(3) for `error_number`, safe from any thread.
std::string error_text(int error_number);

}  // namespace sendas

#endif
