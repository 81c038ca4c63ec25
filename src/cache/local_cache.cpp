// The bounded in-process tier; see local_cache.h.
#include "cache/local_cache.h"

namespace sendas {
namespace {

// Rough heap footprint: strings plus a fixed cost per node.
size_t footprint(const std::string &login, const LocalRecord &r) {
    constexpr size_t node = 64;
    size_t bytes = login.size() + node;
    if (r.user) {
        const UserInfo &user = r.user->answer.value;
        bytes += user.dn.size() + user.display_name.size() + node;
        for (const auto &a : user.addresses) bytes += a.size() + node;
    }
    for (const auto &[mailbox, entry] : r.rights) {
        bytes += 2 * (mailbox.size() + node);
        for (const auto &p : entry.answer.value.path) bytes += p.size() + node;
    }
    return bytes;
}

}  // namespace

LocalCache::Slot &LocalCache::touch(const std::string &login) {
    auto [it, added] = slots_.try_emplace(login);
    if (added) {
        lru_.push_front(login);
        it->second.order = lru_.begin();
    } else {
        lru_.splice(lru_.begin(), lru_, it->second.order);
    }
    return it->second;
}

void LocalCache::resize(Slot &slot) {
    bytes_ -= slot.bytes;
    slot.bytes = footprint(*slot.order, slot.record);
    bytes_ += slot.bytes;
}

void LocalCache::evict() {
    // The most recent record always stays, however large.
    while (slots_.size() > 1 && (slots_.size() > max_entries_ || bytes_ > max_bytes_)) {
        auto it = slots_.find(lru_.back());
        bytes_ -= it->second.bytes;
        slots_.erase(it);
        lru_.pop_back();
    }
}

void LocalCache::erase(const std::string &login) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(login);
    if (it == slots_.end()) return;
    bytes_ -= it->second.bytes;
    lru_.erase(it->second.order);
    slots_.erase(it);
}

void LocalCache::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_.clear();
    lru_.clear();
    bytes_ = 0;
}

size_t LocalCache::entries() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slots_.size();
}

}  // namespace sendas
