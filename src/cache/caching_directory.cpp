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

// The local tier's entry for `mailbox`, if any, and whether it is still
// trusted at `now` without asking Redis.
std::pair<const CachedRights *, bool> local_rights(const LocalRecord &record, const std::string &mailbox, int64_t now) {
    auto it = record.rights.find(mailbox);
    if (it == record.rights.end()) return {nullptr, false};
    auto until = record.rights_local_until.find(mailbox);
    return {&it->second, until != record.rights_local_until.end() && now < until->second};
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
            log(Severity::warning, "Redis " + redis_->config().address +
                                       ": cache records fail verification (redis.hmac_key_file), ignoring them and "
                                       "asking LDAP: a daemon with another key shares this Redis, or someone else "
                                       "writes into it");
        return false;
    }
    if (check == RecordCheck::ok && forging_ && clock_() - last_forged_at_ >= forged_quiet && forging_.exchange(false))
        log(Severity::info, "Redis " + redis_->config().address + ": cache records verify again");
    return check == RecordCheck::ok;
}

int64_t CachingDirectory::ttl_for(LookupStatus status) const {
    return status == LookupStatus::found ? settings_.ttl : settings_.negative_ttl;
}

void CachingDirectory::drop_local(const std::string &what) {
    if (what == "*") {
        local_.clear();
    } else if (what.rfind("dn:", 0) == 0) {
        const std::string identity = what.substr(3);
        local_.erase_if([&](const LocalRecord &record) {
            return record.user && record.user->status == LookupStatus::found &&
                   identity_of(record.user->user) == identity;
        });
    } else {
        local_.erase(what);
    }
}

LocalRecord CachingDirectory::load_from_redis(const std::string &login, int64_t now) {
    LocalRecord loaded;
    std::map<std::string, std::string> fields;
    if (!redis_ || !redis_->load(login, loaded.generation, fields)) return loaded;
    loaded.redis_read_at = now;
    const std::string &mac_key = redis_->mac_key();
    for (const auto &[field, data] : fields) {
        if (field == user_field) {
            CachedUser entry;
            if (verified(decode(data, place(login, field, loaded.generation), mac_key, entry))) loaded.user = entry;
        } else if (field.rfind("r:", 0) == 0) {
            CachedRights entry;
            if (verified(decode(data, place(login, field, loaded.generation), mac_key, entry)))
                loaded.rights[field.substr(2)] = entry;
        }
    }
    const int64_t trusted_until = now + settings_.local_ttl;
    local_.update(login, [&](LocalRecord &record) {
        record.generation = loaded.generation;
        record.redis_read_at = now;
        if (loaded.user && now < loaded.user->stale_until) {
            record.user = loaded.user;
            record.user_local_until = std::min(loaded.user->fresh_until, trusted_until);
        }
        for (const auto &[mailbox, entry] : loaded.rights) {
            if (now >= entry.stale_until) continue;
            record.rights[mailbox] = entry;
            record.rights_local_until[mailbox] = std::min(entry.fresh_until, trusted_until);
        }
    });
    return loaded;
}

void CachingDirectory::remember_user(const std::string &login, const CachedUser &entry, const std::string &generation) {
    const int64_t now = clock_();
    if (redis_ && !generation.empty())
        redis_->store(login, user_field, encode(entry, place(login, user_field, generation), redis_->mac_key()),
                      std::max(settings_.ttl, settings_.negative_ttl) + settings_.stale_ttl,
                      entry.status == LookupStatus::found ? identity_of(entry.user) : std::string());
    local_.update(login, [&](LocalRecord &record) {
        record.user = entry;
        record.user_local_until = std::min(entry.fresh_until, now + settings_.local_ttl);
    });
}

void CachingDirectory::remember_rights(const std::string &login, const std::string &mailbox, const CachedRights &entry,
                                       const std::string &generation) {
    const int64_t now = clock_();
    if (redis_ && !generation.empty())
        redis_->store(login, rights_field(mailbox),
                      encode(entry, place(login, rights_field(mailbox), generation), redis_->mac_key()),
                      std::max(settings_.ttl, settings_.negative_ttl) + settings_.stale_ttl);
    local_.update(login, [&](LocalRecord &record) {
        record.rights[mailbox] = entry;
        record.rights_local_until[mailbox] = std::min(entry.fresh_until, now + settings_.local_ttl);
    });
}

LookupStatus CachingDirectory::find_user(const std::string &login, UserInfo &user, LookupContext &context) {
    const int64_t now = clock_();
    std::optional<CachedUser> known;  // expired, kept for a directory outage
    std::string generation;
    bool trusted = false;
    LookupStatus status = LookupStatus::unavailable;
    local_.read(login, [&](const LocalRecord &record) {
        generation = record.generation;
        if (!record.user) return;
        trusted = now < record.user_local_until;
        if (trusted) {
            user = record.user->user;
            status = record.user->status;
        } else {
            known = record.user;
        }
    });
    count_local(trusted);
    if (trusted) return status;
    if (redis_) {
        LocalRecord loaded = load_from_redis(login, now);
        if (loaded.user && now < loaded.user->fresh_until) {
            count_redis(true);
            user = loaded.user->user;
            return loaded.user->status;
        }
        if (loaded.redis_read_at >= 0) count_redis(false);
        if (loaded.user && (!known || loaded.user->stale_until > known->stale_until)) known = loaded.user;
        if (!loaded.generation.empty()) generation = loaded.generation;
    }
    UserAnswer answer = user_flight_.run("u:" + login, [&] {
        // A flight for this login may have landed between the check above
        // and this one taking off: its answer is in the local tier now.
        std::optional<UserAnswer> landed;
        local_.read(login, [&](const LocalRecord &record) {
            if (record.user && clock_() < record.user_local_until)
                landed = UserAnswer{record.user->status, record.user->user};
        });
        if (landed) return *landed;
        ++ldap_lookups_;
        UserAnswer fetched;
        fetched.status = backend_->find_user(login, fetched.user, context);
        if (fetched.status != LookupStatus::unavailable) {
            int64_t fresh = clock_() + ttl_for(fetched.status);
            remember_user(login, CachedUser{fetched.status, fetched.user, fresh, fresh + settings_.stale_ttl},
                          generation);
        }
        return fetched;
    });
    if (answer.status != LookupStatus::unavailable) {
        user = answer.user;
        return answer.status;
    }
    if (usable_stale(known, now, settings_.stale_ttl)) {
        ++stale_answers_;
        metrics::stale_answer();
        user = known->user;
        user.stale = true;
        return known->status;
    }
    return LookupStatus::unavailable;
}

LookupStatus CachingDirectory::find_rights(const std::string &login, const UserInfo &user, const std::string &mailbox,
                                           MailboxRights &rights, LookupContext &context) {
    const int64_t now = clock_();
    std::optional<CachedRights> cached;  // expired, kept for a directory outage
    std::string generation;
    bool trusted = false, just_read = false;
    LookupStatus status = LookupStatus::unavailable;
    local_.read(login, [&](const LocalRecord &record) {
        generation = record.generation;
        just_read = redis_just_read(record, now);
        const auto [entry, fresh] = local_rights(record, mailbox, now);
        if (!entry) return;
        trusted = fresh;
        if (trusted) {
            rights = entry->rights;
            status = entry->status;
        } else {
            cached = *entry;
        }
    });
    count_local(trusted);
    if (trusted) return status;
    if (redis_ && just_read) {
        // The entry, if any, came from Redis moments ago.
        bool fresh = cached && now < cached->fresh_until;
        count_redis(fresh);
        if (fresh) {
            rights = cached->rights;
            return cached->status;
        }
    } else if (redis_) {
        std::string data;
        if (redis_->load_field(login, rights_field(mailbox), generation, data)) {
            CachedRights entry;
            if (!data.empty() &&
                verified(decode(data, place(login, rights_field(mailbox), generation), redis_->mac_key(), entry))) {
                if (now < entry.fresh_until) {
                    count_redis(true);
                    local_.update(login, [&](LocalRecord &record) {
                        record.rights[mailbox] = entry;
                        record.rights_local_until[mailbox] = std::min(entry.fresh_until, now + settings_.local_ttl);
                    });
                    rights = entry.rights;
                    return entry.status;
                }
                if (!cached || entry.stale_until > cached->stale_until) cached = entry;
            }
            count_redis(false);
        }
    }
    RightsAnswer answer = rights_flight_.run("r:" + login + "\n" + mailbox, [&] {
        std::optional<RightsAnswer> landed;  // as in find_user: a flight that just landed
        local_.read(login, [&](const LocalRecord &record) {
            const auto [entry, fresh] = local_rights(record, mailbox, clock_());
            if (fresh) landed = RightsAnswer{entry->status, entry->rights};
        });
        if (landed) return *landed;
        ++ldap_lookups_;
        RightsAnswer fetched;
        // A miss's searches are charged to the message that leads the flight.
        fetched.status = backend_->find_rights(login, user, mailbox, fetched.rights, context);
        if (fetched.status != LookupStatus::unavailable) {
            const MailboxRights &r = fetched.rights;
            bool any = r.send_as || r.send_on_behalf || r.full_access;
            int64_t fresh = clock_() + (any ? settings_.ttl : settings_.negative_ttl);
            remember_rights(login, mailbox,
                            CachedRights{fetched.status, fetched.rights, fresh, fresh + settings_.stale_ttl},
                            generation);
        }
        return fetched;
    });
    if (answer.status != LookupStatus::unavailable) {
        rights = answer.rights;
        return answer.status;
    }
    if (usable_stale(cached, now, settings_.stale_ttl)) {
        ++stale_answers_;
        metrics::stale_answer();
        rights = cached->rights;
        rights.stale = true;
        return cached->status;
    }
    return LookupStatus::unavailable;
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
