// Per user and mailbox send limits (limits.per_user_mailbox = N/PERIOD):
// a compromised account blasting mail as support@ is stopped with 451.
// Counted in Redis, so all milter hosts share one count; without Redis
// (or while it is down) each host counts on its own.
//
// In Redis each counted message appends a token to the window's list, and
// its count is the list's length after the append: one round trip, as
// INCR was. With redis.hmac_key_file a token is RANDOM.TAG, TAG the HMAC
// of the list's key and RANDOM, so that whoever can write to Redis cannot
// lock a user out with made-up or copied entries: the count of a message
// the length would refuse is taken again, from the distinct tokens that
// verify among the list's first entries (a second round trip, only then).
// Below the limit no check is needed: valid tokens never outnumber entries.
#ifndef SENDAS_SEND_LIMIT_H
#define SENDAS_SEND_LIMIT_H

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/config.h"

namespace sendas {

// Lists shared by every host, where the counts live (Redis: an adapter
// over cache/redis_tier.h, made at start-up). Thread-safe; false when the
// store cannot be asked.
class SharedLists {
public:
    virtual ~SharedLists() = default;
    // Appends `entry` to the list `name`, which expires after `ttl` s;
    // `length` is its length right after.
    virtual bool push(const std::string &name, const std::string &entry, int64_t ttl, long long &length) = 0;
    // The first `count` entries of the list `name`.
    virtual bool read_list(const std::string &name, long long count, std::vector<std::string> &entries) = 0;
    // The name as stored (prefixed), which tokens are bound to.
    virtual std::string key(const std::string &name) const = 0;
    // redis.hmac_key_file's content, or empty.
    virtual const std::string &mac_key() const = 0;
};

// A token for the list `list_key`: RANDOM.TAG, or RANDOM without a key.
std::string make_send_token(const std::string &list_key, const std::string &mac_key);

// How many distinct tokens in `tokens` verify for `list_key` under `mac_key`.
long long count_send_tokens(const std::string &list_key, const std::vector<std::string> &tokens,
                            const std::string &mac_key);

// Thread-safe; one per runtime snapshot.
class SendLimiter {
public:
    // `shared` may be null: each host counts on its own.
    SendLimiter(SendLimit limit, std::shared_ptr<SharedLists> shared, Clock clock = system_clock_seconds);

    // Counts one message from `login` as `mailbox` in the current period.
    // False when it is over the limit; `first_over` is set for the first
    // message over it in the period, so the alert is logged once.
    bool allow(const std::string &login, const std::string &mailbox, bool &first_over);

    const SendLimit &limit() const { return limit_; }

private:
    bool count_in_redis(const std::string &key, long long &count);
    long long count_locally(const std::string &key, int64_t window);

    const SendLimit limit_;
    const std::shared_ptr<SharedLists> redis_;
    const Clock clock_;
    std::mutex mutex_;
    int64_t local_window_ = -1;
    std::map<std::string, long long> local_counts_;  // of local_window_ only
};

}  // namespace sendas

#endif
