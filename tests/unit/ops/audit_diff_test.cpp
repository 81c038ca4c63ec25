// The audit's usage join (ops/usage_audit), snapshot comparison
// (ops/audit_diff) and the JSON reader under it (base/json_reader).
#include "ops/audit_diff.h"

#include <cppunit/extensions/HelperMacros.h>

#include "base/json_reader.h"
#include "base/string_util.h"
#include "ops/usage_audit.h"

using sendas::AuditReport;
using sendas::Holder;

namespace {

constexpr int64_t day = 86400, now = 20000 * day;

std::string norm(const std::string &dn) { return sendas::lower(dn); }

AuditReport report() {
    AuditReport r;
    r.mailboxes["support@example.com"]["send-as"] = {Holder{"alice@example.com", "uid=alice,dc=x", {}, 0},
                                                     Holder{"", "uid=nomail,dc=x", {}, 0}};
    r.mailboxes["support@example.com"]["send-on-behalf"] = {Holder{"bob@example.com", "uid=bob,dc=x", {}, 0}};
    r.mailboxes["support@example.com"]["full-access"] = {Holder{"carol@example.com", "uid=carol,dc=x", {}, 0}};
    return r;
}

std::vector<sendas::Finding> unused(const AuditReport &r) {
    std::vector<sendas::Finding> out;
    for (const auto &f : r.findings)
        if (f.code == "UNUSED_RIGHT") out.push_back(f);
    return out;
}

}  // namespace

class AuditDiffTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AuditDiffTest);
    CPPUNIT_TEST(testJsonReader);
    CPPUNIT_TEST(testUsageJoin);
    CPPUNIT_TEST(testDiff);
    CPPUNIT_TEST(testSnapshotRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void testJsonReader() {
        sendas::JsonValue v;
        std::string error;
        CPPUNIT_ASSERT(sendas::parse_json(R"({"a":[1,-2.5e3,true,null,"x\u00e9\ud83d\ude00\n"]})", v, error));
        CPPUNIT_ASSERT_EQUAL(std::string("x\xc3\xa9\xf0\x9f\x98\x80\n"), v.get("a")->items[4].text);
        CPPUNIT_ASSERT_EQUAL(std::string("-2.5e3"), v.get("a")->items[1].text);
        for (const char *bad : {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"",
                                "[1] 2", "{a:1}", "nul", "\"\\x\""}) {
            CPPUNIT_ASSERT_MESSAGE(bad, !sendas::parse_json(bad, v, error));
            CPPUNIT_ASSERT_MESSAGE(bad, error.find("offset") != std::string::npos);
        }
        const std::string deep64 = std::string(64, '[') + std::string(64, ']');
        const std::string deep65 = std::string(65, '[') + std::string(65, ']');
        CPPUNIT_ASSERT(sendas::parse_json(deep64, v, error));
        CPPUNIT_ASSERT(!sendas::parse_json(deep65, v, error));
    }

    void testUsageJoin() {
        sendas::UsageTable usage;
        // Matched by DN whatever its spelling, on the right and mailbox used.
        usage[{"alice@example.com", "Support@Example.com", "send-as"}] = {
            "UID=Alice,DC=X", now - 5 * day, now - day, {}};
        // The same user on another right or mailbox does not count.
        usage[{"bob@example.com", "support@example.com", "send-as"}] = {"uid=bob,dc=x", now - day, now - day, {}};
        usage[{"bob@example.com", "sales@example.com", "send-on-behalf"}] = {"uid=bob,dc=x", now, now, {}};
        // Matched by address when the record has no DN.
        usage[{"uid=nomail,dc=x", "support@example.com", "send-as"}] = {"", now - 200 * day, now - 100 * day, {}};
        AuditReport r = report();
        sendas::add_usage(r, usage, now, 90 * day, norm);
        CPPUNIT_ASSERT(r.usage_read);
        const auto &send_as = r.mailboxes["support@example.com"]["send-as"];
        CPPUNIT_ASSERT_EQUAL(now - day, send_as[0].last_used);
        CPPUNIT_ASSERT_EQUAL(now - 100 * day, send_as[1].last_used);
        CPPUNIT_ASSERT_EQUAL(int64_t(0), r.mailboxes["support@example.com"]["send-on-behalf"][0].last_used);
        const auto found = unused(r);
        CPPUNIT_ASSERT_EQUAL(size_t(2), found.size());
        CPPUNIT_ASSERT_EQUAL(std::string("uid=nomail,dc=x"), found[0].dn);
        CPPUNIT_ASSERT(found[0].detail.find("last used " + sendas::time_text(now - 100 * day)) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("uid=bob,dc=x"), found[1].dn);
        CPPUNIT_ASSERT(found[1].detail.find("no use recorded") != std::string::npos);
        // 0: last use shown, nothing flagged; a shorter window flags alice too.
        AuditReport off = report(), strict = report();
        sendas::add_usage(off, usage, now, 0, norm);
        CPPUNIT_ASSERT_EQUAL(size_t(0), unused(off).size());
        sendas::add_usage(strict, usage, now, day / 2, norm);
        CPPUNIT_ASSERT_EQUAL(size_t(3), unused(strict).size());
        const std::string text = sendas::format_report(r, sendas::ReportFormat::text);
        CPPUNIT_ASSERT(text.find("alice@example.com  ()  last used " + sendas::time_text(now - day)) !=
                       std::string::npos);
        CPPUNIT_ASSERT(text.find("carol@example.com  ()\n") != std::string::npos);  // Full Access: no use to show
    }

    void testDiff() {
        AuditReport before = report();
        const std::string json = sendas::format_report(before, sendas::ReportFormat::json);
        std::vector<sendas::RightChange> old;
        std::string error;
        CPPUNIT_ASSERT_MESSAGE(error, sendas::read_audit_snapshot(json, old, error));
        CPPUNIT_ASSERT_EQUAL(size_t(4), old.size());
        auto same = sendas::diff_audit(old, before, norm);
        CPPUNIT_ASSERT(same.granted.empty() && same.revoked.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("no changes\n"), sendas::format_diff(same, sendas::ReportFormat::text));
        AuditReport after = report();
        after.mailboxes["support@example.com"]["send-on-behalf"] = {Holder{"dave@example.com", "uid=dave,dc=x", {}, 0}};
        after.mailboxes["support@example.com"]["send-as"][0].dn = "UID=ALICE,DC=X";  // respelled: unchanged
        const auto diff = sendas::diff_audit(old, after, norm);
        CPPUNIT_ASSERT_EQUAL(size_t(1), diff.granted.size());
        CPPUNIT_ASSERT_EQUAL(std::string("uid=dave,dc=x"), diff.granted[0].dn);
        CPPUNIT_ASSERT_EQUAL(size_t(1), diff.revoked.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"), diff.revoked[0].user);
        CPPUNIT_ASSERT_EQUAL(
            std::string("change,mailbox,right,user,dn\n"
                        "granted,support@example.com,send-on-behalf,dave@example.com,\"uid=dave,dc=x\"\n"
                        "revoked,support@example.com,send-on-behalf,bob@example.com,\"uid=bob,dc=x\"\n"),
            sendas::format_diff(diff, sendas::ReportFormat::csv));
    }

    void testSnapshotRefused() {
        std::vector<sendas::RightChange> old;
        std::string error;
        const char *const bad[] = {
            "[]",
            "{\"version\":2,\"mailboxes\":[]}",
            "{\"version\":1}",
            "{\"version\":1,\"mailboxes\":{}}",
            "{\"version\":1,\"mailboxes\":[{\"rights\":{}}]}",
            "{\"version\":1,\"mailboxes\":[{\"mailbox\":\"m\",\"rights\":{\"send-as\":[{\"user\":\"u\"}]}}]}",
            "{\"version\":1,\"mailboxes\":[{\"mailbox\":\"m\",\"rights\":{\"send-as\":{}}}]}"};
        for (const char *doc : bad) CPPUNIT_ASSERT_MESSAGE(doc, !sendas::read_audit_snapshot(doc, old, error));
        CPPUNIT_ASSERT(sendas::read_audit_snapshot("{\"version\":1,\"mailboxes\":[]}", old, error));  // the control
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AuditDiffTest);
