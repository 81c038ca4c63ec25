// Report mode (policy/report_mode: global, per domain, per LDAP mailbox
// list), over_send_limit() and the decision log line in JSON
// (ops/decision_log).
#include "policy/report_mode.h"

#include "json_reader.h"
#include "text.h"

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
#include "ops/send_limit.h"
#include "policy/policy.h"

using sendas::Config;
using sendas::Decision;
using sendas::DirectoryAnswers;
using sendas::LookupStatus;
using sendas::MailboxRights;
using sendas::MessageFacts;
using sendas::Verdict;

using sendas_test::contains;
using sendas_test::join;
using sendas_test::Json;
using sendas_test::parse_json;

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
    answers.user.status = LookupStatus::found;
    sendas::UserInfo &user = answers.user.value;
    user.dn = "uid=" + facts.auth_user + ",ou=people,dc=example,dc=com";
    user.display_name = facts.auth_user == "bob" ? "Bob Builder" : facts.auth_user;
    user.addresses = {facts.auth_user + "@example.com"};
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
