// fuzz-usage-record: whatever a state file or a Redis hash holds, the
// usage parsers refuse it or yield records that encode into a file that
// decodes to the same records (canonical: a second round changes
// nothing), and every report and store step on them runs without
// undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "ops/usage_file.h"
#include "ops/usage_record.h"
#include "ops/usage_report.h"

using namespace sendas;

namespace {

bool same(const UsageTable &a, const UsageTable &b) {
    if (a.size() != b.size()) return false;
    for (auto x = a.begin(), y = b.begin(); x != a.end(); ++x, ++y)
        if (!(x->first == y->first) || x->second.dn != y->second.dn || x->second.first != y->second.first ||
            x->second.last != y->second.last || x->second.days != y->second.days)
            return false;
    return true;
}

// "name\nvalue\nname\nvalue..." as a Redis hash.
void fields(const std::string &input) {
    std::map<std::string, std::string> hash;
    size_t start = 0;
    std::string name;
    bool is_name = true;
    while (start <= input.size()) {
        size_t end = input.find('\n', start);
        if (end == std::string::npos) end = input.size();
        (is_name ? name : hash[name]) = input.substr(start, end - start);
        is_name = !is_name;
        start = end + 1;
    }
    UsageKey key;
    UsageRecord record;
    if (!decode_usage_fields(hash, key, record)) return;
    UsageTable table{{key, record}};
    size_t bad = 1;
    FUZZ_CHECK(same(decode_usage_file(encode_usage_file(table), bad), table) && bad == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);
    size_t bad = 0;
    UsageTable table = decode_usage_file(input, bad);
    const std::string text = encode_usage_file(table);
    size_t bad_again = 1;
    const UsageTable again = decode_usage_file(text, bad_again);
    FUZZ_CHECK(bad_again == 0 && same(table, again));
    FUZZ_CHECK(encode_usage_file(again) == text);
    const int64_t now = 20000 * seconds_per_day;
    for (const char *format : {"text", "csv", "json"})
        format_usage(table, UsageQuery{"", "", 90 * seconds_per_day, format}, now);
    for (const auto &[key, record] : table) {
        record.median_before(day_of(now));
        record.median_before(record.days.empty() ? 0 : record.days.rbegin()->first + 1);
    }
    apply_usage(table, {{{"a@example.com", "m@example.com", "send-as"}, "uid=a", 3, now, "Q", "Q"}}, now,
                180 * seconds_per_day);
    fields(input);
    return 0;
}
