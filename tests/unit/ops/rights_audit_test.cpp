// sendasctl audit (ops/rights_audit): the permissions audit over a
// DirectorySnapshot built by hand (holders and group paths, every finding
// code, the nesting limit, cycles) and its text / csv / json output.
#include "ops/rights_audit.h"

#include "json_reader.h"
#include "text.h"

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
#include "directory/ldap_directory.h"

using sendas::AuditReport;
using sendas::DirectorySnapshot;
using sendas::ReportFormat;

using sendas_test::contains;
using sendas_test::join;
using sendas_test::Json;
using sendas_test::parse_json;

namespace {

// --- A CSV reader (RFC 4180) -----------------------------------------------

std::vector<std::vector<std::string>> parse_csv(const std::string &text) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, in_quotes = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_quotes) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                in_quotes = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            if (!field.empty() || quoted) throw std::runtime_error("CSV: quote inside an unquoted field: " + text);
            in_quotes = quoted = true;
        } else if (c == ',') {
            row.push_back(field);
            field.clear();
            quoted = false;
        } else if (c == '\n') {
            row.push_back(field);
            rows.push_back(row);
            row.clear();
            field.clear();
            quoted = false;
        } else {
            if (quoted) throw std::runtime_error("CSV: text after a closing quote: " + text);
            field += c;
        }
    }
    if (in_quotes) throw std::runtime_error("CSV: unterminated quoted field: " + text);
    if (!field.empty() || !row.empty()) throw std::runtime_error("CSV: last row not terminated: " + text);
    return rows;
}

// --- Snapshots built by hand ----------------------------------------------

const std::string base = "dc=example,dc=com";
std::string uid(const std::string &name) { return "uid=" + name + ",ou=people," + base; }
std::string grp(const std::string &name) { return "cn=" + name + ",ou=groups," + base; }
std::string rights_dn(const std::string &right, const std::string &mailbox) {
    return "cn=" + mailbox + ",ou=" + right + ",ou=mailbox-rights," + base;
}

// Builds a DirectorySnapshot the way LdapDirectory::snapshot fills it:
// every entry (users, groups, rights groups) keyed by normalized DN.
struct Snapshot {
    DirectorySnapshot s;

    Snapshot &user(const std::string &name, std::vector<std::string> mails = {}) {
        return user_dn(uid(name), std::move(mails));
    }
    Snapshot &user_dn(const std::string &dn, std::vector<std::string> mails) {
        s.entries[sendas::normalize_dn(dn)] = {dn, std::move(mails), {}, false};
        s.users.insert(sendas::normalize_dn(dn));
        return *this;
    }
    Snapshot &disabled(const std::string &name) {
        s.disabled.insert(sendas::normalize_dn(uid(name)));
        return *this;
    }
    // An entry that is neither a user nor a group (a mailbox's own entry
    // without user objectclass, an organizationalRole...).
    Snapshot &other(const std::string &dn, std::vector<std::string> mails = {}) {
        s.entries[sendas::normalize_dn(dn)] = {dn, std::move(mails), {}, false};
        return *this;
    }
    Snapshot &group(const std::string &name, std::vector<std::string> members) {
        s.entries[sendas::normalize_dn(grp(name))] = {grp(name), {}, std::move(members), true};
        return *this;
    }
    Snapshot &rights(const std::string &right, const std::string &mailbox, std::vector<std::string> members,
                     std::vector<std::string> denied = {}) {
        const std::string dn = rights_dn(right, mailbox);
        s.entries[sendas::normalize_dn(dn)] = {dn, {}, members, true};
        s.groups.push_back({right, mailbox, dn, std::move(members), std::move(denied)});
        return *this;
    }
    // The mailbox's own entry, so that MAILBOX_WITHOUT_ENTRY stays quiet.
    Snapshot &mailbox(const std::string &address) { return user(address.substr(0, address.find('@')), {address}); }
};

AuditReport run(const Snapshot &snapshot, unsigned depth = 5) {
    return sendas::audit_rights(snapshot.s, depth, sendas::normalize_dn);
}

// Findings as sorted "CODE mailbox dn" strings: order is not part of the contract.
std::vector<std::string> findings(const AuditReport &report, const std::string &code = "") {
    std::vector<std::string> out;
    for (const auto &f : report.findings)
        if (code.empty() || f.code == code) out.push_back(f.code + " " + f.mailbox + " " + f.dn);
    std::sort(out.begin(), out.end());
    return out;
}

std::string finding(const std::string &code, const std::string &mailbox, const std::string &dn) {
    return code + " " + mailbox + " " + dn;
}

// "user <- group path" of every holder of one right, sorted.
std::vector<std::string> holders(const AuditReport &report, const std::string &mailbox, const std::string &right) {
    std::vector<std::string> out;
    auto m = report.mailboxes.find(mailbox);
    if (m == report.mailboxes.end()) return {"(no mailbox " + mailbox + ")"};
    auto r = m->second.find(right);
    if (r == m->second.end()) return out;
    for (const auto &h : r->second)
        out.push_back((h.user.empty() ? "(no mail)" : h.user) + " [" + join(h.path, " -> ") + "]");
    std::sort(out.begin(), out.end());
    return out;
}

// A directory with one case of every finding, on separate mailboxes.
Snapshot everything() {
    Snapshot s;
    s.user("alice", {"alice@example.com"})
        .user("bob", {"bob@example.com"})
        .user("carol", {"carol@example.com"})
        .user("frank", {"frank@example.com"})
        .user("grace", {"grace@example.com"})
        .user("mallory", {"mallory@example.com"})
        .disabled("mallory")
        .other("cn=printer,ou=devices," + base)
        .group("team", {uid("alice")})
        .group("cycle-a", {grp("cycle-b"), uid("bob")})
        .group("cycle-b", {grp("cycle-a")});
    // deep@: grace through chain6..chain1 (6 groups; default depth 5).
    s.group("chain1", {uid("grace")});
    for (int i = 2; i <= 6; ++i) s.group("chain" + std::to_string(i), {grp("chain" + std::to_string(i - 1))});
    s.mailbox("support@example.com").rights("send-as", "support@example.com", {grp("team")});
    s.rights("full-access", "support@example.com", {uid("alice"), uid("carol")});  // carol: Full Access only
    s.mailbox("sales@example.com").rights("send-as", "sales@example.com", {uid("frank")});
    s.rights("send-on-behalf", "sales@example.com", {uid("frank")});  // both
    s.mailbox("ghost@example.com").rights("send-as", "ghost@example.com", {uid("alice"), uid("nobody")});
    s.mailbox("devices@example.com")
        .rights("send-as", "devices@example.com", {uid("bob"), "cn=printer,ou=devices," + base});
    s.mailbox("locked@example.com").rights("send-as", "locked@example.com", {uid("mallory")});
    s.mailbox("loop@example.com").rights("send-as", "loop@example.com", {grp("cycle-a")});
    s.mailbox("deep@example.com").rights("send-as", "deep@example.com", {grp("chain6")});
    s.mailbox("empty@example.com").rights("send-on-behalf", "empty@example.com", {});
    s.rights("send-as", "orphan@example.com", {uid("alice")});  // nobody has mail orphan@
    return s;
}

}  // namespace

class RightsAuditTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RightsAuditTest);
    CPPUNIT_TEST(testEveryFindingCode);
    CPPUNIT_TEST(testHoldersAndPaths);
    CPPUNIT_TEST(testShortestPathOneHolder);
    CPPUNIT_TEST(testMemberDnSpelling);
    CPPUNIT_TEST(testFullAccessWithoutSend);
    CPPUNIT_TEST(testSendAsAndOnBehalf);
    CPPUNIT_TEST(testDanglingAndNotAUser);
    CPPUNIT_TEST(testDisabledMemberStillHolds);
    CPPUNIT_TEST(testDepthLimitMatchesTheMilter);
    CPPUNIT_TEST(testServerResolvedNestingHasNoLimit);
    CPPUNIT_TEST(testDeniedMember);
    CPPUNIT_TEST(testEmptyGroupIsNoStrayMember);
    CPPUNIT_TEST(testCycles);
    CPPUNIT_TEST(testEmptyGroup);
    CPPUNIT_TEST(testMailboxWithoutEntry);
    CPPUNIT_TEST(testFindingsNameTheirRight);
    CPPUNIT_TEST(testTextFormat);
    CPPUNIT_TEST(testTextNoFindings);
    CPPUNIT_TEST(testCsvFormat);
    CPPUNIT_TEST(testCsvQuoting);
    CPPUNIT_TEST(testJsonFormat);
    CPPUNIT_TEST(testJsonShapeAndEscaping);
    CPPUNIT_TEST(testMailboxFilter);
    CPPUNIT_TEST(testMailboxFilterMatchesAuditOfThatMailboxAlone);
    CPPUNIT_TEST(testEmptyDirectory);
    CPPUNIT_TEST_SUITE_END();

public:
    // One directory, one case of each code, each exactly where it belongs.
    void testEveryFindingCode() {
        const AuditReport report = run(everything());
        const std::vector<std::string> expected = {
            finding("DANGLING_MEMBER", "ghost@example.com", uid("nobody")),
            finding("DISABLED_MEMBER", "locked@example.com", uid("mallory")),
            finding("EMPTY_GROUP", "deep@example.com", rights_dn("send-as", "deep@example.com")),
            finding("EMPTY_GROUP", "empty@example.com", rights_dn("send-on-behalf", "empty@example.com")),
            finding("FULL_ACCESS_WITHOUT_SEND", "support@example.com", uid("carol")),
            finding("GROUP_CYCLE", "loop@example.com", grp("cycle-a")),  // the member that closes the loop
            finding("MAILBOX_WITHOUT_ENTRY", "orphan@example.com", rights_dn("send-as", "orphan@example.com")),
            finding("NESTED_TOO_DEEP", "deep@example.com", uid("grace")),
            finding("NOT_A_USER", "devices@example.com", "cn=printer,ou=devices," + base),
            finding("SEND_AS_AND_ON_BEHALF", "sales@example.com", uid("frank")),
        };
        CPPUNIT_ASSERT_EQUAL(join(expected, "\n"), join(findings(report), "\n"));
        // Every finding says something.
        for (const auto &f : report.findings) CPPUNIT_ASSERT_MESSAGE(f.code + " has a detail", !f.detail.empty());
    }

    void testHoldersAndPaths() {
        const AuditReport report = run(everything());
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com [" + uid("alice") + " -> " + grp("team") + " -> " +
                                         rights_dn("send-as", "support@example.com") + "]"),
                             join(holders(report, "support@example.com", "send-as"), "\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com [" + uid("alice") + " -> " +
                                         rights_dn("full-access", "support@example.com") + "]\ncarol@example.com [" +
                                         uid("carol") + " -> " + rights_dn("full-access", "support@example.com") + "]"),
                             join(holders(report, "support@example.com", "full-access"), "\n"));
        CPPUNIT_ASSERT_EQUAL(std::string(), join(holders(report, "support@example.com", "send-on-behalf")));
        // Through a cycle: bob is found once, by the shortest path.
        CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com [" + uid("bob") + " -> " + grp("cycle-a") + " -> " +
                                         rights_dn("send-as", "loop@example.com") + "]"),
                             join(holders(report, "loop@example.com", "send-as")));
        // Too deep: the milter does not grant it, so the audit lists nobody.
        CPPUNIT_ASSERT_EQUAL(std::string(), join(holders(report, "deep@example.com", "send-as")));
        // The Holder fields themselves.
        const auto &h = report.mailboxes.at("support@example.com").at("send-as").front();
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"), h.user);
        CPPUNIT_ASSERT_EQUAL(uid("alice"), h.dn);
        // Every mailbox with a rights group is listed, lower-cased keys.
        std::vector<std::string> mailboxes;
        for (const auto &m : report.mailboxes) mailboxes.push_back(m.first);
        CPPUNIT_ASSERT_EQUAL(std::string("deep@example.com devices@example.com empty@example.com ghost@example.com "
                                         "locked@example.com loop@example.com orphan@example.com sales@example.com "
                                         "support@example.com"),
                             join(mailboxes));
    }

    // A user reached directly and through groups is one holder, with the
    // shortest path; a user without mail is shown by DN.
    void testShortestPathOneHolder() {
        Snapshot s;
        s.user("alice", {"alice@example.com", "a.second@example.com"})
            .user("nomail")
            .group("outer", {grp("inner"), uid("alice")})
            .group("inner", {uid("alice"), uid("nomail")})
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {grp("outer"), grp("inner"), uid("alice")});
        const AuditReport report = run(s);
        const auto &list = report.mailboxes.at("support@example.com").at("send-as");
        CPPUNIT_ASSERT_EQUAL(size_t(2), list.size());
        CPPUNIT_ASSERT_EQUAL(std::string("(no mail) [" + uid("nomail") + " -> " + grp("inner") + " -> " +
                                         rights_dn("send-as", "support@example.com") + "]\nalice@example.com [" +
                                         uid("alice") + " -> " + rights_dn("send-as", "support@example.com") + "]"),
                             join(holders(report, "support@example.com", "send-as"), "\n"));
        CPPUNIT_ASSERT_EQUAL(std::string(), join(findings(report)));
        const std::string text = sendas::format_report(report, ReportFormat::text);
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "  send-as: " + uid("nomail") + "  ("));
    }

    // Member values are compared as DNs, not as strings.
    void testMemberDnSpelling() {
        Snapshot s;
        s.user("alice", {"alice@example.com"})
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {"UID=Alice, OU=People, DC=Example, DC=Com"})
            .rights("send-on-behalf", "support@example.com", {uid("alice")});
        const AuditReport report = run(s);
        CPPUNIT_ASSERT_EQUAL(
            std::string("SEND_AS_AND_ON_BEHALF support@example.com UID=Alice, OU=People, DC=Example, DC=Com"),
            join(findings(report)));
        CPPUNIT_ASSERT_EQUAL(size_t(1), report.mailboxes.at("support@example.com").at("send-as").size());
    }

    void testFullAccessWithoutSend() {
        Snapshot s;
        s.user("alice", {"alice@example.com"})
            .user("bob", {"bob@example.com"})
            .user("carol", {"carol@example.com"})
            .group("readers", {uid("alice"), uid("bob"), uid("carol")})
            .mailbox("support@example.com")
            .rights("full-access", "support@example.com", {grp("readers")})
            .rights("send-as", "support@example.com", {uid("alice")})
            .rights("send-on-behalf", "support@example.com", {uid("bob")});
        CPPUNIT_ASSERT_EQUAL(std::string("FULL_ACCESS_WITHOUT_SEND support@example.com " + uid("carol")),
                             join(findings(run(s))));
    }

    void testSendAsAndOnBehalf() {
        Snapshot s;
        s.user("frank", {"frank@example.com"})
            .user("gina", {"gina@example.com"})
            .group("sellers", {uid("frank"), uid("gina")})
            .mailbox("sales@example.com")
            .rights("send-as", "sales@example.com", {grp("sellers")})
            .rights("send-on-behalf", "sales@example.com", {uid("frank")});
        const AuditReport report = run(s);
        CPPUNIT_ASSERT_EQUAL(std::string("SEND_AS_AND_ON_BEHALF sales@example.com " + uid("frank")),
                             join(findings(report)));
        CPPUNIT_ASSERT_EQUAL(std::string("holds both; Send As wins"), report.findings.front().detail);
    }

    void testDanglingAndNotAUser() {
        Snapshot s;
        s.user("alice", {"alice@example.com"})
            .other("cn=role,ou=roles," + base)
            .group("team", {uid("alice"), uid("gone")})
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {grp("team"), uid("left"), "cn=role,ou=roles," + base});
        const AuditReport report = run(s);
        CPPUNIT_ASSERT_EQUAL(std::string(finding("DANGLING_MEMBER", "support@example.com", uid("gone")) + "\n" +
                                         finding("DANGLING_MEMBER", "support@example.com", uid("left")) + "\n" +
                                         finding("NOT_A_USER", "support@example.com", "cn=role,ou=roles," + base)),
                             join(findings(report), "\n"));
        // The detail names the group that holds the bad member.
        for (const auto &f : report.findings) {
            const std::string holder = f.dn == uid("gone") ? grp("team") : rights_dn("send-as", "support@example.com");
            CPPUNIT_ASSERT_MESSAGE(f.code + ": " + f.detail, contains(f.detail, holder));
        }
        // A member that is not a user is no holder; alice still is.
        CPPUNIT_ASSERT_EQUAL(size_t(1), report.mailboxes.at("support@example.com").at("send-as").size());
    }

    void testDisabledMemberStillHolds() {
        Snapshot s;
        s.user("mallory", {"mallory@example.com"})
            .disabled("mallory")
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {uid("mallory")})
            .rights("full-access", "support@example.com", {uid("mallory")});
        const AuditReport report = run(s);
        // Once per rights group that names the account.
        CPPUNIT_ASSERT_EQUAL(std::string(finding("DISABLED_MEMBER", "support@example.com", uid("mallory")) + "\n" +
                                         finding("DISABLED_MEMBER", "support@example.com", uid("mallory"))),
                             join(findings(report), "\n"));
        // The directory still grants it: the audit must show it.
        CPPUNIT_ASSERT_EQUAL(size_t(1), report.mailboxes.at("support@example.com").at("send-as").size());
    }

    // ldap.nested_depth counts the groups between the rights group and the
    // user, as LdapDirectory::find_rights walks: depth N grants through N
    // nested groups and not through N + 1.
    // AD (tokenGroups, in-chain) and a group filter with %D: the server
    // resolves every level, so ldap.nested_depth says nothing.
    void testServerResolvedNestingHasNoLimit() {
        Snapshot s;
        s.user("grace", {"grace@example.com"}).group("c1", {uid("grace")}).group("c2", {grp("c1")});
        s.group("c3", {grp("c2")}).mailbox("deep@example.com").rights("send-as", "deep@example.com", {grp("c3")});
        s.s.nesting_unbounded = true;
        const AuditReport report = run(s, 0);
        CPPUNIT_ASSERT_EQUAL(size_t(1), report.mailboxes.at("deep@example.com").at("send-as").size());
        CPPUNIT_ASSERT_EQUAL(std::string(), join(findings(report)));
        s.s.nesting_unbounded = false;  // the control: the same graph, limited
        CPPUNIT_ASSERT_EQUAL(finding("NESTED_TOO_DEEP", "deep@example.com", uid("grace")),
                             join(findings(run(s, 0), "NESTED_TOO_DEEP")));
    }

    // A deny ACE's trustee, at any depth, holds nothing through the allow.
    void testDeniedMember() {
        Snapshot s;
        s.user("alice", {"alice@example.com"}).user("carol", {"carol@example.com"}).user("dave", {"dave@example.com"});
        s.group("helpdesk", {uid("alice"), uid("carol")}).group("team", {grp("helpdesk"), uid("dave")});
        s.group("blocked", {uid("carol")}).mailbox("support@example.com");
        s.rights("send-as", "support@example.com", {grp("team")}, {grp("blocked")});
        const AuditReport report = run(s);
        const auto list = holders(report, "support@example.com", "send-as");
        CPPUNIT_ASSERT_EQUAL(size_t(2), list.size());
        CPPUNIT_ASSERT(contains(join(list, "\n"), "alice@example.com") && contains(join(list, "\n"), "dave@"));
        CPPUNIT_ASSERT(!contains(join(list, "\n"), "carol@example.com"));
        CPPUNIT_ASSERT_EQUAL(finding("DENIED_MEMBER", "support@example.com", uid("carol")), join(findings(report)));
    }

    // An empty group is a group, not a member of the wrong kind.
    void testEmptyGroupIsNoStrayMember() {
        Snapshot s;
        s.user("alice", {"alice@example.com"}).group("nobody-yet", {}).mailbox("support@example.com");
        s.rights("send-as", "support@example.com", {uid("alice"), grp("nobody-yet")});
        CPPUNIT_ASSERT_EQUAL(std::string(), join(findings(run(s))));
    }

    void testDepthLimitMatchesTheMilter() {
        for (unsigned depth : {0u, 1u, 5u, 10u}) {
            for (unsigned groups : {depth, depth + 1}) {
                Snapshot s;
                s.user("grace", {"grace@example.com"});
                std::string top = uid("grace");
                for (unsigned i = 1; i <= groups; ++i) {
                    s.group("chain" + std::to_string(i), {top});
                    top = grp("chain" + std::to_string(i));
                }
                s.mailbox("deep@example.com").rights("send-as", "deep@example.com", {top});
                const AuditReport report = run(s, depth);
                const std::string name = "depth " + std::to_string(depth) + ", " + std::to_string(groups) + " groups";
                const auto &list = report.mailboxes.at("deep@example.com").at("send-as");
                if (groups <= depth) {
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(name, size_t(1), list.size());
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(name, size_t(groups + 2), list.front().path.size());
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string(), join(findings(report)));
                } else {
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(name, size_t(0), list.size());
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(
                        name,
                        finding("EMPTY_GROUP", "deep@example.com", rights_dn("send-as", "deep@example.com")) + "\n" +
                            finding("NESTED_TOO_DEEP", "deep@example.com", uid("grace")),
                        join(findings(report), "\n"));
                    std::string detail;
                    for (const auto &f : report.findings)
                        if (f.code == "NESTED_TOO_DEEP") detail = f.detail;
                    CPPUNIT_ASSERT_MESSAGE(name + ": " + detail,
                                           contains(detail, "ldap.nested_depth is " + std::to_string(depth)));
                }
            }
        }
    }

    void testCycles() {
        {  // Two groups in a loop, reached from two places: one finding.
            Snapshot s;
            s.user("heidi", {"heidi@example.com"})
                .group("a", {grp("b"), uid("heidi")})
                .group("b", {grp("a")})
                .mailbox("loop@example.com")
                .rights("send-as", "loop@example.com", {grp("a"), grp("b")});
            const AuditReport report = run(s);
            CPPUNIT_ASSERT_EQUAL(size_t(1), findings(report, "GROUP_CYCLE").size());
            CPPUNIT_ASSERT_EQUAL(size_t(1), report.mailboxes.at("loop@example.com").at("send-as").size());
            const std::string detail = report.findings.front().detail;
            CPPUNIT_ASSERT_MESSAGE(detail, contains(detail, grp("a")) && contains(detail, grp("b")));
        }
        {  // A group that contains itself.
            Snapshot s;
            s.user("heidi", {"heidi@example.com"})
                .group("self", {grp("self"), uid("heidi")})
                .mailbox("loop@example.com")
                .rights("send-as", "loop@example.com", {grp("self")});
            const AuditReport report = run(s);
            CPPUNIT_ASSERT_EQUAL(finding("GROUP_CYCLE", "loop@example.com", grp("self")), join(findings(report)));
        }
        {  // A member pointing back at the rights group itself.
            Snapshot s;
            s.user("heidi", {"heidi@example.com"})
                .group("back", {rights_dn("send-as", "loop@example.com"), uid("heidi")})
                .mailbox("loop@example.com")
                .rights("send-as", "loop@example.com", {grp("back")});
            const AuditReport report = run(s);
            CPPUNIT_ASSERT_EQUAL(finding("GROUP_CYCLE", "loop@example.com", rights_dn("send-as", "loop@example.com")),
                                 join(findings(report)));
            CPPUNIT_ASSERT_EQUAL(size_t(1), report.mailboxes.at("loop@example.com").at("send-as").size());
        }
        {  // Diamond: two paths to one group is no cycle.
            Snapshot s;
            s.user("heidi", {"heidi@example.com"})
                .group("left", {grp("bottom")})
                .group("right", {grp("bottom")})
                .group("bottom", {uid("heidi")})
                .mailbox("d@example.com")
                .rights("send-as", "d@example.com", {grp("left"), grp("right")});
            const AuditReport report = run(s);
            CPPUNIT_ASSERT_EQUAL(std::string(), join(findings(report)));
            CPPUNIT_ASSERT_EQUAL(size_t(1), report.mailboxes.at("d@example.com").at("send-as").size());
        }
    }

    void testEmptyGroup() {
        Snapshot s;
        s.mailbox("a@example.com")
            .rights("send-as", "a@example.com", {})  // no member at all
            .mailbox("b@example.com")
            .rights("send-as", "b@example.com", {uid("gone")})  // only a dangling member
            .group("hollow", {uid("gone2")})
            .mailbox("c@example.com")
            .rights("send-on-behalf", "c@example.com", {grp("hollow")});
        const AuditReport report = run(s);
        CPPUNIT_ASSERT_EQUAL(
            std::string(finding("EMPTY_GROUP", "a@example.com", rights_dn("send-as", "a@example.com")) + "\n" +
                        finding("EMPTY_GROUP", "b@example.com", rights_dn("send-as", "b@example.com")) + "\n" +
                        finding("EMPTY_GROUP", "c@example.com", rights_dn("send-on-behalf", "c@example.com"))),
            join(findings(report, "EMPTY_GROUP"), "\n"));
    }

    void testMailboxWithoutEntry() {
        Snapshot s;
        s.user("alice", {"alice@example.com"})
            // Three rights groups, one finding.
            .rights("send-as", "orphan@example.com", {uid("alice")})
            .rights("send-on-behalf", "orphan@example.com", {uid("alice")})
            .rights("full-access", "orphan@example.com", {uid("alice")})
            // The mail attribute is matched without regard to case.
            .user("info", {"Info@Example.COM"})
            .rights("send-as", "info@example.com", {uid("alice")})
            // Any entry with the mail counts, user or not.
            .other("cn=list,ou=lists," + base, {"list@example.com"})
            .rights("send-as", "list@example.com", {uid("alice")});
        const AuditReport report = run(s);
        CPPUNIT_ASSERT_EQUAL(
            finding("MAILBOX_WITHOUT_ENTRY", "orphan@example.com", rights_dn("send-as", "orphan@example.com")),
            join(findings(report, "MAILBOX_WITHOUT_ENTRY")));
    }

    // The right a finding is about (the html report shows it on that row
    // only); none for what concerns the mailbox or several rights.
    void testFindingsNameTheirRight() {
        std::vector<std::string> rights;
        for (const auto &f : run(everything()).findings) rights.push_back(f.code + " " + f.mailbox + " " + f.right);
        std::sort(rights.begin(), rights.end());
        const std::vector<std::string> expected{
            "DANGLING_MEMBER ghost@example.com send-as",
            "DISABLED_MEMBER locked@example.com send-as",
            "EMPTY_GROUP deep@example.com send-as",
            "EMPTY_GROUP empty@example.com send-on-behalf",
            "FULL_ACCESS_WITHOUT_SEND support@example.com full-access",
            "GROUP_CYCLE loop@example.com ",
            "MAILBOX_WITHOUT_ENTRY orphan@example.com ",
            "NESTED_TOO_DEEP deep@example.com send-as",
            "NOT_A_USER devices@example.com send-as",
            "SEND_AS_AND_ON_BEHALF sales@example.com ",
        };
        CPPUNIT_ASSERT_EQUAL(join(expected, "\n"), join(rights, "\n"));
    }

    void testTextFormat() {
        Snapshot s;
        s.user("alice", {"alice@example.com"})
            .user("carol", {"carol@example.com"})
            .group("team", {uid("alice")})
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {grp("team")})
            .rights("full-access", "support@example.com", {uid("carol")});
        const std::string sa = rights_dn("send-as", "support@example.com"),
                          fa = rights_dn("full-access", "support@example.com");
        CPPUNIT_ASSERT_EQUAL(std::string("support@example.com\n"
                                         "  send-as: alice@example.com  (" +
                                         uid("alice") + " -> " + grp("team") + " -> " + sa +
                                         ")\n"
                                         "  full-access: carol@example.com  (" +
                                         uid("carol") + " -> " + fa +
                                         ")\n"
                                         "findings:\n"
                                         "  FULL_ACCESS_WITHOUT_SEND support@example.com " +
                                         uid("carol") + ": Full Access without Send As or Send on Behalf\n"),
                             sendas::format_report(run(s), ReportFormat::text));
    }

    void testTextNoFindings() {
        Snapshot s;
        s.user("alice", {"alice@example.com"})
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {uid("alice")});
        const std::string text = sendas::format_report(run(s), ReportFormat::text);
        CPPUNIT_ASSERT_EQUAL(
            std::string("support@example.com\n  send-as: alice@example.com  (" + uid("alice") + " -> " +
                        rights_dn("send-as", "support@example.com") + ")\nfindings:\n  none\n"),
            text);
    }

    void testCsvFormat() {
        Snapshot s;
        s.user("alice", {"alice@example.com"})
            .user("carol", {"carol@example.com"})
            .group("team", {uid("alice")})
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {grp("team")})
            .rights("full-access", "support@example.com", {uid("carol")});
        const std::string sa = rights_dn("send-as", "support@example.com"),
                          fa = rights_dn("full-access", "support@example.com");
        CPPUNIT_ASSERT_EQUAL(
            std::string("kind,mailbox,right,user,dn,path,code,detail\n"
                        "holder,support@example.com,send-as,alice@example.com,\"" +
                        uid("alice") + "\",\"" + uid("alice") + " -> " + grp("team") + " -> " + sa +
                        "\",,\n"
                        "holder,support@example.com,full-access,carol@example.com,\"" +
                        uid("carol") + "\",\"" + uid("carol") + " -> " + fa +
                        "\",,\n"
                        "finding,support@example.com,,,\"" +
                        uid("carol") + "\",,FULL_ACCESS_WITHOUT_SEND,Full Access without Send As or Send on Behalf\n"),
            sendas::format_report(run(s), ReportFormat::csv));
    }

    // Values with quotes, commas and line breaks survive a CSV reader; every
    // row has the header's 8 columns.
    void testCsvQuoting() {
        const std::string odd_dn = "uid=o\\\"dd\\, one,ou=people," + base;
        Snapshot s;
        s.user_dn(odd_dn, {"\"o,dd\"@example.com"})
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {odd_dn, "cn=line\nbreak,ou=x," + base});
        const AuditReport report = run(s);
        const std::string csv = sendas::format_report(report, ReportFormat::csv);
        const auto rows = parse_csv(csv);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(csv, size_t(3), rows.size());  // header, holder, the dangling member
        for (const auto &row : rows) CPPUNIT_ASSERT_EQUAL_MESSAGE(csv, size_t(8), row.size());
        CPPUNIT_ASSERT_EQUAL(std::string("kind mailbox right user dn path code detail"), join(rows[0]));
        CPPUNIT_ASSERT_EQUAL(std::string("holder"), rows[1][0]);
        CPPUNIT_ASSERT_EQUAL(std::string("\"o,dd\"@example.com"), rows[1][3]);
        CPPUNIT_ASSERT_EQUAL(odd_dn, rows[1][4]);
        CPPUNIT_ASSERT_EQUAL(odd_dn + " -> " + rights_dn("send-as", "support@example.com"), rows[1][5]);
        std::set<std::string> codes;
        for (size_t i = 2; i < rows.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(std::string("finding"), rows[i][0]);
            codes.insert(rows[i][6]);
            if (rows[i][6] == "DANGLING_MEMBER")
                CPPUNIT_ASSERT_EQUAL(std::string("cn=line\nbreak,ou=x," + base), rows[i][4]);
        }
        CPPUNIT_ASSERT_EQUAL(size_t(1), codes.count("DANGLING_MEMBER"));
    }

    void testJsonFormat() {
        Snapshot s;
        s.user("alice", {"alice@example.com"})
            .user("carol", {"carol@example.com"})
            .group("team", {uid("alice")})
            .mailbox("support@example.com")
            .rights("send-as", "support@example.com", {grp("team")})
            .rights("full-access", "support@example.com", {uid("carol")});
        const std::string sa = rights_dn("send-as", "support@example.com"),
                          fa = rights_dn("full-access", "support@example.com");
        CPPUNIT_ASSERT_EQUAL(
            std::string("{\"version\":1,\"mailboxes\":[{\"mailbox\":\"support@example.com\",\"rights\":{"
                        "\"send-as\":[{\"user\":\"alice@example.com\",\"dn\":\"" +
                        uid("alice") + "\",\"path\":[\"" + uid("alice") + "\",\"" + grp("team") + "\",\"" + sa +
                        "\"]}],"
                        "\"send-on-behalf\":[],"
                        "\"full-access\":[{\"user\":\"carol@example.com\",\"dn\":\"" +
                        uid("carol") + "\",\"path\":[\"" + uid("carol") + "\",\"" + fa +
                        "\"]}]}}],"
                        "\"findings\":[{\"code\":\"FULL_ACCESS_WITHOUT_SEND\",\"mailbox\":\"support@example.com\","
                        "\"dn\":\"" +
                        uid("carol") + "\",\"detail\":\"Full Access without Send As or Send on Behalf\"}]}\n"),
            sendas::format_report(run(s), ReportFormat::json));
    }

    // The whole everything() report parses, with the documented shape, and
    // strings with quotes, backslashes and control characters round-trip.
    void testJsonShapeAndEscaping() {
        Snapshot s = everything();
        const std::string odd_dn = "uid=q\\\"uote\\\\d,ou=people," + base;
        s.user_dn(odd_dn, {"\"q\\\"t\"@example.com"})
            .rights("send-as", "odd@example.com", {odd_dn, "cn=x\ty\x01,ou=x"});
        const AuditReport report = run(s);
        const std::string text = sendas::format_report(report, ReportFormat::json);
        Json doc;
        try {
            doc = parse_json(text);
        } catch (const std::exception &e) {
            CPPUNIT_FAIL(e.what());
        }
        CPPUNIT_ASSERT_EQUAL(std::string("version mailboxes findings"), join(doc.keys()));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), doc.get("version")->text);
        const Json &mailboxes = *doc.get("mailboxes");
        CPPUNIT_ASSERT_EQUAL(Json::array, mailboxes.type);
        CPPUNIT_ASSERT_EQUAL(report.mailboxes.size(), mailboxes.items.size());
        bool odd_seen = false;
        for (const auto &m : mailboxes.items) {
            CPPUNIT_ASSERT_EQUAL(std::string("mailbox rights"), join(m.keys()));
            CPPUNIT_ASSERT_EQUAL(std::string("send-as send-on-behalf full-access"), join(m.get("rights")->keys()));
            for (const auto &right : m.get("rights")->members) {
                CPPUNIT_ASSERT_EQUAL(Json::array, right.second.type);
                for (const auto &h : right.second.items) {
                    CPPUNIT_ASSERT_EQUAL(std::string("user dn path"), join(h.keys()));
                    CPPUNIT_ASSERT_EQUAL(h.get("dn")->text, h.get("path")->items.front().text);
                    if (h.get("dn")->text == odd_dn) {
                        odd_seen = true;
                        CPPUNIT_ASSERT_EQUAL(std::string("\"q\\\"t\"@example.com"), h.get("user")->text);
                    }
                }
            }
        }
        CPPUNIT_ASSERT_MESSAGE("the odd DN round-trips: " + text, odd_seen);
        const Json &found = *doc.get("findings");
        CPPUNIT_ASSERT_EQUAL(report.findings.size(), found.items.size());
        std::vector<std::string> codes;
        for (const auto &f : found.items) {
            CPPUNIT_ASSERT_EQUAL(std::string("code mailbox dn detail"), join(f.keys()));
            codes.push_back(f.get("code")->text + " " + f.get("mailbox")->text + " " + f.get("dn")->text);
        }
        std::sort(codes.begin(), codes.end());
        CPPUNIT_ASSERT_EQUAL(join(findings(report), "\n"), join(codes, "\n"));
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "cn=x\\u0009y\\u0001,ou=x"));
    }

    void testMailboxFilter() {
        const AuditReport report = run(everything());
        // Upper case asks for the same mailbox.
        for (const std::string wanted : {"sales@example.com", "SALES@Example.com"}) {
            const std::string text = sendas::format_report(report, ReportFormat::text, wanted);
            CPPUNIT_ASSERT_EQUAL(std::string("sales@example.com\n"
                                             "  send-as: frank@example.com  (" +
                                             uid("frank") + " -> " + rights_dn("send-as", "sales@example.com") +
                                             ")\n"
                                             "  send-on-behalf: frank@example.com  (" +
                                             uid("frank") + " -> " + rights_dn("send-on-behalf", "sales@example.com") +
                                             ")\n"
                                             "findings:\n"
                                             "  SEND_AS_AND_ON_BEHALF sales@example.com " +
                                             uid("frank") + ": holds both; Send As wins\n"),
                                 text);
        }
        {
            const auto rows = parse_csv(sendas::format_report(report, ReportFormat::csv, "support@example.com"));
            std::set<std::string> seen;
            for (size_t i = 1; i < rows.size(); ++i) {
                CPPUNIT_ASSERT_EQUAL(std::string("support@example.com"), rows[i][1]);
                seen.insert(rows[i][0] + ":" + rows[i][2] + rows[i][6]);
            }
            CPPUNIT_ASSERT_EQUAL(std::string("finding:FULL_ACCESS_WITHOUT_SEND holder:full-access holder:send-as"),
                                 join(std::vector<std::string>(seen.begin(), seen.end())));
        }
        {
            const Json doc = parse_json(sendas::format_report(report, ReportFormat::json, "orphan@example.com"));
            CPPUNIT_ASSERT_EQUAL(size_t(1), doc.get("mailboxes")->items.size());
            CPPUNIT_ASSERT_EQUAL(std::string("orphan@example.com"),
                                 doc.get("mailboxes")->items.front().get("mailbox")->text);
            CPPUNIT_ASSERT_EQUAL(size_t(1), doc.get("findings")->items.size());
            CPPUNIT_ASSERT_EQUAL(std::string("MAILBOX_WITHOUT_ENTRY"),
                                 doc.get("findings")->items.front().get("code")->text);
        }
        // A mailbox nobody has rights on: nothing, in the format's empty shape.
        CPPUNIT_ASSERT_EQUAL(std::string("findings:\n  none\n"),
                             sendas::format_report(report, ReportFormat::text, "nobody@example.com"));
        CPPUNIT_ASSERT_EQUAL(std::string("kind,mailbox,right,user,dn,path,code,detail\n"),
                             sendas::format_report(report, ReportFormat::csv, "nobody@example.com"));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"version\":1,\"mailboxes\":[],\"findings\":[]}\n"),
                             sendas::format_report(report, ReportFormat::json, "nobody@example.com"));
    }

    // What `audit --mailbox X` says about X must not depend on the other
    // mailboxes in the directory: a cycle or a group shared with another
    // mailbox is still X's finding.
    void testMailboxFilterMatchesAuditOfThatMailboxAlone() {
        Snapshot s;
        s.user("heidi", {"heidi@example.com"})
            .group("a", {grp("b"), uid("heidi")})
            .group("b", {grp("a")})
            .mailbox("loop1@example.com")
            .rights("send-as", "loop1@example.com", {grp("a")})
            .mailbox("loop2@example.com")
            .rights("send-as", "loop2@example.com", {grp("a")});
        const AuditReport all = run(s);
        for (const std::string mailbox : {"loop1@example.com", "loop2@example.com"}) {
            Snapshot alone = s;
            alone.s.groups.erase(
                std::remove_if(alone.s.groups.begin(), alone.s.groups.end(),
                               [&](const DirectorySnapshot::RightsGroup &g) { return g.mailbox != mailbox; }),
                alone.s.groups.end());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(mailbox, sendas::format_report(run(alone), ReportFormat::text, mailbox),
                                         sendas::format_report(all, ReportFormat::text, mailbox));
        }
    }

    void testEmptyDirectory() {
        const AuditReport report = run(Snapshot{});
        CPPUNIT_ASSERT_EQUAL(std::string("findings:\n  none\n"), sendas::format_report(report, ReportFormat::text));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"version\":1,\"mailboxes\":[],\"findings\":[]}\n"),
                             sendas::format_report(report, ReportFormat::json));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RightsAuditTest);
