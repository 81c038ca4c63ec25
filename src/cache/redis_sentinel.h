// Redis Sentinel: which server is the master now. Asked at every new
// connection, so that after a failover the pool's reconnects find the
// promoted replica.
#ifndef SENDAS_REDIS_SENTINEL_H
#define SENDAS_REDIS_SENTINEL_H

#include <string>

#include "cache/redis_client.h"

namespace sendas {

// Asks config.sentinels in order for config.master_name's address
// ("host:port", "[v6]:port") until one answers. False with `error` when
// none knows it or none can be reached.
bool master_from_sentinels(const RedisConfig &config, std::string &address, std::string &error);

// The master's address from a reply to SENTINEL get-master-addr-by-name:
// an array of a host (name or IP address) and a port (1 to 65535). False
// for anything else (a nil reply: the sentinel does not know the name).
bool parse_master_reply(const redisReply *reply, std::string &address);

}  // namespace sendas

#endif
