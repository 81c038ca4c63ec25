// The tiered cache; see caching_directory.h.
#include "cache/caching_directory.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/metrics.h"
#include "base/string_util.h"

namespace sendas {
namespace {

constexpr const char *user_field = "user";
std::string rights_field(const std::string &mailbox) { return "r:" + mailbox; }

// A spell of forged records ends after this many seconds without one.
constexpr int64_t forged_quiet = 60;

// find_user has just read the user's whole Redis hash: a rights item
// missing from it is missing in Redis too, no need to ask again.
bool redis_just_read(const LocalRecord &record, int64_t now) {
    return record.redis_read_at >= 0 && now - record.redis_read_at <= 1;
}

// Whether an answer is cached for cache.ttl rather than cache.negative_ttl.
bool positive(const Answer<UserInfo> &answer) { return answer.status == LookupStatus::found; }
bool positive(const Answer<MailboxRights> &answer) {
    const MailboxRights &r = answer.value;
    return r.send_as || r.send_on_behalf || r.full_access;
}

// The stale window is the one configured now: a record written under a
// longer cache.stale_ttl does not outlive a lowered one.
template <typename Entry>
bool usable_stale(const std::optional<Entry> &entry, int64_t now, int64_t stale_ttl) {
    return entry && now < std::min(entry->stale_until, entry->fresh_until + stale_ttl);
}

}  // namespace

std::string identity_of(const UserInfo &user) { return lower(user.dn); }

CachingDirectory::CachingDirectory(std::shared_ptr<Directory> backend, CacheSettings settings,
                                   std::shared_ptr<RedisTier> redis, Clock clock)
    : backend_(std::move(backend)),
      settings_(settings),
      redis_(std::move(redis)),
      clock_(std::move(clock)),
      local_(settings.local_max_entries, settings.local_max_bytes) {
    if (redis_)
        listener_ = std::make_unique<FlushListener>(
            redis_->config(), redis_->channel(), [this](const std::string &what) { drop_local(what); },
            // Not drop_local: a reconnect is no change, and a lookup in
            // flight (the first one, as the listener starts) may be kept.
            [this] { local_.clear(); }, [this] { redis_->publish_stats(stats()); });
}

CachingDirectory::~CachingDirectory() = default;

void CachingDirectory::count_local(bool hit) {
    ++(hit ? local_hits_ : local_misses_);
    metrics::cache_lookup("local", hit);
}

void CachingDirectory::count_redis(bool hit) {
    ++(hit ? redis_hits_ : redis_misses_);
    metrics::cache_lookup("redis", hit);
}

RecordPlace CachingDirectory::place(const std::string &login, const std::string &field,
                                    const std::string &generation) const {
    return {redis_->user_key(login), field, generation};
}

// True for a record to use. A forged one is a miss: LDAP answers, and the
// answer overwrites it.
bool CachingDirectory::verified(RecordCheck check) {
    if (check == RecordCheck::forged) {
        ++bad_records_;
        metrics::cache_bad_record();
        last_forged_at_ = clock_();
        if (!forging_.exchange(true))
            log(Severity::warning, "Redis " + redis_->config().label() +
                                       ": cache records fail verification (redis.hmac_key_file), ignoring them and "
                                       "asking LDAP: a daemon with another key shares this Redis, or someone else "
                                       "writes into it");
        return false;
    }
    if (check == RecordCheck::ok && forging_ && clock_() - last_forged_at_ >= forged_quiet && forging_.exchange(false))
        log(Severity::info, "Redis " + redis_->config().label() + ": cache records verify again");
    return check == RecordCheck::ok;
}

void CachingDirectory::drop_local(const std::string &what) {
    ++drops_;
    if (what == "*") {
        local_.clear();
    } else if (what.rfind("dn:", 0) == 0) {
        const std::string identity = what.substr(3);
        local_.erase_if([&](const LocalRecord &record) {
            return record.user && record.user->answer.status == LookupStatus::found &&
                   identity_of(record.user->answer.value) == identity;
        });
    } else if (what.rfind("m:", 0) == 0) {
        drop_mailbox(what.substr(2));
    } else {
        local_.erase(what);
    }
}

// Every login's rights on the mailbox, or on every mailbox of "@domain".
void CachingDirectory::drop_mailbox(const std::string &mailbox) {
    const bool domain = mailbox.rfind('@', 0) == 0;
    auto matches = [&](const std::string &cached) {
        return domain ? cached.size() > mailbox.size() &&
                            cached.compare(cached.size() - mailbox.size(), mailbox.size(), mailbox) == 0
                      : cached == mailbox;
    };
    local_.update_all([&](LocalRecord &record) {
        for (auto it = record.rights.begin(); it != record.rights.end();) {
            if (!matches(it->first)) {
                ++it;
                continue;
            }
            record.rights_local_until.erase(it->first);
            record.rights_generation.erase(it->first);
            it = record.rights.erase(it);
        }
    });
}

LocalRecord CachingDirectory::load_from_redis(const std::string &login, int64_t now) {
    LocalRecord loaded;
    std::map<std::string, std::string> fields;
    if (!redis_ || !redis_->load(login, loaded.generation, fields, loaded.rights_generation)) return loaded;
    loaded.redis_read_at = now;
    const std::string &mac_key = redis_->mac_key();
    for (const auto &[field, data] : fields) {
        if (field == user_field) {
            CachedUser entry;
            if (verified(decode(data, place(login, field, loaded.generation), mac_key, entry))) loaded.user = entry;
        } else if (field.rfind("r:", 0) == 0) {
            CachedRights entry;
            const std::string &generation = loaded.rights_generation[field.substr(2)];
            if (verified(decode(data, place(login, field, generation), mac_key, entry)))
                loaded.rights[field.substr(2)] = entry;
        }
    }
    const int64_t trusted_until = now + settings_.local_ttl;
    local_.update(login, [&](LocalRecord &record) {
        record.generation = loaded.generation;
        record.rights_generation = loaded.rights_generation;
        record.redis_read_at = now;
        if (loaded.user && now < loaded.user->stale_until) record.keep_user(*loaded.user, trusted_until);
        for (const auto &[mailbox, entry] : loaded.rights)
            if (now < entry.stale_until) record.keep_rights(mailbox, entry, trusted_until);
    });
    return loaded;
}

void CachingDirectory::remember_user(const std::string &login, const CachedUser &entry, const std::string &generation) {
    const int64_t now = clock_();
    if (redis_ && !generation.empty())
        redis_->store(login, user_field, encode(entry, place(login, user_field, generation), redis_->mac_key()),
                      std::max(settings_.ttl, settings_.negative_ttl) + settings_.stale_ttl,
                      entry.answer.status == LookupStatus::found ? identity_of(entry.answer.value) : std::string());
    local_.update(login, [&](LocalRecord &record) { record.keep_user(entry, now + settings_.local_ttl); });
}

void CachingDirectory::remember_rights(const std::string &login, const std::string &mailbox, const CachedRights &entry,
                                       const std::string &generation) {
    const int64_t now = clock_();
    if (redis_ && !generation.empty())
        redis_->store(login, rights_field(mailbox),
                      encode(entry, place(login, rights_field(mailbox), generation), redis_->mac_key()),
                      std::max(settings_.ttl, settings_.negative_ttl) + settings_.stale_ttl);
    local_.update(login, [&](LocalRecord &record) {
        record.keep_rights(mailbox, entry, now + settings_.local_ttl);
        record.rights_generation[mailbox] = generation;
    });
}

// A user: the local tier holds it under the login; Redis is read as the
// login's whole hash, which brings the rights cached for it along.
class CachingDirectory::UserItem {
public:
    using Entry = CachedUser;
    UserItem(CachingDirectory &cache, const std::string &login) : login(login), cache_(cache) {}

    const std::string &login;
    SingleFlight<Answer<UserInfo>> &flight() { return cache_.user_flight_; }
    std::string flight_key() const { return "u:" + login; }
    const Entry *local(const LocalRecord &record) const { return record.user ? &*record.user : nullptr; }
    std::string generation(const LocalRecord &record) const { return record.generation; }
    int64_t local_until(const LocalRecord &record) const { return record.user_local_until; }
    bool from_redis(int64_t now, bool, const std::optional<Entry> &, std::string &generation,
                    std::optional<Entry> &stored) {
        LocalRecord loaded = cache_.load_from_redis(login, now);
        if (!loaded.generation.empty()) generation = loaded.generation;
        stored = loaded.user;
        return loaded.redis_read_at >= 0;
    }
    Answer<UserInfo> fetch(LookupContext &context) { return cache_.backend_->find_user(login, context); }
    void remember(const Entry &entry, const std::string &generation) { cache_.remember_user(login, entry, generation); }

private:
    CachingDirectory &cache_;
};

// A user's rights on one mailbox: one field of the login's Redis hash.
class CachingDirectory::RightsItem {
public:
    using Entry = CachedRights;
    RightsItem(CachingDirectory &cache, const std::string &login, const UserInfo &user, const std::string &mailbox)
        : login(login), cache_(cache), user_(user), mailbox_(mailbox) {}

    const std::string &login;
    SingleFlight<Answer<MailboxRights>> &flight() { return cache_.rights_flight_; }
    std::string flight_key() const { return "r:" + login + "\n" + mailbox_; }
    const Entry *local(const LocalRecord &record) const {
        auto it = record.rights.find(mailbox_);
        return it == record.rights.end() ? nullptr : &it->second;
    }
    std::string generation(const LocalRecord &record) const {
        auto it = record.rights_generation.find(mailbox_);
        return it == record.rights_generation.end() ? std::string() : it->second;
    }
    int64_t local_until(const LocalRecord &record) const {
        auto it = record.rights_local_until.find(mailbox_);
        return it == record.rights_local_until.end() ? 0 : it->second;
    }
    bool from_redis(int64_t now, bool just_read, const std::optional<Entry> &known, std::string &generation,
                    std::optional<Entry> &stored) {
        // find_user read the whole hash moments ago: a local entry came
        // from it, and a field that failed verification came with its
        // generation; only a field it did not have needs a read, for the
        // generation a new record must carry.
        if (just_read && (known || !generation.empty())) {
            stored = known;
            return true;
        }
        // Else the record and the generation a new one must carry: read
        // before LDAP is, so an invalidation meanwhile outdates the answer.
        const std::string field = rights_field(mailbox_);
        std::string data;
        if (!cache_.redis_->load_field(login, field, generation, data, mailbox_)) return false;
        Entry entry;
        if (data.empty() ||
            !cache_.verified(decode(data, cache_.place(login, field, generation), cache_.redis_->mac_key(), entry)))
            return true;
        stored = entry;
        if (now < entry.fresh_until)
            cache_.local_.update(login, [&](LocalRecord &record) {
                record.keep_rights(mailbox_, entry, now + cache_.settings_.local_ttl);
                record.rights_generation[mailbox_] = generation;
            });
        return true;
    }
    // A miss's searches are charged to the message that leads the flight.
    Answer<MailboxRights> fetch(LookupContext &context) {
        return cache_.backend_->find_rights(login, user_, mailbox_, context);
    }
    void remember(const Entry &entry, const std::string &generation) {
        cache_.remember_rights(login, mailbox_, entry, generation);
    }

private:
    CachingDirectory &cache_;
    const UserInfo &user_;
    const std::string &mailbox_;
};

// The local tier while it trusts the item, then Redis while the record is
// fresh, then the directory, once however many connections ask at once;
// with the directory down, the freshest expired record within
// cache.stale_ttl, marked stale.
template <typename Item>
auto CachingDirectory::walk_tiers(Item &item, LookupContext &context) -> decltype(item.fetch(context)) {
    using Entry = typename Item::Entry;
    const int64_t now = clock_();
    std::optional<Entry> known;  // not trusted: expired, or due a check with Redis
    std::string generation;
    bool trusted = false, just_read = false;
    local_.read(item.login, [&](const LocalRecord &record) {
        generation = item.generation(record);
        just_read = redis_just_read(record, now);
        if (const Entry *entry = item.local(record)) {
            known = *entry;
            trusted = now < item.local_until(record);
        }
    });
    count_local(trusted);
    if (trusted) return known->answer;
    std::optional<Entry> stored;
    if (redis_ && item.from_redis(now, just_read, known, generation, stored)) {
        const bool fresh = stored && now < stored->fresh_until;
        count_redis(fresh);
        if (fresh) return stored->answer;
    }
    if (stored && (!known || stored->stale_until > known->stale_until)) known = stored;
    auto answer = item.flight().run(item.flight_key(), [&] { return fly(item, generation, context); });
    if (answer.status != LookupStatus::unavailable || !usable_stale(known, now, settings_.stale_ttl)) return answer;
    ++stale_answers_;
    metrics::stale_answer();
    known->answer.value.stale = true;
    return known->answer;
}

// One flight's directory lookup, cached in both tiers.
template <typename Item>
auto CachingDirectory::fly(Item &item, const std::string &generation, LookupContext &context)
    -> decltype(item.fetch(context)) {
    // A flight for this item may have landed between the caller's check
    // and this one taking off: its answer is in the local tier now.
    std::optional<decltype(item.fetch(context))> landed;
    local_.read(item.login, [&](const LocalRecord &record) {
        const auto *entry = item.local(record);
        if (entry && clock_() < item.local_until(record)) landed = entry->answer;
    });
    if (landed) return *landed;
    ++ldap_lookups_;
    const unsigned long long drops = drops_;
    auto fetched = item.fetch(context);
    if (fetched.status != LookupStatus::unavailable && drops == drops_) {
        const int64_t fresh = clock_() + (positive(fetched) ? settings_.ttl : settings_.negative_ttl);
        item.remember({fetched, fresh, fresh + settings_.stale_ttl}, generation);
    }
    return fetched;
}

Answer<UserInfo> CachingDirectory::find_user(const std::string &login, LookupContext &context) {
    UserItem item(*this, login);
    return walk_tiers(item, context);
}

Answer<MailboxRights> CachingDirectory::find_rights(const std::string &login, const UserInfo &user,
                                                    const std::string &mailbox, LookupContext &context) {
    RightsItem item(*this, login, user, mailbox);
    return walk_tiers(item, context);
}

std::string CachingDirectory::probe() { return backend_->probe(); }

std::map<std::string, unsigned long long> CachingDirectory::stats() const {
    return {{"local_hits", local_hits_},
            {"local_misses", local_misses_},
            {"redis_hits", redis_hits_},
            {"redis_misses", redis_misses_},
            {"redis_calls", redis_ ? redis_->calls() : 0},
            {"redis_errors", redis_ ? redis_->failures() : 0},
            {"redis_bad_records", bad_records_},
            {"ldap_lookups", ldap_lookups_},
            {"ldap_searches", backend_->stats().at("ldap_searches")},
            {"stale_answers", stale_answers_}};
}

}  // namespace sendas
