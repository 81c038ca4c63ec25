// Formatting of audit lines; see audit.h. Both formats render one list of
// fields, so they never disagree.
#include "audit.h"
#include "json.h"

#include <vector>

namespace sendas {
namespace {

const char *verdict_name(Verdict v);

struct Field {
    std::string key;
    std::vector<std::string> values;  // text: joined by ','; JSON: an array when `list`
    bool list = false;
    bool bracketed = false;  // an address: <...> in text
};

// Values come from the client: keep them on one line and in one field.
std::string clean_text(const std::string &value) {
    std::string out;
    for (unsigned char c : value) out += (c < 0x20 || c == 0x7f || c == ' ') ? '?' : static_cast<char>(c);
    return out;
}

const char *verdict_name(Verdict v) {
    switch (v) {
    case Verdict::accept: return "accept";
    case Verdict::reject: return "reject";
    case Verdict::tempfail: return "tempfail";
    }
    return "unknown";
}

// Decisions carry addresses as the MTA wants them (<a@b>); fields hold the
// bare address and each format adds its own punctuation.
std::string unbracketed(const std::string &address) {
    if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
        return address.substr(1, address.size() - 2);
    return address;
}

std::vector<Field> fields_of(const MessageFacts &facts, const Decision &d, bool stale) {
    std::vector<Field> fields;
    fields.push_back({"queue_id", {queue_label(facts.queue_id)}});
    fields.push_back({"user", {facts.auth_user}, false, true});
    Field from{"from", {}, true, true}, sender{"sender", {}, true, true}, envelope{"envelope", {}, true, true};
    for (const auto &c : d.checked) (c.role == "from" ? from : c.role == "sender" ? sender : envelope).values.push_back(c.address);
    fields.push_back(from);
    if (!sender.values.empty()) fields.push_back(sender);
    if (!envelope.values.empty()) fields.push_back(envelope);
    fields.push_back({"right", {d.right.empty() ? "none" : d.right}});
    fields.push_back({"action", {action_name(d)}});
    if (!d.reason.empty()) fields.push_back({"reason", {d.reason}});
    if (d.report) fields.push_back({"mode", {"report"}});
    if (stale) fields.push_back({"stale", {"yes"}});
    if (d.verdict == Verdict::accept) {
        if (d.set_sender) fields.push_back({"sender_set", {"yes"}});
        if (d.remove_sender) fields.push_back({"sender_removed", {"yes"}});
        if (d.envelope_from) fields.push_back({"envelope_set", {unbracketed(*d.envelope_from)}, false, true});
        if (!d.sent_copies.empty()) {
            Field copies{"sent_copy", {}, true, true};
            for (const auto &copy : d.sent_copies) copies.values.push_back(unbracketed(copy));
            fields.push_back(copies);
        }
    }
    return fields;
}

std::string render_text(const std::vector<Field> &fields) {
    std::string line = clean_text(fields.front().values.front()) + ":";
    for (size_t i = 1; i < fields.size(); ++i) {
        const Field &f = fields[i];
        std::string value;
        for (const auto &v : f.values) {
            if (!value.empty()) value += ",";
            value += f.bracketed ? "<" + clean_text(v) + ">" : clean_text(v);
        }
        // An empty address list reads as the null address, like Postfix.
        line += " " + f.key + "=" + (value.empty() && f.bracketed ? "<>" : value);
    }
    return line;
}

std::string render_json(const std::vector<Field> &fields) {
    std::string out = "{";
    for (const auto &f : fields) {
        if (out.size() > 1) out += ",";
        out += json_string(f.key) + ":";
        if (!f.list) {
            out += json_string(f.values.front());
            continue;
        }
        out += "[";
        for (size_t i = 0; i < f.values.size(); ++i) out += (i ? "," : "") + json_string(f.values[i]);
        out += "]";
    }
    return out + "}";
}

}  // namespace

std::string action_name(const Decision &d) {
    if (d.report && d.enforced != Verdict::accept) return std::string("would-") + verdict_name(d.enforced);
    return verdict_name(d.verdict);
}

std::string audit_line(const MessageFacts &facts, const Decision &decision, bool stale, AuditFormat format) {
    auto fields = fields_of(facts, decision, stale);
    return format == AuditFormat::json ? render_json(fields) : render_text(fields);
}

}  // namespace sendas
