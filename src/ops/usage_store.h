// Where usage records live: Redis (shared by every host; cmd/usage_redis.h)
// or a state file (this host only; usage_file.h). The recorder hands a
// store one batch of increments at a time, off the message path.
#ifndef SENDAS_USAGE_STORE_H
#define SENDAS_USAGE_STORE_H

#include <cstdint>
#include <string>
#include <vector>

#include "ops/usage_record.h"

namespace sendas {

// Messages one user sent with one right on one mailbox since the last batch.
struct UsageDelta {
    UsageKey key;
    std::string dn;
    uint64_t count = 0;
    int64_t last = 0;  // when the last of them was accepted
    std::string first_queue_id, last_queue_id;
};

// What one delta found and left.
struct UsageOutcome {
    bool first_use = false;                  // no use within the retention period before it
    uint64_t day_before = 0, day_after = 0;  // today's count before and after it
    UsageRecord record;                      // after it, with the earlier days
};

// Thread-safe; any number of processes may share one store.
class UsageStore {
public:
    virtual ~UsageStore() = default;
    // Adds the deltas, counted on day_of(now); one outcome per delta. False
    // and `error` when the store cannot be written: the caller keeps them
    // for the next batch (after a failure in the middle of a Redis
    // pipeline, a batch may so be counted twice).
    virtual bool add(const std::vector<UsageDelta> &deltas, int64_t now, std::vector<UsageOutcome> &outcomes,
                     std::string &error) = 0;
    // Every record kept. `bad`: records that did not
    // decode and were skipped.
    virtual bool read(UsageTable &table, size_t &bad, std::string &error) = 0;
    // "Redis 127.0.0.1:6379" or "file /var/lib/...", for messages.
    virtual std::string where() const = 0;
};

}  // namespace sendas

#endif
