// Send limits (ops/send_limit): parse_send_limit() and SendLimiter
// counting locally (no shared lists, or Redis down) with an injected clock.
#include "ops/send_limit.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/config.h"

using sendas::Config;

namespace {

std::shared_ptr<const Config> config_of(const std::string &extra) { return sendas::load_config_text(extra, "test"); }

}  // namespace

class SendLimitTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SendLimitTest);
    CPPUNIT_TEST(testParse);
    CPPUNIT_TEST(testParseRefuses);
    CPPUNIT_TEST(testConfigKey);
    CPPUNIT_TEST(testCountsPerUserAndMailbox);
    CPPUNIT_TEST(testFixedWindows);
    CPPUNIT_TEST(testOff);
    CPPUNIT_TEST(testRedisDownCountsLocally);
    CPPUNIT_TEST(testThreads);
    CPPUNIT_TEST_SUITE_END();

public:
    void testParse() {
        struct ParseCase {
            const char *text;
            unsigned count, period;
        };
        const ParseCase cases[] = {
            {"200/1h", 200, 3600},
            {"3/2s", 3, 2},
            {"5/30", 5, 30},
            {"1/1m", 1, 60},
            {"10/1d", 10, 86400},
            {"7/90m", 7, 5400},
            {"999999/999999", 999999, 999999},
            {"", 0, 0},
        };
        for (const auto &c : cases) {
            sendas::SendLimit limit;
            limit.count = limit.period = 12345;
            CPPUNIT_ASSERT_MESSAGE(c.text, sendas::parse_send_limit(c.text, limit));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.text, c.count, limit.count);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.text, c.period, limit.period);
        }
    }

    void testParseRefuses() {
        for (const char *text : {"0/1h", "5/0s", "5/0", "/1h", "5/", "5", "a/1h", "5/1x", "5/h", "-1/1h", " 5/1h",
                                 "5/1h ", "5/1H", "5/1hh", "1234567/1h", "5/1.5h", "5//1h", "5/1h/2", "+5/1h"}) {
            sendas::SendLimit limit;
            CPPUNIT_ASSERT_MESSAGE(std::string("accepted: '") + text + "'", !sendas::parse_send_limit(text, limit));
        }
    }

    void testConfigKey() {
        CPPUNIT_ASSERT_EQUAL(0u, config_of("")->send_limit.count);
        auto config = config_of("[limits]\nper_user_mailbox = 200/1h\n");
        CPPUNIT_ASSERT_EQUAL(200u, config->send_limit.count);
        CPPUNIT_ASSERT_EQUAL(3600u, config->send_limit.period);
        CPPUNIT_ASSERT_THROW(config_of("[limits]\nper_user_mailbox = 200 per hour\n"), sendas::ConfigError);
    }

    void testCountsPerUserAndMailbox() {
        int64_t now = 1000;
        sendas::SendLimiter limiter({3, 3600}, nullptr, [&] { return now; });
        bool first_over = true;
        for (int i = 1; i <= 3; ++i) {
            CPPUNIT_ASSERT_MESSAGE("message " + std::to_string(i),
                                   limiter.allow("alice", "support@example.com", first_over));
            CPPUNIT_ASSERT(!first_over);
        }
        CPPUNIT_ASSERT(!limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT_MESSAGE("the 4th message raises the alert", first_over);
        for (int i = 0; i < 3; ++i) {
            CPPUNIT_ASSERT(!limiter.allow("alice", "support@example.com", first_over));
            CPPUNIT_ASSERT_MESSAGE("the alert is raised once per period", !first_over);
        }
        // Another mailbox, another user: their own counts.
        CPPUNIT_ASSERT(limiter.allow("alice", "sales@example.com", first_over));
        CPPUNIT_ASSERT(limiter.allow("bob", "support@example.com", first_over));
        CPPUNIT_ASSERT_EQUAL(3u, limiter.limit().count);
        CPPUNIT_ASSERT_EQUAL(3600u, limiter.limit().period);
    }

    // Windows are unix time / period: the count starts again at the next
    // multiple of the period, not a period after the first message.
    void testFixedWindows() {
        int64_t now = 19;
        sendas::SendLimiter limiter({3, 10}, nullptr, [&] { return now; });
        bool first_over = false;
        for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT(limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT(!limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT(first_over);
        now = 20;  // one second later, next window
        for (int i = 0; i < 3; ++i) {
            CPPUNIT_ASSERT(limiter.allow("alice", "support@example.com", first_over));
            CPPUNIT_ASSERT(!first_over);
        }
        CPPUNIT_ASSERT(!limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT_MESSAGE("a new period alerts again", first_over);
        now = 29;  // same window
        CPPUNIT_ASSERT(!limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT(!first_over);
        now = 45;  // a window later than the next one
        CPPUNIT_ASSERT(limiter.allow("alice", "support@example.com", first_over));
    }

    void testOff() {
        sendas::SendLimiter limiter({0, 0}, nullptr, [] { return int64_t(5); });
        bool first_over = true;
        for (int i = 0; i < 1000; ++i) CPPUNIT_ASSERT(limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT(!first_over);
    }

    // Redis configured but not answering: each host counts on its own,
    // the limit still holds.
    void testRedisDownCountsLocally() {
        // Shared lists that cannot be asked, as Redis down.
        class Down : public sendas::SharedLists {
        public:
            bool push(const std::string &, const std::string &, int64_t, long long &) override { return false; }
            bool read_list(const std::string &, long long, std::vector<std::string> &) override { return false; }
            std::string key(const std::string &name) const override { return name; }
            const std::string &mac_key() const override { return none_; }

        private:
            const std::string none_;
        };
        int64_t now = 1000;
        sendas::SendLimiter limiter({2, 60}, std::make_shared<Down>(), [&] { return now; });
        bool first_over = false;
        CPPUNIT_ASSERT(limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT(limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT(!limiter.allow("alice", "support@example.com", first_over));
        CPPUNIT_ASSERT(first_over);
        now += 60;
        CPPUNIT_ASSERT(limiter.allow("alice", "support@example.com", first_over));
    }

    // Many sessions at once: exactly `count` get through, one alert.
    void testThreads() {
        sendas::SendLimiter limiter({50, 3600}, nullptr, [] { return int64_t(7200); });
        std::atomic<int> allowed{0}, alerts{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 100; ++i) {
                    bool first_over = false;
                    if (limiter.allow("alice", "support@example.com", first_over)) ++allowed;
                    if (first_over) ++alerts;
                }
            });
        for (auto &t : threads) t.join();
        CPPUNIT_ASSERT_EQUAL(50, allowed.load());
        CPPUNIT_ASSERT_EQUAL(1, alerts.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SendLimitTest);
