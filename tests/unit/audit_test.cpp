// Unit tests for the operating features of issue 5 that need no server:
//   - rights_audit.cpp: the permissions audit over a DirectorySnapshot built
//     by hand (holders and group paths, every finding code, the nesting
//     limit, cycles) and its text / csv / json output with --mailbox;
//   - policy.cpp: report mode (global, per domain, per LDAP mailbox list)
//     and over_send_limit();
//   - audit.cpp: the JSON audit line;
//   - send_limit.cpp: parse_send_limit() and SendLimiter counting locally
//     (no Redis, or Redis down) with an injected clock.
#include "ops/decision_log.h"

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
#include "cache/redis_tier.h"
#include "directory/ldap_directory.h"
#include "ops/rights_audit.h"
#include "ops/send_limit.h"
#include "policy/policy.h"

using sendas::AuditReport;
using sendas::Config;
using sendas::Decision;
using sendas::DirectoryAnswers;
using sendas::DirectorySnapshot;
using sendas::LookupStatus;
using sendas::MailboxRights;
using sendas::MessageFacts;
using sendas::ReportFormat;
using sendas::Verdict;

namespace {

std::string join(const std::vector<std::string> &items, const std::string &separator = " ") {
    std::string out;
    for (const auto &item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

// --- A small JSON reader, to check that output is JSON and has its shape ---

struct Json {
    enum Type { null, boolean, number, string, array, object } type = null;
    std::string text;  // string value, or the number / literal as written
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> members;  // in document order

    const Json *get(const std::string &key) const {
        for (const auto &m : members)
            if (m.first == key) return &m.second;
        return nullptr;
    }
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        for (const auto &m : members) out.push_back(m.first);
        return out;
    }
    std::vector<std::string> strings() const {  // an array of strings
        std::vector<std::string> out;
        for (const auto &i : items) out.push_back(i.text);
        return out;
    }
};

// Strict RFC 8259: throws std::runtime_error naming the offset on anything else.
class JsonReader {
public:
    explicit JsonReader(const std::string &text) : s_(text) {}

    Json document() {
        Json v = value();
        space();
        if (at_ < s_.size()) error("trailing data");
        return v;
    }

private:
    [[noreturn]] void error(const std::string &what) const {
        throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(at_) + " in: " + s_);
    }
    void space() {
        while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r')) ++at_;
    }
    bool take(char c) {
        space();
        if (at_ < s_.size() && s_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!take(c)) error(std::string("expected '") + c + "'");
    }
    Json value() {
        space();
        if (at_ >= s_.size()) error("unexpected end");
        Json v;
        const char c = s_[at_];
        if (c == '{') {
            v.type = Json::object;
            ++at_;
            if (take('}')) return v;
            do {
                space();
                std::string key = string_body();
                expect(':');
                for (const auto &m : v.members)
                    if (m.first == key) error("duplicate key " + key);
                v.members.emplace_back(key, value());
            } while (take(','));
            expect('}');
        } else if (c == '[') {
            v.type = Json::array;
            ++at_;
            if (take(']')) return v;
            do v.items.push_back(value());
            while (take(','));
            expect(']');
        } else if (c == '"') {
            v.type = Json::string;
            v.text = string_body();
        } else if (s_.compare(at_, 4, "true") == 0 || s_.compare(at_, 5, "false") == 0) {
            v.type = Json::boolean;
            v.text = c == 't' ? "true" : "false";
            at_ += v.text.size();
        } else if (s_.compare(at_, 4, "null") == 0) {
            at_ += 4;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.type = Json::number;
            size_t start = at_;
            while (at_ < s_.size() && std::string("+-0123456789.eE").find(s_[at_]) != std::string::npos) ++at_;
            v.text = s_.substr(start, at_ - start);
        } else {
            error("unexpected character");
        }
        return v;
    }
    std::string string_body() {
        if (at_ >= s_.size() || s_[at_] != '"') error("expected a string");
        ++at_;
        std::string out;
        while (true) {
            if (at_ >= s_.size()) error("unterminated string");
            unsigned char c = static_cast<unsigned char>(s_[at_++]);
            if (c == '"') return out;
            if (c < 0x20) error("raw control character in a string");
            if (c != '\\') {
                out += static_cast<char>(c);
                continue;
            }
            if (at_ >= s_.size()) error("unterminated escape");
            switch (s_[at_++]) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                if (at_ + 4 > s_.size()) error("short \\u escape");
                unsigned code = std::stoul(s_.substr(at_, 4), nullptr, 16);
                at_ += 4;
                if (code >= 0x80) error("test reader only decodes \\u00XX..\\u007F");
                out += static_cast<char>(code);
                break;
            }
            default: error("bad escape");
            }
        }
    }

    const std::string &s_;
    size_t at_ = 0;
};

Json parse_json(const std::string &text) { return JsonReader(text).document(); }

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
        s.entries[sendas::normalize_dn(dn)] = {dn, std::move(mails), {}};
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
        s.entries[sendas::normalize_dn(dn)] = {dn, std::move(mails), {}};
        return *this;
    }
    Snapshot &group(const std::string &name, std::vector<std::string> members) {
        s.entries[sendas::normalize_dn(grp(name))] = {grp(name), {}, std::move(members)};
        return *this;
    }
    Snapshot &rights(const std::string &right, const std::string &mailbox, std::vector<std::string> members) {
        const std::string dn = rights_dn(right, mailbox);
        s.entries[sendas::normalize_dn(dn)] = {dn, {}, members};
        s.groups.push_back({right, mailbox, dn, std::move(members)});
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
    CPPUNIT_TEST(testCycles);
    CPPUNIT_TEST(testEmptyGroup);
    CPPUNIT_TEST(testMailboxWithoutEntry);
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

// --- Report mode, send limits and JSON audit lines at the policy level -----

namespace {

std::shared_ptr<const Config> config_of(const std::string &extra) {
    return sendas::load_config_text("local_domains = example.com example.org\n" + extra, "test");
}

MailboxRights rights_of(bool send_as, bool behalf, bool full, MailboxRights::Mode mode = MailboxRights::Mode::unset) {
    MailboxRights r;
    r.send_as = send_as;
    r.send_on_behalf = behalf;
    r.full_access = full;
    r.mode = mode;
    return r;
}

struct Message {
    std::string login;
    std::string envelope;
    std::string from;
    std::string sender;  // empty: no Sender: header
};

// alice: Send As support@ and info@example.org; bob: Send on Behalf
// support@; eve: nothing. `modes` sets an LDAP mailbox list per address.
DirectoryAnswers answers_for(const MessageFacts &facts, const Config &config,
                             const std::map<std::string, MailboxRights::Mode> &modes = {},
                             bool rights_unavailable = false) {
    DirectoryAnswers answers;
    answers.user_status = LookupStatus::found;
    answers.user.dn = "uid=" + facts.auth_user + ",ou=people,dc=example,dc=com";
    answers.user.display_name = facts.auth_user == "bob" ? "Bob Builder" : facts.auth_user;
    answers.user.addresses = {facts.auth_user + "@example.com"};
    for (const auto &question : sendas::needed_rights(facts, sendas::parse_claims(facts), answers, config)) {
        const std::string &address = question.address;
        MailboxRights r;
        if (facts.auth_user == "alice" && (address == "support@example.com" || address == "info@example.org"))
            r = rights_of(true, false, false);
        if (facts.auth_user == "bob" && address == "support@example.com") r = rights_of(false, true, false);
        auto mode = modes.find(address);
        if (mode != modes.end()) r.mode = mode->second;
        answers.rights[address] = {rights_unavailable ? LookupStatus::unavailable : LookupStatus::found, r};
    }
    return answers;
}

MessageFacts facts_of(const Message &m) {
    MessageFacts facts;
    facts.queue_id = "4Q1";
    facts.auth_user = m.login;
    facts.envelope_from = m.envelope;
    if (!m.from.empty()) facts.from_values = {m.from};
    if (!m.sender.empty()) facts.sender_values = {m.sender};
    return facts;
}

Decision decide(const Message &m, const Config &config, const std::map<std::string, MailboxRights::Mode> &modes = {},
                bool rights_unavailable = false) {
    const MessageFacts facts = facts_of(m);
    return sendas::decide(facts, answers_for(facts, config, modes, rights_unavailable), config);
}

bool changes_anything(const Decision &d) {
    return d.remove_sender || d.set_sender || d.envelope_from || !d.sent_copies.empty();
}

const char *verdict(Verdict v) {
    switch (v) {
    case Verdict::accept: return "accept";
    case Verdict::reject: return "reject";
    case Verdict::tempfail: return "tempfail";
    }
    return "?";
}

const Message eve_as_support{"eve", "<eve@example.com>", "support@example.com", ""};
const Message eve_as_info{"eve", "<eve@example.com>", "info@example.org", ""};
const Message alice_as_support{"alice", "<alice@example.com>", "Support <support@example.com>", "alice@example.com"};
const Message bob_as_support{"bob", "<bob@example.com>", "support@example.com", ""};

}  // namespace

class ReportModeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportModeTest);
    CPPUNIT_TEST(testEnforceIsTheDefault);
    CPPUNIT_TEST(testReportModeNeverRefuses);
    CPPUNIT_TEST(testReportModeChangesNothing);
    CPPUNIT_TEST(testReportModeDirectoryDown);
    CPPUNIT_TEST(testReportModeUnauthenticated);
    CPPUNIT_TEST(testDomainLists);
    CPPUNIT_TEST(testLdapListWinsOverDomainLists);
    CPPUNIT_TEST(testOneEnforcedAddressEnforcesTheMessage);
    CPPUNIT_TEST(testOwnAddressesDoNotDecideTheMode);
    CPPUNIT_TEST(testOverSendLimit);
    CPPUNIT_TEST(testJsonAuditLineAccept);
    CPPUNIT_TEST(testJsonAuditLineFields);
    CPPUNIT_TEST(testJsonAuditLineEscaping);
    CPPUNIT_TEST(testTextAndJsonAgree);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEnforceIsTheDefault() {
        auto config = config_of("");
        CPPUNIT_ASSERT(config->mode == sendas::Mode::enforce);
        const Decision d = decide(eve_as_support, *config);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), std::string(verdict(d.verdict)));
        CPPUNIT_ASSERT(!d.report);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), sendas::action_name(d));
        const std::string line = sendas::audit_line(facts_of(eve_as_support), d);
        CPPUNIT_ASSERT_MESSAGE(line, !contains(line, "mode="));
    }

    void testReportModeNeverRefuses() {
        auto config = config_of("mode = report\n");
        const Decision d = decide(eve_as_support, *config);
        CPPUNIT_ASSERT_EQUAL(std::string("accept"), std::string(verdict(d.verdict)));
        CPPUNIT_ASSERT(d.report);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), std::string(verdict(d.enforced)));
        CPPUNIT_ASSERT_EQUAL(std::string("no_right"), std::string(sendas::reason_name(d.reason)));
        CPPUNIT_ASSERT_EQUAL(std::string("would-reject"), sendas::action_name(d));
        CPPUNIT_ASSERT(!changes_anything(d));
        CPPUNIT_ASSERT_EQUAL(std::string("4Q1: user=<eve> from=<support@example.com> envelope=<eve@example.com> "
                                         "right=none action=would-reject reason=no_right mode=report"),
                             sendas::audit_line(facts_of(eve_as_support), d));
    }

    // Send As and Send on Behalf are accepted, but without Sender: rewrite,
    // envelope change or Sent copy.
    void testReportModeChangesNothing() {
        const std::string everything = "mode = report\n[rewrite]\nsend_as_envelope = mailbox\n";
        auto enforce = config_of("[rewrite]\nsend_as_envelope = mailbox\n");
        auto report = config_of(everything);
        // Enforce mode changes things for both: the test would see it.
        CPPUNIT_ASSERT(changes_anything(decide(alice_as_support, *enforce)));
        CPPUNIT_ASSERT(changes_anything(decide(bob_as_support, *enforce)));
        for (const Message &m : {alice_as_support, bob_as_support}) {
            const Decision d = decide(m, *report);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(m.login, std::string("accept"), std::string(verdict(d.verdict)));
            CPPUNIT_ASSERT_MESSAGE(m.login, d.report);
            CPPUNIT_ASSERT_MESSAGE(m.login, !changes_anything(d));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(m.login, std::string("accept"), sendas::action_name(d));
            const std::string line = sendas::audit_line(facts_of(m), d);
            CPPUNIT_ASSERT_MESSAGE(line, contains(line, " action=accept mode=report"));
            CPPUNIT_ASSERT_MESSAGE(
                line, !contains(line, "sent_copy") && !contains(line, "sender_") && !contains(line, "envelope_set"));
        }
        // Sender: alice@ is removed under Send As when enforced, so it is not a claim.
        CPPUNIT_ASSERT_EQUAL(std::string("4Q1: user=<alice> from=<support@example.com> "
                                         "envelope=<alice@example.com> right=send-as action=accept mode=report"),
                             sendas::audit_line(facts_of(alice_as_support), decide(alice_as_support, *report)));
    }

    void testReportModeDirectoryDown() {
        auto config = config_of("mode = report\n");
        const Decision d = decide(alice_as_support, *config, {}, true);
        CPPUNIT_ASSERT_EQUAL(std::string("accept"), std::string(verdict(d.verdict)));
        CPPUNIT_ASSERT_EQUAL(std::string("would-tempfail"), sendas::action_name(d));
        const std::string line = sendas::audit_line(facts_of(alice_as_support), d);
        CPPUNIT_ASSERT_MESSAGE(line, contains(line, " action=would-tempfail reason=directory_unavailable mode=report"));
        // Enforced, the same is a tempfail.
        CPPUNIT_ASSERT_EQUAL(std::string("tempfail"),
                             std::string(verdict(decide(alice_as_support, *config_of(""), {}, true).verdict)));
    }

    void testReportModeUnauthenticated() {
        auto config = config_of("mode = report\nunauthenticated_local_from = reject\n");
        const Message spoof{"", "<x@other.example>", "support@example.com", ""};
        const Decision d = decide(spoof, *config);
        CPPUNIT_ASSERT_EQUAL(std::string("accept"), std::string(verdict(d.verdict)));
        CPPUNIT_ASSERT_EQUAL(std::string("would-reject"), sendas::action_name(d));
        // Untouched unauthenticated mail is not "reported" at all.
        const Decision pass = decide(spoof, *config_of("mode = report\n"));
        CPPUNIT_ASSERT(!pass.acted);
        CPPUNIT_ASSERT(!pass.report);
    }

    void testDomainLists() {
        struct DomainCase {
            const char *name;
            std::string config;
            Message message;
            const char *action;  // action_name
        };
        const DomainCase cases[] = {
            {"enforce, domain in report_domains", "report_domains = example.org\n", eve_as_info, "would-reject"},
            {"enforce, other domain", "report_domains = example.org\n", eve_as_support, "reject"},
            {"report_domains case-insensitive", "report_domains = EXAMPLE.org\n", eve_as_info, "would-reject"},
            {"report, domain in enforce_domains", "mode = report\nenforce_domains = example.com\n", eve_as_support,
             "reject"},
            {"report, other domain", "mode = report\nenforce_domains = example.com\n", eve_as_info, "would-reject"},
            // The lists only move a domain away from the global mode.
            {"enforce_domains under enforce", "enforce_domains = example.org\n", eve_as_info, "reject"},
            {"report_domains under report", "mode = report\nreport_domains = example.com\n", eve_as_support,
             "would-reject"},
        };
        for (const auto &c : cases) {
            // Null envelope: only the From: decides (see testOwnAddressesDoNotDecideTheMode).
            Message m = c.message;
            m.envelope = "<>";
            const Decision d = decide(m, *config_of(c.config));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, std::string(c.action), sendas::action_name(d));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, std::string(contains(c.action, "would") ? "accept" : "reject"),
                                         std::string(verdict(d.verdict)));
        }
    }

    void testLdapListWinsOverDomainLists() {
        using M = MailboxRights::Mode;
        struct ListCase {
            const char *name;
            std::string config;
            M list;
            const char *action;
        };
        const ListCase cases[] = {
            {"enforce list beats report mode", "mode = report\n", M::enforce, "reject"},
            {"enforce list beats report_domains", "report_domains = example.com\n", M::enforce, "reject"},
            {"report list beats enforce mode", "", M::report, "would-reject"},
            {"report list beats enforce_domains", "mode = report\nenforce_domains = example.com\n", M::report,
             "would-reject"},
            {"no list: the domain decides", "report_domains = example.com\n", M::unset, "would-reject"},
        };
        for (const auto &c : cases) {
            Message m = eve_as_support;
            m.envelope = "<>";
            const Decision d = decide(m, *config_of(c.config), {{"support@example.com", c.list}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, std::string(c.action), sendas::action_name(d));
        }
    }

    void testOneEnforcedAddressEnforcesTheMessage() {
        // From: in a report domain, envelope in an enforced one.
        auto config = config_of("report_domains = example.com\n");
        const Message mixed{"eve", "<info@example.org>", "support@example.com", ""};
        Decision d = decide(mixed, *config);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), sendas::action_name(d));
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), std::string(verdict(d.verdict)));
        // A Send As message whose every address is in report: no changes.
        auto report = config_of("report_domains = example.com example.org\n");
        const Message two{"alice", "<alice@example.com>", "support@example.com, info@example.org", "alice@example.com"};
        d = decide(two, *report);
        CPPUNIT_ASSERT(d.report);
        CPPUNIT_ASSERT(!changes_anything(d));
        // One of them listed enforce in LDAP: the changes are made.
        d = decide(two, *report, {{"info@example.org", MailboxRights::Mode::enforce}});
        CPPUNIT_ASSERT(!d.report);
        CPPUNIT_ASSERT_EQUAL(size_t(2), d.sent_copies.size());
    }

    // Putting one shared mailbox in report mode (LDAP report list, or its
    // domain in report_domains) must work for ordinary messages, whose
    // envelope sender is the user's own address in an enforced domain: the
    // user's own addresses are no claim on anybody's mailbox, so they must
    // not pull the message back into enforce mode.
    void testOwnAddressesDoNotDecideTheMode() {
        auto config = config_of("");
        const std::map<std::string, MailboxRights::Mode> listed{{"support@example.com", MailboxRights::Mode::report}};
        const Decision eve = decide(eve_as_support, *config, listed);  // envelope <eve@example.com>
        CPPUNIT_ASSERT_EQUAL_MESSAGE(sendas::audit_line(facts_of(eve_as_support), eve), std::string("would-reject"),
                                     sendas::action_name(eve));
        const Decision alice = decide(alice_as_support, *config, listed);  // envelope <alice@example.com>
        CPPUNIT_ASSERT_MESSAGE(sendas::audit_line(facts_of(alice_as_support), alice), alice.report);
        CPPUNIT_ASSERT(!changes_anything(alice));
        // Same through the domain list: example.org in report, users in example.com.
        const Decision info = decide(eve_as_info, *config_of("report_domains = example.org\n"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(sendas::audit_line(facts_of(eve_as_info), info), std::string("would-reject"),
                                     sendas::action_name(info));
    }

    void testOverSendLimit() {
        auto config = config_of("[rewrite]\nsend_as_envelope = mailbox\n");
        const Decision accepted = decide(alice_as_support, *config);
        CPPUNIT_ASSERT(changes_anything(accepted));
        const Decision d = sendas::over_send_limit(accepted, "alice", "support@example.com");
        CPPUNIT_ASSERT_EQUAL(std::string("tempfail"), std::string(verdict(d.verdict)));
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1 <alice> has sent too many messages as <support@example.com>, "
                                         "try again later"),
                             d.smtp_code + " " + d.enhanced_code + " " + d.reply_text);
        CPPUNIT_ASSERT_EQUAL(std::string("send_limit"), std::string(sendas::reason_name(d.reason)));
        CPPUNIT_ASSERT(!changes_anything(d));
        CPPUNIT_ASSERT_EQUAL(accepted.checked.size(), d.checked.size());
        CPPUNIT_ASSERT_EQUAL(std::string("send-as"), std::string(sendas::right_name(d.right)));
        CPPUNIT_ASSERT_EQUAL(
            std::string("4Q1: user=<alice> from=<support@example.com> "
                        "envelope=<alice@example.com> right=send-as action=tempfail reason=send_limit"),
            sendas::audit_line(facts_of(alice_as_support), d));
    }

    void testJsonAuditLineAccept() {
        auto config = config_of("");
        const Message m{"alice", "<>", "Support <support@example.com>", ""};
        CPPUNIT_ASSERT_EQUAL(std::string("{\"queue_id\":\"4Q1\",\"user\":\"alice\",\"from\":[\"support@example.com\"],"
                                         "\"right\":\"send-as\",\"action\":\"accept\","
                                         "\"sent_copy\":[\"support+Sent@example.com\"]}"),
                             sendas::audit_line(facts_of(m), decide(m, *config), false, sendas::AuditFormat::json));
    }

    // Each documented field, present when it applies, with its JSON type.
    void testJsonAuditLineFields() {
        struct JsonCase {
            const char *name;
            std::string config;
            Message message;
            bool stale;
            std::string keys;                           // in order
            std::map<std::string, std::string> values;  // strings, or arrays joined with ' '
        };
        const JsonCase cases[] = {
            {"send as, Sender: removed, envelope set",
             "[rewrite]\nsend_as_envelope = mailbox\n",
             alice_as_support,
             false,
             "queue_id user from envelope right action sender_removed envelope_set sent_copy",
             {{"from", "support@example.com"},
              {"envelope", "alice@example.com"},
              {"sender_removed", "yes"},
              {"envelope_set", "support@example.com"},
              {"sent_copy", "support+Sent@example.com"}}},
            {"send on behalf",
             "",
             bob_as_support,
             false,
             "queue_id user from envelope right action sender_set sent_copy",
             {{"right", "send-on-behalf"}, {"sender_set", "yes"}}},
            {"Sender: kept under Send As is checked",
             "[rewrite]\nsend_as_remove_sender = no\n",
             alice_as_support,
             true,
             "queue_id user from sender envelope right action stale sent_copy",
             {{"sender", "alice@example.com"}, {"stale", "yes"}}},
            {"would-reject in report mode",
             "mode = report\n",
             eve_as_support,
             false,
             "queue_id user from envelope right action reason mode",
             {{"action", "would-reject"}, {"reason", "no_right"}, {"mode", "report"}, {"right", "none"}}},
            {"no queue id",
             "",
             {"alice", "<alice@example.com>", "alice@example.com", ""},
             false,
             "queue_id user from envelope right action",
             {{"queue_id", "NOQUEUE"}, {"right", "own"}}},
        };
        for (const auto &c : cases) {
            const std::string name = c.name;
            MessageFacts facts = facts_of(c.message);
            if (name == "no queue id") facts.queue_id.clear();
            auto config = config_of(c.config);
            const Decision d = sendas::decide(facts, answers_for(facts, *config), *config);
            const std::string line = sendas::audit_line(facts, d, c.stale, sendas::AuditFormat::json);
            Json doc;
            try {
                doc = parse_json(line);
            } catch (const std::exception &e) {
                CPPUNIT_FAIL(name + ": " + e.what());
            }
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": " + line, c.keys, join(doc.keys()));
            for (const char *list : {"from", "sender", "envelope", "sent_copy"})
                if (doc.get(list)) CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": " + list, Json::array, doc.get(list)->type);
            for (const auto &m : doc.members)
                if (m.second.type != Json::array)
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": " + m.first, Json::string, m.second.type);
            for (const auto &[key, want] : c.values) {
                const Json *v = doc.get(key);
                CPPUNIT_ASSERT_MESSAGE(name + ": " + key + " missing in " + line, v);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": " + key, want,
                                             v->type == Json::array ? join(v->strings()) : v->text);
            }
        }
    }

    // JSON needs no '?' substitutes: the client's values are escaped and
    // come back exactly; nothing can add a key.
    void testJsonAuditLineEscaping() {
        auto config = config_of("foreign_from = accept\n");
        MessageFacts facts;
        facts.queue_id = "Q1\",\"action\":\"accept";
        facts.auth_user = "eve\",\"action\":\"accept\"}\n{\"x\\";
        facts.envelope_from = "<>";
        facts.from_values = {"\"x\\\"y\"@example.com"};
        const Decision d = sendas::decide(facts, answers_for(facts, *config), *config);
        const std::string line = sendas::audit_line(facts, d, false, sendas::AuditFormat::json);
        CPPUNIT_ASSERT_MESSAGE(line, line.find('\n') == std::string::npos);
        Json doc;
        try {
            doc = parse_json(line);
        } catch (const std::exception &e) {
            CPPUNIT_FAIL(e.what());
        }
        CPPUNIT_ASSERT_EQUAL(std::string("queue_id user from right action reason"), join(doc.keys()));
        CPPUNIT_ASSERT_EQUAL(facts.auth_user, doc.get("user")->text);
        CPPUNIT_ASSERT_EQUAL(facts.queue_id, doc.get("queue_id")->text);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), doc.get("action")->text);
    }

    // The JSON object carries the same keys, in the same order, as the text line.
    void testTextAndJsonAgree() {
        auto config = config_of("[rewrite]\nsend_as_envelope = mailbox\n");
        for (const Message &m : {alice_as_support, bob_as_support, eve_as_support}) {
            const MessageFacts facts = facts_of(m);
            const Decision d = sendas::decide(facts, answers_for(facts, *config), *config);
            const std::string text = sendas::audit_line(facts, d, true);
            std::vector<std::string> text_keys{"queue_id"};
            for (size_t at = text.find(' '); at != std::string::npos; at = text.find(' ', at + 1))
                text_keys.push_back(text.substr(at + 1, text.find('=', at) - at - 1));
            const Json doc = parse_json(sendas::audit_line(facts, d, true, sendas::AuditFormat::json));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, join(text_keys), join(doc.keys()));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportModeTest);

// --- Send limits -------------------------------------------------------------

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
