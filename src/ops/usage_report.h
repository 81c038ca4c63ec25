// What `sendasctl usage` prints: per user, mailbox and right, the messages
// sent within a period and when the right was first and last used, as a
// table, CSV or JSON. Pure.
#ifndef SENDAS_USAGE_REPORT_H
#define SENDAS_USAGE_REPORT_H

#include <cstdint>
#include <string>

#include "ops/usage_record.h"

namespace sendas {

struct UsageQuery {
    std::string user;                      // empty: every user; else the user as recorded or their DN, any case
    std::string mailbox;                   // empty: every mailbox
    int64_t since = 30 * seconds_per_day;  // records last used within this many seconds
    std::string format = "text";           // text, csv or json
};

// The records `query` selects as of `now`, in key order. Messages are
// counted on the days from day_of(now - since) on.
std::string format_usage(const UsageTable &table, const UsageQuery &query, int64_t now);

}  // namespace sendas

#endif
