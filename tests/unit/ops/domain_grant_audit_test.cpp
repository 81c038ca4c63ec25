// Domain grants in sendasctl audit (ops/rights_audit, ops/usage_audit): a
// rights group named "@domain" is reported as a domain grant, is no
// mailbox without an entry, and a mailbox's own group for the same right
// hides it (DOMAIN_GRANT_SHADOWED); uses of addresses without a group of
// their own count as uses of the domain grant.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/mailbox_match.h"
#include "base/string_util.h"
#include "directory/ldap_directory.h"
#include "ops/rights_audit.h"
#include "ops/usage_audit.h"

using sendas::AuditReport;
using sendas::DirectorySnapshot;
using sendas::ReportFormat;

namespace {

const std::string base = "dc=example,dc=com";
std::string uid(const std::string &name) { return "uid=" + name + ",ou=people," + base; }
std::string rights_dn(const std::string &right, const std::string &name) {
    return "cn=" + name + ",ou=" + right + ",ou=mailbox-rights," + base;
}

// crm and bob hold Send As on @notify.example.com; alerts@ has its own
// Send As group (alice and bob), billing@ none; crm also holds Send on
// Behalf on @notify (both rights there: SEND_AS_AND_ON_BEHALF), and
// alerts@ has no Send on Behalf group of its own.
DirectorySnapshot directory() {
    DirectorySnapshot s;
    for (const char *name : {"alice", "bob", "crm"}) {
        const std::string dn = uid(name);
        s.entries[sendas::normalize_dn(dn)] = {dn, {std::string(name) + "@example.com"}, {}, false};
        s.users.insert(sendas::normalize_dn(dn));
    }
    s.entries[sendas::normalize_dn("uid=alerts," + base)] = {"uid=alerts," + base, {"alerts@notify.example.com"}, {}};
    auto group = [&s](const std::string &right, const std::string &name, std::vector<std::string> members) {
        const std::string dn = rights_dn(right, name);
        s.entries[sendas::normalize_dn(dn)] = {dn, {}, members, true};
        s.groups.push_back({right, name, dn, std::move(members), {}});
    };
    group("send-as", "@notify.example.com", {uid("crm"), uid("bob")});
    group("send-on-behalf", "@notify.example.com", {uid("crm")});
    group("send-as", "alerts@notify.example.com", {uid("alice"), uid("bob")});
    return s;
}

AuditReport run() { return sendas::audit_rights(directory(), 5, sendas::normalize_dn); }

std::vector<std::string> findings_of(const AuditReport &report) {
    std::vector<std::string> out;
    for (const auto &f : report.findings) out.push_back(f.code + " " + f.mailbox + " " + f.dn);
    std::sort(out.begin(), out.end());
    return out;
}

std::string joined(const std::vector<std::string> &items) {
    std::string out;
    for (const auto &item : items) out += item + "\n";
    return out;
}

}  // namespace

class DomainGrantAuditTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DomainGrantAuditTest);
    CPPUNIT_TEST(testDomainGroupName);
    CPPUNIT_TEST(testHoldersAndFindings);
    CPPUNIT_TEST(testShownAsDomainGrant);
    CPPUNIT_TEST(testUsageCountsForTheDomain);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDomainGroupName() {
        CPPUNIT_ASSERT_EQUAL(std::string("@notify.example.com"), sendas::domain_group_name("a+b@notify.example.com"));
        CPPUNIT_ASSERT_EQUAL(std::string("@example.com"), sendas::domain_group_name("\"a@b\"@example.com"));
        CPPUNIT_ASSERT_EQUAL(std::string("@"), sendas::domain_group_name("no-at"));
        CPPUNIT_ASSERT(sendas::is_domain_grant("@notify.example.com"));
        CPPUNIT_ASSERT(!sendas::is_domain_grant("alerts@notify.example.com"));
        CPPUNIT_ASSERT(!sendas::is_domain_grant(""));
    }

    // The domain group's holders under "@notify.example.com"; no
    // MAILBOX_WITHOUT_ENTRY for it; crm, left out of alerts@'s own Send As
    // group, is shadowed there (bob, in both, is not; Send on Behalf, which
    // alerts@ has no group for, is not).
    void testHoldersAndFindings() {
        const AuditReport report = run();
        const auto &domain = report.mailboxes.at("@notify.example.com");
        CPPUNIT_ASSERT_EQUAL(size_t(2), domain.at("send-as").size());
        CPPUNIT_ASSERT_EQUAL(std::string("crm@example.com"), domain.at("send-on-behalf").at(0).user);
        CPPUNIT_ASSERT_EQUAL(std::string("DOMAIN_GRANT_SHADOWED alerts@notify.example.com " + uid("crm") +
                                         "\nSEND_AS_AND_ON_BEHALF @notify.example.com " + uid("crm") + "\n"),
                             joined(findings_of(report)));
        for (const auto &f : report.findings)
            if (f.code == "DOMAIN_GRANT_SHADOWED")
                CPPUNIT_ASSERT_MESSAGE(f.detail, f.detail.find("send-as on @notify.example.com") != std::string::npos);
        // Positive control: a mailbox group without an entry is still found.
        DirectorySnapshot s = directory();
        s.groups.push_back({"send-as",
                            "orphan@notify.example.com",
                            rights_dn("send-as", "orphan@notify.example.com"),
                            {uid("crm")},
                            {}});
        const auto more = findings_of(sendas::audit_rights(s, 5, sendas::normalize_dn));
        CPPUNIT_ASSERT_MESSAGE(joined(more), std::count_if(more.begin(), more.end(), [](const std::string &line) {
                                                 return line.rfind("MAILBOX_WITHOUT_ENTRY orphan@", 0) == 0;
                                             }) == 1);
        CPPUNIT_ASSERT_MESSAGE(joined(more), std::none_of(more.begin(), more.end(), [](const std::string &line) {
                                   return line.find("MAILBOX_WITHOUT_ENTRY @") != std::string::npos;
                               }));
    }

    void testShownAsDomainGrant() {
        const AuditReport report = run();
        const std::string text = sendas::format_report(report, ReportFormat::text);
        CPPUNIT_ASSERT_MESSAGE(text,
                               text.find("@notify.example.com  (domain grant: every address of notify.example.com "
                                         "without a group of its own for the right)\n") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("\nalerts@notify.example.com\n") != std::string::npos);
        const std::string json = sendas::format_report(report, ReportFormat::json);
        CPPUNIT_ASSERT_MESSAGE(
            json, json.find(R"({"mailbox":"@notify.example.com","domain_grant":true,"rights")") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(json,
                               json.find(R"({"mailbox":"alerts@notify.example.com","rights")") != std::string::npos);
        const std::string html = sendas::format_report(report, ReportFormat::html);
        CPPUNIT_ASSERT_MESSAGE(
            html,
            html.find("<td>@notify.example.com <span class=\"na\">(domain grant)</span></td>") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(html, html.find("<td>alerts@notify.example.com</td>") != std::string::npos);
    }

    // crm's uses of billing@ (no group of its own) are uses of the domain
    // grant; bob's use of alerts@ (its own group) is not.
    void testUsageCountsForTheDomain() {
        constexpr int64_t day = 86400, now = 20000 * day;
        sendas::UsageTable usage;
        usage[{"crm@example.com", "billing@notify.example.com", "send-as"}] = {
            uid("crm"), now - 3 * day, now - day, {}};
        usage[{"bob@example.com", "alerts@notify.example.com", "send-as"}] = {uid("bob"), now - day, now - day, {}};
        AuditReport report = run();
        sendas::add_usage(report, usage, now, 90 * day, sendas::normalize_dn);
        auto last_of = [&report](const std::string &mailbox, const std::string &right, const std::string &who) {
            for (const auto &h : report.mailboxes.at(mailbox).at(right))
                if (h.user == who) return h.last_used;
            return int64_t(-1);
        };
        CPPUNIT_ASSERT_EQUAL(now - day, last_of("@notify.example.com", "send-as", "crm@example.com"));
        CPPUNIT_ASSERT_EQUAL(int64_t(0), last_of("@notify.example.com", "send-as", "bob@example.com"));
        CPPUNIT_ASSERT_EQUAL(now - day, last_of("alerts@notify.example.com", "send-as", "bob@example.com"));
        CPPUNIT_ASSERT_EQUAL(int64_t(0), last_of("@notify.example.com", "send-on-behalf", "crm@example.com"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DomainGrantAuditTest);
