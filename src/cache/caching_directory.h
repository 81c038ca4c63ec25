// The cache in front of the directory: in-process tier -> Redis -> LDAP.
//
// A hot user costs no network call; a warm one costs one Redis round trip;
// a miss costs one LDAP lookup however many connections ask at once
// (single flight). Redis down means LDAP directly. LDAP down means the
// cached answer while it is within cache.stale_ttl (marked stale), else
// "unavailable". A cache never makes up an answer: expired is a miss, and
// so is a Redis record that fails verification (redis.hmac_key_file).
#ifndef SENDAS_CACHING_DIRECTORY_H
#define SENDAS_CACHING_DIRECTORY_H

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "cache/local_cache.h"
#include "cache/redis_tier.h"
#include "cache/single_flight.h"
#include "directory/directory.h"

namespace sendas {

struct CacheSettings {
    int64_t ttl = 300;          // found answers
    int64_t negative_ttl = 60;  // "no such user" / "no right"
    int64_t local_ttl = 30;     // trusted in-process without asking Redis
    int64_t stale_ttl = 0;      // served past expiry while LDAP is down
    size_t local_max_entries = 10000;
    size_t local_max_bytes = 16 << 20;
};

// Who a cached user is whatever login spelling found them: the DN the
// server returned, lower-cased. Keys the per-user flush.
std::string identity_of(const UserInfo &user);

// One per runtime snapshot; thread-safe. `redis` may be null (local tier
// alone). Owns the flush listener thread when Redis is configured.
class CachingDirectory : public Directory {
public:
    CachingDirectory(std::shared_ptr<Directory> backend, CacheSettings settings, std::shared_ptr<RedisTier> redis,
                     Clock clock = system_clock_seconds);
    ~CachingDirectory() override;

    Answer<UserInfo> find_user(const std::string &login, LookupContext &context) override;
    Answer<MailboxRights> find_rights(const std::string &login, const UserInfo &user, const std::string &mailbox,
                                      LookupContext &context) override;
    std::string probe() override;

    // Counters by name: local_hits local_misses redis_hits redis_misses
    // redis_calls redis_errors redis_bad_records ldap_lookups ldap_searches
    // stale_answers.
    std::map<std::string, unsigned long long> stats() const override;

    // Drops the in-process tier for a login, for every login of one
    // directory entry ("dn:" + identity_of(user)), every login's rights on
    // one mailbox or domain ("m:" + mailbox or "m:@" + domain), or all of
    // it for "*". A lookup in flight meanwhile keeps its answer out of
    // both tiers: it may predate the change that caused the drop.
    void drop_local(const std::string &what);

private:
    // What differs between a user and a rights item on the tier walk.
    class UserItem;
    class RightsItem;
    template <typename Item>
    auto walk_tiers(Item &item, LookupContext &context) -> decltype(item.fetch(context));
    template <typename Item>
    auto fly(Item &item, const std::string &generation, LookupContext &context) -> decltype(item.fetch(context));

    LocalRecord load_from_redis(const std::string &login, int64_t now);
    void remember_user(const std::string &login, const CachedUser &entry, const std::string &generation);
    void remember_rights(const std::string &login, const std::string &mailbox, const CachedRights &entry,
                         const std::string &generation);
    void drop_mailbox(const std::string &mailbox);
    RecordPlace place(const std::string &login, const std::string &field, const std::string &generation) const;
    bool verified(RecordCheck check);
    void count_local(bool hit);
    void count_redis(bool hit);

    const std::shared_ptr<Directory> backend_;
    const CacheSettings settings_;
    const std::shared_ptr<RedisTier> redis_;
    const Clock clock_;
    LocalCache local_;
    SingleFlight<Answer<UserInfo>> user_flight_;
    SingleFlight<Answer<MailboxRights>> rights_flight_;
    std::atomic<unsigned long long> local_hits_{0}, local_misses_{0}, redis_hits_{0}, redis_misses_{0},
        ldap_lookups_{0}, stale_answers_{0}, bad_records_{0};
    // Forged records are logged once per spell of them, not per message.
    std::atomic<bool> forging_{false};
    std::atomic<unsigned long long> drops_{0};  // drop_local calls so far
    std::atomic<int64_t> last_forged_at_{0};
    std::unique_ptr<FlushListener> listener_;  // last: stopped first
};

}  // namespace sendas

#endif
