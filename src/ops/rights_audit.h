// The permissions audit behind `sendasctl audit`: every mailbox with a
// rights group, who holds which right (nested groups expanded, with the
// group path), and findings with stable codes. Pure: it works on a
// snapshot of the directory read beforehand (LdapDirectory::snapshot).
#ifndef SENDAS_RIGHTS_AUDIT_H
#define SENDAS_RIGHTS_AUDIT_H

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "directory/snapshot.h"

namespace sendas {

struct Holder {
    std::string user;  // the user's primary address, or the DN without one
    std::string dn;
    std::vector<std::string> path;  // user, groups..., rights group
    int64_t last_used = 0;          // Unix time from the usage records (usage_audit.h); 0: none
};

struct Finding {
    std::string code;  // stable: see sendasctl(8), FINDINGS
    std::string mailbox;
    std::string dn;  // the entry concerned
    std::string detail;
    std::string right;  // the right concerned; empty: not one right (the mailbox, a cycle, both send rights)
};

struct AuditReport {
    // mailbox -> right -> holders
    std::map<std::string, std::map<std::string, std::vector<Holder>>> mailboxes;
    std::vector<Finding> findings;
    bool usage_read = false;  // holders carry last_used
    int64_t generated = 0;    // Unix time the directory was read (shown by html); 0: not known
};

// A rights group named "@domain" grants the right on every address of
// that domain that has no group of its own for the right; its holders are
// reported under "@domain".
bool is_domain_grant(const std::string &mailbox);

// `normalize` maps a DN to its comparison form (normalize_dn in practice).
AuditReport audit_rights(const DirectorySnapshot &snapshot, unsigned nested_depth,
                         std::string (*normalize)(const std::string &));

enum class ReportFormat { text, csv, json, html };

// What --mailbox selects ("" every mailbox), the same for every format.
class MailboxSelection {
public:
    explicit MailboxSelection(const std::string &only);
    bool operator()(const std::string &mailbox) const;

private:
    const std::string wanted_;
};

// The holders of each right on a mailbox, in the report's order (send-as,
// send-on-behalf, full-access), a right without holders included.
void for_each_right(const std::map<std::string, std::vector<Holder>> &rights,
                    const std::function<void(const char *right, const std::vector<Holder> &holders)> &visit);

// Writes the report to `out` as it goes (a directory-wide report is
// hundreds of megabytes); `only` non-empty: only that mailbox and its
// findings.
void write_report(const AuditReport &report, ReportFormat format, std::ostream &out, const std::string &only = "");
// The same, as a string (tests, small reports).
std::string format_report(const AuditReport &report, ReportFormat format, const std::string &only = "");

}  // namespace sendas

#endif
