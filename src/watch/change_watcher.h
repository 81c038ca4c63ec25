// The change watcher (ldap.watch): reads directory changes from a feed
// (syncrepl or poll), works out what each makes wrong (change_scope.h) and
// drops exactly that from the caches.
//
// With Redis, one daemon per Redis and prefix watches for all: it holds
// the lease (watch_store.h), bumps the generations of the changed
// mailboxes and flushes the changed users in Redis, and publishes them on
// the flush channel, from which every daemon's local tier drops them. The
// others stand by and take the lease over when it lapses, resuming from
// the position the last watcher saved. Without Redis, or while it cannot
// be reached, each daemon watches for itself and drops its own local tier.
//
// A reconnect resumes from the saved position; what the feed cannot prove
// unchanged (no position, a refresh the server could only answer in
// full) is dropped whole, counted as a missed-change resync.
#ifndef SENDAS_CHANGE_WATCHER_H
#define SENDAS_CHANGE_WATCHER_H

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/config.h"
#include "cache/caching_directory.h"
#include "cache/redis_tier.h"
#include "cache/watch_store.h"
#include "directory/change_feed.h"
#include "directory/change_scope.h"

namespace sendas {

// Seconds since the epoch of a change time as entryCSN or modifyTimestamp
// write it ("20240101120000.123456Z", "20240101120000Z"); negative when it
// does not parse.
double change_time(const std::string &generalized_time);

// Runs its thread(s) from construction to destruction (which stops them
// within about a second and gives the lease up). One per running config.
class ChangeWatcher {
public:
    // `redis` and `store` are both set or both null.
    ChangeWatcher(const Config &config, std::shared_ptr<CachingDirectory> cache, std::shared_ptr<RedisTier> redis,
                  std::shared_ptr<WatchStore> store);
    ~ChangeWatcher();
    ChangeWatcher(const ChangeWatcher &) = delete;
    ChangeWatcher &operator=(const ChangeWatcher &) = delete;

    // For tests and stats: "standby", "connecting", "down", "refreshing", "watching".
    std::string state() const;

private:
    void run();
    void keep_lease();
    bool watching_here() const;
    void set_state(const std::string &state);
    void take(FeedBatch &batch);
    bool deliver(const Invalidation &invalidation);
    void publish_status();

    const LdapConfig ldap_;
    const std::shared_ptr<CachingDirectory> cache_;
    const std::shared_ptr<RedisTier> redis_;
    const std::shared_ptr<WatchStore> store_;
    const std::string holder_;
    ChangeScope scope_;
    WatchMode mode_ = WatchMode::off;
    std::unique_ptr<ChangeFeed> feed_;
    std::string position_;  // where the feed resumes, as last applied
    Invalidation pending_;  // worked out but not yet delivered
    std::string pending_position_;
    int64_t last_ok_ms_ = 0;    // when the feed last answered
    int64_t status_at_ms_ = 0;  // when the status was last published
    double last_latency_ = -1;  // seconds, of the last change applied
    unsigned long long changes_ = 0, resyncs_ = 0;

    mutable std::mutex state_mutex_;
    std::string state_ = "connecting";
    // With Redis: 1 while this daemon holds the lease, 0 while another
    // does, -1 while Redis cannot be asked (each daemon for itself), -2
    // before the first answer.
    std::atomic<int> lease_{-2};
    std::atomic<bool> stop_{false};
    std::thread lease_thread_, thread_;
};

}  // namespace sendas

#endif
