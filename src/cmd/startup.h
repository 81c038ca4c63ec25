// Start-up: what one config snapshot is built into. Shared by the daemon
// (start, -t, reload) and sendasctl.
#ifndef SENDAS_STARTUP_H
#define SENDAS_STARTUP_H

#include <memory>
#include <mutex>

#include "base/config.h"
#include "cache/caching_directory.h"
#include "cache/redis_tier.h"
#include "milter/runtime.h"
#include "watch/change_watcher.h"

namespace sendas {

struct Services {
    std::shared_ptr<const Runtime> runtime;
    std::shared_ptr<RedisTier> redis;         // null without redis.address; for -t
    std::shared_ptr<CachingDirectory> cache;  // the runtime's directory, for the change watcher
};

// GSSAPI binds (ldap.sasl_mech) find the client keytab in the
// environment (MIT Kerberos: KRB5_CLIENT_KTNAME) and keep the ticket in
// memory. Call before any thread starts: a reload cannot change it.
void kerberos_environment(const LdapConfig &ldap);

// LDAP behind the cache tiers, the send limiter counting in Redis and
// the usage recorder. Connects nothing yet, but logs
// redis_integrity_warning() and secret_file_warnings(), so at start-up,
// with -t and on reload.
Services make_services(std::shared_ptr<const Config> config);

// The change watcher for the daemon's runtime, or null with ldap.watch =
// off. Starts its threads: call it after detaching.
std::unique_ptr<ChangeWatcher> start_watcher(const Config &config, const Services &services);

// The daemon's one running watcher, replaced on reload and stopped before
// exit. Thread-safe.
class WatcherSlot {
public:
    void replace(std::unique_ptr<ChangeWatcher> next);
    void stop() { replace(nullptr); }

private:
    std::mutex mutex_;
    std::unique_ptr<ChangeWatcher> watcher_;
};
// Where usage records live: `redis` when there is one, else
// usage.state_file. For the daemon's recorder and for sendasctl.
std::shared_ptr<UsageStore> make_usage_store(const Config &config, std::shared_ptr<RedisTier> redis);
// The same for sendasctl, with a Redis connection of its own when configured.
std::shared_ptr<UsageStore> usage_store_for(const Config &config);

}  // namespace sendas

#endif
