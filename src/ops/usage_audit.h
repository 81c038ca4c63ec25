// What the usage records add to the rights audit: each Send As and Send
// on Behalf holder's last use, and UNUSED_RIGHT for a right held but not
// used within `sendasctl audit --unused`. Pure.
#ifndef SENDAS_USAGE_AUDIT_H
#define SENDAS_USAGE_AUDIT_H

#include <cstdint>
#include <string>

#include "ops/rights_audit.h"
#include "ops/usage_record.h"

namespace sendas {

// Holders are matched to records by DN (compared through `normalize`),
// else by primary address; the mailbox without regard to case. With
// `unused` > 0, a holder whose last use is older than now - unused (or who
// has none) gets UNUSED_RIGHT, naming the last use.
void add_usage(AuditReport &report, const UsageTable &usage, int64_t now, int64_t unused,
               std::string (*normalize)(const std::string &));

}  // namespace sendas

#endif
