// Records each use of a Send As or Send on Behalf right (usage_record.h)
// off the message path: the session hands over an accepted decision,
// record() adds it to an in-memory batch, and a thread of the recorder
// writes the batch to the store about once a second, in one round trip
// for Redis. From what the store answers it logs first_use (the first use
// of a right within the retention period) and usage_alert (a day's count
// over alerts.daily_threshold or alerts.median_factor times the median).
// A failed write keeps the batch for the next one; the counts are for
// reviews and alerts and never decide anything.
#ifndef SENDAS_USAGE_RECORDER_H
#define SENDAS_USAGE_RECORDER_H

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "ops/usage_store.h"
#include "policy/policy.h"
#include "policy/rights.h"

namespace sendas {

struct AlertRules {
    unsigned daily_threshold = 0;  // 0: off
    unsigned median_factor = 0;    // 0: off
};

// A day's count crossing an alert limit.
struct UsageAlert {
    uint64_t limit = 0;     // 0: no alert
    const char *rule = "";  // "daily_threshold" or "median_factor"
};

// The alert `outcome` raises today: only the batch whose count crosses
// the lower of the two limits raises it, so it is logged once a day
// however many hosts share the store. The median is of the 30 days before
// today, days without use counted as 0 and a median of 0 as 1.
UsageAlert usage_alert(const UsageOutcome &outcome, int64_t today, const AlertRules &rules);

// Who a use is recorded for: the primary address, lower-cased, else the DN.
std::string usage_user(const UserInfo &user, const std::string &login);

// Thread-safe; one per runtime snapshot. Its thread starts at the first
// record(); the destructor writes what is pending and joins it.
class UsageRecorder {
public:
    UsageRecorder(std::shared_ptr<UsageStore> store, AlertRules rules, Clock clock = system_clock_seconds,
                  unsigned interval_ms = 1000);
    ~UsageRecorder();
    UsageRecorder(const UsageRecorder &) = delete;
    UsageRecorder &operator=(const UsageRecorder &) = delete;

    // Counts the rights an accepted decision used: each Send As or Send on
    // Behalf claim, once per mailbox and right. Anything else is ignored.
    void record(const Decision &decision, const UserInfo &user, const std::string &login, const std::string &queue_id);

    // Writes the pending batch now, on the caller's thread. False when the
    // store refused it (kept for the next try).
    bool flush();

    const UsageStore &store() const { return *store_; }

private:
    void run();
    void report(const std::vector<UsageDelta> &deltas, const std::vector<UsageOutcome> &outcomes, int64_t now);

    const std::shared_ptr<UsageStore> store_;
    const AlertRules rules_;
    const Clock clock_;
    const unsigned interval_ms_;
    std::mutex mutex_;  // guards pending_, stop_ and thread_
    std::condition_variable wake_;
    std::unordered_map<std::string, UsageDelta> pending_;
    bool stop_ = false;
    std::thread thread_;
    std::mutex flush_mutex_;  // one batch at a time
    bool failing_ = false;    // the last write failed: logged once per outage
    size_t dropped_ = 0;      // uses lost to the pending bound during an outage
};

}  // namespace sendas

#endif
