// Fixed-window send counting; see send_limit.h.
#include "send_limit.h"

namespace sendas {

bool parse_send_limit(const std::string &text, SendLimit &limit) {
    limit = SendLimit{};
    if (text.empty()) return true;
    auto slash = text.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) return false;
    std::string count = text.substr(0, slash), period = text.substr(slash + 1);
    unsigned unit = 1;
    switch (period.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: unit = 0;
    }
    if (unit) period.pop_back(); else unit = 1;
    auto digits = [](const std::string &s) {
        return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!digits(count) || !digits(period)) return false;
    limit.count = static_cast<unsigned>(std::stoul(count));
    limit.period = static_cast<unsigned>(std::stoul(period)) * unit;
    return limit.count > 0 && limit.period > 0;
}

SendLimiter::SendLimiter(SendLimit limit, std::shared_ptr<RedisTier> redis, Clock clock)
    : limit_(limit), redis_(std::move(redis)), clock_(std::move(clock)) {}

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
    if (!redis_ || !redis_->count("limit:" + key, 2 * static_cast<int64_t>(limit_.period), count))
        count = count_locally(key, window);
    first_over = count == static_cast<long long>(limit_.count) + 1;
    return count <= static_cast<long long>(limit_.count);
}

}  // namespace sendas
