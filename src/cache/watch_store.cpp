// The watchers' lease, position and status in Redis; see watch_store.h.
#include "cache/watch_store.h"

#include <vector>

#include <hiredis/hiredis.h>

#include "base/record_mac.h"

namespace sendas {
namespace {

std::string as_string(const redisReply *reply) {
    return reply && reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : std::string();
}

// Renews only the holder's own lease: a lease that lapsed and was taken
// by another daemon is not extended for it.
constexpr const char *renew_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
constexpr const char *release_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

// A watcher that stops publishing disappears from the stats by itself.
constexpr const char *status_life = "10";

}  // namespace

WatchStore::WatchStore(RedisConfig config, std::string prefix, std::string mac_key)
    : prefix_(std::move(prefix)), mac_key_(std::move(mac_key)), pool_(std::move(config), 2) {}

bool WatchStore::hold(const std::string &holder, long long ms, bool &held) {
    held = false;
    const std::string lease = key("lease"), life = std::to_string(ms);
    std::vector<RedisReplyPtr> replies;
    if (!pool_.run({{"SET", lease, holder, "NX", "PX", life}, {"EVAL", renew_script, "1", lease, holder, life}},
                   replies))
        return false;
    held = replies[1]->type == REDIS_REPLY_INTEGER && replies[1]->integer == 1;
    return true;
}

void WatchStore::release(const std::string &holder) {
    std::vector<RedisReplyPtr> replies;
    pool_.run({{"EVAL", release_script, "1", key("lease"), holder}}, replies);
}

bool WatchStore::save_position(const std::string &position) {
    const std::string tag = mac_key_.empty() ? "" : mac_tag(mac_key_, {"watch-position", key("position"), position});
    std::vector<RedisReplyPtr> replies;
    return pool_.run({{"SET", key("position"), tag + "\n" + position}}, replies);
}

bool WatchStore::load_position(std::string &position) {
    position.clear();
    std::vector<RedisReplyPtr> replies;
    if (!pool_.run({{"GET", key("position")}}, replies)) return false;
    const std::string value = as_string(replies[0].get());
    const auto newline = value.find('\n');
    if (newline == std::string::npos) return true;
    const std::string tag = value.substr(0, newline), saved = value.substr(newline + 1);
    if (mac_key_.empty() || mac_matches(mac_key_, {"watch-position", key("position"), saved}, tag)) position = saved;
    return true;
}

bool WatchStore::publish_status(const std::map<std::string, std::string> &status) {
    std::vector<std::string> hset{"HSET", key("status")};
    for (const auto &[name, value] : status) {
        hset.push_back(name);
        hset.push_back(value);
    }
    std::vector<RedisReplyPtr> replies;
    return pool_.run({{"DEL", key("status")}, hset, {"EXPIRE", key("status"), status_life}}, replies);
}

bool WatchStore::read_status(std::map<std::string, std::string> &status) {
    std::vector<RedisReplyPtr> replies;
    if (!pool_.run({{"HGETALL", key("status")}}, replies)) return false;
    const redisReply *hash = replies[0].get();
    status.clear();
    if (hash->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < hash->elements; i += 2)
            status[as_string(hash->element[i])] = as_string(hash->element[i + 1]);
    return true;
}

}  // namespace sendas
