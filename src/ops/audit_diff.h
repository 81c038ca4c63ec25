// `sendasctl audit --diff OLD.json`: the rights granted and revoked since
// an earlier `audit --format json` snapshot, for quarterly access reviews.
// A right is one holder (by DN, compared through the normalizer) of one
// right on one mailbox. Pure; the snapshot is input from outside.
#ifndef SENDAS_AUDIT_DIFF_H
#define SENDAS_AUDIT_DIFF_H

#include <string>
#include <vector>

#include "ops/rights_audit.h"

namespace sendas {

struct RightChange {
    std::string mailbox, right, user, dn;
};

struct AuditDiff {
    std::vector<RightChange> granted, revoked;  // in mailbox, right, DN order
};

// The holders of an `audit --format json` document (version 1). False and
// `error` when it is not one.
bool read_audit_snapshot(const std::string &json, std::vector<RightChange> &holders, std::string &error);

AuditDiff diff_audit(const std::vector<RightChange> &before, const AuditReport &now,
                     std::string (*normalize)(const std::string &));

std::string format_diff(const AuditDiff &diff, ReportFormat format);

}  // namespace sendas

#endif
