// Prometheus metrics with prometheus-cpp; see metrics.h.
#include "base/metrics.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace sendas {
namespace metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Latency buckets from 0.5 ms to 5 s: LDAP and Redis calls on a LAN.
const prometheus::Histogram::BucketBoundaries latency_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                 0.1,    0.25,  0.5,    1,     2.5,  5};

struct Registry {
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    prometheus::Family<prometheus::Counter> &decisions =
        BuildCounter().Name("sendas_milter_decisions_total").Help("Decisions by action and right").Register(*registry);
    prometheus::Family<prometheus::Counter> &rejects =
        BuildCounter().Name("sendas_milter_rejects_total").Help("Rejects and tempfails by reason").Register(*registry);
    prometheus::Family<prometheus::Histogram> &ldap_latency = BuildHistogram()
                                                                  .Name("sendas_milter_ldap_search_duration_seconds")
                                                                  .Help("LDAP search latency")
                                                                  .Register(*registry);
    prometheus::Family<prometheus::Counter> &ldap_errors =
        BuildCounter().Name("sendas_milter_ldap_errors_total").Help("LDAP searches that failed").Register(*registry);
    prometheus::Family<prometheus::Histogram> &redis_latency = BuildHistogram()
                                                                   .Name("sendas_milter_redis_call_duration_seconds")
                                                                   .Help("Redis round trip latency")
                                                                   .Register(*registry);
    prometheus::Family<prometheus::Counter> &redis_errors =
        BuildCounter().Name("sendas_milter_redis_errors_total").Help("Redis calls that failed").Register(*registry);
    prometheus::Family<prometheus::Counter> &cache_hits =
        BuildCounter().Name("sendas_milter_cache_hits_total").Help("Cache hits by tier").Register(*registry);
    prometheus::Family<prometheus::Counter> &cache_misses =
        BuildCounter().Name("sendas_milter_cache_misses_total").Help("Cache misses by tier").Register(*registry);
    prometheus::Counter &bad_records =
        BuildCounter()
            .Name("sendas_milter_cache_bad_records_total")
            .Help("Redis cache records that failed verification (redis.hmac_key_file) and were ignored")
            .Register(*registry)
            .Add({});
    prometheus::Counter &stale = BuildCounter()
                                     .Name("sendas_milter_stale_answers_total")
                                     .Help("Answers served from expired cache entries while LDAP was down")
                                     .Register(*registry)
                                     .Add({});
    prometheus::Gauge &connections = BuildGauge()
                                         .Name("sendas_milter_connections")
                                         .Help("MTA connections currently open")
                                         .Register(*registry)
                                         .Add({});
    prometheus::Histogram &watch_latency =
        BuildHistogram()
            .Name("sendas_milter_watch_change_latency_seconds")
            .Help("Seconds from a directory change (its entryCSN or modifyTimestamp) to its cache invalidation")
            .Register(*registry)
            .Add({}, prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60});
    prometheus::Counter &watch_changes = BuildCounter()
                                             .Name("sendas_milter_watch_changes_total")
                                             .Help("Directory changes the change watcher read")
                                             .Register(*registry)
                                             .Add({});
    prometheus::Counter &watch_resyncs =
        BuildCounter()
            .Name("sendas_milter_watch_resyncs_total")
            .Help("Times the change watcher dropped every cached answer because changes may have been missed")
            .Register(*registry)
            .Add({});
    prometheus::Family<prometheus::Gauge> &watch_state = BuildGauge()
                                                             .Name("sendas_milter_watch_state")
                                                             .Help("1 for the change watcher's current state")
                                                             .Register(*registry);
    std::mutex watch_state_mutex;
    std::string watch_state_now;
    prometheus::Family<prometheus::Counter> &first_uses =
        BuildCounter()
            .Name("sendas_milter_usage_first_use_total")
            .Help("Rights used for the first time within usage.retention (log event first_use), by right")
            .Register(*registry);
    prometheus::Family<prometheus::Counter> &usage_alerts =
        BuildCounter()
            .Name("sendas_milter_usage_alerts_total")
            .Help("Daily counts over an alert limit (log event usage_alert), by rule")
            .Register(*registry);
    prometheus::Family<prometheus::Counter> &usage_writes =
        BuildCounter()
            .Name("sendas_milter_usage_writes_total")
            .Help("Usage batches written to the usage store, by result")
            .Register(*registry);
    prometheus::Histogram &ldap_ok = ldap_latency.Add({}, latency_buckets);
    prometheus::Histogram &redis_ok = redis_latency.Add({}, latency_buckets);
    prometheus::Counter &ldap_failed = ldap_errors.Add({});
    prometheus::Counter &redis_failed = redis_errors.Add({});
    std::unique_ptr<prometheus::Exposer> exposer;
};

// Set once by start(), never freed: callbacks may run until exit.
std::atomic<Registry *> active{nullptr};

}  // namespace

std::string start(const std::string &listen) {
    if (listen.empty() || active) return "";
    auto metrics = std::make_unique<Registry>();
    try {
        metrics->exposer = std::make_unique<prometheus::Exposer>(listen, 2);
    } catch (const std::exception &e) {
        return "cannot serve metrics on " + listen + ": " + e.what();
    }
    metrics->exposer->RegisterCollectable(metrics->registry);
    active = metrics.release();
    return "";
}

void decision(const std::string &action, const std::string &right, const std::string &reason) {
    Registry *m = active;
    if (!m) return;
    m->decisions.Add({{"action", action}, {"right", right.empty() ? "none" : right}}).Increment();
    if (!reason.empty() && action != "accept") m->rejects.Add({{"reason", reason}}).Increment();
}

void ldap_search(double seconds, bool ok) {
    if (Registry *m = active) (ok ? m->ldap_ok.Observe(seconds) : m->ldap_failed.Increment());
}

void redis_call(double seconds, bool ok) {
    if (Registry *m = active) (ok ? m->redis_ok.Observe(seconds) : m->redis_failed.Increment());
}

void cache_lookup(const char *tier, bool hit) {
    if (Registry *m = active) (hit ? m->cache_hits : m->cache_misses).Add({{"tier", tier}}).Increment();
}

void cache_bad_record() {
    if (Registry *m = active) m->bad_records.Increment();
}

void stale_answer() {
    if (Registry *m = active) m->stale.Increment();
}

void watch_latency(double seconds) {
    if (Registry *m = active) m->watch_latency.Observe(seconds);
}

void watch_changes(size_t count) {
    if (Registry *m = active) m->watch_changes.Increment(static_cast<double>(count));
}

void watch_resync() {
    if (Registry *m = active) m->watch_resyncs.Increment();
}

void watch_state(const std::string &state) {
    Registry *m = active;
    if (!m) return;
    std::lock_guard<std::mutex> lock(m->watch_state_mutex);
    if (!m->watch_state_now.empty()) m->watch_state.Add({{"state", m->watch_state_now}}).Set(0);
    m->watch_state.Add({{"state", state}}).Set(1);
    m->watch_state_now = state;
}

void connection_opened() {
    if (Registry *m = active) m->connections.Increment();
}

void connection_closed() {
    if (Registry *m = active) m->connections.Decrement();
}

void usage_first_use(const std::string &right) {
    if (Registry *m = active) m->first_uses.Add({{"right", right}}).Increment();
}

void usage_alert(const char *rule) {
    if (Registry *m = active) m->usage_alerts.Add({{"rule", rule}}).Increment();
}

void usage_write(bool ok) {
    if (Registry *m = active) m->usage_writes.Add({{"result", ok ? "ok" : "failed"}}).Increment();
}

}  // namespace metrics
}  // namespace sendas
