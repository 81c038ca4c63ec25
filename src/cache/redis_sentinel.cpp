// Master discovery through Redis Sentinel; see redis_sentinel.h.
#include "cache/redis_sentinel.h"

#include <algorithm>
#include <cctype>

#include <hiredis/hiredis.h>

namespace sendas {

bool parse_master_reply(const redisReply *reply, std::string &address) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return false;
    const redisReply *host = reply->element[0], *port = reply->element[1];
    if (host->type != REDIS_REPLY_STRING || port->type != REDIS_REPLY_STRING) return false;
    const std::string h(host->str, host->len), p(port->str, port->len);
    // A host name or an IP address, nothing a connect would misread.
    const bool host_ok = !h.empty() && std::all_of(h.begin(), h.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '_';
    });
    const bool port_ok = !p.empty() && p.size() <= 5 && p.find_first_not_of("0123456789") == std::string::npos &&
                         std::stoul(p) >= 1 && std::stoul(p) <= 65535;
    if (!host_ok || !port_ok) return false;
    address = h.find(':') == std::string::npos ? h + ":" + p : "[" + h + "]:" + p;
    return true;
}

bool master_from_sentinels(const RedisConfig &config, std::string &address, std::string &error) {
    std::string problems;
    for (const auto &sentinel : config.sentinels) {
        RedisConfig at_sentinel;
        at_sentinel.address = sentinel;
        at_sentinel.timeout = config.timeout;
        RedisConnection connection(at_sentinel);
        std::vector<RedisReplyPtr> replies;
        std::string problem;
        if (connection.pipeline({{"SENTINEL", "get-master-addr-by-name", config.master_name}}, replies, problem)) {
            if (parse_master_reply(replies.front().get(), address)) return true;
            problem = "does not know master " + config.master_name;
        }
        if (!problems.empty()) problems += "; ";
        problems += sentinel;
        problems += ": ";
        problems += problem;
    }
    error = "no sentinel named the master: " + problems;
    return false;
}

}  // namespace sendas
