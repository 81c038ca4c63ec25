// The usage store without Redis: one state file per host (usage.state_file),
// rewritten whole for each batch under an exclusive lock on FILE.lock, so
// that an old and a new runtime after a reload, or sendasctl, never see a
// half-written file. What one host records, the others do not see.
#ifndef SENDAS_USAGE_FILE_H
#define SENDAS_USAGE_FILE_H

#include "ops/usage_store.h"

namespace sendas {

class FileUsageStore : public UsageStore {
public:
    // Records are kept for `retention` seconds after their last use.
    FileUsageStore(std::string path, int64_t retention);

    bool add(const std::vector<UsageDelta> &deltas, int64_t now, std::vector<UsageOutcome> &outcomes,
             std::string &error) override;
    bool read(UsageTable &table, size_t &bad, std::string &error) override;
    std::string where() const override { return "file " + path_; }

private:
    bool load(UsageTable &table, size_t &bad, std::string &error) const;
    bool save(const UsageTable &table, std::string &error) const;

    const std::string path_;
    const int64_t retention_;
};

// Applies deltas to a table in memory, as every store must: the outcome of
// each, records idle for longer than `retention` dropped first, days
// older than it pruned.
std::vector<UsageOutcome> apply_usage(UsageTable &table, const std::vector<UsageDelta> &deltas, int64_t now,
                                      int64_t retention);

}  // namespace sendas

#endif
