// Audit snapshots compared; see audit_diff.h.
#include "ops/audit_diff.h"

#include <map>
#include <sstream>
#include <tuple>

#include "base/json.h"
#include "base/json_reader.h"
#include "base/string_util.h"

namespace sendas {
namespace {

using Index = std::map<std::tuple<std::string, std::string, std::string>, RightChange>;

Index index_of(const std::vector<RightChange> &holders, std::string (*normalize)(const std::string &)) {
    Index index;
    for (const auto &h : holders) index.emplace(std::make_tuple(lower(h.mailbox), h.right, normalize(h.dn)), h);
    return index;
}

std::vector<RightChange> missing_from(const Index &from, const Index &in) {
    std::vector<RightChange> out;
    for (const auto &[key, change] : from)
        if (!in.count(key)) out.push_back(change);
    return out;
}

std::string csv_field(const std::string &v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

bool read_holders(const JsonValue &mailbox, std::vector<RightChange> &holders) {
    const JsonValue *name = mailbox.get("mailbox"), *rights = mailbox.get("rights");
    if (!name || name->type != JsonValue::string || !rights || rights->type != JsonValue::object) return false;
    for (const auto &[right, list] : rights->members) {
        if (list.type != JsonValue::array) return false;
        for (const auto &h : list.items) {
            const JsonValue *user = h.get("user"), *dn = h.get("dn");
            if (!user || !dn || user->type != JsonValue::string || dn->type != JsonValue::string) return false;
            holders.push_back({name->text, right, user->text, dn->text});
        }
    }
    return true;
}

}  // namespace

bool read_audit_snapshot(const std::string &json, std::vector<RightChange> &holders, std::string &error) {
    JsonValue doc;
    if (!parse_json(json, doc, error)) return false;
    const JsonValue *version = doc.get("version"), *mailboxes = doc.get("mailboxes");
    if (!version || version->text != "1" || !mailboxes || mailboxes->type != JsonValue::array) {
        error = "not an audit --format json document (version 1)";
        return false;
    }
    holders.clear();
    for (const auto &mailbox : mailboxes->items) {
        if (!read_holders(mailbox, holders)) {
            error = "a mailbox entry without mailbox, rights or holders' user and dn";
            return false;
        }
    }
    return true;
}

AuditDiff diff_audit(const std::vector<RightChange> &before, const AuditReport &now,
                     std::string (*normalize)(const std::string &)) {
    std::vector<RightChange> current;
    for (const auto &[mailbox, rights] : now.mailboxes)
        for (const auto &[right, holders] : rights)
            for (const auto &h : holders) current.push_back({mailbox, right, h.user, h.dn});
    const Index old_index = index_of(before, normalize), new_index = index_of(current, normalize);
    return {missing_from(new_index, old_index), missing_from(old_index, new_index)};
}

std::string format_diff(const AuditDiff &diff, ReportFormat format) {
    std::ostringstream out;
    const std::pair<const char *, const std::vector<RightChange> *> kinds[] = {{"granted", &diff.granted},
                                                                               {"revoked", &diff.revoked}};
    if (format == ReportFormat::csv) out << "change,mailbox,right,user,dn\n";
    if (format == ReportFormat::json) out << "{\"version\":1";
    for (const auto &[kind, changes] : kinds) {
        if (format == ReportFormat::json) out << ",\"" << kind << "\":[";
        const char *separator = "";
        for (const auto &c : *changes) {
            if (format == ReportFormat::json) {
                out << separator << "{\"mailbox\":" << json_string(c.mailbox) << ",\"right\":" << json_string(c.right)
                    << ",\"user\":" << json_string(c.user) << ",\"dn\":" << json_string(c.dn) << "}";
                separator = ",";
            } else if (format == ReportFormat::csv) {
                out << kind << "," << csv_field(c.mailbox) << "," << c.right << "," << csv_field(c.user) << ","
                    << csv_field(c.dn) << "\n";
            } else {
                out << kind << "  " << c.mailbox << "  " << c.right << "  " << (c.user.empty() ? c.dn : c.user) << "  ("
                    << c.dn << ")\n";
            }
        }
        if (format == ReportFormat::json) out << "]";
    }
    if (format == ReportFormat::json) out << "}\n";
    if (format == ReportFormat::text && diff.granted.empty() && diff.revoked.empty()) out << "no changes\n";
    return out.str();
}

}  // namespace sendas
