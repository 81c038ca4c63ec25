// Logging to syslog (facility mail) and, in the foreground, to stderr.
// Thread-safe: syslog(3) is, and stderr lines are written whole.
#ifndef SENDAS_LOG_H
#define SENDAS_LOG_H

#include <string>

namespace sendas {

enum class Severity { debug, info, notice, warning, error };

// Opens syslog as `ident`; with `also_stderr` every line goes to stderr too.
// There warnings and errors start with `ident` ("sendas-milter: error:
// ..."), so whoever reads a terminal or a script's output knows which
// program speaks; info lines are the log records themselves (audit lines).
void log_open(const char *ident, bool also_stderr);

// Where lines go from now on (config `syslog`; stderr until detached).
// Without a syslog daemon, syslog(3) tries to reconnect for every line.
void log_targets(bool to_syslog, bool to_stderr);

// Whether debug lines are written (log_level = debug); off at first.
void log_debug(bool on);
bool log_debug_enabled();

// Drops debug lines unless log_debug(true).
void log(Severity severity, const std::string &line);

// strerror(3) for `error_number`, safe from any thread.
std::string error_text(int error_number);

}  // namespace sendas

#endif
