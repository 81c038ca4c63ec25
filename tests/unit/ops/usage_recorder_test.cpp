// The usage recorder (ops/usage_recorder) over a real state file in a
// temporary directory, with an injected clock: what counts as a use, how
// a failed write is kept for the next one, and when an alert fires.
#include "ops/usage_recorder.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "ops/usage_file.h"

using sendas::CheckedAddress;
using sendas::Decision;
using sendas::Right;
using sendas::Role;
using sendas::UsageKey;
using sendas::UsageOutcome;
using sendas::UsageTable;

namespace {

constexpr int64_t now = 20000 * 86400 + 3600;

class TempDir {
public:
    TempDir() {
        char name[] = "/tmp/sendas-usage-test-XXXXXX";
        if (!mkdtemp(name)) throw std::runtime_error("mkdtemp failed");
        path_ = name;
    }
    ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }  // NOLINT(cert-env33-c): our own temp dir
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

sendas::UserInfo alice() { return {"uid=Alice,ou=people,dc=example,dc=com", "Alice", {"Alice@Example.com"}, false}; }

Decision accepted(std::vector<CheckedAddress> checked) {
    Decision d;
    d.verdict = sendas::Verdict::accept;
    d.acted = true;
    d.checked = std::move(checked);
    return d;
}

UsageTable read(sendas::FileUsageStore &store) {
    UsageTable table;
    size_t bad = 0;
    std::string error;
    CPPUNIT_ASSERT_MESSAGE(error, store.read(table, bad, error));
    CPPUNIT_ASSERT_EQUAL(size_t(0), bad);
    return table;
}

UsageOutcome outcome(uint64_t before, uint64_t after, std::map<int64_t, uint64_t> days = {}) {
    UsageOutcome o;
    o.day_before = before;
    o.day_after = after;
    o.record.days = std::move(days);
    return o;
}

}  // namespace

class UsageRecorderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UsageRecorderTest);
    CPPUNIT_TEST(testWhatCounts);
    CPPUNIT_TEST(testFailedWriteKept);
    CPPUNIT_TEST(testAlertRules);
    CPPUNIT_TEST_SUITE_END();

public:
    void testWhatCounts() {
        TempDir dir;
        auto store = std::make_shared<sendas::FileUsageStore>(dir.path() + "/usage", 31 * 86400);
        {
            sendas::UsageRecorder recorder(
                store, {}, [] { return now; }, 3600 * 1000);
            // From: and the envelope naming one Send As mailbox: one use.
            recorder.record(accepted({{Role::from, "support@example.com", Right::send_as, ""},
                                      {Role::envelope, "support@example.com", Right::send_as, ""}}),
                            alice(), "alice", "Q1");
            // A detail address counts on its base mailbox.
            recorder.record(accepted({{Role::from, "support+x@example.com", Right::send_as, "support@example.com"}}),
                            alice(), "alice", "Q2");
            recorder.record(accepted({{Role::from, "boss@example.com", Right::send_on_behalf, ""},
                                      {Role::sender, "alice@example.com", Right::own, ""}}),
                            alice(), "alice", "Q3");
            Decision rejected = accepted({{Role::from, "sales@example.com", Right::send_as, ""}});
            rejected.verdict = sendas::Verdict::tempfail;  // e.g. over the send limit
            recorder.record(rejected, alice(), "alice", "Q4");
            recorder.record(accepted({{Role::from, "alice@example.com", Right::own, ""}}), alice(), "alice", "Q5");
            CPPUNIT_ASSERT(recorder.flush());
        }
        const UsageTable table = read(*store);
        CPPUNIT_ASSERT_EQUAL(size_t(2), table.size());
        const auto &support = table.at({"alice@example.com", "support@example.com", "send-as"});
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), support.days.at(20000));
        CPPUNIT_ASSERT_EQUAL(now, support.last);
        CPPUNIT_ASSERT_EQUAL(std::string("uid=Alice,ou=people,dc=example,dc=com"), support.dn);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1),
                             table.at({"alice@example.com", "boss@example.com", "send-on-behalf"}).days.at(20000));
    }

    void testFailedWriteKept() {
        TempDir dir;
        const std::string sub = dir.path() + "/later";
        auto store = std::make_shared<sendas::FileUsageStore>(sub + "/usage", 31 * 86400);
        sendas::UsageRecorder recorder(
            store, {}, [] { return now; }, 3600 * 1000);
        const Decision d = accepted({{Role::from, "support@example.com", Right::send_as, ""}});
        recorder.record(d, alice(), "alice", "Q1");
        CPPUNIT_ASSERT(!recorder.flush());  // the directory does not exist yet
        recorder.record(d, alice(), "alice", "Q2");
        CPPUNIT_ASSERT_EQUAL(0, mkdir(sub.c_str(), 0700));
        CPPUNIT_ASSERT(recorder.flush());
        CPPUNIT_ASSERT_EQUAL(uint64_t(2),
                             read(*store).at({"alice@example.com", "support@example.com", "send-as"}).days.at(20000));
    }

    void testAlertRules() {
        const int64_t today = 200;
        sendas::AlertRules threshold{10, 0}, median{0, 3}, both{10, 3}, off{0, 0};
        // Crossing the threshold fires; staying under or already over does not.
        CPPUNIT_ASSERT_EQUAL(uint64_t(10), sendas::usage_alert(outcome(9, 11), today, threshold).limit);
        CPPUNIT_ASSERT_EQUAL(uint64_t(10), sendas::usage_alert(outcome(10, 11), today, threshold).limit);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), sendas::usage_alert(outcome(5, 10), today, threshold).limit);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), sendas::usage_alert(outcome(11, 15), today, threshold).limit);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), sendas::usage_alert(outcome(0, 1000), today, off).limit);
        // No history: a median of 0 counts as 1.
        CPPUNIT_ASSERT_EQUAL(uint64_t(3), sendas::usage_alert(outcome(0, 4), today, median).limit);
        CPPUNIT_ASSERT_EQUAL(std::string("median_factor"),
                             std::string(sendas::usage_alert(outcome(0, 4), today, median).rule));
        // 30 days of 2 before today: limit 6; today's own count is not history.
        std::map<int64_t, uint64_t> days;
        for (int64_t d = today - 30; d < today; ++d) days[d] = 2;
        days[today] = 7;
        CPPUNIT_ASSERT_EQUAL(uint64_t(6), sendas::usage_alert(outcome(6, 7, days), today, median).limit);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), sendas::usage_alert(outcome(5, 6, days), today, median).limit);
        // Both: the lower limit, named.
        CPPUNIT_ASSERT_EQUAL(uint64_t(6), sendas::usage_alert(outcome(6, 7, days), today, both).limit);
        for (auto &entry : days) entry.second = 20;
        const auto alert = sendas::usage_alert(outcome(10, 11, days), today, both);
        CPPUNIT_ASSERT_EQUAL(uint64_t(10), alert.limit);
        CPPUNIT_ASSERT_EQUAL(std::string("daily_threshold"), std::string(alert.rule));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UsageRecorderTest);
