// Process-wide Prometheus metrics, served as text on metrics.listen.
// Every function is thread-safe and does nothing until start() succeeded,
// so the code paths that count need no knowledge of whether metrics are on.
// The names are documented in sendas-milter(8), METRICS.
#ifndef SENDAS_METRICS_H
#define SENDAS_METRICS_H

#include <cstddef>
#include <string>

namespace sendas {
namespace metrics {

// Starts the HTTP endpoint (e.g. "127.0.0.1:9830"). Returns "" or the error.
std::string start(const std::string &listen);

void decision(const std::string &action, const std::string &right, const std::string &reason);
void ldap_search(double seconds, bool ok);
void redis_call(double seconds, bool ok);
void cache_lookup(const char *tier, bool hit);  // tier: "local" or "redis"
void cache_bad_record();                        // failed verification, ignored
void stale_answer();
// The change watcher (ldap.watch): seconds from a directory change to its
// invalidation, changes read, resyncs that dropped everything, and its
// state ("standby", "connecting", "down", "refreshing", "watching", "off").
void watch_latency(double seconds);
void watch_changes(size_t count);
void watch_resync();
void watch_state(const std::string &state);
void connection_opened();
void connection_closed();
void usage_first_use(const std::string &right);  // a right used for the first time (first_use)
void usage_alert(const char *rule);              // usage_alert, by rule
void usage_write(bool ok);                       // a usage batch written, or not

}  // namespace metrics
}  // namespace sendas

#endif
