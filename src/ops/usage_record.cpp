// Usage records and their two spellings; see usage_record.h.
#include "ops/usage_record.h"

#include <time.h>
#include <algorithm>
#include <charconv>

namespace sendas {
namespace {

constexpr const char *file_header = "sendas-milter-usage 1";

// Days and times a record may name: up to the year 4707, so that no
// arithmetic on them (day * 86400, a window before a day) can overflow.
constexpr int64_t max_day = 1000000;
constexpr int64_t max_time = max_day * seconds_per_day;

template <typename Int>
bool parse_int(const std::string &text, Int &out) {
    if (text.empty() || text[0] == '-' || text[0] == '+') return false;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
    return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool parse_day(const std::string &text, int64_t &day) { return parse_int(text, day) && day <= max_day; }
bool parse_time(const std::string &text, int64_t &time) { return parse_int(text, time) && time <= max_time; }

// Text fields: '%', TAB, ',', '=' and control characters as %XX, so a
// field never splits a line or a list.
std::string escaped(const std::string &text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f || c == '%' || c == ',' || c == '=') {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

bool unescaped(const std::string &text, std::string &out) {
    auto hex = [](char c) { return (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1; };
    out.clear();
    for (size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) return false;
        if (c != '%') {
            out += static_cast<char>(c);
            continue;
        }
        if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0) return false;
        out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
        i += 2;
    }
    return true;
}

std::vector<std::string> split(const std::string &text, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        const size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string::npos) return parts;
        start = end + 1;
    }
}

bool known_right(const std::string &right) { return right == "send-as" || right == "send-on-behalf"; }

// "DAY=COUNT,DAY=COUNT"; empty for none.
bool decode_days(const std::string &text, std::map<int64_t, uint64_t> &days) {
    if (text.empty()) return true;
    for (const auto &item : split(text, ',')) {
        const auto eq = item.find('=');
        int64_t day = 0;
        uint64_t count = 0;
        if (eq == std::string::npos || !parse_day(item.substr(0, eq), day) || !parse_int(item.substr(eq + 1), count))
            return false;
        days[day] += count;
    }
    return true;
}

}  // namespace

int64_t day_of(int64_t unix_seconds) {
    return unix_seconds >= 0 ? unix_seconds / seconds_per_day
                             : -((-unix_seconds + seconds_per_day - 1) / seconds_per_day);
}

std::string time_text(int64_t unix_seconds) {
    const time_t t = static_cast<time_t>(unix_seconds);
    struct tm tm {};
    char out[32] = "";
    // A time out of gmtime's range prints as "": records are bounded (max_time) well within it.
    if (!gmtime_r(&t, &tm) || strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "";
    return out;
}

std::string day_text(int64_t day) { return time_text(day * seconds_per_day).substr(0, 10); }

uint64_t UsageRecord::count_since(int64_t from_day) const {
    uint64_t sum = 0;
    for (auto it = days.lower_bound(from_day); it != days.end(); ++it) sum += it->second;
    return sum;
}

uint64_t UsageRecord::median_before(int64_t day, int span) const {
    std::vector<uint64_t> counts(static_cast<size_t>(span), 0);
    for (auto it = days.lower_bound(day - span); it != days.end() && it->first < day; ++it)
        counts[static_cast<size_t>(it->first - (day - span))] = it->second;
    auto middle = counts.begin() + span / 2;
    std::nth_element(counts.begin(), middle, counts.end());
    return *middle;
}

void UsageRecord::prune(int64_t from_day) { days.erase(days.begin(), days.lower_bound(from_day)); }

bool decode_usage_fields(const std::map<std::string, std::string> &fields, UsageKey &key, UsageRecord &record) {
    auto get = [&fields](const char *name) {
        auto it = fields.find(name);
        return it == fields.end() ? nullptr : &it->second;
    };
    const std::string *u = get("u"), *m = get("m"), *r = get("r"), *last = get("last"), *first = get("first");
    if (!u || !m || !r || !last || u->empty() || m->empty() || !known_right(*r)) return false;
    key = {*u, *m, *r};
    record = UsageRecord{};
    if (const std::string *dn = get("dn")) record.dn = *dn;
    if (!parse_time(*last, record.last)) return false;
    if (first && !parse_time(*first, record.first)) return false;
    for (const auto &[name, value] : fields) {
        if (name.rfind("d:", 0) != 0) continue;
        int64_t day = 0;
        uint64_t count = 0;
        if (!parse_day(name.substr(2), day) || !parse_int(value, count)) return false;
        record.days[day] = count;
    }
    return true;
}

std::string encode_usage_line(const UsageKey &key, const UsageRecord &record) {
    std::string line = escaped(key.user) + '\t' + escaped(key.mailbox) + '\t' + escaped(key.right) + '\t' +
                       escaped(record.dn) + '\t' + std::to_string(record.first) + '\t' + std::to_string(record.last) +
                       '\t';
    const char *separator = "";
    for (const auto &[day, count] : record.days) {
        line += separator + std::to_string(day) + '=' + std::to_string(count);
        separator = ",";
    }
    return line;
}

bool decode_usage_line(const std::string &line, UsageKey &key, UsageRecord &record) {
    const auto fields = split(line, '\t');
    if (fields.size() != 7) return false;
    record = UsageRecord{};
    if (!unescaped(fields[0], key.user) || !unescaped(fields[1], key.mailbox) || !unescaped(fields[2], key.right) ||
        !unescaped(fields[3], record.dn))
        return false;
    if (key.user.empty() || key.mailbox.empty() || !known_right(key.right)) return false;
    return parse_time(fields[4], record.first) && parse_time(fields[5], record.last) &&
           decode_days(fields[6], record.days);
}

std::string encode_usage_file(const UsageTable &table) {
    std::string out = std::string(file_header) + "\n";
    for (const auto &[key, record] : table) out += encode_usage_line(key, record) + "\n";
    return out;
}

UsageTable decode_usage_file(const std::string &text, size_t &bad) {
    UsageTable table;
    bad = 0;
    size_t start = 0;
    bool header = true;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (header) {
            header = false;
            if (line == file_header) continue;
        }
        UsageKey key;
        UsageRecord record;
        if (!decode_usage_line(line, key, record)) {
            ++bad;
            continue;
        }
        table[key] = std::move(record);
    }
    return table;
}

}  // namespace sendas
