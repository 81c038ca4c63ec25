// The change watcher; see change_watcher.h.
#include "watch/change_watcher.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <vector>

#include "base/log.h"
#include "base/metrics.h"
#include "base/record_mac.h"

namespace sendas {
namespace {

constexpr long long lease_ms = 5000;  // a dead watcher is replaced within this
constexpr auto lease_renewal = std::chrono::milliseconds(1000);
constexpr double feed_wait = 0.5;  // seconds per feed read: how fast stop is noticed
constexpr auto reconnect_pause = std::chrono::milliseconds(1000);

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string holder_name() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return std::string(host) + ":" + std::to_string(getpid()) + ":" + random_hex(4);
}

const char *mode_name(WatchMode mode) { return mode == WatchMode::syncrepl ? "syncrepl" : "poll"; }

void merge(Invalidation &into, const Invalidation &from) {
    into.everything = into.everything || from.everything;
    into.mailboxes.insert(from.mailboxes.begin(), from.mailboxes.end());
    into.identities.insert(from.identities.begin(), from.identities.end());
}

}  // namespace

double change_time(const std::string &generalized_time) {
    const std::string &text = generalized_time;
    std::tm utc{};
    if (text.size() < 15 || !strptime(text.substr(0, 14).c_str(), "%Y%m%d%H%M%S", &utc)) return -1;
    double seconds = static_cast<double>(timegm(&utc));
    if (text[14] == '.' || text[14] == ',') {
        double scale = 0.1;
        for (size_t i = 15; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            seconds += (text[i] - '0') * scale;
            scale /= 10;
        }
    }
    return seconds;
}

ChangeWatcher::ChangeWatcher(const Config &config, std::shared_ptr<CachingDirectory> cache,
                             std::shared_ptr<RedisTier> redis, std::shared_ptr<WatchStore> store)
    : ldap_(config.ldap),
      cache_(std::move(cache)),
      redis_(std::move(redis)),
      store_(std::move(store)),
      holder_(holder_name()),
      scope_(config.ldap, address_rules(config)) {
    if (store_) lease_thread_ = std::thread([this] { keep_lease(); });
    thread_ = std::thread([this] { run(); });
}

ChangeWatcher::~ChangeWatcher() {
    stop_ = true;
    thread_.join();
    if (lease_thread_.joinable()) lease_thread_.join();
    if (store_ && lease_ == 1) store_->release(holder_);
    metrics::watch_state("off");
}

std::string ChangeWatcher::state() const {
    std::lock_guard<std::mutex> lock(state_mutex_);
    return state_;
}

void ChangeWatcher::set_state(const std::string &state) {
    {
        std::lock_guard<std::mutex> lock(state_mutex_);
        if (state_ == state) return;
        state_ = state;
    }
    metrics::watch_state(state);
}

// Renews (or tries to take) the lease about every second.
void ChangeWatcher::keep_lease() {
    while (!stop_) {
        bool held = false;
        const bool asked = store_->hold(holder_, lease_ms, held);
        const int now = asked ? (held ? 1 : 0) : -1;
        const int before = lease_.exchange(now);
        if (now != before && now >= 0)
            log(Severity::info, std::string("change watch: ") +
                                    (now == 1 ? "this daemon watches the directory for every daemon on Redis "
                                              : "another daemon watches the directory for Redis ") +
                                    redis_->config().label());
        for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(lease_renewal / 10);
    }
}

bool ChangeWatcher::watching_here() const { return !store_ || lease_ == 1 || lease_ == -1; }

void ChangeWatcher::run() {
    bool down_logged = false;
    while (!stop_) {
        publish_status();
        if (!watching_here()) {
            feed_.reset();
            set_state("standby");
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            continue;
        }
        std::string error;
        if (!feed_) {
            set_state("connecting");
            // auto asks the root DSE again at every connect: the server may have changed.
            mode_ = resolve_watch_mode(ldap_, error);
            if (store_ && lease_ == 1) store_->load_position(position_);
            auto feed = make_change_feed(ldap_, mode_);
            if (error.empty() && feed->start(position_, error)) {
                feed_ = std::move(feed);
                set_state(mode_ == WatchMode::syncrepl ? "refreshing" : "watching");
                if (down_logged) log(Severity::info, "change watch: LDAP " + ldap_.uri + " answering again");
                down_logged = false;
            } else {
                if (!down_logged) log(Severity::warning, "change watch: LDAP " + ldap_.uri + ": " + error);
                down_logged = true;
                set_state("down");
                std::this_thread::sleep_for(reconnect_pause);
                continue;
            }
        }
        FeedBatch batch;
        if (!feed_->next(feed_wait, batch, error)) {
            log(Severity::warning, std::string("change watch (") + feed_->name() + "): " + error + "; reconnecting");
            feed_.reset();
            // What was read before the break is still applied.
        } else {
            last_ok_ms_ = now_ms();
            if (mode_ == WatchMode::syncrepl && state() == "refreshing" && !batch.position.empty())
                set_state("watching");
        }
        take(batch);
    }
}

// Works out what a batch invalidates, delivers it (with what is still
// pending from a failed delivery) and then saves where to resume.
void ChangeWatcher::take(FeedBatch &batch) {
    const double now = static_cast<double>(now_ms()) / 1000;
    Invalidation invalidation;
    invalidation.everything = batch.everything;
    for (const auto &change : batch.changes) {
        std::string error;
        if (!scope_.reach(change, invalidation, error)) {
            log(Severity::warning, "change watch: cannot tell what a change of " + change.dn +
                                       " reaches, dropping every cached answer: " + error);
            invalidation.everything = true;
        }
    }
    merge(pending_, invalidation);
    if (!batch.position.empty()) pending_position_ = batch.position;
    if (!pending_.empty() && !deliver(pending_)) return;  // kept for the next round
    if (pending_.everything) {
        ++resyncs_;
        metrics::watch_resync();
    }
    pending_ = Invalidation{};
    for (const auto &change : batch.changes) {
        const double at = change_time(change.changed_at);
        if (at > 0) last_latency_ = now - at;
        if (at > 0) metrics::watch_latency(now - at);
    }
    changes_ += batch.changes.size();
    metrics::watch_changes(batch.changes.size());
    if (pending_position_.empty() || pending_position_ == position_) return;
    position_ = pending_position_;
    if (store_ && lease_ == 1) store_->save_position(position_);
}

// Into Redis for every daemon, or straight into this daemon's local tier
// when there is no Redis to tell.
bool ChangeWatcher::deliver(const Invalidation &inv) {
    if (!redis_ || lease_ != 1) {
        if (inv.everything) {
            cache_->drop_local("*");
            return true;
        }
        for (const auto &mailbox : inv.mailboxes) cache_->drop_local("m:" + mailbox);
        for (const auto &identity : inv.identities) cache_->drop_local("dn:" + identity);
        return true;
    }
    if (inv.everything) return redis_->flush("");
    if (!redis_->invalidate_mailboxes({inv.mailboxes.begin(), inv.mailboxes.end()})) return false;
    for (const auto &identity : inv.identities) {
        size_t spellings = 0;
        if (!redis_->flush_identity(identity, "", spellings)) return false;
    }
    return true;
}

// About every second: the state gauge, and for `sendasctl cache stats`
// the status, by the daemon that watches for all.
void ChangeWatcher::publish_status() {
    const int64_t now = now_ms();
    if (now - status_at_ms_ < 1000) return;
    status_at_ms_ = now;
    metrics::watch_state(state());  // again: the endpoint may have started since
    if (!store_ || lease_ != 1) return;
    store_->publish_status({{"holder", holder_},
                            {"mode", mode_name(mode_)},
                            {"state", state()},
                            {"lag_ms", std::to_string(feed_ && last_ok_ms_ ? now - last_ok_ms_ : -1)},
                            {"last_change_latency_ms", std::to_string(static_cast<long long>(last_latency_ * 1000))},
                            {"changes", std::to_string(changes_)},
                            {"resyncs", std::to_string(resyncs_)}});
}

}  // namespace sendas
