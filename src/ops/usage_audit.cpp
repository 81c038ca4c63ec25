// Usage in the rights audit; see usage_audit.h.
#include "ops/usage_audit.h"

#include <algorithm>

#include "base/duration.h"
#include "base/string_util.h"

namespace sendas {

void add_usage(AuditReport &report, const UsageTable &usage, int64_t now, int64_t unused,
               std::string (*normalize)(const std::string &)) {
    // (who, mailbox, right) -> last use; who is "dn:" + DN or "user:" + address.
    std::map<std::tuple<std::string, std::string, std::string>, int64_t> last;
    auto note = [&last](const std::string &who, const UsageKey &key, int64_t when) {
        int64_t &slot = last[{who, lower(key.mailbox), key.right}];
        slot = std::max(slot, when);
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
