// What one config snapshot brings to life: the config and the directory
// built from it. Sessions pin the snapshot current at connect; a reload
// swaps in a new one for later connections and the old one dies with its
// last session.
#ifndef SENDAS_RUNTIME_H
#define SENDAS_RUNTIME_H

#include <memory>

#include "config.h"
#include "directory.h"
#include "redis_tier.h"
#include "send_limit.h"

namespace sendas {

struct Runtime {
    std::shared_ptr<const Config> config;
    std::shared_ptr<Directory> directory;
    std::shared_ptr<SendLimiter> limiter;  // null when limits.per_user_mailbox is off
    std::shared_ptr<RedisTier> redis;      // null without redis.address
};

// Builds the LDAP-backed runtime for a config. Connects nothing yet, but
// logs redis_integrity_warning(), at start-up, with -t and on reload.
std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const Config> config);

// The current snapshot; thread-safe swap and read.
class RuntimeHolder {
public:
    std::shared_ptr<const Runtime> current() const { return std::atomic_load(&current_); }
    void replace(std::shared_ptr<const Runtime> next) { std::atomic_store(&current_, std::move(next)); }

private:
    std::shared_ptr<const Runtime> current_;
};

}  // namespace sendas

#endif
