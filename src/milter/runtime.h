// What one config snapshot brings to life for the sessions: the config, the
// directory (behind its caches), the send limiter and the usage recorder. Sessions pin the
// snapshot current at connect; a reload swaps in a new one for later
// connections and the old one dies with its last session. Built by
// cmd/startup.h.
#ifndef SENDAS_RUNTIME_H
#define SENDAS_RUNTIME_H

#include <atomic>
#include <memory>

#include "base/config.h"
#include "directory/directory.h"
#include "ops/send_limit.h"
#include "ops/usage_recorder.h"

namespace sendas {

struct Runtime {
    std::shared_ptr<const Config> config;
    std::shared_ptr<Directory> directory;
    std::shared_ptr<SendLimiter> limiter;  // null when limits.per_user_mailbox is off
    std::shared_ptr<UsageRecorder> usage;  // null when usage.record = no
};

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
