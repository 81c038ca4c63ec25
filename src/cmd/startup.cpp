// Start-up wiring; see startup.h.
#include "cmd/startup.h"

#include <cstdlib>

#include "base/log.h"
#include "base/secret_files.h"
#include "cache/caching_directory.h"
#include "cmd/usage_redis.h"
#include "directory/ad_directory.h"
#include "ops/usage_file.h"

namespace sendas {
namespace {

// The send limiter's shared lists are lists in Redis.
class RedisLists : public SharedLists {
public:
    explicit RedisLists(std::shared_ptr<RedisTier> redis) : redis_(std::move(redis)) {}
    bool push(const std::string &name, const std::string &entry, int64_t ttl, long long &length) override {
        return redis_->push(name, entry, ttl, length);
    }
    bool read_list(const std::string &name, long long count, std::vector<std::string> &entries) override {
        return redis_->read_list(name, count, entries);
    }
    std::string key(const std::string &name) const override { return redis_->key(name); }
    const std::string &mac_key() const override { return redis_->mac_key(); }

private:
    const std::shared_ptr<RedisTier> redis_;
};

CacheSettings cache_settings(const Config &config) {
    CacheSettings settings;
    settings.ttl = config.redis.ttl;
    settings.negative_ttl = config.redis.negative_ttl;
    settings.local_ttl = config.cache.local_ttl;
    settings.stale_ttl = config.cache.stale_ttl;
    settings.local_max_entries = config.cache.local_max_entries;
    settings.local_max_bytes = config.cache.local_max_bytes;
    return settings;
}

}  // namespace

void kerberos_environment(const LdapConfig &ldap) {
    if (ldap.sasl_mech != "GSSAPI" || ldap.keytab.empty()) return;
    setenv("KRB5_CLIENT_KTNAME", ldap.keytab.c_str(), 1);  // NOLINT(concurrency-mt-unsafe): before any thread
    setenv("KRB5CCNAME", "MEMORY:sendas-milter", 0);       // NOLINT(concurrency-mt-unsafe): before any thread
}

std::shared_ptr<UsageStore> make_usage_store(const Config &config, std::shared_ptr<RedisTier> redis) {
    if (redis) return std::make_shared<RedisUsageStore>(std::move(redis), config.usage.retention);
    return std::make_shared<FileUsageStore>(config.usage.state_file, config.usage.retention);
}

std::shared_ptr<UsageStore> usage_store_for(const Config &config) {
    const RedisSection &r = config.redis;
    std::shared_ptr<RedisTier> redis;
    if (r.enabled()) redis = std::make_shared<RedisTier>(redis_config(r), r.prefix, 1);
    return make_usage_store(config, redis);
}

Services make_services(std::shared_ptr<const Config> config) {
    Services services;
    auto runtime = std::make_shared<Runtime>();
    const RedisSection &r = config->redis;
    if (r.enabled()) services.redis = std::make_shared<RedisTier>(redis_config(r), r.prefix, r.pool_size, r.hmac_key);
    const std::string warning = redis_integrity_warning(*config);
    if (!warning.empty()) log(Severity::warning, warning);
    for (const std::string &secret : secret_file_warnings(*config)) log(Severity::warning, secret);
    if (config->send_limit.count > 0)
        runtime->limiter = std::make_shared<SendLimiter>(
            config->send_limit, services.redis ? std::make_shared<RedisLists>(services.redis) : nullptr);
    if (config->usage.record)
        runtime->usage =
            std::make_shared<UsageRecorder>(make_usage_store(*config, services.redis),
                                            AlertRules{config->alerts.daily_threshold, config->alerts.median_factor});
    services.cache = std::make_shared<CachingDirectory>(make_ldap_directory(config->ldap, address_rules(*config)),
                                                        cache_settings(*config), services.redis);
    runtime->directory = services.cache;
    runtime->config = std::move(config);
    services.runtime = std::move(runtime);
    return services;
}

std::unique_ptr<ChangeWatcher> start_watcher(const Config &config, const Services &services) {
    if (config.ldap.watch == WatchMode::off) return nullptr;
    std::shared_ptr<WatchStore> store;
    if (services.redis) {
        const RedisSection &r = config.redis;
        store = std::make_shared<WatchStore>(redis_config(r), r.prefix, r.hmac_key);
    }
    return std::make_unique<ChangeWatcher>(config, services.cache, services.redis, store);
}

void WatcherSlot::replace(std::unique_ptr<ChangeWatcher> next) {
    std::unique_ptr<ChangeWatcher> old;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        old = std::move(watcher_);
        watcher_ = std::move(next);
    }
    // Stopped outside the lock: it gives the lease up, which the new one
    // (already standing by) takes at its next renewal.
}

}  // namespace sendas
