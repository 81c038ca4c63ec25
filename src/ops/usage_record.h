// Usage of delegated rights: per user, mailbox and right, when it was
// first and last used and how many messages it carried per day (UTC).
// The records behind `sendasctl usage`, the audit's UNUSED_RIGHT and the
// first_use and usage_alert log lines. Pure: no I/O, no clock.
//
// Two spellings, one parser each, both fed from outside the process (a
// Redis anyone with access may write, a file an admin may edit):
//   Redis hash fields   u m r dn first last d:DAY (DAY = days since 1970)
//   state file line     USER TAB MAILBOX TAB RIGHT TAB DN TAB FIRST TAB LAST
//                       TAB DAY=COUNT,DAY=COUNT...  (text fields %-escaped)
#ifndef SENDAS_USAGE_RECORD_H
#define SENDAS_USAGE_RECORD_H

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace sendas {

constexpr int64_t seconds_per_day = 86400;

// Days since 1970-01-01 (UTC) of a Unix time, rounding down.
int64_t day_of(int64_t unix_seconds);

// "2024-05-01" for a day number; "2024-05-01T12:00:00Z" for a Unix time.
std::string day_text(int64_t day);
std::string time_text(int64_t unix_seconds);

struct UsageKey {
    std::string user;     // the user's primary address, lower-cased (its DN without one)
    std::string mailbox;  // the mailbox whose right was used (the base of a detail address)
    std::string right;    // "send-as" or "send-on-behalf"

    bool operator<(const UsageKey &o) const {
        return std::tie(user, mailbox, right) < std::tie(o.user, o.mailbox, o.right);
    }
    bool operator==(const UsageKey &o) const { return user == o.user && mailbox == o.mailbox && right == o.right; }
};

struct UsageRecord {
    std::string dn;                    // the user's DN, which the audit matches holders by
    int64_t first = 0;                 // first use since the record was last empty for a whole retention period
    int64_t last = 0;                  // last use
    std::map<int64_t, uint64_t> days;  // day -> messages

    // Messages on the days from `from_day` on.
    uint64_t count_since(int64_t from_day) const;
    // The median of the daily counts of the `span` days before `day`, days
    // without use counted as 0.
    uint64_t median_before(int64_t day, int span = 30) const;
    // Drops the days before `from_day`.
    void prune(int64_t from_day);
};

using UsageTable = std::map<UsageKey, UsageRecord>;

// Redis hash fields -> key and record. False when a field the record
// needs (u, m, r, last) is missing or a number does not parse or names a
// day after the year 4707; unknown fields are ignored.
bool decode_usage_fields(const std::map<std::string, std::string> &fields, UsageKey &key, UsageRecord &record);

// One state file line, without its newline, and back. decode is false for
// anything encode does not write.
std::string encode_usage_line(const UsageKey &key, const UsageRecord &record);
bool decode_usage_line(const std::string &line, UsageKey &key, UsageRecord &record);

// The state file: a header line, then one line per record. Lines that do
// not decode are counted in `bad` and skipped, so one damaged line loses
// one record, not the file.
std::string encode_usage_file(const UsageTable &table);
UsageTable decode_usage_file(const std::string &text, size_t &bad);

}  // namespace sendas

#endif
