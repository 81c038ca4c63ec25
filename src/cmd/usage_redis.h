// The usage store in Redis, shared by every host: one hash per user,
// mailbox and right (key PREFIXv1:usage:RIGHT:MAILBOX:USER, fields as in
// ops/usage_record.h) that expires usage.retention after its last use.
// One batch is one pipelined round trip: HSETNX of "first" tells the one
// host that saw a first use, HINCRBY of the day's field the exact count
// before and after, whoever else counts at the same time.
//
// The records are not signed, even with redis.hmac_key_file: many hosts
// increment them in place, which a signature over the value would forbid,
// and nothing the daemon decides reads them. Whoever can write to Redis
// can make the usage report and its alerts lie (or delete them), not make
// the milter accept a message.
#ifndef SENDAS_USAGE_REDIS_H
#define SENDAS_USAGE_REDIS_H

#include <memory>

#include "cache/redis_tier.h"
#include "ops/usage_store.h"

namespace sendas {

class RedisUsageStore : public UsageStore {
public:
    RedisUsageStore(std::shared_ptr<RedisTier> redis, int64_t retention);

    bool add(const std::vector<UsageDelta> &deltas, int64_t now, std::vector<UsageOutcome> &outcomes,
             std::string &error) override;
    bool read(UsageTable &table, size_t &bad, std::string &error) override;
    std::string where() const override { return "Redis " + redis_->config().label(); }

private:
    std::string key_of(const UsageKey &key) const;
    void prune(const std::vector<std::string> &keys, const std::vector<UsageOutcome> &outcomes, int64_t now);

    const std::shared_ptr<RedisTier> redis_;
    const int64_t retention_;
};

}  // namespace sendas

#endif
