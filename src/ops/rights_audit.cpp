// Rights expansion and findings; see rights_audit.h.
#include "ops/rights_audit.h"
#include "base/json.h"
#include "base/mailbox_match.h"
#include "base/record_mac.h"
#include "base/string_util.h"
#include "ops/audit_html.h"
#include "ops/usage_record.h"

#include <algorithm>
#include <climits>
#include <deque>
#include <sstream>

namespace sendas {
namespace {

const char *const rights_order[] = {"send-as", "send-on-behalf", "full-access"};

class Auditor {
public:
    Auditor(const DirectorySnapshot &s, unsigned depth, std::string (*normalize)(const std::string &))
        : snapshot_(s), nested_depth_(s.nesting_unbounded ? UINT_MAX : depth), normalize_(normalize) {
        for (const auto &[dn, entry] : s.entries)
            for (const auto &mail : entry.mails) mail_owners_.insert(lower(mail));
    }

    AuditReport run() {
        for (const auto &group : snapshot_.groups) expand(group);
        for (const auto &[mailbox, rights] : report_.mailboxes) {
            compare_rights(mailbox, rights);
            find_shadowed(mailbox, rights);
        }
        return std::move(report_);
    }

private:
    struct Step {
        std::string dn;                 // raw member DN
        std::vector<std::string> path;  // rights group first, raw DNs
    };

    void find(const char *code, const std::string &mailbox, const std::string &dn, const std::string &detail,
              const std::string &right = "") {
        report_.findings.push_back({code, mailbox, dn, detail, right});
    }

    // Breadth first from the rights group down to users: shortest paths.
    void expand(const DirectorySnapshot::RightsGroup &group) {
        auto &holders = report_.mailboxes[lower(group.mailbox)][group.right];
        const std::string group_norm = normalize_(group.dn);
        const std::set<std::string> denied = users_under(group.denied);
        std::set<std::string> seen{group_norm};
        find_cycles(group, group_norm);
        std::deque<Step> queue;
        for (const auto &m : group.members) queue.push_back({m, {group.dn}});
        while (!queue.empty()) {
            Step step = std::move(queue.front());
            queue.pop_front();
            const std::string norm = normalize_(step.dn);
            if (!seen.insert(norm).second) continue;
            auto entry = snapshot_.entries.find(norm);
            if (snapshot_.users.count(norm)) {
                reach_user(group, step, norm, denied.count(norm) > 0, holders);
            } else if (entry == snapshot_.entries.end()) {
                find("DANGLING_MEMBER", group.mailbox, step.dn, "member of " + step.path.back() + " does not exist",
                     group.right);
            } else if (!entry->second.members.empty() || entry->second.group) {
                Step next{"", step.path};
                next.path.push_back(step.dn);
                for (const auto &m : entry->second.members) {
                    next.dn = m;
                    queue.push_back(next);
                }
            } else {
                find("NOT_A_USER", group.mailbox, step.dn,
                     "member of " + step.path.back() + " is neither a user nor a group", group.right);
            }
        }
        if (holders.empty())
            find("EMPTY_GROUP", group.mailbox, group.dn, group.right + " group grants nobody", group.right);
        if (!is_domain_grant(group.mailbox) && !mail_owners_.count(lower(group.mailbox)) &&
            missing_reported_.insert(lower(group.mailbox)).second)
            find("MAILBOX_WITHOUT_ENTRY", group.mailbox, group.dn, "no entry has mail " + group.mailbox);
    }

    // A user the walk down reached: a holder, unless too deep or denied.
    void reach_user(const DirectorySnapshot::RightsGroup &group, const Step &step, const std::string &norm, bool denied,
                    std::vector<Holder> &holders) {
        const size_t depth = step.path.size() - 1;  // groups between the rights group and this member
        if (depth > nested_depth_) {
            find("NESTED_TOO_DEEP", group.mailbox, step.dn,
                 "reached through " + std::to_string(depth) + " nested groups, ldap.nested_depth is " +
                     std::to_string(nested_depth_) + ": the milter does not grant this right",
                 group.right);
            return;
        }
        if (denied) {
            find("DENIED_MEMBER", group.mailbox, step.dn,
                 group.right + " through " + step.path.back() + " is denied by a deny ACE", group.right);
            return;
        }
        if (snapshot_.disabled.count(norm)) find("DISABLED_MEMBER", group.mailbox, step.dn, group.right, group.right);
        Holder holder{primary_of(snapshot_.entries.find(norm)), step.dn, {step.dn}};
        holder.path.insert(holder.path.end(), step.path.rbegin(), step.path.rend());
        holders.push_back(holder);
    }

    // The users `members` hold at any depth (a deny reaches every level).
    std::set<std::string> users_under(const std::vector<std::string> &members) const {
        std::set<std::string> seen, users;
        std::deque<std::string> queue(members.begin(), members.end());
        while (!queue.empty()) {
            const std::string norm = normalize_(queue.front());
            queue.pop_front();
            if (!seen.insert(norm).second) continue;
            if (snapshot_.users.count(norm)) users.insert(norm);
            auto entry = snapshot_.entries.find(norm);
            if (entry != snapshot_.entries.end())
                queue.insert(queue.end(), entry->second.members.begin(), entry->second.members.end());
        }
        return users;
    }

    // Depth first from the rights group: a member already on the stack
    // closes a loop. Reported once per mailbox and set of groups, so that
    // every mailbox the loop feeds shows it (also with --mailbox).
    void find_cycles(const DirectorySnapshot::RightsGroup &group, const std::string &group_norm) {
        struct Frame {
            std::string norm, dn;
            const std::vector<std::string> *members;
            size_t next = 0;
        };
        std::vector<Frame> stack{{group_norm, group.dn, &group.members}};
        std::set<std::string> on_stack{group_norm}, done;
        while (!stack.empty()) {
            Frame &top = stack.back();
            if (top.next == top.members->size()) {
                on_stack.erase(top.norm);
                done.insert(top.norm);
                stack.pop_back();
                continue;
            }
            const std::string &member = (*top.members)[top.next++];
            const std::string norm = normalize_(member);
            if (on_stack.count(norm)) {
                report_cycle(group.mailbox, stack, norm, member);
                continue;
            }
            auto entry = snapshot_.entries.find(norm);
            if (done.count(norm) || entry == snapshot_.entries.end() || entry->second.members.empty()) continue;
            stack.push_back({norm, member, &entry->second.members});
            on_stack.insert(norm);
        }
    }

    template <typename Stack>
    void report_cycle(const std::string &mailbox, const Stack &stack, const std::string &norm,
                      const std::string &closing_member) {
        auto start = std::find_if(stack.begin(), stack.end(), [&](const auto &f) { return f.norm == norm; });
        std::vector<std::string> key{lower(mailbox)};
        std::string detail;
        for (auto f = start; f != stack.end(); ++f) {
            key.push_back(f->norm);
            detail += f->dn + " -> ";
        }
        std::sort(key.begin() + 1, key.end());
        if (cycles_.insert(key).second) find("GROUP_CYCLE", mailbox, closing_member, detail + closing_member);
    }

    std::string primary_of(std::map<std::string, DirectorySnapshot::Entry>::const_iterator entry) const {
        if (entry == snapshot_.entries.end() || entry->second.mails.empty()) return "";
        return entry->second.mails.front();
    }

    void compare_rights(const std::string &mailbox, const std::map<std::string, std::vector<Holder>> &rights) {
        auto holders_of = [&](const char *right) {
            std::map<std::string, std::string> dns;  // normalized -> as written
            auto it = rights.find(right);
            if (it != rights.end())
                for (const auto &h : it->second) dns.emplace(normalize_(h.dn), h.dn);
            return dns;
        };
        auto send_as = holders_of("send-as"), behalf = holders_of("send-on-behalf");
        auto full = rights.find("full-access");
        for (const auto &h : full == rights.end() ? std::vector<Holder>{} : full->second) {
            std::string norm = normalize_(h.dn);
            if (!send_as.count(norm) && !behalf.count(norm))
                find("FULL_ACCESS_WITHOUT_SEND", mailbox, h.dn, "Full Access without Send As or Send on Behalf",
                     "full-access");
        }
        for (const auto &[norm, dn] : send_as)
            if (behalf.count(norm)) find("SEND_AS_AND_ON_BEHALF", mailbox, dn, "holds both; Send As wins");
    }

    // Most specific first: a mailbox's own group for a right hides its
    // domain's group for that right, so a holder of the domain grant that
    // the mailbox's group leaves out does not hold the right there.
    void find_shadowed(const std::string &mailbox, const std::map<std::string, std::vector<Holder>> &rights) {
        if (is_domain_grant(mailbox)) return;
        auto domain = report_.mailboxes.find(domain_group_name(mailbox));
        if (domain == report_.mailboxes.end()) return;
        for (const auto &[right, holders] : rights) {
            auto granted = domain->second.find(right);
            if (granted == domain->second.end()) continue;
            std::string detail = right;
            detail.append(" on ").append(domain->first).append(" does not reach ").append(mailbox);
            detail.append(", whose own ").append(right).append(" group leaves this user out");
            for (const auto &h : granted->second)
                if (std::none_of(holders.begin(), holders.end(),
                                 [&](const Holder &own) { return normalize_(own.dn) == normalize_(h.dn); }))
                    find("DOMAIN_GRANT_SHADOWED", mailbox, h.dn, detail, right);
        }
    }

    const DirectorySnapshot &snapshot_;
    const unsigned nested_depth_;
    std::string (*normalize_)(const std::string &);
    std::set<std::string> mail_owners_, missing_reported_;
    std::set<std::vector<std::string>> cycles_;
    AuditReport report_;
};

std::string csv_field(const std::string &v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string join(const std::vector<std::string> &items, const std::string &separator) {
    std::string out;
    for (const auto &item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

}  // namespace

bool is_domain_grant(const std::string &mailbox) { return !mailbox.empty() && mailbox.front() == '@'; }

AuditReport audit_rights(const DirectorySnapshot &snapshot, unsigned nested_depth,
                         std::string (*normalize)(const std::string &)) {
    return Auditor(snapshot, nested_depth, normalize).run();
}

MailboxSelection::MailboxSelection(const std::string &only) : wanted_(lower(only)) {}

bool MailboxSelection::operator()(const std::string &mailbox) const {
    return wanted_.empty() || lower(mailbox) == wanted_;
}

void for_each_right(const std::map<std::string, std::vector<Holder>> &rights,
                    const std::function<void(const char *right, const std::vector<Holder> &holders)> &visit) {
    static const std::vector<Holder> none;
    for (const char *right : rights_order) {
        auto it = rights.find(right);
        visit(right, it == rights.end() ? none : it->second);
    }
}

namespace {

using Selection = MailboxSelection;

// "last used 2024-05-01T12:00:00Z" for a right that sends, once usage was read.
std::string last_used_note(const AuditReport &report, const char *right, const Holder &h, const char *lead) {
    if (!report.usage_read || std::string(right) == "full-access") return "";
    return lead + (h.last_used ? "last used " + time_text(h.last_used) : std::string("no use recorded"));
}

void write_text(const AuditReport &report, const Selection &selected, std::ostream &out) {
    for (const auto &[mailbox, rights] : report.mailboxes) {
        if (!selected(mailbox)) continue;
        out << mailbox
            << (is_domain_grant(mailbox) ? "  (domain grant: every address of " + mailbox.substr(1) +
                                               " without a group of its own for the right)"
                                         : "")
            << "\n";
        for_each_right(rights, [&](const char *right, const std::vector<Holder> &holders) {
            for (const auto &h : holders)
                out << "  " << right << ": " << (h.user.empty() ? h.dn : h.user) << "  (" << join(h.path, " -> ") << ")"
                    << last_used_note(report, right, h, "  ") << "\n";
        });
    }
    out << "findings:\n";
    bool none = true;
    for (const auto &f : report.findings) {
        if (!selected(f.mailbox)) continue;
        out << "  " << f.code << " " << f.mailbox << " " << f.dn << ": " << f.detail << "\n";
        none = false;
    }
    if (none) out << "  none\n";
}

void write_csv(const AuditReport &report, const Selection &selected, std::ostream &out) {
    out << "kind,mailbox,right,user,dn,path,code,detail\n";
    for (const auto &entry : report.mailboxes) {
        const std::string &mailbox = entry.first;  // a lambda may not capture a structured binding in C++17
        if (!selected(mailbox)) continue;
        for_each_right(entry.second, [&](const char *right, const std::vector<Holder> &holders) {
            for (const auto &h : holders)
                out << "holder," << csv_field(mailbox) << "," << right << "," << csv_field(h.user) << ","
                    << csv_field(h.dn) << "," << csv_field(join(h.path, " -> ")) << ",,"
                    << csv_field(last_used_note(report, right, h, "")) << "\n";
        });
    }
    for (const auto &f : report.findings)
        if (selected(f.mailbox))
            out << "finding," << csv_field(f.mailbox) << ",,," << csv_field(f.dn) << ",," << f.code << ","
                << csv_field(f.detail) << "\n";
}

void write_json_holder(const Holder &h, bool usage_read, std::ostream &out) {
    out << "{\"user\":" << json_string(h.user) << ",\"dn\":" << json_string(h.dn) << ",\"path\":[";
    for (size_t j = 0; j < h.path.size(); ++j) out << (j ? "," : "") << json_string(h.path[j]);
    out << "]";
    if (usage_read) out << ",\"last_used\":" << (h.last_used ? json_string(time_text(h.last_used)) : "null");
    out << "}";
}

void write_json(const AuditReport &report, const Selection &selected, std::ostream &out) {
    out << "{\"version\":1,\"mailboxes\":[";
    const char *separator = "";
    for (const auto &[mailbox, rights] : report.mailboxes) {
        if (!selected(mailbox)) continue;
        out << separator << "{\"mailbox\":" << json_string(mailbox)
            << (is_domain_grant(mailbox) ? ",\"domain_grant\":true" : "") << ",\"rights\":{";
        separator = ",";
        const char *right_separator = "";
        for_each_right(rights, [&](const char *right, const std::vector<Holder> &holders) {
            out << right_separator << json_string(right) << ":[";
            right_separator = ",";
            for (size_t i = 0; i < holders.size(); ++i) {
                if (i) out << ",";
                write_json_holder(holders[i], report.usage_read, out);
            }
            out << "]";
        });
        out << "}}";
    }
    out << "],\"findings\":[";
    separator = "";
    for (const auto &f : report.findings) {
        if (!selected(f.mailbox)) continue;
        out << separator << "{\"code\":" << json_string(f.code) << ",\"mailbox\":" << json_string(f.mailbox)
            << ",\"dn\":" << json_string(f.dn) << ",\"detail\":" << json_string(f.detail) << "}";
        separator = ",";
    }
    out << "]}\n";
}

}  // namespace

void write_report(const AuditReport &report, ReportFormat format, std::ostream &out, const std::string &only) {
    const Selection selected(only);
    switch (format) {
    case ReportFormat::text: write_text(report, selected, out); break;
    case ReportFormat::csv: write_csv(report, selected, out); break;
    case ReportFormat::json: write_json(report, selected, out); break;
    case ReportFormat::html: write_html(report, selected, random_hex(16), out); break;
    }
}

std::string format_report(const AuditReport &report, ReportFormat format, const std::string &only) {
    std::ostringstream out;
    write_report(report, format, out, only);
    return out.str();
}

}  // namespace sendas
