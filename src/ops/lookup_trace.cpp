// The per-message lookup trace; see lookup_trace.h.
#include "ops/lookup_trace.h"

#include "policy/vocabulary.h"

namespace sendas {
namespace {

const char *status_name(LookupStatus status) {
    switch (status) {
    case LookupStatus::found: return "found";
    case LookupStatus::not_found: return "not_found";
    case LookupStatus::unavailable: return "unavailable";
    }
    return "unknown";
}

// Values come from the client and the directory: one line, one field.
std::string clean(const std::string &value) {
    std::string out;
    out.reserve(value.size());
    for (unsigned char c : value) out += (c < 0x20 || c == 0x7f || c == ' ') ? '?' : static_cast<char>(c);
    return out;
}

// The strongest right held, as the audit line names rights.
const char *strongest(const MailboxRights &r) {
    if (r.send_as) return right_name(Right::send_as);
    if (r.send_on_behalf) return right_name(Right::send_on_behalf);
    if (r.full_access) return right_name(Right::full_access_only);
    return right_name(Right::none);
}

std::string rights_line(const std::string &address, LookupStatus status, const MailboxRights &r) {
    std::string line = "lookup address=<" + clean(address) + "> status=" + status_name(status);
    if (status != LookupStatus::found) return line;
    line += std::string(" right=") + strongest(r);
    if (!r.path.empty()) {
        line += " path=";
        for (const auto &dn : r.path) line += (line.back() == '=' ? "<" : ",<") + clean(dn) + ">";
        if (r.domain_grant) line += " grant=domain";
    }
    if (r.stale) line += " stale=yes";
    return line;
}

}  // namespace

std::vector<std::string> lookup_trace(const std::string &queue_id, const std::string &login,
                                      const DirectoryAnswers &answers, unsigned ldap_searches) {
    const std::string head = clean(queue_label(queue_id)) + ": ";
    if (login.empty()) return {head + "lookup none: not authenticated"};
    std::vector<std::string> lines;
    std::string user = head + "lookup user=<" + clean(login) + "> status=" + status_name(answers.user.status);
    if (answers.user.status == LookupStatus::found) user += " dn=<" + clean(answers.user.value.dn) + ">";
    if (answers.user.value.stale) user += " stale=yes";
    lines.push_back(user);
    for (const auto &[address, entry] : answers.rights)
        lines.push_back(head + rights_line(address, entry.status, entry.value));
    for (const auto &[address, base] : answers.fallback)
        lines.push_back(head + "lookup address=<" + clean(address) + "> base=<" + clean(base) + ">");
    lines.push_back(head + "lookup ldap_searches=" + std::to_string(ldap_searches));
    return lines;
}

}  // namespace sendas
