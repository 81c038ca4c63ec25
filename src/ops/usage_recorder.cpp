// Batching usage recorder; see usage_recorder.h.
#include "ops/usage_recorder.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/metrics.h"
#include "base/string_util.h"

namespace sendas {
namespace {

// Distinct user x mailbox x right pairs held while the store cannot be
// written; uses beyond are dropped (and counted) rather than memory grown.
constexpr size_t max_pending = 100000;

// Log values come from the directory and the MTA: one field each.
std::string clean(const std::string &value) {
    std::string out;
    for (unsigned char c : value) out += (c < 0x20 || c == 0x7f || c == ' ') ? '?' : static_cast<char>(c);
    return out;
}

std::string fields_of(const UsageKey &key) {
    return "user=<" + clean(key.user) + "> mailbox=<" + clean(key.mailbox) + "> right=" + key.right;
}

void merge(UsageDelta &into, const UsageDelta &from) {
    if (into.count == 0) into.first_queue_id = from.first_queue_id;
    into.count += from.count;
    into.dn = from.dn;
    if (from.last >= into.last) {
        into.last = from.last;
        into.last_queue_id = from.last_queue_id;
    }
}

std::string id_of(const UsageKey &key) { return key.user + '\0' + key.mailbox + '\0' + key.right; }

}  // namespace

UsageAlert usage_alert(const UsageOutcome &outcome, int64_t today, const AlertRules &rules) {
    UsageAlert alert;
    if (rules.daily_threshold) alert = {rules.daily_threshold, "daily_threshold"};
    if (rules.median_factor) {
        const uint64_t median = std::max<uint64_t>(outcome.record.median_before(today), 1);
        const uint64_t limit = median * rules.median_factor;
        if (alert.limit == 0 || limit < alert.limit) alert = {limit, "median_factor"};
    }
    if (alert.limit == 0 || outcome.day_before > alert.limit || outcome.day_after <= alert.limit) return {};
    return alert;
}

std::string usage_user(const UserInfo &user, const std::string &login) {
    if (!user.primary().empty()) return lower(user.primary());
    return lower(user.dn.empty() ? login : user.dn);
}

UsageRecorder::UsageRecorder(std::shared_ptr<UsageStore> store, AlertRules rules, Clock clock, unsigned interval_ms)
    : store_(std::move(store)), rules_(rules), clock_(std::move(clock)), interval_ms_(interval_ms) {}

UsageRecorder::~UsageRecorder() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    flush();  // what came in since the thread's last batch
}

void UsageRecorder::record(const Decision &decision, const UserInfo &user, const std::string &login,
                           const std::string &queue_id) {
    if (decision.verdict != Verdict::accept) return;
    std::vector<UsageKey> used;
    for (const auto &checked : decision.checked) {
        if (checked.right != Right::send_as && checked.right != Right::send_on_behalf) continue;
        UsageKey key{used.empty() ? usage_user(user, login) : used.front().user, checked.mailbox(),
                     right_name(checked.right)};
        // From:, Sender: and the envelope naming one mailbox are one use.
        if (std::find(used.begin(), used.end(), key) == used.end()) used.push_back(std::move(key));
    }
    if (used.empty()) return;
    const int64_t now = clock_();
    std::lock_guard<std::mutex> lock(mutex_);
    if (!thread_.joinable() && !stop_) thread_ = std::thread([this] { run(); });
    for (auto &key : used) {
        std::string id = id_of(key);
        auto it = pending_.find(id);
        if (it == pending_.end()) {
            if (pending_.size() >= max_pending) {
                ++dropped_;
                continue;
            }
            it = pending_.emplace(std::move(id), UsageDelta{std::move(key), user.dn, 0, now, "", ""}).first;
        }
        merge(it->second, UsageDelta{it->second.key, user.dn, 1, now, queue_id, queue_id});
    }
}

void UsageRecorder::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
        wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_));
        if (stop_) break;
        lock.unlock();
        flush();
        lock.lock();
    }
}

bool UsageRecorder::flush() {
    std::lock_guard<std::mutex> batch(flush_mutex_);
    std::vector<UsageDelta> deltas;
    size_t dropped = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto &entry : pending_) deltas.push_back(std::move(entry.second));
        pending_.clear();
        std::swap(dropped, dropped_);
    }
    if (dropped)
        log(Severity::warning, "usage: " + std::to_string(dropped) +
                                   " uses not recorded: " + std::to_string(max_pending) + " pending while " +
                                   store_->where() + " could not be written");
    if (deltas.empty()) return true;
    const int64_t now = clock_();
    std::vector<UsageOutcome> outcomes;
    std::string error;
    if (!store_->add(deltas, now, outcomes, error) || outcomes.size() != deltas.size()) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto &delta : deltas) {
            // New uses came in meanwhile: the older batch goes first.
            auto [it, fresh] = pending_.try_emplace(id_of(delta.key), delta);
            if (!fresh) {
                UsageDelta newer = std::move(it->second);
                it->second = std::move(delta);
                merge(it->second, newer);
            }
        }
        if (!failing_)
            log(Severity::warning,
                "usage: cannot record in " + store_->where() + ": " + error + "; kept for the next try");
        failing_ = true;
        metrics::usage_write(false);
        return false;
    }
    if (failing_) log(Severity::info, "usage: recording in " + store_->where() + " again");
    failing_ = false;
    metrics::usage_write(true);
    report(deltas, outcomes, now);
    return true;
}

void UsageRecorder::report(const std::vector<UsageDelta> &deltas, const std::vector<UsageOutcome> &outcomes,
                           int64_t now) {
    for (size_t i = 0; i < deltas.size(); ++i) {
        const UsageDelta &delta = deltas[i];
        if (outcomes[i].first_use) {
            log(Severity::notice, queue_label(clean(delta.first_queue_id)) + ": first_use: " + fields_of(delta.key));
            metrics::usage_first_use(delta.key.right);
        }
        const UsageAlert alert = usage_alert(outcomes[i], day_of(now), rules_);
        if (alert.limit == 0) continue;
        log(Severity::warning, queue_label(clean(delta.last_queue_id)) + ": usage_alert: " + fields_of(delta.key) +
                                   " day=" + day_text(day_of(now)) + " count=" + std::to_string(outcomes[i].day_after) +
                                   " limit=" + std::to_string(alert.limit) + " rule=" + alert.rule);
        metrics::usage_alert(alert.rule);
    }
}

}  // namespace sendas
