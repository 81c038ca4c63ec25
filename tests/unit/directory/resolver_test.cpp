// The rights resolver with the policy: the address comparison rule (exact
// first, a detail address falls back to its base only when it is no
// mailbox of its own), the cap on From: mailboxes, the search budget and
// the stop at the first denied author. An in-memory directory that
// charges every question to the message's LookupContext, as LDAP does.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/mailbox_match.h"
#include "base/string_util.h"
#include "directory/resolver.h"
#include "ops/decision_log.h"
#include "policy/policy.h"

using sendas::Config;
using sendas::Decision;
using sendas::DirectoryAnswers;
using sendas::LookupContext;
using sendas::LookupStatus;
using sendas::MailboxRights;
using sendas::MessageFacts;
using sendas::UserInfo;
using sendas::Verdict;

namespace {

// Users by login or by any mail value; rights groups by exact address
// (as LdapDirectory keeps only groups naming the address exactly).
class MemoryDirectory : public sendas::Directory {
public:
    sendas::Answer<UserInfo> find_user(const std::string &login, LookupContext &context) override {
        if (!context.charge()) return {LookupStatus::unavailable, {}};
        asked.push_back("user " + login);
        for (const auto &u : users) {
            const auto &mail = u.addresses;
            if (u.dn != "uid=" + login && std::none_of(mail.begin(), mail.end(), [&](const std::string &a) {
                    return sendas::lower(a) == sendas::lower(login);
                }))
                continue;
            return {LookupStatus::found, u};
        }
        return {LookupStatus::not_found, {}};
    }
    sendas::Answer<MailboxRights> find_rights(const std::string &, const UserInfo &user, const std::string &mailbox,
                                              LookupContext &context) override {
        if (!context.charge()) return {LookupStatus::unavailable, {}};
        asked.push_back("rights " + mailbox);
        sendas::Answer<MailboxRights> answer{LookupStatus::found, {}};
        MailboxRights &rights = answer.value;
        rights.is_mailbox = std::any_of(users.begin(), users.end(), [&](const UserInfo &u) {
            return std::find(u.addresses.begin(), u.addresses.end(), mailbox) != u.addresses.end();
        });
        auto group = groups.find(mailbox);
        if (group != groups.end()) rights.is_mailbox = true;
        // As LdapDirectory: for a right the address has no group of its
        // own for, the group named after its domain.
        const auto domain = groups.find(sendas::domain_group_name(mailbox));
        for (const std::string right : {"send-as", "send-on-behalf"}) {
            auto of_right = [&](const auto &found) {
                std::vector<std::string> members;
                if (found != groups.end())
                    for (const auto &[dn, r] : found->second)
                        if (r == right) members.push_back(dn);
                return members;
            };
            auto members = of_right(group);
            const bool by_domain = members.empty();
            if (by_domain) members = of_right(domain);
            if (std::find(members.begin(), members.end(), user.dn) == members.end()) continue;
            if (right == "send-as" || !rights.send_as) rights.domain_grant = by_domain;  // the strongest right's
            (right == "send-as" ? rights.send_as : rights.send_on_behalf) = true;
        }
        return answer;
    }
    std::string probe() override { return ""; }
    std::map<std::string, unsigned long long> stats() const override { return {{"ldap_searches", asked.size()}}; }

    std::vector<UserInfo> users = {
        {"uid=alice", "Alice", {"alice-smith@example.com"}},
        {"uid=john", "John", {"john+doe@example.com"}},
        {"uid=bob", "Bob", {"bob@example.com"}},
        // A detail address that is a mailbox of its own.
        {"uid=eu-sales", "EU Sales", {"sales+eu@example.com"}},
    };
    // mailbox -> (member DN, right)
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> groups = {
        {"team@example.com", {{"uid=bob", "send-as"}, {"uid=alice", "send-as"}}},
        {"team-leads@example.com", {{"uid=carol", "send-as"}}},
        {"sales@example.com", {{"uid=bob", "send-as"}}},
        // Domain grants: bob on every address of example.net but alerts@,
        // whose own Send As group holds alice only.
        {"@example.net", {{"uid=bob", "send-as"}}},
        {"alerts@example.net", {{"uid=alice", "send-as"}}},
    };
    std::vector<std::string> asked;
};

std::shared_ptr<const Config> config_with(const std::string &extra) {
    return sendas::load_config_text("local_domains = example.com example.net\n" + extra, "test");
}

struct Outcome {
    Decision decision;
    DirectoryAnswers answers;
    std::vector<std::string> asked;
    std::string audit;
};

Outcome send(const std::string &login, const std::vector<std::string> &from, const std::string &config_text = "",
             unsigned budget = 100, MemoryDirectory directory = MemoryDirectory()) {
    auto config = config_with(config_text);
    MessageFacts facts;
    facts.queue_id = "Q";
    facts.auth_user = login;
    facts.envelope_from = "<>";
    facts.from_values = from;
    const auto claims = sendas::parse_claims(facts);
    LookupContext context(budget);
    Outcome out;
    out.answers = sendas::gather_answers(facts, claims, directory, *config, context);
    out.decision = sendas::decide(facts, claims, out.answers, *config);
    out.asked = directory.asked;
    out.audit = sendas::audit_line(facts, out.decision);
    return out;
}

std::string verdict(const Outcome &o) {
    return o.decision.verdict == Verdict::accept ? std::string("accept ") + sendas::right_name(o.decision.right)
                                                 : std::string("reject ") + sendas::reason_name(o.decision.reason);
}

}  // namespace

class LookupTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LookupTest);
    CPPUNIT_TEST(testOwnValuesNeverStripped);
    CPPUNIT_TEST(testRightsMatchExactly);
    CPPUNIT_TEST(testDetailFallsBackToBase);
    CPPUNIT_TEST(testDomainGrantMostSpecificFirst);
    CPPUNIT_TEST(testCapOnFromMailboxes);
    CPPUNIT_TEST(testSearchBudget);
    CPPUNIT_TEST(testStopsAtFirstDeniedAuthor);
    CPPUNIT_TEST_SUITE_END();

public:
    // Once a bypass: alice-smith@ made alice@ and alice-jones@ "own".
    void testOwnValuesNeverStripped() {
        const std::string dash = "recipient_delimiter = -\n";
        CPPUNIT_ASSERT_EQUAL(std::string("accept own"), verdict(send("alice", {"alice-smith@example.com"}, dash)));
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(send("alice", {"alice@example.com"}, dash)));
        const Outcome jones = send("alice", {"alice-jones@example.com"}, dash);
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(jones));
        // The audit line shows what recipients saw.
        CPPUNIT_ASSERT_MESSAGE(jones.audit, jones.audit.find("from=<alice-jones@example.com>") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(send("john", {"john@example.com"})));
        CPPUNIT_ASSERT_EQUAL(std::string("accept own"), verdict(send("john", {"John+Doe@example.com"})));
    }

    // Once a leak: Send As on team@ covered the separate mailbox team-leads@.
    void testRightsMatchExactly() {
        const std::string dash = "recipient_delimiter = -+\n";
        const Outcome leads = send("bob", {"team-leads@example.com"}, dash);
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(leads));
        CPPUNIT_ASSERT(leads.decision.sent_copies.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("accept send-as"), verdict(send("bob", {"team@example.com"}, dash)));
        // sales+eu@ is a mailbox of its own: no fallback to sales@.
        const Outcome eu = send("bob", {"sales+eu@example.com"});
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(eu));
        CPPUNIT_ASSERT_EQUAL(std::string("rights sales+eu@example.com"), join_asked(eu.asked, 1));
    }

    void testDetailFallsBackToBase() {
        const Outcome o = send("bob", {"Team+News@example.com"});
        CPPUNIT_ASSERT_EQUAL(std::string("accept send-as"), verdict(o));
        CPPUNIT_ASSERT_EQUAL(std::string("team@example.com"), o.decision.checked.at(0).base);
        // The copy and the limit belong to the mailbox; the audit keeps both.
        CPPUNIT_ASSERT_EQUAL(std::string("<team+Sent@example.com>"), o.decision.sent_copies.at(0));
        CPPUNIT_ASSERT_MESSAGE(
            o.audit, o.audit.find("from=<team+news@example.com> base=<team@example.com>") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("user bob|rights team+news@example.com|rights team@example.com"),
                             join_asked(o.asked, 0));
        // Own address by its base; no rights asked for it.
        const Outcome own = send("bob", {"bob+lists@example.com"});
        CPPUNIT_ASSERT_EQUAL(std::string("accept own"), verdict(own));
        CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"), own.decision.checked.at(0).base);
        // Without delimiters there is no base.
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"),
                             verdict(send("bob", {"team+news@example.com"}, "recipient_delimiter =\n")));
    }

    // The domain's group grants where the address has no group of its own
    // for the right; a detail address is still decided by its base, whose
    // own group comes before the domain's.
    void testDomainGrantMostSpecificFirst() {
        const Outcome any = send("bob", {"billing@example.net"});
        CPPUNIT_ASSERT_EQUAL(std::string("accept send-as"), verdict(any));
        CPPUNIT_ASSERT(any.answers.rights.at("billing@example.net").value.domain_grant);
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(send("bob", {"alerts@example.net"})));
        CPPUNIT_ASSERT_EQUAL(std::string("accept send-as"), verdict(send("alice", {"alerts@example.net"})));
        CPPUNIT_ASSERT(
            !send("alice", {"alerts@example.net"}).answers.rights.at("alerts@example.net").value.domain_grant);
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(send("alice", {"billing@example.net"})));
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(send("bob", {"billing@example.com"})));
        const Outcome detail = send("bob", {"billing+eu@example.net"});
        CPPUNIT_ASSERT_EQUAL(std::string("accept send-as"), verdict(detail));
        CPPUNIT_ASSERT_EQUAL(std::string("billing@example.net"), detail.decision.checked.at(0).base);
        CPPUNIT_ASSERT_EQUAL(std::string("rights billing+eu@example.net|rights billing@example.net"),
                             join_asked(detail.asked, 1));
        const Outcome shadowed = send("bob", {"alerts+x@example.net"});
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(shadowed));
        CPPUNIT_ASSERT_EQUAL(std::string("alerts@example.net"), shadowed.decision.checked.at(0).base);
    }

    void testCapOnFromMailboxes() {
        auto mailboxes = [](int n) {
            std::string list;
            for (int i = 0; i < n; ++i) list += (i ? ", " : "") + std::string("team@example.com");
            return list;
        };
        const Outcome over = send("bob", {mailboxes(11)});
        CPPUNIT_ASSERT_EQUAL(std::string("reject too_many_from"), verdict(over));
        CPPUNIT_ASSERT_EQUAL(std::string("user bob"), join_asked(over.asked, 0));  // no rights asked
        // Ten is allowed (and several authors then need a Sender:).
        CPPUNIT_ASSERT_EQUAL(std::string("reject sender_required"), verdict(send("bob", {mailboxes(10)})));
        CPPUNIT_ASSERT_EQUAL(std::string("reject too_many_from"),
                             verdict(send("bob", {mailboxes(2)}, "max_from_mailboxes = 1\n")));
    }

    void testSearchBudget() {
        // user + rights(team+x) + rights(team): three searches.
        CPPUNIT_ASSERT_EQUAL(std::string("accept send-as"), verdict(send("bob", {"team+x@example.com"}, "", 3)));
        const Outcome o = send("bob", {"team+x@example.com"}, "", 2);
        CPPUNIT_ASSERT_EQUAL(std::string("reject lookup_limit"), verdict(o));
        CPPUNIT_ASSERT(o.answers.over_budget);
        CPPUNIT_ASSERT_EQUAL(std::string("550"), o.decision.smtp_code);
        // Out of searches at the user lookup: still a reject, not a tempfail.
        CPPUNIT_ASSERT_EQUAL(std::string("reject lookup_limit"), verdict(send("bob", {"team@example.com"}, "", 0)));
    }

    void testStopsAtFirstDeniedAuthor() {
        const Outcome o = send("bob", {"team-leads@example.com, team@example.com, sales@example.com"});
        CPPUNIT_ASSERT_EQUAL(std::string("reject no_right"), verdict(o));
        CPPUNIT_ASSERT_EQUAL(std::string("user bob|rights team-leads@example.com"), join_asked(o.asked, 0));
    }

private:
    static std::string join_asked(const std::vector<std::string> &asked, size_t from) {
        std::string out;
        for (size_t i = from; i < asked.size(); ++i) out += (out.empty() ? "" : "|") + asked[i];
        return out;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LookupTest);
