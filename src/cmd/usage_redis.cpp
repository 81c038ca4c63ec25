// Usage records in Redis; see usage_redis.h.
#include "cmd/usage_redis.h"

#include <hiredis/hiredis.h>

namespace sendas {
namespace {

constexpr size_t commands_per_delta = 5;
constexpr size_t keys_per_read = 500;  // HGETALLs pipelined at once by read()

std::string as_string(const redisReply *reply) {
    return reply && reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : std::string();
}

std::map<std::string, std::string> fields_of(const redisReply *hash) {
    std::map<std::string, std::string> fields;
    if (hash && hash->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < hash->elements; i += 2)
            fields[as_string(hash->element[i])] = as_string(hash->element[i + 1]);
    return fields;
}

// ':' and '%' escaped, so that no two keys share a name.
std::string name_part(const std::string &text) {
    std::string out;
    for (char c : text) out += c == '%' ? std::string("%25") : c == ':' ? std::string("%3A") : std::string(1, c);
    return out;
}

// SCAN's glob characters in redis.prefix taken literally.
std::string glob_literal(const std::string &text) {
    std::string out;
    for (char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

RedisUsageStore::RedisUsageStore(std::shared_ptr<RedisTier> redis, int64_t retention)
    : redis_(std::move(redis)), retention_(retention) {}

std::string RedisUsageStore::key_of(const UsageKey &key) const {
    return redis_->key("usage:" + key.right + ":" + name_part(key.mailbox) + ":" + name_part(key.user));
}

bool RedisUsageStore::add(const std::vector<UsageDelta> &deltas, int64_t now, std::vector<UsageOutcome> &outcomes,
                          std::string &error) {
    const std::string today = "d:" + std::to_string(day_of(now)), ttl = std::to_string(retention_);
    std::vector<std::vector<std::string>> commands;
    std::vector<std::string> keys;
    for (const auto &d : deltas) {
        const std::string key = key_of(d.key);
        keys.push_back(key);
        commands.push_back({"HSETNX", key, "first", std::to_string(now)});
        commands.push_back({"HINCRBY", key, today, std::to_string(d.count)});
        commands.push_back({"HSET", key, "u", d.key.user, "m", d.key.mailbox, "r", d.key.right, "dn", d.dn, "last",
                            std::to_string(d.last)});
        commands.push_back({"EXPIRE", key, ttl});
        commands.push_back({"HGETALL", key});
    }
    std::vector<RedisReplyPtr> replies;
    if (!redis_->run(commands, replies) || replies.size() != commands.size()) {
        error = "unavailable or refused the update";
        return false;
    }
    outcomes.clear();
    for (size_t i = 0; i < deltas.size(); ++i) {
        UsageOutcome outcome;
        const redisReply *first = replies[i * commands_per_delta].get(),
                         *day = replies[i * commands_per_delta + 1].get();
        outcome.first_use = first->type == REDIS_REPLY_INTEGER && first->integer == 1;
        outcome.day_after =
            day->type == REDIS_REPLY_INTEGER && day->integer > 0 ? static_cast<uint64_t>(day->integer) : 0;
        outcome.day_before = outcome.day_after >= deltas[i].count ? outcome.day_after - deltas[i].count : 0;
        UsageKey ignored;
        if (!decode_usage_fields(fields_of(replies[i * commands_per_delta + 4].get()), ignored, outcome.record))
            outcome.record = UsageRecord{};  // garbled by someone else: no history for the median
        outcomes.push_back(std::move(outcome));
    }
    prune(keys, outcomes, now);
    return true;
}

// Days older than the retention period go; the hash itself expires.
void RedisUsageStore::prune(const std::vector<std::string> &keys, const std::vector<UsageOutcome> &outcomes,
                            int64_t now) {
    const int64_t oldest = day_of(now - retention_);
    std::vector<std::vector<std::string>> commands;
    for (size_t i = 0; i < keys.size(); ++i) {
        std::vector<std::string> hdel{"HDEL", keys[i]};
        for (auto it = outcomes[i].record.days.begin(); it != outcomes[i].record.days.lower_bound(oldest); ++it)
            hdel.push_back("d:" + std::to_string(it->first));
        if (hdel.size() > 2) commands.push_back(std::move(hdel));
    }
    std::vector<RedisReplyPtr> replies;
    if (!commands.empty()) redis_->run(commands, replies);  // tried again with the next batch
}

bool RedisUsageStore::read(UsageTable &table, size_t &bad, std::string &error) {
    bad = 0;
    std::vector<std::string> keys;
    if (!redis_->scan(glob_literal(redis_->key("usage:")) + "*", keys)) {
        error = "unavailable";
        return false;
    }
    for (size_t start = 0; start < keys.size(); start += keys_per_read) {
        std::vector<std::vector<std::string>> commands;
        for (size_t i = start; i < keys.size() && i < start + keys_per_read; ++i)
            commands.push_back({"HGETALL", keys[i]});
        std::vector<RedisReplyPtr> replies;
        if (!redis_->run(commands, replies)) {
            error = "unavailable";
            return false;
        }
        for (const auto &reply : replies) {
            UsageKey key;
            UsageRecord record;
            const auto fields = fields_of(reply.get());
            if (fields.empty()) continue;  // expired since the scan
            if (decode_usage_fields(fields, key, record))
                table[key] = std::move(record);
            else
                ++bad;
        }
    }
    return true;
}

}  // namespace sendas
