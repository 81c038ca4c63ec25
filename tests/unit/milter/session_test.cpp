// Unit tests for milter_session.cpp: the per-message flow from headers to
// MTA actions, with an in-test directory and a recording MtaActions.
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/config.h"
#include "directory/directory.h"
#include "grants.h"
#include "milter/mta_actions.h"
#include "milter/runtime.h"
#include "milter/session.h"

using namespace std::string_literals;
using sendas::LookupStatus;
using sendas::MailboxRights;
using sendas::MilterSession;
using sendas::Runtime;
using sendas::UserInfo;
using sendas::Verdict;
using sendas::verdict_name;

using sendas_test::grant;

namespace {

std::string lines(const std::vector<std::string> &items) {
    std::string out;
    for (const auto &item : items) out += item + "\n";
    return out;
}

// The directory as a table; counts what it was asked.
class FakeDirectory : public sendas::Directory {
public:
    FakeDirectory() {
        users["alice"] = {LookupStatus::found, {"uid=alice,dc=example,dc=com", "Alice Adams", {"alice@example.com"}}};
        users["bob"] = {LookupStatus::found, {"uid=bob,dc=example,dc=com", "Bob Builder", {"bob@example.com"}}};
        users["carol"] = {LookupStatus::found, {"uid=carol,dc=example,dc=com", "Carol", {"carol@example.com"}}};
        users["eve"] = {LookupStatus::found, {"uid=eve,dc=example,dc=com", "Eve", {"eve@example.com"}}};
        users["down"] = {LookupStatus::unavailable, {}};
        rights["alice support@example.com"] = {LookupStatus::found, grant(true, false, false)};
        rights["alice info@example.org"] = {LookupStatus::found, grant(true, false, false)};
        rights["alice ceo@example.com"] = {LookupStatus::found, grant(false, false, false)};
        rights["alice shared@example.com"] = {LookupStatus::unavailable, {}};
        rights["bob ceo@example.com"] = {LookupStatus::found, grant(false, true, false)};
        rights["bob support@example.com"] = {LookupStatus::found, grant(true, false, false)};
        rights["carol support@example.com"] = {LookupStatus::found, grant(false, false, true)};
    }

    sendas::Answer<UserInfo> find_user(const std::string &login, sendas::LookupContext &) override {
        ++user_calls;
        auto it = users.find(login);
        if (it == users.end()) return {LookupStatus::not_found, {}};
        return it->second;
    }

    sendas::Answer<MailboxRights> find_rights(const std::string &login, const UserInfo &, const std::string &mailbox,
                                              sendas::LookupContext &) override {
        rights_asked.push_back(mailbox);
        auto it = rights.find(login + " " + mailbox);
        if (it == rights.end()) return {LookupStatus::not_found, {}};
        return it->second;
    }

    std::string probe() override { return ""; }
    std::map<std::string, unsigned long long> stats() const override {
        return {{"ldap_searches", user_calls + rights_asked.size()}};
    }

    std::map<std::string, sendas::Answer<UserInfo>> users;
    std::map<std::string, sendas::Answer<MailboxRights>> rights;  // "login mailbox"
    int user_calls = 0;
    std::vector<std::string> rights_asked;
};

// Records every call as "name(arg|arg|...)"; the call named in `fail` returns false.
class RecordingMta : public sendas::MtaActions {
public:
    bool set_reply(const std::string &code, const std::string &enhanced, const std::string &text) override {
        return record("set_reply", code + "|" + enhanced + "|" + text);
    }
    bool add_header(const std::string &name, const std::string &value) override {
        return record("add_header", name + "|" + value);
    }
    bool change_header(const std::string &name, int index, const std::string &value) override {
        return record("change_header", name + "|" + std::to_string(index) + "|" + value);
    }
    bool change_from(const std::string &address) override { return record("change_from", address); }
    bool add_recipient(const std::string &address, const std::string &esmtp_args) override {
        return record("add_recipient", address + "|" + esmtp_args);
    }

    std::vector<std::string> calls;
    std::string fail;

private:
    bool record(const std::string &name, const std::string &args) {
        calls.push_back(name + "(" + args + ")");
        return name != fail;
    }
};

std::shared_ptr<const Runtime> make_runtime(const std::string &extra, std::shared_ptr<FakeDirectory> directory) {
    auto rt = std::make_shared<Runtime>();
    rt->config = sendas::load_config_text("local_domains = example.com example.org\n" + extra, "test");
    rt->directory = std::move(directory);
    return rt;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

Verdict send(MilterSession &session, RecordingMta &mta, const std::string &login, const std::string &envelope,
             const Headers &headers) {
    session.begin_message(envelope, login, "");
    for (const auto &[name, value] : headers) session.add_header(name, value);
    return session.end_message(mta, "4Q1");
}

const std::string bob_sender = "\"Bob Builder\" <bob@example.com>";
const std::string not_now = "451|4.7.1|sender rights cannot be verified now, try again later";
const std::string mta_failed = "set_reply(451|4.3.0|temporary failure applying sender policy)";

struct SessionCase {
    const char *name;
    std::string config;
    std::string fail;  // MtaActions call that fails
    std::string login;
    std::string envelope;
    Headers headers;
    Verdict verdict;
    std::vector<std::string> calls;
};

// clang-format off
const SessionCase session_cases[] = {
    {"own From: nothing to do", "", "", "alice", "<alice@example.com>", {{"From", "alice@example.com"}},
     Verdict::accept, {}},
    {"send-as with Sender", "", "", "alice", "<alice@example.com>",
     {{"From", "Support <support@example.com>"}, {"Sender", "alice@example.com"}}, Verdict::accept,
     {"change_header(Sender|1|)", "add_recipient(<support+Sent@example.com>|NOTIFY=NEVER)"}},
    {"send-as without Sender", "", "", "alice", "<alice@example.com>", {{"From", "support@example.com"}},
     Verdict::accept, {"add_recipient(<support+Sent@example.com>|NOTIFY=NEVER)"}},
    {"send-as, Sender kept with remove_sender=no", "[rewrite]\nsend_as_remove_sender = no\n", "", "alice",
     "<alice@example.com>", {{"From", "support@example.com"}, {"Sender", "alice@example.com"}}, Verdict::accept,
     {"add_recipient(<support+Sent@example.com>|NOTIFY=NEVER)"}},
    {"send-as, envelope set to the mailbox", "[rewrite]\nsend_as_envelope = mailbox\n", "", "alice",
     "<alice@example.com>", {{"From", "Support+x@example.com"}}, Verdict::accept,
     {"change_from(<support@example.com>)", "add_recipient(<support+Sent@example.com>|NOTIFY=NEVER)"}},
    {"send-as, no copy with sent_copy.send_as=no", "[sent_copy]\nsend_as = no\n", "", "alice",
     "<alice@example.com>", {{"From", "support@example.com"}}, Verdict::accept, {}},
    {"behalf without Sender", "", "", "bob", "<bob@example.com>", {{"From", "CEO <ceo@example.com>"}},
     Verdict::accept, {"add_header(Sender|" + bob_sender + ")", "add_recipient(<ceo+Sent@example.com>|NOTIFY=NEVER)"}},
    {"behalf with Sender", "", "", "bob", "<bob@example.com>",
     {{"From", "ceo@example.com"}, {"Sender", "someone@example.com"}}, Verdict::accept,
     {"change_header(Sender|1|" + bob_sender + ")", "add_recipient(<ceo+Sent@example.com>|NOTIFY=NEVER)"}},
    {"behalf and send-as mailboxes, one copy each", "", "", "bob", "<bob@example.com>",
     {{"From", "support@example.com, ceo@example.com, Support+x@example.com"}}, Verdict::accept,
     {"add_header(Sender|" + bob_sender + ")", "add_recipient(<support+Sent@example.com>|NOTIFY=NEVER)",
      "add_recipient(<ceo+Sent@example.com>|NOTIFY=NEVER)"}},
    {"no right", "", "", "eve", "<eve@example.com>", {{"From", "support@example.com"}}, Verdict::reject,
     {"set_reply(550|5.7.1|<eve> is not allowed to send as <support@example.com>)"}},
    {"full access only", "", "", "carol", "<carol@example.com>", {{"From", "support@example.com"}}, Verdict::reject,
     {"set_reply(550|5.7.1|<carol> has Full Access to <support@example.com> but no Send As or Send on Behalf "
      "right)"}},
    {"reply text: % doubled, control characters dropped", "", "", "50%off\x01\r\n", "<>",
     {{"From", "support@example.com"}}, Verdict::reject,
     {"set_reply(550|5.7.1|<50%%off> is not allowed to send as <support@example.com>)"}},
    {"quoted local part with % in the reply", "", "", "eve", "<>", {{"From", "\"100%\"@example.com"}},
     Verdict::reject, {"set_reply(550|5.7.1|<eve> is not allowed to send as <100%%@example.com>)"}},
    {"user lookup unavailable", "", "", "down", "<>", {{"From", "support@example.com"}}, Verdict::tempfail,
     {"set_reply(" + not_now + ")"}},
    {"rights lookup unavailable", "", "", "alice", "<alice@example.com>", {{"From", "shared@example.com"}},
     Verdict::tempfail, {"set_reply(" + not_now + ")"}},
    {"directory unavailable, on_directory_error=accept", "on_directory_error = accept\n", "", "alice",
     "<alice@example.com>", {{"From", "shared@example.com"}}, Verdict::accept, {}},
    {"unauthenticated", "", "", "", "<support@example.com>", {{"From", "support@example.com"}}, Verdict::accept, {}},
    {"unauthenticated_local_from=reject", "unauthenticated_local_from = reject\n", "", "", "<>",
     {{"From", "support@example.com"}}, Verdict::reject,
     {"set_reply(550|5.7.1|<support@example.com> is a local address: authenticate to send as it)"}},
    {"From: in any case counts twice", "", "", "alice", "<alice@example.com>",
     {{"from", "alice@example.com"}, {"FROM", "alice@example.com"}}, Verdict::reject,
     {"set_reply(550|5.7.1|message has more than one From: header)"}},
    {"header names with stray white space", "", "", "alice", "<alice@example.com>",
     {{" From", " support@example.com"}, {"sender ", " alice@example.com"}}, Verdict::accept,
     {"change_header(Sender|1|)", "add_recipient(<support+Sent@example.com>|NOTIFY=NEVER)"}},
    {"other headers ignored", "", "", "alice", "<alice@example.com>",
     {{"Reply-To", "ceo@example.com"}, {"X-Sender", "ceo@example.com"}, {"Resent-To", "ceo@example.com"},
      {"From", "alice@example.com"}}, Verdict::accept, {}},
    // The most recent resent block (the first) is checked like From:/Sender:, never rewritten.
    {"Resent-From: without a right", "", "", "alice", "<alice@example.com>",
     {{"Resent-From", "ceo@example.com"}, {"From", "alice@example.com"}}, Verdict::reject,
     {"set_reply(550|5.7.1|<alice> is not allowed to send as <ceo@example.com>)"}},
    {"Resent-From: with Send on Behalf: checked, not rewritten", "", "", "bob", "<bob@example.com>",
     {{"Resent-From", "ceo@example.com"}, {"From", "bob@example.com"}}, Verdict::accept, {}},
    {"Resent-From: own, From: anyone's (a forward)", "foreign_from = accept\n", "", "bob", "<bob@example.com>",
     {{"Resent-From", "bob@example.com"}, {"From", "someone@other.example"}}, Verdict::accept, {}},
    {"Resent-Sender: of the most recent block only", "", "", "bob", "<bob@example.com>",
     {{"Resent-Sender", "bob@example.com"}, {"Resent-From", "ceo@example.com"}, {"Resent-Date", "x"},
      {"Resent-From", "old@example.com"}, {"Resent-Sender", "older@example.com"}, {"From", "bob@example.com"}},
     Verdict::accept, {}},
    {"Resent-Sender: without a right", "", "", "bob", "<bob@example.com>",
     {{"Resent-From", "ceo@example.com"}, {"Resent-Sender", "eve@example.com"}, {"From", "bob@example.com"}},
     Verdict::reject, {"set_reply(550|5.7.1|<bob> is not allowed to send as <eve@example.com>)"}},
    {"unparsable Resent-From:", "", "", "bob", "<bob@example.com>",
     {{"Resent-From", "ceo@"}, {"From", "bob@example.com"}}, Verdict::reject,
     {"set_reply(550|5.7.1|Resent-From: header rejected: not a valid RFC 5322 address)"}},
    {"two Sender: headers", "", "", "alice", "<alice@example.com>",
     {{"From", "alice@example.com"}, {"Sender", "alice@example.com"}, {"SENDER", "alice@example.com"}},
     Verdict::reject, {"set_reply(550|5.7.1|message has more than one Sender: header)"}},
    {"control character in From", "", "", "alice", "<alice@example.com>", {{"From", "alice@example.com\r"}},
     Verdict::reject, {"set_reply(550|5.7.1|From: header rejected: control character in header)"}},

    // A refused change tempfails the whole message; nothing after it is tried.
    {"change_header refused", "", "change_header", "alice", "<alice@example.com>",
     {{"From", "support@example.com"}, {"Sender", "alice@example.com"}}, Verdict::tempfail,
     {"change_header(Sender|1|)", mta_failed}},
    {"add_recipient refused", "", "add_recipient", "alice", "<alice@example.com>",
     {{"From", "support@example.com"}}, Verdict::tempfail,
     {"add_recipient(<support+Sent@example.com>|NOTIFY=NEVER)", mta_failed}},
    {"add_header refused", "", "add_header", "bob", "<bob@example.com>", {{"From", "ceo@example.com"}},
     Verdict::tempfail, {"add_header(Sender|" + bob_sender + ")", mta_failed}},
    {"change_from refused", "[rewrite]\nsend_as_envelope = mailbox\n", "change_from", "alice",
     "<alice@example.com>", {{"From", "support@example.com"}}, Verdict::tempfail,
     {"change_from(<support@example.com>)", mta_failed}},
    {"set_reply refused on reject", "", "set_reply", "eve", "<>", {{"From", "support@example.com"}},
     Verdict::tempfail,
     {"set_reply(550|5.7.1|<eve> is not allowed to send as <support@example.com>)", mta_failed}},
};
// clang-format on

}  // namespace

class SessionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionTest);
    CPPUNIT_TEST(testSessionTable);
    CPPUNIT_TEST(testDirectoryNotAskedForUnauthenticated);
    CPPUNIT_TEST(testDirectoryAskedOnlyWhatIsNeeded);
    CPPUNIT_TEST(testStateResetBetweenMessages);
    CPPUNIT_TEST(testAbortResets);
    CPPUNIT_TEST(testDenialBeatsUnknownAcrossLookups);
    CPPUNIT_TEST(testSafeReplyText);
    CPPUNIT_TEST(testHeaderIs);
    CPPUNIT_TEST(testDecodeXtext);
    CPPUNIT_TEST(testLoginDecodedOnceByMta);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSessionTable() {
        for (const auto &c : session_cases) {
            auto directory = std::make_shared<FakeDirectory>();
            MilterSession session(make_runtime(c.config, directory), "Postfix 3.7.11");
            RecordingMta mta;
            mta.fail = c.fail;
            const Verdict verdict = send(session, mta, c.login, c.envelope, c.headers);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.name) + ": verdict", std::string(verdict_name(c.verdict)),
                                         std::string(verdict_name(verdict)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.name) + ": MTA calls", lines(c.calls), lines(mta.calls));
        }
    }

    void testDirectoryNotAskedForUnauthenticated() {
        for (const char *extra : {"", "unauthenticated_local_from = reject\n"}) {
            auto directory = std::make_shared<FakeDirectory>();
            MilterSession session(make_runtime(extra, directory), "Postfix 3.7.11");
            RecordingMta mta;
            send(session, mta, "", "<support@example.com>",
                 {{"From", "support@example.com"}, {"Sender", "ceo@example.com"}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(extra, 0, directory->user_calls);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(extra, std::string(), lines(directory->rights_asked));
        }
    }

    void testDirectoryAskedOnlyWhatIsNeeded() {
        struct AskCase {
            const char *name;
            std::string login;
            Headers headers;
            int user_calls;
            std::vector<std::string> rights_asked;
        };
        const AskCase ask_cases[] = {
            {"own From", "alice", {{"From", "Alice@EXAMPLE.com"}}, 1, {}},
            // The exact address first (it is no mailbox of its own), then its base.
            {"own From with a detail", "alice", {{"From", "Alice+x@EXAMPLE.com"}}, 1, {"alice+x@example.com"}},
            {"foreign From", "alice", {{"From", "x@other.example"}}, 1, {}},
            {"send-as",
             "alice",
             {{"From", "Support@example.com"}, {"Sender", "alice@example.com"}},
             1,
             {"support@example.com"}},
            {"send-as with a detail",
             "alice",
             {{"From", "Support+x@example.com"}, {"Sender", "alice@example.com"}},
             1,
             {"support+x@example.com", "support@example.com"}},
            {"each mailbox once",
             "alice",
             {{"From", "support@example.com, info@example.org, SUPPORT@example.com"},
              {"Sender", "support@example.com"}},
             1,
             {"support@example.com", "info@example.org"}},
            {"header error: no rights asked",
             "alice",
             {{"From", "support@example.com"}, {"From", "x@example.com"}},
             1,
             {}},
            {"user unavailable: no rights asked", "down", {{"From", "support@example.com"}}, 1, {}},
        };
        for (const auto &c : ask_cases) {
            auto directory = std::make_shared<FakeDirectory>();
            MilterSession session(make_runtime("", directory), "Postfix 3.7.11");
            RecordingMta mta;
            send(session, mta, c.login, "<alice@example.com>", c.headers);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, c.user_calls, directory->user_calls);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, lines(c.rights_asked), lines(directory->rights_asked));
        }
    }

    // One session, several messages: nothing of one message leaks into the next.
    void testStateResetBetweenMessages() {
        auto directory = std::make_shared<FakeDirectory>();
        MilterSession session(make_runtime("", directory), "Postfix 3.7.11");

        RecordingMta first;
        CPPUNIT_ASSERT_EQUAL(
            std::string("accept"),
            std::string(verdict_name(send(session, first, "alice", "<alice@example.com>",
                                          {{"From", "support@example.com"}, {"Sender", "alice@example.com"}}))));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), first.calls.size());

        // Same From: again would be "more than one From:" if the first stayed.
        RecordingMta second;
        CPPUNIT_ASSERT_EQUAL(std::string("accept"),
                             std::string(verdict_name(send(session, second, "alice", "<alice@example.com>",
                                                           {{"From", "alice@example.com"}}))));
        CPPUNIT_ASSERT_EQUAL(std::string(), lines(second.calls));

        // A rejected message leaves nothing behind either, nor does its login.
        RecordingMta third;
        send(session, third, "eve", "<eve@example.com>", {{"From", "support@example.com"}});
        RecordingMta fourth;
        CPPUNIT_ASSERT_EQUAL(std::string("accept"),
                             std::string(verdict_name(send(session, fourth, "", "<>", {{"From", "x@other.example"}}))));
        CPPUNIT_ASSERT_EQUAL(std::string(), lines(fourth.calls));

        // Without a header of its own, the next message has no From: at all.
        RecordingMta fifth;
        CPPUNIT_ASSERT_EQUAL(std::string("accept"),
                             std::string(verdict_name(send(session, fifth, "alice", "<alice@example.com>", {}))));
        CPPUNIT_ASSERT_EQUAL(std::string(), lines(fifth.calls));
    }

    void testAbortResets() {
        auto directory = std::make_shared<FakeDirectory>();
        MilterSession session(make_runtime("", directory), "Postfix 3.7.11");

        // Aborted after its headers.
        session.begin_message("<alice@example.com>", "alice", "Q1");
        session.add_header("From", "ceo@example.com");
        session.add_header("Sender", "ceo@example.com");
        session.reset();

        RecordingMta mta;
        CPPUNIT_ASSERT_EQUAL(std::string("accept"),
                             std::string(verdict_name(send(session, mta, "alice", "<alice@example.com>",
                                                           {{"From", "support@example.com"}}))));
        CPPUNIT_ASSERT_EQUAL(std::string("add_recipient(<support+Sent@example.com>|NOTIFY=NEVER)\n"), lines(mta.calls));

        // A second MAIL FROM without an abort in between starts afresh too.
        session.begin_message("<alice@example.com>", "alice", "Q2");
        session.add_header("From", "ceo@example.com");
        RecordingMta again;
        CPPUNIT_ASSERT_EQUAL(std::string("accept"),
                             std::string(verdict_name(send(session, again, "alice", "<alice@example.com>",
                                                           {{"From", "alice@example.com"}}))));
        CPPUNIT_ASSERT_EQUAL(std::string(), lines(again.calls));
    }

    // doc/design.md, section 2: every From: mailbox needs a right; "rights unknown" only
    // applies when nothing definite is known. A definite "no right" for one
    // mailbox must reject even if the lookup for an earlier mailbox failed.
    void testDenialBeatsUnknownAcrossLookups() {
        for (const char *extra : {"", "on_directory_error = accept\n"}) {
            auto directory = std::make_shared<FakeDirectory>();
            MilterSession session(make_runtime(extra, directory), "Postfix 3.7.11");
            RecordingMta mta;
            const Verdict verdict =
                send(session, mta, "alice", "<alice@example.com>",
                     {{"From", "shared@example.com, ceo@example.com"}, {"Sender", "alice@example.com"}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(extra) + "calls: " + lines(mta.calls), std::string("reject"),
                                         std::string(verdict_name(verdict)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                extra, std::string("set_reply(550|5.7.1|<alice> is not allowed to send as <ceo@example.com>)\n"),
                lines(mta.calls));
        }
    }

    void testSafeReplyText() {
        struct ReplyCase {
            std::string input;
            std::string expected;
        };
        const ReplyCase reply_cases[] = {
            {"plain text", "plain text"},
            {"100%", "100%%"},
            {"%s%n%%", "%%s%%n%%%%"},
            {"a\r\nb", "ab"},
            {"a\0b"s, "ab"},
            {"tab\there", "tabhere"},
            {"del\x7f", "del"},
            {"J\xc3\xb6rg", "J\xc3\xb6rg"},
            {"", ""},
        };
        for (const auto &c : reply_cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.input, c.expected, sendas::safe_reply_text(c.input));

        // Capped well under the 512-octet reply line, never ending in half a "%%".
        for (const std::string &fill : {"x"s, "%"s, "a%"s}) {
            std::string input;
            while (input.size() < 2000) input += fill;
            const std::string out = sendas::safe_reply_text(input);
            CPPUNIT_ASSERT_MESSAGE(fill + ": " + std::to_string(out.size()), out.size() <= 500 && out.size() >= 100);
            size_t percents = 0;
            for (char ch : out) percents += ch == '%';
            CPPUNIT_ASSERT_MESSAGE(fill + ": odd number of '%'", percents % 2 == 0);
        }
    }

    void testHeaderIs() {
        struct NameCase {
            const char *name;
            const char *wanted;
            bool expected;
        };
        const NameCase name_cases[] = {
            {"From", "From", true},         {" from ", "From", true},   {"FROM", "From", true},
            {"\tFrom\t", "From", true},     {"sender", "Sender", true}, {"From2", "From", false},
            {"Fro", "From", false},         {"", "From", false},        {"   ", "From", false},
            {"Resent-From", "From", false}, {"X-From", "From", false},  {"Sender", "From", false},
            {"Fr om", "From", false},
        };
        for (const auto &c : name_cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string("'") + c.name + "' is " + c.wanted, c.expected,
                                         sendas::header_is(c.name, c.wanted));
    }

    void testDecodeXtext() {
        const struct {
            const char *in;
            bool ok;
            const char *out;
        } cases[] = {
            {"alice", true, "alice"},
            {"user+2Btag", true, "user+tag"},
            {"a+3Db+2B", true, "a=b+"},
            {"+41+42", true, "AB"},
            {"", true, ""},
            {"user+2btag", false, ""},
            {"user+", false, ""},
            {"user+2", false, ""},
            {"user+ZZ", false, ""},
        };
        for (const auto &c : cases) {
            std::string out;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.in, c.ok, sendas::decode_xtext(c.in, out));
            if (c.ok) CPPUNIT_ASSERT_EQUAL_MESSAGE(c.in, std::string(c.out), out);
        }
    }

    // Sendmail sends {auth_authen} as xtext, Postfix raw: "al+69ce" is
    // alice from Sendmail, and nobody from Postfix; never decoded twice.
    void testLoginDecodedOnceByMta() {
        const struct {
            const char *config;
            const char *mta_version;
            const char *login;
            Verdict verdict;
        } cases[] = {
            {"", "8.17.1", "al+69ce", Verdict::accept},
            {"", "Postfix 3.7.11", "al+69ce", Verdict::reject},
            // A renamed Postfix (mail_name) is still no Sendmail.
            {"", "Mailer 3.7.11", "al+69ce", Verdict::reject},
            {"", "3.7.11 Mailer", "al+69ce", Verdict::reject},
            {"", "MTA", "al+69ce", Verdict::reject},
            {"", "8", "al+69ce", Verdict::reject},
            {"", "8.18.1/8.18.1", "al+69ce", Verdict::accept},
            {"", "", "al+69ce", Verdict::reject},
            {"mta = sendmail\n", "", "al+69ce", Verdict::accept},
            {"mta = postfix\n", "8.17.1", "al+69ce", Verdict::reject},
            {"", "8.17.1", "al+2B69ce", Verdict::reject},  // decodes to "al+69ce", not again to alice
            {"", "8.17.1", "al+zz", Verdict::reject},      // malformed: used as sent, grants nothing
        };
        for (const auto &c : cases) {
            auto directory = std::make_shared<FakeDirectory>();
            MilterSession session(make_runtime(c.config, directory), c.mta_version);
            RecordingMta mta;
            std::string name = std::string(c.mta_version) + " " + c.login;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, static_cast<int>(c.verdict),
                                         static_cast<int>(send(session, mta, c.login, "<alice@example.com>",
                                                               {{"From", "support@example.com"}})));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionTest);
