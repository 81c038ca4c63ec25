// sendasctl usage output; see usage_report.h.
#include "ops/usage_report.h"

#include <sstream>

#include "base/json.h"
#include "base/string_util.h"

namespace sendas {
namespace {

std::string csv_field(const std::string &v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

bool selected(const UsageKey &key, const UsageRecord &record, const UsageQuery &query, int64_t now) {
    if (record.last < now - query.since) return false;
    if (!query.mailbox.empty() && lower(key.mailbox) != lower(query.mailbox)) return false;
    return query.user.empty() || lower(key.user) == lower(query.user) || lower(record.dn) == lower(query.user);
}

void write_json_row(std::ostream &out, const UsageKey &key, const UsageRecord &record, uint64_t messages,
                    int64_t from_day) {
    out << "{\"user\":" << json_string(key.user) << ",\"dn\":" << json_string(record.dn)
        << ",\"mailbox\":" << json_string(key.mailbox) << ",\"right\":" << json_string(key.right)
        << ",\"messages\":" << messages << ",\"first_used\":" << json_string(time_text(record.first))
        << ",\"last_used\":" << json_string(time_text(record.last)) << ",\"days\":{";
    const char *separator = "";
    for (auto it = record.days.lower_bound(from_day); it != record.days.end(); ++it) {
        out << separator << json_string(day_text(it->first)) << ":" << it->second;
        separator = ",";
    }
    out << "}}";
}

}  // namespace

std::string format_usage(const UsageTable &table, const UsageQuery &query, int64_t now) {
    const int64_t from_day = day_of(now - query.since);
    std::ostringstream out;
    if (query.format == "csv") out << "user,mailbox,right,messages,first_used,last_used,dn\n";
    if (query.format == "json")
        out << "{\"version\":1,\"since\":" << json_string(time_text(now - query.since)) << ",\"usage\":[";
    size_t rows = 0;
    for (const auto &[key, record] : table) {
        if (!selected(key, record, query, now)) continue;
        const uint64_t messages = record.count_since(from_day);
        if (query.format == "csv") {
            out << csv_field(key.user) << "," << csv_field(key.mailbox) << "," << key.right << "," << messages << ","
                << time_text(record.first) << "," << time_text(record.last) << "," << csv_field(record.dn) << "\n";
        } else if (query.format == "json") {
            out << (rows ? "," : "");
            write_json_row(out, key, record, messages, from_day);
        } else {
            out << key.user << "  " << key.mailbox << "  " << key.right << "  messages=" << messages
                << "  last_used=" << time_text(record.last) << "\n";
        }
        ++rows;
    }
    if (query.format == "json") out << "]}\n";
    if (query.format == "text" && rows == 0) out << "no use recorded since " << time_text(now - query.since) << "\n";
    return out.str();
}

}  // namespace sendas
