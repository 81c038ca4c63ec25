// Usage records (ops/usage_record): days, the median, both spellings and
// what their parsers refuse; apply_usage (ops/usage_file), the rules every
// store follows; durations (base/duration).
#include "ops/usage_record.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "base/duration.h"
#include "ops/usage_file.h"

using sendas::UsageDelta;
using sendas::UsageKey;
using sendas::UsageRecord;
using sendas::UsageTable;

namespace {

constexpr int64_t day = 86400;

UsageRecord sample_record() {
    UsageRecord r;
    r.dn = "uid=alice,ou=people,dc=example,dc=com";
    r.first = 19000 * day + 5;
    r.last = 19010 * day + 7;
    r.days = {{19000, 3}, {19004, 1}, {19010, 12}};
    return r;
}

}  // namespace

class UsageRecordTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UsageRecordTest);
    CPPUNIT_TEST(testDays);
    CPPUNIT_TEST(testCountsAndMedian);
    CPPUNIT_TEST(testLineRoundTrip);
    CPPUNIT_TEST(testLineRefused);
    CPPUNIT_TEST(testFileSkipsDamagedLines);
    CPPUNIT_TEST(testRedisFields);
    CPPUNIT_TEST(testApplyUsage);
    CPPUNIT_TEST(testDurations);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDays() {
        CPPUNIT_ASSERT_EQUAL(int64_t(0), sendas::day_of(0));
        CPPUNIT_ASSERT_EQUAL(int64_t(0), sendas::day_of(day - 1));
        CPPUNIT_ASSERT_EQUAL(int64_t(1), sendas::day_of(day));
        CPPUNIT_ASSERT_EQUAL(int64_t(-1), sendas::day_of(-1));
        CPPUNIT_ASSERT_EQUAL(std::string("2024-05-01"), sendas::day_text(19844));
        CPPUNIT_ASSERT_EQUAL(std::string("2024-05-01T12:30:00Z"), sendas::time_text(19844 * day + 12 * 3600 + 1800));
    }

    void testCountsAndMedian() {
        const UsageRecord r = sample_record();
        CPPUNIT_ASSERT_EQUAL(uint64_t(16), r.count_since(19000));
        CPPUNIT_ASSERT_EQUAL(uint64_t(13), r.count_since(19001));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), r.count_since(19011));
        // 30 days before 19011: 27 zeros and 3, 1, 12 -> 0.
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), r.median_before(19011));
        UsageRecord busy;
        for (int64_t d = 100; d < 130; ++d) busy.days[d] = d < 110 ? 2 : 8;  // 10 days of 2, 20 of 8
        busy.days[130] = 1000;                                               // today: not in its own median
        CPPUNIT_ASSERT_EQUAL(uint64_t(8), busy.median_before(130));
        CPPUNIT_ASSERT_EQUAL(uint64_t(8), busy.median_before(130, 10));  // only the days of 8
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), busy.median_before(110, 10));  // only the days of 2
        busy.prune(120);
        CPPUNIT_ASSERT_EQUAL(size_t(11), busy.days.size());
        CPPUNIT_ASSERT_EQUAL(int64_t(120), busy.days.begin()->first);
    }

    void testLineRoundTrip() {
        const UsageKey key{"al%ice,\t=@example.com", "support@example.com", "send-as"};
        const UsageRecord r = sample_record();
        const std::string line = sendas::encode_usage_line(key, r);
        CPPUNIT_ASSERT_EQUAL(std::string::npos, line.find('\n'));
        CPPUNIT_ASSERT_EQUAL(size_t(6), static_cast<size_t>(std::count(line.begin(), line.end(), '\t')));
        UsageKey k2;
        UsageRecord r2;
        CPPUNIT_ASSERT(sendas::decode_usage_line(line, k2, r2));
        CPPUNIT_ASSERT(k2 == key);
        CPPUNIT_ASSERT_EQUAL(r.dn, r2.dn);
        CPPUNIT_ASSERT_EQUAL(r.first, r2.first);
        CPPUNIT_ASSERT_EQUAL(r.last, r2.last);
        CPPUNIT_ASSERT(r.days == r2.days);
    }

    void testLineRefused() {
        const std::string good = "a@x\tm@x\tsend-as\tuid=a\t1\t2\t3=4";
        UsageKey k;
        UsageRecord r;
        CPPUNIT_ASSERT(sendas::decode_usage_line(good, k, r));  // the control
        const char *const bad[] = {
            "a@x\tm@x\tsend-as\tuid=a\t1\t2",                          // a field short
            "a@x\tm@x\tsend-as\tuid=a\t1\t2\t3=4\tmore",               // a field more
            "a@x\tm@x\tfull-access\tuid=a\t1\t2\t3=4",                 // not a right that sends
            "\tm@x\tsend-as\tuid=a\t1\t2\t3=4",                        // no user
            "a@x\tm@x\tsend-as\tuid=a\t-1\t2\t3=4",                    // a sign
            "a@x\tm@x\tsend-as\tuid=a\t1\t2x\t3=4",                    // trailing garbage
            "a@x\tm@x\tsend-as\tuid=a\t1\t2\t3=",                      // no count
            "a@x\tm@x\tsend-as\tuid=a\t1\t2\t3:4",                     // no '='
            "a@x\tm@x\tsend-as\tuid=a\t1\t2\t3=4,",                    // empty item
            "a%4@x\tm@x\tsend-as\tuid=a\t1\t2\t3=4",                   // bad escape
            "a%0a@x\tm@x\tsend-as\tuid=a\t1\t2\t3=4",                  // lower-case hex is not ours
            "a@x\tm@x\tsend-as\tuid=a\t1\t99999999999999999999\t3=4",  // overflow
            "a@x\tm@x\tsend-as\tuid=a\t1\t86400000000001\t3=4",        // after the year 4707
            "a@x\tm@x\tsend-as\tuid=a\t1\t2\t1000001=4",               // a day after it
        };
        for (const char *line : bad) CPPUNIT_ASSERT_MESSAGE(line, !sendas::decode_usage_line(line, k, r));
    }

    void testFileSkipsDamagedLines() {
        UsageTable table;
        table[{"alice@example.com", "support@example.com", "send-as"}] = sample_record();
        table[{"bob@example.com", "support@example.com", "send-on-behalf"}] = sample_record();
        std::string text = sendas::encode_usage_file(table);
        size_t bad = 9;
        CPPUNIT_ASSERT(sendas::decode_usage_file(text, bad).size() == 2);
        CPPUNIT_ASSERT_EQUAL(size_t(0), bad);
        text.insert(text.find('\n') + 1, "garbage\n");
        const UsageTable back = sendas::decode_usage_file(text, bad);
        CPPUNIT_ASSERT_EQUAL(size_t(1), bad);
        CPPUNIT_ASSERT_EQUAL(size_t(2), back.size());
        CPPUNIT_ASSERT_EQUAL(uint64_t(12), back.begin()->second.days.at(19010));
    }

    void testRedisFields() {
        std::map<std::string, std::string> fields = {{"u", "alice@example.com"},
                                                     {"m", "support@example.com"},
                                                     {"r", "send-as"},
                                                     {"dn", "uid=alice"},
                                                     {"first", "10"},
                                                     {"last", "20"},
                                                     {"d:19000", "3"},
                                                     {"other", "ignored"}};
        UsageKey k;
        UsageRecord r;
        CPPUNIT_ASSERT(sendas::decode_usage_fields(fields, k, r));
        CPPUNIT_ASSERT(k == (UsageKey{"alice@example.com", "support@example.com", "send-as"}));
        CPPUNIT_ASSERT_EQUAL(int64_t(20), r.last);
        CPPUNIT_ASSERT_EQUAL(uint64_t(3), r.days.at(19000));
        for (const char *drop : {"u", "m", "r", "last"}) {
            auto without = fields;
            without.erase(drop);
            CPPUNIT_ASSERT_MESSAGE(drop, !sendas::decode_usage_fields(without, k, r));
        }
        for (const auto &[name, value] : std::map<std::string, std::string>{
                 {"d:19000", "x"}, {"d:x", "1"}, {"last", ""}, {"first", "-3"}, {"r", "own"}}) {
            auto broken = fields;
            broken[name] = value;
            CPPUNIT_ASSERT_MESSAGE(name + "=" + value, !sendas::decode_usage_fields(broken, k, r));
        }
    }

    void testApplyUsage() {
        const int64_t retention = 31 * day, now = 20000 * day + 100;
        UsageTable table;
        const UsageKey alice{"alice@example.com", "support@example.com", "send-as"};
        const UsageKey old{"old@example.com", "support@example.com", "send-as"};
        table[old].last = now - retention - 1;  // idle for longer than the retention: gone
        table[alice].last = now - 5 * day;
        table[alice].first = now - 20 * day;
        table[alice].days = {{20000 - 40, 9}, {20000 - 5, 2}};
        const std::vector<UsageDelta> deltas = {
            {alice, "uid=alice", 3, now - 1, "Q1", "Q3"},
            {{"bob@example.com", "support@example.com", "send-as"}, "uid=bob", 1, now, "Q4", "Q4"}};
        const auto outcomes = sendas::apply_usage(table, deltas, now, retention);
        CPPUNIT_ASSERT_EQUAL(size_t(2), outcomes.size());
        CPPUNIT_ASSERT(!outcomes[0].first_use);
        CPPUNIT_ASSERT(outcomes[1].first_use);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), outcomes[0].day_before);
        CPPUNIT_ASSERT_EQUAL(uint64_t(3), outcomes[0].day_after);
        CPPUNIT_ASSERT_EQUAL(size_t(0), table.count(old));
        CPPUNIT_ASSERT_EQUAL(size_t(2), table[alice].days.size());  // the day 40 days ago pruned
        CPPUNIT_ASSERT_EQUAL(now - 20 * day, table[alice].first);
        CPPUNIT_ASSERT_EQUAL(now - 1, table[alice].last);
        CPPUNIT_ASSERT_EQUAL(std::string("uid=bob"), outcomes[1].record.dn);
        // A second batch the same day starts where the first ended.
        const auto again = sendas::apply_usage(table, {deltas[0]}, now + 10, retention);
        CPPUNIT_ASSERT_EQUAL(uint64_t(3), again[0].day_before);
        CPPUNIT_ASSERT_EQUAL(uint64_t(6), again[0].day_after);
    }

    void testDurations() {
        struct Case {
            const char *text;
            int64_t seconds;
        };
        for (const Case &c : {Case{"90d", 90 * day}, Case{"12h", 43200}, Case{"30m", 1800}, Case{"45s", 45},
                              Case{"45", 45}, Case{"2w", 14 * day}}) {
            int64_t seconds = 0;
            CPPUNIT_ASSERT_MESSAGE(c.text, sendas::parse_duration(c.text, seconds));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.text, c.seconds, seconds);
        }
        for (const char *bad : {"", "d", "0d", "-1d", "1.5d", "3x", "d3", " 3d", "99999999999d", "3dd"}) {
            int64_t seconds = 0;
            CPPUNIT_ASSERT_MESSAGE(bad, !sendas::parse_duration(bad, seconds));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("90d"), sendas::format_duration(90 * day));
        CPPUNIT_ASSERT_EQUAL(std::string("2w"), sendas::format_duration(14 * day));
        CPPUNIT_ASSERT_EQUAL(std::string("61s"), sendas::format_duration(61));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UsageRecordTest);
