// The shared cache tier in Redis, and the listener that hears flushes.
//
// Layout (PREFIX = redis.prefix):
//   PREFIXv1:gen            flush generation; INCR drops every record at once
//   PREFIXv1:u:LOGIN        hash: "user" and "r:MAILBOX" records (cache_codec.h)
//   PREFIXv1:mg:MAILBOX     per-mailbox generation (MAILBOX may be "@domain"):
//                           INCR drops every login's rights on it at once;
//                           a rights record carries the global, mailbox and
//                           domain generations it was looked up under
//   PREFIXv1:s:IDENTITY     set: the logins (spellings) cached for one
//                           directory entry (its DN, lower-cased), so a
//                           per-user flush reaches every spelling
//   PREFIXv1:sends:USER:MAILBOX:WINDOW  list: one token per message counted
//                           against limits.per_user_mailbox (send_limit.h)
//   PREFIXv1:usage:RIGHT:MAILBOX:USER  hash: when and how often one user
//                           used one right on one mailbox (cmd/usage_redis.h)
//   PREFIXv1:flush          pub/sub channel: "*", a login, "dn:IDENTITY" or
//                           "m:MAILBOX", to drop local tiers
//   PREFIXv1:watch:*        the change watcher's lease, position and status
//                           (watch_store.h)
//   PREFIXv1:stats:HOST:PID hash of one daemon's counters (sendasctl cache stats)
#ifndef SENDAS_REDIS_TIER_H
#define SENDAS_REDIS_TIER_H

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache/redis_client.h"

namespace sendas {

// The generation a rights record must carry: the global one, its
// mailbox's and its domain's, so that a flush of any of them makes it a miss.
std::string rights_generation(const std::string &generation, const std::string &mailbox_generation,
                              const std::string &domain_generation);

// Thread-safe; every call is one round trip or none (when Redis is down).
class RedisTier {
public:
    // `mac_key`: redis.hmac_key_file's content, or empty (records unsigned).
    RedisTier(RedisConfig config, std::string prefix, unsigned pool_size, std::string mac_key = "");

    // The current generation, every field of the login's hash and, for
    // each "r:MAILBOX" field, the generation a record of it must carry
    // (rights_generation); one EVAL.
    bool load(const std::string &login, std::string &generation, std::map<std::string, std::string> &fields,
              std::map<std::string, std::string> &rights_generations);
    // The current generation and one field ("" when absent); with a
    // `mailbox`, `generation` is rights_generation's for it.
    bool load_field(const std::string &login, const std::string &field, std::string &generation, std::string &value,
                    const std::string &mailbox = "");
    // Drops every login's cached rights on each mailbox (or "@domain")
    // on every host: its generation moves on, and "m:MAILBOX" is published.
    bool invalidate_mailboxes(const std::vector<std::string> &mailboxes);
    // Writes one field and sets the hash to expire after `key_ttl` seconds;
    // with an `identity`, also records the login as one of its spellings.
    bool store(const std::string &login, const std::string &field, const std::string &value, int64_t key_ttl,
               const std::string &identity = "");
    // Drops one login's records (or all, with an empty login) on every host.
    bool flush(const std::string &login);
    // Drops the records of every spelling of one directory entry, and
    // `login`'s (if not empty), on every host. `spellings` is how many logins it dropped.
    bool flush_identity(const std::string &identity, const std::string &login, size_t &spellings);
    // Appends `entry` to the list key(name), which expires after `ttl` s;
    // `length` is the list's length right after.
    bool push(const std::string &name, const std::string &entry, int64_t ttl, long long &length);
    // The first `count` entries of the list key(name).
    bool read_list(const std::string &name, long long count, std::vector<std::string> &entries);
    // Runs `commands` as one round trip, for stores kept in this Redis
    // (usage records). False when Redis is unavailable or answers an error.
    bool run(const std::vector<std::vector<std::string>> &commands, std::vector<RedisReplyPtr> &replies);
    // Every key matching the glob `pattern`, by SCAN.
    bool scan(const std::string &pattern, std::vector<std::string> &keys);
    // Publishes this process's counters for `sendasctl cache stats`.
    bool publish_stats(const std::map<std::string, unsigned long long> &counters);
    // Every daemon's published counters, by "HOST:PID".
    bool read_stats(std::map<std::string, std::map<std::string, std::string>> &out);

    // PING on a new connection (with AUTH and SELECT): "" or the problem.
    std::string probe() const;

    std::string key(const std::string &name) const { return prefix_ + "v1:" + name; }
    std::string user_key(const std::string &login) const { return key("u:" + login); }
    std::string spellings_key(const std::string &identity) const { return key("s:" + identity); }
    std::string mailbox_generation_key(const std::string &mailbox) const { return key("mg:" + mailbox); }
    const std::string &mac_key() const { return mac_key_; }
    std::string channel() const { return prefix_ + "v1:flush"; }
    const RedisConfig &config() const { return pool_.config(); }
    unsigned long long calls() const { return pool_.calls(); }
    unsigned long long failures() const { return pool_.failures(); }

private:
    std::string generation_key() const { return prefix_ + "v1:gen"; }

    const std::string prefix_;
    const std::string stats_key_;
    const std::string mac_key_;
    RedisPool pool_;
};

// A thread subscribed to the flush channel. `on_flush` gets "*" or a
// login; `on_resubscribe` runs after every (re)connection, since messages
// may have been missed meanwhile; `periodic` runs about every two seconds.
// Stops and joins in its destructor (within about half a second).
class FlushListener {
public:
    FlushListener(RedisConfig config, std::string channel, std::function<void(const std::string &)> on_flush,
                  std::function<void()> on_resubscribe, std::function<void()> periodic);
    ~FlushListener();

private:
    void run();

    const RedisConfig config_;
    const std::string channel_;
    std::function<void(const std::string &)> on_flush_;
    std::function<void()> on_resubscribe_, periodic_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace sendas

#endif
