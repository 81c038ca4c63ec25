// The debug lookup trace (ops/lookup_trace): one line per answer, values
// that cannot break the line or forge a field.
#include "ops/lookup_trace.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

using sendas::DirectoryAnswers;
using sendas::LookupStatus;

class LookupTraceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LookupTraceTest);
    CPPUNIT_TEST(testLines);
    CPPUNIT_TEST(testUnauthenticated);
    CPPUNIT_TEST(testValuesSanitised);
    CPPUNIT_TEST_SUITE_END();

public:
    void testLines() {
        DirectoryAnswers answers;
        answers.user.status = LookupStatus::found;
        answers.user.value.dn = "uid=alice,dc=x";
        sendas::MailboxRights support;
        support.send_on_behalf = true;
        support.full_access = true;
        support.path = std::vector<std::string>{"uid=alice,dc=x", "cn=support@example.com,dc=x"};
        answers.rights["support@example.com"] = {LookupStatus::found, support};
        answers.rights["sales@example.com"] = {LookupStatus::unavailable, {}};
        sendas::MailboxRights alerts;
        alerts.send_as = true;
        alerts.domain_grant = true;
        alerts.path = std::vector<std::string>{"uid=alice,dc=x", "cn=@notify.example.com,dc=x"};
        answers.rights["alerts@notify.example.com"] = {LookupStatus::found, alerts};
        answers.fallback["support+x@example.com"] = "support@example.com";
        const std::vector<std::string> expected = {
            "Q1: lookup user=<alice> status=found dn=<uid=alice,dc=x>",
            "Q1: lookup address=<alerts@notify.example.com> status=found right=send-as "
            "path=<uid=alice,dc=x>,<cn=@notify.example.com,dc=x> grant=domain",
            "Q1: lookup address=<sales@example.com> status=unavailable",
            "Q1: lookup address=<support@example.com> status=found right=send-on-behalf "
            "path=<uid=alice,dc=x>,<cn=support@example.com,dc=x>",
            "Q1: lookup address=<support+x@example.com> base=<support@example.com>",
            "Q1: lookup ldap_searches=4",
        };
        const auto lines = sendas::lookup_trace("Q1", "alice", answers, 4);
        CPPUNIT_ASSERT_EQUAL(expected.size(), lines.size());
        for (size_t i = 0; i < expected.size(); ++i) CPPUNIT_ASSERT_EQUAL(expected[i], lines[i]);
    }

    void testUnauthenticated() {
        const auto lines = sendas::lookup_trace("", "", DirectoryAnswers{}, 0);
        CPPUNIT_ASSERT_EQUAL(size_t{1}, lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string("NOQUEUE: lookup none: not authenticated"), lines[0]);
    }

    void testValuesSanitised() {
        DirectoryAnswers answers;
        answers.user.status = LookupStatus::not_found;
        const auto lines = sendas::lookup_trace("Q\n2", "eve> status=found\r\nx", answers, 1);
        CPPUNIT_ASSERT_EQUAL(std::string("Q?2: lookup user=<eve>?status=found??x> status=not_found"), lines[0]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LookupTraceTest);
