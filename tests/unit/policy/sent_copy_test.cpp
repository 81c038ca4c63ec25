// Unit tests for where the Sent copy goes (policy.cpp, plan_sent_copies):
// sent_copy.target, the per-right switches and each mailbox's LDAP lists,
// in the order sendas-milter.conf(5) gives ("SENT COPY KEYS").
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "base/config.h"
#include "grants.h"
#include "policy/policy.h"

using sendas::Config;
using sendas::Decision;
using sendas::DirectoryAnswers;
using sendas::LookupStatus;
using sendas::MailboxRights;
using sendas::MessageFacts;
using sendas::Verdict;
using sendas_test::grant;
using SentCopy = MailboxRights::SentCopy;

namespace {

// What LDAP's lists say about a mailbox.
struct Listing {
    SentCopy copy = SentCopy::unset;  // no_sent_copy_base (off), sent_copy_base (on)
    bool to_owner = false;            // sent_copy_owner_base or sent_copy_both_base
    bool to_sender = false;           // sent_copy_sender_base or sent_copy_both_base
};

const Listing unlisted{};
const Listing listed_off{SentCopy::off, false, false};
const Listing listed_on{SentCopy::on, false, false};
const Listing to_owner{SentCopy::unset, true, false};
const Listing to_sender{SentCopy::unset, false, true};
const Listing to_both{SentCopy::unset, true, true};

struct Case {
    const char *name;
    std::string config;  // extra config lines
    bool send_as;        // the right held on the mailbox: Send As, else Send on Behalf
    Listing listing;
    std::vector<std::string> copies;
};

const char *const owner = "<support+Sent@example.com>";
const char *const sender = "<alice+Sent@example.com>";

// clang-format off
const Case cases[] = {
    // --- sent_copy.target alone ---
    {"default target is the owner", "", true, unlisted, {owner}},
    {"target owner", "[sent_copy]\ntarget = owner\n", true, unlisted, {owner}},
    {"target sender", "[sent_copy]\ntarget = sender\n", true, unlisted, {sender}},
    {"target both", "[sent_copy]\ntarget = both\n", true, unlisted, {owner, sender}},
    {"target none", "[sent_copy]\ntarget = none\n", true, unlisted, {}},
    {"target sender, Send on Behalf", "[sent_copy]\ntarget = sender\n", false, unlisted, {sender}},
    {"target both, Send on Behalf", "[sent_copy]\ntarget = both\n", false, unlisted, {owner, sender}},

    // --- the per-right switches say whether, the target where ---
    {"target both, send_as = no", "[sent_copy]\ntarget = both\nsend_as = no\n", true, unlisted, {}},
    {"target sender, send_on_behalf = no keeps Send As", "[sent_copy]\ntarget = sender\nsend_on_behalf = no\n",
     true, unlisted, {sender}},
    {"target sender, send_on_behalf = no", "[sent_copy]\ntarget = sender\nsend_on_behalf = no\n", false,
     unlisted, {}},

    // --- ldap.no_sent_copy_base: none, whatever else ---
    {"no_sent_copy list, target both", "[sent_copy]\ntarget = both\n", true, listed_off, {}},
    {"no_sent_copy list beats a target list", "", true, {SentCopy::off, true, true}, {}},

    // --- ldap.sent_copy_base: a copy whatever the switch, where the target says ---
    {"sent_copy list, send_as = no, target sender", "[sent_copy]\ntarget = sender\nsend_as = no\n", true,
     listed_on, {sender}},
    {"sent_copy list, target both", "[sent_copy]\ntarget = both\nsend_as = no\n", true, listed_on, {owner, sender}},
    {"sent_copy list, target none", "[sent_copy]\ntarget = none\n", true, listed_on, {}},

    // --- the target lists: where, whatever the target and the switches ---
    {"sender list, target owner", "", true, to_sender, {sender}},
    {"owner list, target sender", "[sent_copy]\ntarget = sender\n", true, to_owner, {owner}},
    {"both list, target none", "[sent_copy]\ntarget = none\n", true, to_both, {owner, sender}},
    {"sender list, send_as = no", "[sent_copy]\nsend_as = no\n", true, to_sender, {sender}},
    {"owner list, send_on_behalf = no", "[sent_copy]\nsend_on_behalf = no\n", false, to_owner, {owner}},
    {"target list beats the sent_copy list", "[sent_copy]\ntarget = both\n", true, {SentCopy::on, false, true},
     {sender}},

    // --- the template ---
    {"target sender through the template", "[sent_copy]\ntarget = sender\naddress = archive+%l=%d-%u@example.net\n",
     true, unlisted, {"<archive+alice=example.com-alice@example.net>"}},
};
// clang-format on

std::shared_ptr<const Config> make_config(const std::string &extra) {
    return sendas::load_config_text("local_domains = example.com\n" + extra, "test");
}

MailboxRights listed(MailboxRights rights, const Listing &listing) {
    rights.sent_copy = listing.copy;
    rights.sent_copy_to.owner = listing.to_owner;
    rights.sent_copy_to.sender = listing.to_sender;
    return rights;
}

// alice (primary address alice@example.com unless `addresses` says
// otherwise) holding `rights` on each mailbox named.
DirectoryAnswers answers_for(const std::vector<std::pair<std::string, MailboxRights>> &mailboxes,
                             std::vector<std::string> addresses = {"alice@example.com", "a.adams@example.org"}) {
    DirectoryAnswers answers;
    answers.user = {LookupStatus::found, {"uid=alice,ou=people,dc=example,dc=com", "Alice", std::move(addresses)}};
    for (const auto &[mailbox, rights] : mailboxes) answers.rights[mailbox] = {LookupStatus::found, rights};
    return answers;
}

MessageFacts facts_from(std::vector<std::string> from, std::vector<std::string> sender = {}) {
    MessageFacts facts;
    facts.queue_id = "4Q1";
    facts.auth_user = "alice";
    facts.envelope_from = "<alice@example.com>";
    facts.from_values = std::move(from);
    facts.sender_values = std::move(sender);
    return facts;
}

std::string join(const std::vector<std::string> &items) {
    std::string out;
    for (const auto &item : items) out += (out.empty() ? "" : " ") + item;
    return out;
}

}  // namespace

class SentCopyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SentCopyTest);
    CPPUNIT_TEST(testTargets);
    CPPUNIT_TEST(testSenderCopyOncePerMessage);
    CPPUNIT_TEST(testSenderWithoutAddress);
    CPPUNIT_TEST(testTargetKeyValues);
    CPPUNIT_TEST_SUITE_END();

public:
    void testTargets() {
        for (const Case &c : cases) {
            auto config = make_config(c.config);
            const auto rights = listed(grant(c.send_as, !c.send_as, false), c.listing);
            const Decision d = sendas::decide(facts_from({"support@example.com"}),
                                              answers_for({{"support@example.com", rights}}), *config);
            CPPUNIT_ASSERT_MESSAGE(c.name, d.verdict == Verdict::accept);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, join(c.copies), join(d.sent_copies));
        }
    }

    // Two mailboxes in From: one copy each into their own Sent, the
    // sender's once: one message, one copy per folder.
    void testSenderCopyOncePerMessage() {
        const auto rights = grant(true, false, false);
        const auto answers = answers_for({{"support@example.com", rights}, {"sales@example.com", rights}});
        const auto facts = facts_from({"support@example.com, sales@example.com"}, {"alice@example.com"});
        auto sender_only = make_config("[sent_copy]\ntarget = sender\n");
        CPPUNIT_ASSERT_EQUAL(std::string(sender), join(sendas::decide(facts, answers, *sender_only).sent_copies));
        auto both = make_config("[sent_copy]\ntarget = both\n");
        CPPUNIT_ASSERT_EQUAL(std::string(owner) + " " + sender + " <sales+Sent@example.com>",
                             join(sendas::decide(facts, answers, *both).sent_copies));
        // Each mailbox by its own listing: sales says sender, support the owner.
        const auto mixed = answers_for(
            {{"support@example.com", listed(rights, to_owner)}, {"sales@example.com", listed(rights, to_sender)}});
        auto plain = make_config("");
        CPPUNIT_ASSERT_EQUAL(std::string(owner) + " " + sender, join(sendas::decide(facts, mixed, *plain).sent_copies));
    }

    // A user with no address of their own has no Sent folder to name: the
    // owner's copy is still made, the message still accepted.
    void testSenderWithoutAddress() {
        const auto answers = answers_for({{"support@example.com", grant(true, false, false)}}, {});
        auto facts = facts_from({"support@example.com"});
        facts.envelope_from = "<>";  // alice's own would be no longer hers
        auto sender_only = make_config("[sent_copy]\ntarget = sender\n");
        const Decision d = sendas::decide(facts, answers, *sender_only);
        CPPUNIT_ASSERT(d.verdict == Verdict::accept);
        CPPUNIT_ASSERT_EQUAL(std::string(), join(d.sent_copies));
        auto both = make_config("[sent_copy]\ntarget = both\n");
        CPPUNIT_ASSERT_EQUAL(std::string(owner), join(sendas::decide(facts, answers, *both).sent_copies));
    }

    void testTargetKeyValues() {
        CPPUNIT_ASSERT(make_config("")->sent_copy.target == sendas::SentCopyTarget::owner);
        CPPUNIT_ASSERT(make_config("[sent_copy]\ntarget = both\n")->sent_copy.target == sendas::SentCopyTarget::both);
        CPPUNIT_ASSERT_THROW(make_config("[sent_copy]\ntarget = mailbox\n"), sendas::ConfigError);
        CPPUNIT_ASSERT_THROW(make_config("[sent_copy]\ntarget =\n"), sendas::ConfigError);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SentCopyTest);
