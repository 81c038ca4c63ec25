// Fixed-window send counting; see send_limit.h.
#include "ops/send_limit.h"

#include <algorithm>
#include <unordered_set>

#include "base/record_mac.h"

namespace sendas {
namespace {

constexpr const char *token_kind = "sendas-limit-1";  // what a token's tag is of

// How many entries that do not verify the check reads past. More of them
// ahead of the valid tokens hide those: the limit may then not apply (as
// if the list had been deleted), but nobody is refused for them.
constexpr long long forged_margin = 1000;

}  // namespace

std::string make_send_token(const std::string &list_key, const std::string &mac_key) {
    // Unique within its list: a copy of a token is not another message.
    std::string random = random_hex(8);
    if (mac_key.empty()) return random;
    return random + "." + mac_tag(mac_key, {token_kind, list_key, random});
}

long long count_send_tokens(const std::string &list_key, const std::vector<std::string> &tokens,
                            const std::string &mac_key) {
    std::unordered_set<std::string> valid;
    for (const auto &token : tokens) {
        const auto dot = token.find('.');
        if (dot != std::string::npos &&
            mac_matches(mac_key, {token_kind, list_key, token.substr(0, dot)}, token.substr(dot + 1)))
            valid.insert(token);
    }
    return static_cast<long long>(valid.size());
}

SendLimiter::SendLimiter(SendLimit limit, std::shared_ptr<SharedLists> shared, Clock clock)
    : limit_(limit), redis_(std::move(shared)), clock_(std::move(clock)) {}

bool SendLimiter::count_in_redis(const std::string &key, long long &count) {
    const std::string name = "sends:" + key;
    const std::string &mac_key = redis_->mac_key();
    long long length = 0;
    if (!redis_->push(name, make_send_token(redis_->key(name), mac_key), 2 * static_cast<int64_t>(limit_.period),
                      length))
        return false;
    count = length;
    if (mac_key.empty() || length <= static_cast<long long>(limit_.count)) return true;
    // Our token is the last of the first `length` entries; past the read
    // bound it is not read, but counts.
    const long long bound = limit_.count + 1 + forged_margin;
    std::vector<std::string> tokens;
    if (!redis_->read_list(name, std::min(length, bound), tokens)) return false;
    count = count_send_tokens(redis_->key(name), tokens, mac_key) + (length > bound ? 1 : 0);
    return true;
}

long long SendLimiter::count_locally(const std::string &key, int64_t window) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (window != local_window_) {
        local_counts_.clear();  // a new period starts every count at zero
        local_window_ = window;
    }
    return ++local_counts_[key];
}

bool SendLimiter::allow(const std::string &login, const std::string &mailbox, bool &first_over) {
    first_over = false;
    if (limit_.count == 0) return true;
    const int64_t window = clock_() / limit_.period;
    const std::string key = login + ":" + mailbox + ":" + std::to_string(window);
    long long count = 0;
    if (!redis_ || !count_in_redis(key, count)) count = count_locally(key, window);
    first_over = count == static_cast<long long>(limit_.count) + 1;
    return count <= static_cast<long long>(limit_.count);
}

}  // namespace sendas
