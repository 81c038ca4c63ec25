// Formatting of audit lines; see audit.h.
#include "audit.h"

namespace sendas {
namespace {

// Values come from the client: keep them on one line and in one field.
std::string clean(const std::string &value) {
    std::string out;
    for (unsigned char c : value) out += (c < 0x20 || c == 0x7f || c == ' ') ? '?' : static_cast<char>(c);
    return out;
}

const char *action_name(const Decision &d) {
    switch (d.verdict) {
    case Verdict::accept: return "accept";
    case Verdict::reject: return "reject";
    case Verdict::tempfail: return "tempfail";
    }
    return "unknown";
}

}  // namespace

std::string audit_line(const MessageFacts &facts, const Decision &d, bool stale) {
    std::string line = (facts.queue_id.empty() ? std::string("NOQUEUE") : clean(facts.queue_id)) + ":";
    line += " user=<" + clean(facts.auth_user) + ">";
    std::string from, sender, envelope;
    for (const auto &c : d.checked) {
        std::string &field = c.role == "from" ? from : c.role == "sender" ? sender : envelope;
        field += (field.empty() ? "<" : ",<") + clean(c.address) + ">";
    }
    line += " from=" + (from.empty() ? std::string("<>") : from);
    if (!sender.empty()) line += " sender=" + sender;
    if (!envelope.empty()) line += " envelope=" + envelope;
    line += " right=" + (d.right.empty() ? std::string("none") : d.right);
    line += std::string(" action=") + action_name(d);
    if (!d.reason.empty()) line += " reason=" + d.reason;
    if (stale) line += " stale=yes";
    if (d.verdict == Verdict::accept) {
        if (d.set_sender) line += " sender_set=yes";
        if (d.remove_sender) line += " sender_removed=yes";
        if (d.envelope_from) line += " envelope_set=" + clean(*d.envelope_from);
        for (const auto &copy : d.sent_copies) line += " sent_copy=" + clean(copy);
    }
    return line;
}

}  // namespace sendas
