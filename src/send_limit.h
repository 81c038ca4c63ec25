// Per user and mailbox send limits (limits.per_user_mailbox = N/PERIOD):
// a compromised account blasting mail as support@ is stopped with 451.
// Counted in Redis, so all milter hosts share one count; without Redis
// (or while it is down) each host counts on its own.
#ifndef SENDAS_SEND_LIMIT_H
#define SENDAS_SEND_LIMIT_H

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "caching_directory.h"  // Clock
#include "config.h"
#include "redis_tier.h"

namespace sendas {

// Parses "200/1h" (units s, m, h, d; none = seconds). Empty: no limit.
// Returns false for anything else.
bool parse_send_limit(const std::string &text, SendLimit &limit);

// Thread-safe; one per runtime snapshot.
class SendLimiter {
public:
    SendLimiter(SendLimit limit, std::shared_ptr<RedisTier> redis, Clock clock = system_clock_seconds);

    // Counts one message from `login` as `mailbox` in the current period.
    // False when it is over the limit; `first_over` is set for the first
    // message over it in the period, so the alert is logged once.
    bool allow(const std::string &login, const std::string &mailbox, bool &first_over);

    const SendLimit &limit() const { return limit_; }

private:
    long long count_locally(const std::string &key, int64_t window);

    const SendLimit limit_;
    const std::shared_ptr<RedisTier> redis_;
    const Clock clock_;
    std::mutex mutex_;
    int64_t local_window_ = -1;
    std::map<std::string, long long> local_counts_;  // of local_window_ only
};

}  // namespace sendas

#endif
