// Usage in the rights audit; see usage_audit.h.
#include "ops/usage_audit.h"

#include <algorithm>

#include "base/duration.h"
#include "base/mailbox_match.h"
#include "base/string_util.h"

namespace sendas {

void add_usage(AuditReport &report, const UsageTable &usage, int64_t now, int64_t unused,
               std::string (*normalize)(const std::string &)) {
    // (who, mailbox, right) -> last use; who is "dn:" + DN or "user:" + address.
    std::map<std::tuple<std::string, std::string, std::string>, int64_t> last;
    // A use on a mailbox with no group of its own for the right was made
    // through its domain's group: it counts for "@domain" too.
    auto own_group = [&report](const std::string &mailbox, const std::string &right) {
        auto it = report.mailboxes.find(mailbox);
        return it != report.mailboxes.end() && it->second.count(right);
    };
    auto note = [&](const std::string &who, const UsageKey &key, int64_t when) {
        const std::string mailbox = lower(key.mailbox);
        for (const auto &name : {mailbox, domain_group_name(mailbox)}) {
            int64_t &slot = last[{who, name, key.right}];
            slot = std::max(slot, when);
            if (own_group(mailbox, key.right)) break;
        }
    };
    for (const auto &[key, record] : usage) {
        if (!record.dn.empty()) note("dn:" + normalize(record.dn), key, record.last);
        note("user:" + lower(key.user), key, record.last);
    }
    auto find = [&last](const std::string &who, const std::string &mailbox, const std::string &right) -> int64_t {
        auto it = last.find({who, lower(mailbox), right});
        return it == last.end() ? 0 : it->second;
    };
    report.usage_read = true;
    for (auto &[mailbox, rights] : report.mailboxes) {
        for (auto &[right, holders] : rights) {
            if (right != "send-as" && right != "send-on-behalf") continue;
            for (Holder &h : holders) {
                // A user without an address is recorded by DN (usage_user()).
                h.last_used = std::max(find("dn:" + normalize(h.dn), mailbox, right),
                                       find("user:" + lower(h.user.empty() ? h.dn : h.user), mailbox, right));
                if (unused <= 0 || h.last_used >= now - unused) continue;
                report.findings.push_back(
                    {"UNUSED_RIGHT", mailbox, h.dn,
                     right + " not used within " + format_duration(unused) +
                         (h.last_used ? ", last used " + time_text(h.last_used) : std::string(", no use recorded")),
                     right});
            }
        }
    }
}

}  // namespace sendas
