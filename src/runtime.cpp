// Runtime construction; see runtime.h.
#include "runtime.h"

#include "caching_directory.h"
#include "ldap_directory.h"
#include "log.h"

namespace sendas {

std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const Config> config) {
    auto runtime = std::make_shared<Runtime>();
    const RedisSection &r = config->redis;
    std::shared_ptr<RedisTier> redis;
    if (!r.address.empty())
        redis = std::make_shared<RedisTier>(RedisConfig{r.address, r.password, r.db, r.timeout}, r.prefix, r.pool_size,
                                            r.hmac_key);
    const std::string warning = redis_integrity_warning(*config);
    if (!warning.empty()) log(Severity::warning, warning);
    if (config->send_limit.count > 0) runtime->limiter = std::make_shared<SendLimiter>(config->send_limit, redis);
    CacheSettings settings;
    settings.ttl = r.ttl;
    settings.negative_ttl = r.negative_ttl;
    settings.local_ttl = config->cache.local_ttl;
    settings.stale_ttl = config->cache.stale_ttl;
    settings.local_max_entries = config->cache.local_max_entries;
    settings.local_max_bytes = config->cache.local_max_bytes;
    runtime->directory = std::make_shared<CachingDirectory>(std::make_shared<LdapDirectory>(config->ldap, address_rules(*config)), settings,
                                                            redis);
    runtime->redis = std::move(redis);
    runtime->config = std::move(config);
    return runtime;
}

}  // namespace sendas
