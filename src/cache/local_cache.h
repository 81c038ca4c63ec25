// The in-process cache tier: per login, the user and the rights looked up
// for them, bounded in entries and bytes, least recently used evicted.
#ifndef SENDAS_LOCAL_CACHE_H
#define SENDAS_LOCAL_CACHE_H

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "cache/cache_codec.h"

namespace sendas {

// What the local tier knows about one login. `*_local_until` is how long
// an item is trusted without asking Redis again; items are kept beyond it
// (to `stale_until`) only to serve while the directory is down.
struct LocalRecord {
    std::optional<CachedUser> user;
    int64_t user_local_until = 0;
    std::map<std::string, CachedRights> rights;  // by mailbox
    std::map<std::string, int64_t> rights_local_until;
    std::string generation;                                // Redis generation the items were read under
    std::map<std::string, std::string> rights_generation;  // by mailbox: rights_generation() of its record
    int64_t redis_read_at = -1;                            // when Redis was last asked for the whole record

    // Stores an item, trusted until `trusted_until` or its freshness ends.
    void keep_user(const CachedUser &entry, int64_t trusted_until) {
        user = entry;
        user_local_until = std::min(entry.fresh_until, trusted_until);
    }
    void keep_rights(const std::string &mailbox, const CachedRights &entry, int64_t trusted_until) {
        rights[mailbox] = entry;
        rights_local_until[mailbox] = std::min(entry.fresh_until, trusted_until);
    }
};

// Thread-safe; hands out copies, never references into the map.
class LocalCache {
public:
    LocalCache(size_t max_entries, size_t max_bytes) : max_entries_(max_entries), max_bytes_(max_bytes) {}

    // Calls `read(record)` under the lock when the login is cached, and
    // marks it recently used: the caller copies out only what it needs.
    // False when the login is not cached.
    template <typename Read>
    bool read(const std::string &login, Read read) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = slots_.find(login);
        if (it == slots_.end()) return false;
        lru_.splice(lru_.begin(), lru_, it->second.order);
        read(static_cast<const LocalRecord &>(it->second.record));
        return true;
    }
    // Applies `update` to the login's record (created empty if absent).
    template <typename Update>
    void update(const std::string &login, Update update) {
        std::lock_guard<std::mutex> lock(mutex_);
        Slot &slot = touch(login);
        update(slot.record);
        resize(slot);
        evict();
    }
    // Applies `update` to every record (a change to one mailbox's rights
    // reaches every login).
    template <typename Update>
    void update_all(Update update) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto &[login, slot] : slots_) {
            update(slot.record);
            resize(slot);
        }
    }
    void erase(const std::string &login);
    // Erases every record for which `match(record)` is true.
    template <typename Match>
    void erase_if(Match match) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = slots_.begin(); it != slots_.end();) {
            if (!match(static_cast<const LocalRecord &>(it->second.record))) {
                ++it;
                continue;
            }
            bytes_ -= it->second.bytes;
            lru_.erase(it->second.order);
            it = slots_.erase(it);
        }
    }
    void clear();
    size_t entries() const;

private:
    struct Slot {
        LocalRecord record;
        size_t bytes = 0;
        std::list<std::string>::iterator order;
    };
    Slot &touch(const std::string &login);
    void resize(Slot &slot);
    void evict();

    const size_t max_entries_, max_bytes_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Slot> slots_;
    std::list<std::string> lru_;  // most recent first
    size_t bytes_ = 0;
};

}  // namespace sendas

#endif
