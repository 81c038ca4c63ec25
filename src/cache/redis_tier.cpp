// The Redis cache tier and flush listener; see redis_tier.h.
#include "cache/redis_tier.h"

#include <unistd.h>

#include <hiredis/hiredis.h>

#include "base/mailbox_match.h"

namespace sendas {
namespace {

std::string hostname() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

std::string as_string(const redisReply *reply) {
    return reply && reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : std::string();
}

// Missing generation key = generation 0: nothing was flushed yet.
std::string generation_of(const redisReply *reply) {
    std::string value = as_string(reply);
    return value.empty() ? "0" : value;
}

// A login's hash with the global generation and, for each rights field,
// its mailbox's and its domain's: one round trip for a warm user.
// KEYS: the hash, the generation; ARGV: the prefix of generation keys.
constexpr const char *load_script = R"lua(
local hash = redis.call('HGETALL', KEYS[1])
local scoped = {}
for i = 1, #hash, 2 do
    local field = hash[i]
    if string.sub(field, 1, 2) == 'r:' then
        local mailbox = string.sub(field, 3)
        scoped[#scoped + 1] = redis.call('GET', ARGV[1] .. mailbox) or false
        scoped[#scoped + 1] = redis.call('GET', ARGV[1] .. (string.match(mailbox, '(@[^@]*)$') or '@')) or false
    end
end
return {redis.call('GET', KEYS[2]) or false, hash, scoped}
)lua";

// Longer than any record lives (redis.ttl + cache.stale_ttl, each at most
// a day): a generation key that expired cannot make an older record
// verify again.
constexpr const char *mailbox_generation_life = "259200";

}  // namespace

std::string rights_generation(const std::string &generation, const std::string &mailbox_generation,
                              const std::string &domain_generation) {
    return generation + "." + mailbox_generation + "." + domain_generation;
}

RedisTier::RedisTier(RedisConfig config, std::string prefix, unsigned pool_size, std::string mac_key)
    : prefix_(std::move(prefix)),
      stats_key_(prefix_ + "v1:stats:" + hostname() + ":" + std::to_string(getpid())),
      mac_key_(std::move(mac_key)),
      pool_(std::move(config), pool_size) {}

std::string RedisTier::probe() const {
    RedisConnection conn(pool_.config());
    std::vector<RedisReplyPtr> replies;
    std::string error;
    return conn.pipeline({{"PING"}}, replies, error) ? "" : error;
}

bool RedisTier::load(const std::string &login, std::string &generation, std::map<std::string, std::string> &fields,
                     std::map<std::string, std::string> &rights_generations) {
    std::vector<RedisReplyPtr> replies;
    if (!pool_.run({{"EVAL", load_script, "2", user_key(login), generation_key(), key("mg:")}}, replies)) return false;
    const redisReply *reply = replies[0].get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || reply->element[1]->type != REDIS_REPLY_ARRAY ||
        reply->element[2]->type != REDIS_REPLY_ARRAY)
        return false;
    generation = generation_of(reply->element[0]);
    const redisReply *hash = reply->element[1], *scoped = reply->element[2];
    fields.clear();
    rights_generations.clear();
    size_t next = 0;  // the script lists two generations per rights field, in the hash's order
    for (size_t i = 0; i + 1 < hash->elements; i += 2) {
        const std::string field = as_string(hash->element[i]);
        fields[field] = as_string(hash->element[i + 1]);
        if (field.rfind("r:", 0) != 0) continue;
        if (next + 1 >= scoped->elements) return false;
        rights_generations[field.substr(2)] = rights_generation(generation, generation_of(scoped->element[next]),
                                                                generation_of(scoped->element[next + 1]));
        next += 2;
    }
    return true;
}

bool RedisTier::load_field(const std::string &login, const std::string &field, std::string &generation,
                           std::string &value, const std::string &mailbox) {
    std::vector<std::vector<std::string>> commands = {{"GET", generation_key()}, {"HGET", user_key(login), field}};
    if (!mailbox.empty())
        commands.push_back(
            {"MGET", mailbox_generation_key(mailbox), mailbox_generation_key(domain_group_name(mailbox))});
    std::vector<RedisReplyPtr> replies;
    if (!pool_.run(commands, replies)) return false;
    generation = generation_of(replies[0].get());
    value = as_string(replies[1].get());
    if (mailbox.empty()) return true;
    const redisReply *scoped = replies[2].get();
    if (scoped->type != REDIS_REPLY_ARRAY || scoped->elements != 2) return false;
    generation = rights_generation(generation, generation_of(scoped->element[0]), generation_of(scoped->element[1]));
    return true;
}

bool RedisTier::invalidate_mailboxes(const std::vector<std::string> &mailboxes) {
    std::vector<std::vector<std::string>> commands;
    for (const auto &mailbox : mailboxes) {
        commands.push_back({"INCR", mailbox_generation_key(mailbox)});
        commands.push_back({"EXPIRE", mailbox_generation_key(mailbox), mailbox_generation_life});
        commands.push_back({"PUBLISH", channel(), "m:" + mailbox});
    }
    std::vector<RedisReplyPtr> replies;
    return commands.empty() || pool_.run(commands, replies);
}

bool RedisTier::store(const std::string &login, const std::string &field, const std::string &value, int64_t key_ttl,
                      const std::string &identity) {
    const std::string ttl = std::to_string(key_ttl);
    std::vector<std::vector<std::string>> commands = {{"HSET", user_key(login), field, value},
                                                      {"EXPIRE", user_key(login), ttl}};
    if (!identity.empty()) {
        commands.push_back({"SADD", spellings_key(identity), login});
        commands.push_back({"EXPIRE", spellings_key(identity), ttl});
    }
    std::vector<RedisReplyPtr> replies;
    return pool_.run(commands, replies);
}

bool RedisTier::flush(const std::string &login) {
    std::vector<RedisReplyPtr> replies;
    if (login.empty()) return pool_.run({{"INCR", generation_key()}, {"PUBLISH", channel(), "*"}}, replies);
    return pool_.run({{"DEL", user_key(login)}, {"PUBLISH", channel(), login}}, replies);
}

bool RedisTier::flush_identity(const std::string &identity, const std::string &login, size_t &spellings) {
    std::vector<RedisReplyPtr> replies;
    if (!pool_.run({{"SMEMBERS", spellings_key(identity)}}, replies)) return false;
    std::vector<std::string> del = {"DEL", spellings_key(identity)};
    if (!login.empty()) del.push_back(user_key(login));
    spellings = 0;
    if (replies[0]->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < replies[0]->elements; ++i, ++spellings)
            del.push_back(user_key(as_string(replies[0]->element[i])));
    // Local tiers drop by identity too: a spelling cached while Redis was
    // down is in no set.
    std::vector<std::vector<std::string>> commands = {del, {"PUBLISH", channel(), "dn:" + identity}};
    if (!login.empty()) commands.push_back({"PUBLISH", channel(), login});
    return pool_.run(commands, replies);
}

bool RedisTier::push(const std::string &name, const std::string &entry, int64_t ttl, long long &length) {
    const std::string list = key(name);
    std::vector<RedisReplyPtr> replies;
    if (!pool_.run({{"RPUSH", list, entry}, {"EXPIRE", list, std::to_string(ttl)}}, replies)) return false;
    if (replies[0]->type != REDIS_REPLY_INTEGER) return false;
    length = replies[0]->integer;
    return true;
}

bool RedisTier::read_list(const std::string &name, long long count, std::vector<std::string> &entries) {
    std::vector<RedisReplyPtr> replies;
    if (!pool_.run({{"LRANGE", key(name), "0", std::to_string(count - 1)}}, replies)) return false;
    const redisReply *list = replies[0].get();
    if (list->type != REDIS_REPLY_ARRAY) return false;
    entries.clear();
    for (size_t i = 0; i < list->elements; ++i) entries.push_back(as_string(list->element[i]));
    return true;
}

bool RedisTier::run(const std::vector<std::vector<std::string>> &commands, std::vector<RedisReplyPtr> &replies) {
    return pool_.run(commands, replies);
}

bool RedisTier::scan(const std::string &pattern, std::vector<std::string> &keys) {
    std::string cursor = "0";
    do {
        std::vector<RedisReplyPtr> replies;
        if (!pool_.run({{"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"}}, replies)) return false;
        const redisReply *scan = replies[0].get();
        if (scan->type != REDIS_REPLY_ARRAY || scan->elements != 2) return false;
        cursor = as_string(scan->element[0]);
        for (size_t i = 0; i < scan->element[1]->elements; ++i) keys.push_back(as_string(scan->element[1]->element[i]));
    } while (cursor != "0");
    return true;
}

bool RedisTier::publish_stats(const std::map<std::string, unsigned long long> &counters) {
    std::vector<std::string> hset{"HSET", stats_key_};
    for (const auto &[name, value] : counters) {
        hset.push_back(name);
        hset.push_back(std::to_string(value));
    }
    std::vector<RedisReplyPtr> replies;
    // A daemon that stops publishing disappears from the stats by itself.
    return pool_.run({hset, {"EXPIRE", stats_key_, "30"}}, replies);
}

bool RedisTier::read_stats(std::map<std::string, std::map<std::string, std::string>> &out) {
    const std::string stats_prefix = prefix_ + "v1:stats:";
    std::vector<std::string> keys;
    if (!scan(stats_prefix + "*", keys)) return false;
    for (const auto &key : keys) {
        std::vector<RedisReplyPtr> hash;
        if (!pool_.run({{"HGETALL", key}}, hash)) return false;
        auto &daemon = out[key.substr(stats_prefix.size())];
        for (size_t j = 0; j + 1 < hash[0]->elements; j += 2)
            daemon[as_string(hash[0]->element[j])] = as_string(hash[0]->element[j + 1]);
    }
    return true;
}

FlushListener::FlushListener(RedisConfig config, std::string channel, std::function<void(const std::string &)> on_flush,
                             std::function<void()> on_resubscribe, std::function<void()> periodic)
    : config_(std::move(config)),
      channel_(std::move(channel)),
      on_flush_(std::move(on_flush)),
      on_resubscribe_(std::move(on_resubscribe)),
      periodic_(std::move(periodic)),
      thread_([this] { run(); }) {}

FlushListener::~FlushListener() {
    stop_ = true;
    thread_.join();
}

void FlushListener::run() {
    constexpr double tick = 0.25;  // how fast stop_ is noticed
    int ticks = 0;
    std::unique_ptr<RedisConnection> conn;
    while (!stop_) {
        if (++ticks % 8 == 0) periodic_();
        std::string error;
        if (!conn || conn->broken()) {
            // Reconnect at most every two seconds; the pool logs outages.
            if (conn && ticks % 8 != 0) {
                usleep(static_cast<useconds_t>(tick * 1e6));
                continue;
            }
            conn = std::make_unique<RedisConnection>(config_);
            std::vector<RedisReplyPtr> replies;
            if (!conn->pipeline({{"SUBSCRIBE", channel_}}, replies, error)) continue;
            on_resubscribe_();
        }
        RedisReplyPtr message;
        bool timed_out = false;
        if (!conn->read_push(message, tick, timed_out, error)) continue;
        // ["message", channel, payload]
        if (message->type == REDIS_REPLY_ARRAY && message->elements == 3 && as_string(message->element[0]) == "message")
            on_flush_(as_string(message->element[2]));
    }
}

}  // namespace sendas
