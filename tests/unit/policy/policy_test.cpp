// Unit tests for policy.cpp (the decision table of doc/design.md, section 2) and the decision log.
//
// The directory is a fixed table of users and grants; each case runs the
// two policy steps the way the milter session does: needed_rights() names
// the mailboxes to look up, only those are answered, then decide().
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/config.h"
#include "base/mailbox_match.h"
#include "base/string_util.h"
#include "directory/resolver.h"
#include "grants.h"
#include "ops/decision_log.h"
#include "policy/policy.h"

using namespace std::string_literals;
using sendas::Config;
using sendas::Decision;
using sendas::DirectoryAnswers;
using sendas::LookupStatus;
using sendas::MailboxRights;
using sendas::MessageFacts;
using sendas::UserInfo;
using sendas::Verdict;
using sendas::verdict_name;

using sendas_test::grant;

namespace {

std::string join(const std::vector<std::string> &items) {
    std::string out;
    for (const auto &item : items) out += (out.empty() ? "" : " ") + item;
    return out;
}

std::string join(const std::vector<sendas::RightsQuestion> &questions) {
    std::vector<std::string> addresses;
    for (const auto &q : questions) addresses.push_back(q.address);
    return join(addresses);
}

std::string shown(const std::optional<std::string> &value) { return value ? *value : "(none)"; }

std::shared_ptr<const Config> make_config(const std::string &extra) {
    return sendas::load_config_text("local_domains = example.com example.org\n" + extra, "test");
}

// --- The directory -------------------------------------------------------

struct User {
    const char *login;
    LookupStatus status;
    UserInfo info;
};

const User users[] = {
    {"alice",
     LookupStatus::found,
     {"uid=alice,ou=people,dc=example,dc=com", "Alice Adams", {"alice@example.com", "a.adams@example.org"}}},
    {"bob",
     LookupStatus::found,
     {"uid=bob,ou=people,dc=example,dc=com", "Bob Builder", {"bob@example.com", "builder@example.org"}}},
    {"carol", LookupStatus::found, {"uid=carol,ou=people,dc=example,dc=com", "Carol", {"carol@example.com"}}},
    {"eve", LookupStatus::found, {"uid=eve,ou=people,dc=example,dc=com", "Eve", {"eve@example.com"}}},
    // A user without any mail value: cannot be named in Sender:.
    {"zed", LookupStatus::found, {"uid=zed,ou=people,dc=example,dc=com", "Zed", {}}},
    // A mail value that cannot be written in Sender: as it is.
    {"mal",
     LookupStatus::found,
     {"uid=mal,ou=people,dc=example,dc=com", "Mal", {"mal@example.com\r\nBcc: victim@example.org"}}},
    // Mail values as the directory spells them, mixed case.
    {"asmith", LookupStatus::found, {"uid=asmith,ou=people,dc=example,dc=com", "A Smith", {"Anna.Smith@Example.com"}}},
    // The directory could not be asked about this login.
    {"down", LookupStatus::unavailable, {}},
};

struct Grant {
    const char *login;
    const char *mailbox;  // normalized
    LookupStatus status;
    MailboxRights rights;
};

// Anything not listed is LookupStatus::not_found.
const Grant grants[] = {
    {"alice", "support@example.com", LookupStatus::found, grant(true, false, false)},
    {"alice", "sales@example.com", LookupStatus::found, grant(true, true, true)},  // Send As and on Behalf
    {"alice", "info@example.org", LookupStatus::found, grant(true, false, false)},
    {"alice", "ceo@example.com", LookupStatus::found, grant(false, false, false)},  // found, no flag
    {"alice", "shared@example.com", LookupStatus::unavailable, {}},
    {"bob", "ceo@example.com", LookupStatus::found, grant(false, true, false)},
    {"bob", "support@example.com", LookupStatus::found, grant(true, false, false)},
    {"bob", "shared@example.com", LookupStatus::unavailable, {}},
    {"carol", "support@example.com", LookupStatus::found, grant(false, false, true)},
    {"zed", "ceo@example.com", LookupStatus::found, grant(false, true, false)},
    {"mal", "ceo@example.com", LookupStatus::found, grant(false, true, false)},
};

DirectoryAnswers ask_user(const std::string &login) {
    DirectoryAnswers answers;
    for (const auto &u : users)
        if (login == u.login) {
            answers.user.status = u.status;
            if (u.status == LookupStatus::found) answers.user.value = u.info;
            return answers;
        }
    answers.user.status = LookupStatus::not_found;
    return answers;
}

sendas::Answer<MailboxRights> ask_rights(const std::string &login, const std::string &mailbox) {
    for (const auto &g : grants)
        if (login == g.login && mailbox == g.mailbox) return {g.status, g.rights};
    return {LookupStatus::not_found, MailboxRights{}};
}

// The tables above as a Directory. Like the default ldap.user_filter, a
// login also finds the entry that has it as a mail value.
class TableDirectory : public sendas::Directory {
public:
    sendas::Answer<UserInfo> find_user(const std::string &login, sendas::LookupContext &) override {
        for (const auto &u : users) {
            const auto &mail = u.info.addresses;
            bool by_mail = std::any_of(mail.begin(), mail.end(),
                                       [&](const std::string &a) { return sendas::lower(a) == sendas::lower(login); });
            if (login != u.login && !by_mail) continue;
            return {u.status, u.status == LookupStatus::found ? u.info : UserInfo{}};
        }
        return {LookupStatus::not_found, {}};
    }
    sendas::Answer<MailboxRights> find_rights(const std::string &login, const UserInfo &, const std::string &mailbox,
                                              sendas::LookupContext &) override {
        return ask_rights(login, mailbox);
    }
    std::string probe() override { return ""; }
    std::map<std::string, unsigned long long> stats() const override { return {{"ldap_searches", 0}}; }
};

// As the session asks: through the real resolver.
DirectoryAnswers ask_directory(const MessageFacts &facts, const Config &config) {
    TableDirectory directory;
    sendas::LookupContext context(1000);
    return sendas::gather_answers(facts, sendas::parse_claims(facts), directory, config, context);
}

// --- Expected outcomes -----------------------------------------------------

struct Expect {
    Verdict verdict = Verdict::accept;
    std::string reply;  // "550 5.7.1 text"; a trailing '*' matches a prefix; empty on accept
    std::string right;
    bool acted = true;
    bool remove_sender = false;
    std::optional<std::string> set_sender;
    std::optional<std::string> envelope_from;
    std::vector<std::string> copies;

    Expect copy(const std::string &address) const {
        Expect e = *this;
        e.copies.push_back(address);
        return e;
    }
    Expect removes_sender() const {
        Expect e = *this;
        e.remove_sender = true;
        return e;
    }
    Expect sets_sender(const std::string &value) const {
        Expect e = *this;
        e.set_sender = value;
        return e;
    }
    Expect sets_envelope(const std::string &value) const {
        Expect e = *this;
        e.envelope_from = value;
        return e;
    }
    Expect untouched() const {
        Expect e = *this;
        e.acted = false;
        return e;
    }
};

Expect accepted(const std::string &right) {
    Expect e;
    e.right = right;
    return e;
}

Expect rejected(const std::string &text, const std::string &right = "") {
    Expect e;
    e.verdict = Verdict::reject;
    e.reply = "550 5.7.1 " + text;
    e.right = right;
    return e;
}

Expect tempfailed(const std::string &text) {
    Expect e;
    e.verdict = Verdict::tempfail;
    e.reply = "451 4.7.1 " + text;
    e.right = "unknown";
    return e;
}

const char *const not_verified_now = "sender rights cannot be verified now, try again later";

struct Case {
    const char *name;
    std::string config;  // extra config lines
    std::string login;
    std::string envelope;
    std::vector<std::string> from;
    std::vector<std::string> sender;
    Expect expect;
};

// clang-format off
const Case cases[] = {
    // --- own address ---
    {"own exact", "", "alice", "<alice@example.com>", {"Alice Adams <alice@example.com>"}, {},
     accepted("own")},
    {"own case-folded", "", "alice", "<alice@example.com>", {"Alice@EXAMPLE.COM"}, {},
     accepted("own")},
    {"own with +tag", "", "alice", "<alice@example.com>", {"alice+tag@example.com"}, {},
     accepted("own")},
    {"own second mail value", "", "alice", "<alice@example.com>", {"a.adams@example.org"}, {},
     accepted("own")},
    {"own envelope with +detail", "", "alice", "<alice+bounce@example.com>", {"alice@example.com"}, {},
     accepted("own")},
    {"own From, own Sender", "", "alice", "<alice@example.com>", {"alice@example.com"}, {"a.adams@example.org"},
     accepted("own")},
    {"own From, Sender someone with no right", "", "alice", "<alice@example.com>", {"alice@example.com"},
     {"CEO <ceo@example.com>"}, rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"own From, Sender foreign", "", "alice", "<alice@example.com>", {"alice@example.com"}, {"x@other.example"},
     rejected("<alice> is not allowed to send as <x@other.example>", "none")},
    {"own From, Sender with Send As right", "", "alice", "<alice@example.com>", {"alice@example.com"},
     {"support@example.com"}, accepted("own")},

    // --- Send As ---
    {"send-as, no Sender", "", "alice", "<alice@example.com>", {"Support <support@example.com>"}, {},
     accepted("send-as").copy("<support+Sent@example.com>")},
    {"send-as, Sender removed", "", "alice", "<alice@example.com>", {"Support <support@example.com>"},
     {"Alice <alice@example.com>"},
     accepted("send-as").removes_sender().copy("<support+Sent@example.com>")},
    {"send-as, foreign Sender removed unchecked", "", "alice", "<alice@example.com>", {"support@example.com"},
     {"x@other.example"}, accepted("send-as").removes_sender().copy("<support+Sent@example.com>")},
    {"send-as, remove_sender=no keeps an own Sender", "[rewrite]\nsend_as_remove_sender = no\n", "alice",
     "<alice@example.com>", {"support@example.com"}, {"alice@example.com"},
     accepted("send-as").copy("<support+Sent@example.com>")},
    {"send-as, remove_sender=no checks the Sender like a From", "[rewrite]\nsend_as_remove_sender = no\n",
     "alice", "<alice@example.com>", {"support@example.com"}, {"ceo@example.com"},
     rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"send-as, envelope kept by default", "", "alice", "<alice@example.com>", {"support@example.com"}, {},
     accepted("send-as").copy("<support+Sent@example.com>")},
    {"send-as, envelope set to the mailbox", "[rewrite]\nsend_as_envelope = mailbox\n", "alice",
     "<alice@example.com>", {"support@example.com"}, {},
     accepted("send-as").sets_envelope("<support@example.com>").copy("<support+Sent@example.com>")},
    {"send-as, mailbox normalized for envelope and copy", "[rewrite]\nsend_as_envelope = mailbox\n", "alice",
     "<alice@example.com>", {"Support+x@Example.COM"}, {},
     accepted("send-as").sets_envelope("<support@example.com>").copy("<support+Sent@example.com>")},
    {"send-as in the second local domain", "", "alice", "<alice@example.com>", {"info@example.org"}, {},
     accepted("send-as").copy("<info+Sent@example.org>")},
    {"send-as, envelope is the mailbox too", "", "alice", "<support@example.com>", {"support@example.com"}, {},
     accepted("send-as").copy("<support+Sent@example.com>")},

    // --- Send on Behalf ---
    {"behalf, no Sender", "", "bob", "<bob@example.com>", {"CEO <ceo@example.com>"}, {},
     accepted("send-on-behalf").sets_sender("\"Bob Builder\" <bob@example.com>").copy("<ceo+Sent@example.com>")},
    {"behalf, Sender replaced", "", "bob", "<bob@example.com>", {"ceo@example.com"}, {"x@other.example"},
     accepted("send-on-behalf").sets_sender("\"Bob Builder\" <bob@example.com>").copy("<ceo+Sent@example.com>")},
    {"behalf, user without an address", "", "zed", "<>", {"ceo@example.com"}, {},
     rejected("<zed> has no address of its own to name in Sender:*")},
    {"behalf, user whose address cannot be written", "", "mal", "<>", {"ceo@example.com"}, {},
     rejected("<mal> has no address of its own to name in Sender:*")},
    {"send-as wins over behalf", "", "alice", "<alice@example.com>", {"sales@example.com"}, {},
     accepted("send-as").copy("<sales+Sent@example.com>")},
    {"send-as wins over behalf, Sender removed", "", "alice", "<alice@example.com>", {"sales@example.com"},
     {"alice@example.com"}, accepted("send-as").removes_sender().copy("<sales+Sent@example.com>")},

    // --- Full Access only, none ---
    {"full access only", "", "carol", "<carol@example.com>", {"support@example.com"}, {},
     rejected("<carol> has Full Access to <support@example.com> but no Send As or Send on Behalf right",
              "full-access")},
    {"no right (not found)", "", "eve", "<eve@example.com>", {"support@example.com"}, {},
     rejected("<eve> is not allowed to send as <support@example.com>", "none")},
    {"no right (found, no flag)", "", "alice", "<alice@example.com>", {"ceo@example.com"}, {},
     rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"unknown login owns nothing", "", "ghost", "<>", {"ghost@example.com"}, {},
     rejected("<ghost> is not allowed to send as <ghost@example.com>", "none")},

    // --- rights unknown ---
    {"rights unknown, tempfail", "", "alice", "<alice@example.com>", {"shared@example.com"}, {},
     tempfailed(not_verified_now)},
    {"rights unknown, accept", "on_directory_error = accept\n", "alice", "<alice@example.com>",
     {"shared@example.com"}, {}, accepted("unknown")},
    {"rights unknown, reject", "on_directory_error = reject\n", "alice", "<alice@example.com>",
     {"shared@example.com"}, {}, rejected("sender rights cannot be verified", "unknown")},
    {"rights unknown for the Sender", "", "alice", "<alice@example.com>", {"alice@example.com"},
     {"shared@example.com"}, tempfailed(not_verified_now)},
    {"rights unknown for the envelope", "", "alice", "<shared@example.com>", {"alice@example.com"}, {},
     tempfailed(not_verified_now)},
    {"user unavailable, tempfail", "", "down", "<>", {"support@example.com"}, {}, tempfailed(not_verified_now)},
    {"user unavailable, own-looking From", "", "down", "<>", {"down@example.com"}, {},
     tempfailed(not_verified_now)},
    {"user unavailable, accept", "on_directory_error = accept\n", "down", "<>", {"support@example.com"}, {},
     accepted("unknown")},
    {"user unavailable, reject", "on_directory_error = reject\n", "down", "<>", {"support@example.com"}, {},
     rejected("sender rights cannot be verified", "unknown")},
    {"denial beats unknown (denied second)", "", "alice", "<alice@example.com>",
     {"shared@example.com, ceo@example.com"}, {"alice@example.com"},
     rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"denial beats unknown (denied first)", "", "alice", "<alice@example.com>",
     {"ceo@example.com, shared@example.com"}, {"alice@example.com"},
     rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"denial beats unknown with on_directory_error=accept", "on_directory_error = accept\n", "alice",
     "<alice@example.com>", {"shared@example.com, ceo@example.com"}, {"alice@example.com"},
     rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"full-access denial beats unknown", "on_directory_error = accept\n", "carol", "<carol@example.com>",
     {"support@example.com, shared@example.com"}, {"carol@example.com"},
     rejected("<carol> has Full Access to <support@example.com> but no Send As or Send on Behalf right",
              "full-access")},

    // --- several From: mailboxes ---
    {"several From, no Sender", "", "alice", "<alice@example.com>", {"support@example.com, info@example.org"}, {},
     rejected("From: with several mailboxes requires a Sender: header")},
    {"several From, own Sender", "", "alice", "<alice@example.com>",
     {"Support <support@example.com>, Info <info@example.org>"}, {"alice@example.com"},
     accepted("send-as").copy("<support+Sent@example.com>").copy("<info+Sent@example.org>")},
    {"several From, one on behalf, no Sender", "", "bob", "<bob@example.com>",
     {"support@example.com, ceo@example.com"}, {},
     accepted("send-on-behalf")
         .sets_sender("\"Bob Builder\" <bob@example.com>")
         .copy("<support+Sent@example.com>")
         .copy("<ceo+Sent@example.com>")},
    {"several From, one not allowed", "", "alice", "<alice@example.com>", {"support@example.com, ceo@example.com"},
     {"alice@example.com"}, rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"several From, foreign one", "", "alice", "<alice@example.com>", {"support@example.com, x@other.example"},
     {"alice@example.com"}, rejected("<alice> is not allowed to send as <x@other.example>", "none")},
    {"several From, Sender not allowed", "", "alice", "<alice@example.com>",
     {"support@example.com, info@example.org"}, {"ceo@example.com"},
     rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"several From naming one mailbox: one copy", "", "alice", "<alice@example.com>",
     {"support@example.com, Support+x@example.com"}, {"alice@example.com"},
     accepted("send-as").copy("<support+Sent@example.com>")},
    {"own and send-as From: copy only for the mailbox", "", "alice", "<alice@example.com>",
     {"alice@example.com, support@example.com"}, {"alice@example.com"},
     accepted("send-as").copy("<support+Sent@example.com>")},
    {"several own From still need a Sender", "", "alice", "<alice@example.com>",
     {"alice@example.com, a.adams@example.org"}, {},
     rejected("From: with several mailboxes requires a Sender: header")},

    // --- foreign From ---
    {"foreign From rejected by default", "", "alice", "<alice@example.com>", {"x@other.example"}, {},
     rejected("<alice> is not allowed to send as <x@other.example>", "none")},
    {"foreign From with foreign_from=accept", "foreign_from = accept\n", "alice", "<alice@example.com>",
     {"x@other.example"}, {}, accepted("foreign")},
    {"foreign_from=accept still protects local From", "foreign_from = accept\n", "eve", "<eve@example.com>",
     {"support@example.com"}, {}, rejected("<eve> is not allowed to send as <support@example.com>", "none")},

    // --- unauthenticated ---
    {"unauthenticated, local From passes untouched", "", "", "<support@example.com>", {"support@example.com"}, {},
     accepted("").untouched()},
    {"unauthenticated, header errors pass untouched", "", "", "<>", {"a@example.com", "b@example.com"}, {},
     accepted("").untouched()},
    {"unauthenticated_local_from=reject, local From", "unauthenticated_local_from = reject\n", "", "<>",
     {"Support <support@example.com>"}, {},
     rejected("<support@example.com> is a local address: authenticate to send as it", "none")},
    {"unauthenticated_local_from=reject, local From normalized", "unauthenticated_local_from = reject\n", "",
     "<>", {"Support+x@Example.COM"}, {},
     rejected("<support+x@example.com> is a local address: authenticate to send as it", "none")},
    {"unauthenticated_local_from=reject, foreign From", "unauthenticated_local_from = reject\n", "",
     "<x@other.example>", {"x@other.example"}, {}, accepted("none")},

    // --- header rules ---
    {"two From: headers", "", "alice", "<alice@example.com>", {"alice@example.com", "alice@example.com"}, {},
     rejected("message has more than one From: header")},
    {"unparsable From", "", "alice", "<alice@example.com>", {"alice@"}, {}, rejected("From: header rejected: *")},
    {"From: display name spoofing an address", "", "alice", "<alice@example.com>",
     {"support@example.com <x@other.example>"}, {}, rejected("From: header rejected: *")},
    {"group syntax in From", "", "alice", "<alice@example.com>", {"team: alice@example.com;"}, {},
     rejected("From: header rejected: *")},
    {"empty group in From", "", "alice", "<alice@example.com>", {"undisclosed-recipients:;"}, {},
     rejected("From: header rejected: *")},
    {"bare LF in From", "", "alice", "<alice@example.com>", {"alice@example.com\nBcc: x@other.example"}, {},
     rejected("From: header rejected: *")},
    {"bare CR in From", "", "alice", "<alice@example.com>", {"alice@example.com\rx"}, {},
     rejected("From: header rejected: *")},
    {"NUL in From", "", "alice", "<alice@example.com>", {"alice@example.com\0support@example.com"s}, {},
     rejected("From: header rejected: *")},
    {"empty From", "", "alice", "<alice@example.com>", {""}, {}, rejected("From: header rejected: *")},
    {"two Sender: headers", "", "alice", "<alice@example.com>", {"alice@example.com"},
     {"alice@example.com", "alice@example.com"}, rejected("message has more than one Sender: header")},
    {"Sender with two mailboxes", "", "alice", "<alice@example.com>", {"alice@example.com"},
     {"alice@example.com, a.adams@example.org"}, rejected("Sender: header rejected*")},
    {"unparsable Sender", "", "alice", "<alice@example.com>", {"alice@example.com"}, {"alice@"},
     rejected("Sender: header rejected*")},
    {"header error beats directory error", "", "down", "<>", {"a@example.com", "b@example.com"}, {},
     rejected("message has more than one From: header")},

    // --- missing From ---
    {"no From, own envelope", "", "alice", "<alice@example.com>", {}, {}, accepted("own")},
    {"no From, envelope without right", "", "alice", "<ceo@example.com>", {}, {},
     rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"no From, envelope no right (eve)", "", "eve", "<support@example.com>", {}, {},
     rejected("<eve> is not allowed to send as <support@example.com>", "none")},
    {"no From, null envelope", "", "alice", "<>", {}, {}, accepted("none")},
    {"missing_from=reject", "missing_from = reject\n", "alice", "<alice@example.com>", {}, {},
     rejected("message has no From: header")},

    // --- null envelope, envelope checked ---
    {"null envelope, From without right", "", "eve", "<>", {"support@example.com"}, {},
     rejected("<eve> is not allowed to send as <support@example.com>", "none")},
    {"empty envelope, From without right", "", "eve", "", {"support@example.com"}, {},
     rejected("<eve> is not allowed to send as <support@example.com>", "none")},
    {"null envelope, send-as", "", "alice", "<>", {"support@example.com"}, {},
     accepted("send-as").copy("<support+Sent@example.com>")},
    {"own From, envelope without right", "", "alice", "<ceo@example.com>", {"alice@example.com"}, {},
     rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"own From, envelope of a mailbox with no right (eve)", "", "eve", "<support@example.com>",
     {"eve@example.com"}, {}, rejected("<eve> is not allowed to send as <support@example.com>", "none")},
    {"own From, envelope with Send As", "", "alice", "<support@example.com>", {"alice@example.com"}, {},
     accepted("own")},

    // --- sent copy switches and template ---
    {"sent_copy.send_as=no", "[sent_copy]\nsend_as = no\n", "alice", "<alice@example.com>",
     {"support@example.com"}, {}, accepted("send-as")},
    {"sent_copy.send_as=no keeps the behalf copy", "[sent_copy]\nsend_as = no\n", "bob", "<bob@example.com>",
     {"ceo@example.com"}, {},
     accepted("send-on-behalf").sets_sender("\"Bob Builder\" <bob@example.com>").copy("<ceo+Sent@example.com>")},
    {"sent_copy.send_on_behalf=no", "[sent_copy]\nsend_on_behalf = no\n", "bob", "<bob@example.com>",
     {"ceo@example.com"}, {}, accepted("send-on-behalf").sets_sender("\"Bob Builder\" <bob@example.com>")},
    {"sent_copy.send_on_behalf=no keeps the send-as copy", "[sent_copy]\nsend_on_behalf = no\n", "alice",
     "<alice@example.com>", {"support@example.com"}, {}, accepted("send-as").copy("<support+Sent@example.com>")},
    {"sent_copy.address with %l and %d", "[sent_copy]\naddress = archive+%l=%d@example.net\n", "alice",
     "<alice@example.com>", {"support@example.com"}, {},
     accepted("send-as").copy("<archive+support=example.com@example.net>")},
    {"sent_copy.address with %u", "[sent_copy]\naddress = %l+Sent-%u@%d\n", "alice", "<alice@example.com>",
     {"support@example.com"}, {}, accepted("send-as").copy("<support+Sent-alice@example.com>")},
    {"no copy on reject", "", "alice", "<alice@example.com>", {"support@example.com, ceo@example.com"},
     {"alice@example.com"}, rejected("<alice> is not allowed to send as <ceo@example.com>", "none")},
    {"no copy on tempfail", "", "alice", "<alice@example.com>", {"support@example.com, shared@example.com"},
     {"alice@example.com"}, tempfailed(not_verified_now)},
    {"no copy when accepted on directory error", "on_directory_error = accept\n", "alice", "<alice@example.com>",
     {"support@example.com, shared@example.com"}, {"alice@example.com"}, accepted("unknown")},

    // --- address comparison ---
    {"local_part_case_sensitive=yes: other case is not own", "local_part_case_sensitive = yes\n", "alice",
     "<alice@example.com>", {"Alice@example.com"}, {},
     rejected("<alice> is not allowed to send as <Alice@example.com>", "none")},
    {"local_part_case_sensitive=yes: same case is own, domain still folded", "local_part_case_sensitive = yes\n",
     "alice", "<alice@example.com>", {"alice@EXAMPLE.com"}, {}, accepted("own")},
    {"mail value in mixed case is own", "", "asmith", "<>", {"anna.smith@example.com"}, {}, accepted("own")},
    {"empty recipient_delimiter keeps +tag", "recipient_delimiter =\n", "alice", "<alice@example.com>",
     {"alice+tag@example.com"}, {}, rejected("<alice> is not allowed to send as <alice+tag@example.com>", "none")},
    {"other recipient_delimiter", "recipient_delimiter = -\n", "alice", "<alice@example.com>",
     {"alice-tag@example.com"}, {}, accepted("own")},
    {"local domain case-insensitive", "", "eve", "<eve@example.com>", {"support@EXAMPLE.ORG"}, {},
     rejected("<eve> is not allowed to send as <support@example.org>", "none")},
};

// With case-sensitive local parts, a user's own address is the mail value
// exactly as the directory spells it (own address -> accept).
const Case case_sensitive_own_cases[] = {
    {"local_part_case_sensitive=yes: mail value spelled exactly is own", "local_part_case_sensitive = yes\n",
     "asmith", "<>", {"Anna.Smith@example.com"}, {}, accepted("own")},
    {"local_part_case_sensitive=yes: own envelope spelled exactly", "local_part_case_sensitive = yes\n",
     "asmith", "<Anna.Smith@example.com>", {}, {}, accepted("own")},
    {"local_part_case_sensitive=yes: mail value in other case is not own", "local_part_case_sensitive = yes\n",
     "asmith", "<>", {"anna.smith@example.com"}, {},
     rejected("<asmith> is not allowed to send as <anna.smith@example.com>", "none")},
};
// clang-format on

bool matches(const std::string &expected, const std::string &actual) {
    if (!expected.empty() && expected.back() == '*')
        return actual.compare(0, expected.size() - 1, expected, 0, expected.size() - 1) == 0;
    return expected == actual;
}

std::string reply_of(const Decision &d) {
    if (d.verdict == Verdict::accept) return "";
    return d.smtp_code + " " + d.enhanced_code + " " + d.reply_text;
}

MessageFacts facts_for(const Case &c) {
    MessageFacts facts;
    facts.queue_id = "4Q1";
    facts.auth_user = c.login;
    facts.envelope_from = c.envelope;
    facts.from_values = c.from;
    facts.sender_values = c.sender;
    return facts;
}

}  // namespace

class PolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicyTest);
    CPPUNIT_TEST(testDecisionTable);
    CPPUNIT_TEST(testCaseSensitiveOwnAddress);
    CPPUNIT_TEST(testRejectedMessagesCarryNoChanges);
    CPPUNIT_TEST(testCheckedAddresses);
    CPPUNIT_TEST(testNeededRights);
    CPPUNIT_TEST(testNeededRightsEmpty);
    CPPUNIT_TEST(testNormalizeAddress);
    CPPUNIT_TEST(testExpandAddressTemplate);
    CPPUNIT_TEST(testAuditLineAccept);
    CPPUNIT_TEST(testAuditLineRejectAndTempfail);
    CPPUNIT_TEST(testAuditLineNoQueue);
    CPPUNIT_TEST(testAuditLineCannotBeForged);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDecisionTable() {
        for (const Case &c : cases) check(c);
    }

    void testCaseSensitiveOwnAddress() {
        for (const Case &c : case_sensitive_own_cases) check(c);
    }

    static void check(const Case &c) {
        const std::string name = c.name;
        auto config = make_config(c.config);
        const MessageFacts facts = facts_for(c);
        const Decision d = sendas::decide(facts, ask_directory(facts, *config), *config);
        const Expect &e = c.expect;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": verdict", std::string(verdict_name(e.verdict)),
                                     std::string(verdict_name(d.verdict)));
        CPPUNIT_ASSERT_MESSAGE(name + ": reply: expected '" + e.reply + "', got '" + reply_of(d) + "'",
                               matches(e.reply, reply_of(d)));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": acted", e.acted, d.acted);
        if (!e.right.empty())
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": right", e.right, std::string(sendas::right_name(d.right)));
        if (e.verdict != Verdict::accept)
            CPPUNIT_ASSERT_MESSAGE(name + ": a reject or tempfail names its reason", d.reason != sendas::Reason::none);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": remove_sender", e.remove_sender, d.remove_sender);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": set_sender", shown(e.set_sender), shown(d.set_sender));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": envelope_from", shown(e.envelope_from), shown(d.envelope_from));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": sent copies", join(e.copies), join(d.sent_copies));
    }

    // Whatever the config, a message that is not accepted asks for no change.
    void testRejectedMessagesCarryNoChanges() {
        const std::string everything = "[rewrite]\nsend_as_envelope = mailbox\n";
        for (const Case &c : cases) {
            auto config =
                make_config(c.config.find("[rewrite]") == std::string::npos ? c.config + everything : c.config);
            const MessageFacts facts = facts_for(c);
            const Decision d = sendas::decide(facts, ask_directory(facts, *config), *config);
            if (d.verdict == Verdict::accept) continue;
            const std::string name = c.name;
            CPPUNIT_ASSERT_MESSAGE(name + ": no copy", d.sent_copies.empty());
            CPPUNIT_ASSERT_MESSAGE(name + ": no Sender: set", !d.set_sender);
            CPPUNIT_ASSERT_MESSAGE(name + ": no Sender: removed", !d.remove_sender);
            CPPUNIT_ASSERT_MESSAGE(name + ": no envelope change", !d.envelope_from);
        }
    }

    void testCheckedAddresses() {
        auto config = make_config("");
        MessageFacts facts;
        facts.queue_id = "Q";
        facts.auth_user = "alice";
        facts.envelope_from = "<Alice+x@example.com>";
        facts.from_values = {"Support+x@Example.com"};
        facts.sender_values = {};
        const Decision d = sendas::decide(facts, ask_directory(facts, *config), *config);
        CPPUNIT_ASSERT_EQUAL(std::string("accept"), std::string(verdict_name(d.verdict)));
        std::string checked;
        for (const auto &c : d.checked)
            checked += std::string(sendas::role_name(c.role)) + "=" + c.address + "(" + c.base +
                       "):" + sendas::right_name(c.right) + " ";
        CPPUNIT_ASSERT_EQUAL(std::string("from=support+x@example.com(support@example.com):send-as "
                                         "envelope=alice+x@example.com(alice@example.com):own "),
                             checked);
    }

    void testNeededRights() {
        struct NeededCase {
            const char *name;
            std::string login;
            std::string envelope;
            std::vector<std::string> from;
            std::vector<std::string> sender;
            std::string expected;  // joined with ' '
        };
        const NeededCase needed_cases[] = {
            {"own only", "alice", "<alice@example.com>", {"alice@example.com"}, {}, ""},
            {"one mailbox", "alice", "<alice@example.com>", {"support@example.com"}, {}, "support@example.com"},
            {"normalized, in order, without repeats, foreign and own left out",
             "alice",
             "<Support@example.com>",
             {"Support+x@Example.COM, alice@example.com, x@other.example, ceo@example.org, support@example.com"},
             {"Sales <SALES@example.com>"},
             "support+x@example.com ceo@example.org support@example.com sales@example.com"},
            {"a detail address of the user's own is a claim of its own",
             "alice",
             "<>",
             {"alice+news@example.com"},
             {},
             "alice+news@example.com"},
            {"envelope last",
             "alice",
             "<ceo@example.com>",
             {"alice@example.com"},
             {"support@example.com"},
             "support@example.com ceo@example.com"},
            {"no From: the envelope", "alice", "<ceo@example.com>", {}, {}, "ceo@example.com"},
            {"unknown user owns nothing", "ghost", "<>", {"ghost@example.com"}, {}, "ghost@example.com"},
        };
        auto config = make_config("");
        for (const auto &c : needed_cases) {
            MessageFacts facts;
            facts.auth_user = c.login;
            facts.envelope_from = c.envelope;
            facts.from_values = c.from;
            facts.sender_values = c.sender;
            const auto needed = sendas::needed_rights(facts, sendas::parse_claims(facts), ask_user(c.login), *config);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, c.expected, join(needed));
        }
    }

    void testNeededRightsEmpty() {
        struct EmptyCase {
            const char *name;
            std::string login;
            std::vector<std::string> from;
            std::vector<std::string> sender;
        };
        const EmptyCase empty_cases[] = {
            {"unauthenticated", "", {"support@example.com"}, {}},
            {"two From: headers", "alice", {"support@example.com", "ceo@example.com"}, {}},
            {"unparsable From", "alice", {"support@"}, {}},
            {"group syntax", "alice", {"team: support@example.com;"}, {}},
            {"two Sender: headers", "alice", {"support@example.com"}, {"ceo@example.com", "ceo@example.com"}},
            {"user unavailable", "down", {"support@example.com"}, {}},
        };
        auto config = make_config("");
        for (const auto &c : empty_cases) {
            MessageFacts facts;
            facts.auth_user = c.login;
            facts.envelope_from = "<ceo@example.com>";
            facts.from_values = c.from;
            facts.sender_values = c.sender;
            const auto needed = sendas::needed_rights(facts, sendas::parse_claims(facts), ask_user(c.login), *config);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, std::string(), join(needed));
        }
    }

    void testNormalizeAddress() {
        struct NormCase {
            const char *config;
            const char *local;
            const char *domain;
            const char *expected;
            const char *base;
        };
        // Nothing is stripped; only detail_base() names the base.
        const NormCase norm_cases[] = {
            {"", "Alice", "EXAMPLE.com", "alice@example.com", "(none)"},
            {"", "alice+tag+more", "example.com", "alice+tag+more@example.com", "alice@example.com"},
            {"", "+tag", "example.com", "+tag@example.com", "(none)"},
            {"local_part_case_sensitive = yes\n", "Alice+X", "Example.COM", "Alice+X@example.com", "Alice@example.com"},
            {"recipient_delimiter =\n", "alice+tag", "example.com", "alice+tag@example.com", "(none)"},
            {"recipient_delimiter = +-\n", "alice-tag", "example.com", "alice-tag@example.com", "alice@example.com"},
            {"recipient_delimiter = -\n", "alice+tag", "example.com", "alice+tag@example.com", "(none)"},
            {"", "alice\xc5\xbf", "example.com", "alice\xc5\xbf@example.com", "(none)"},  // no Unicode folding
        };
        for (const auto &c : norm_cases) {
            auto config = make_config(c.config);
            sendas::Mailbox m;
            m.local = c.local;
            m.domain = c.domain;
            const std::string name = std::string(c.config) + c.local + "@" + c.domain;
            const std::string normalized = sendas::normalize_address(m, *config);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string(c.expected), normalized);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                name, std::string(c.base),
                sendas::detail_base(normalized, config->recipient_delimiter).value_or("(none)"));
        }
    }

    void testExpandAddressTemplate() {
        struct TemplateCase {
            const char *tmpl;
            const char *mailbox;
            const char *expected;
        };
        const TemplateCase template_cases[] = {
            {"%l+Sent@%d", "support@example.com", "support+Sent@example.com"},
            {"%m", "support@example.com", "support@example.com"},
            {"sent-%u@%d", "support@example.com", "sent-alice@example.com"},
            {"%l", "support@example.com", "support"},
            {"%d", "support@example.com", "example.com"},
            {"100%%@%d", "support@example.com", "100%@example.com"},
            {"%%l", "support@example.com", "%l"},
            {"%x%l", "support@example.com", "%xsupport"},
            {"%l%", "support@example.com", "support%"},
            {"%l@%d", "a@b@example.com", "a@b@example.com"},
            {"no tokens", "support@example.com", "no tokens"},
            {"", "support@example.com", ""},
        };
        for (const auto &c : template_cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(c.tmpl) + " with " + c.mailbox, std::string(c.expected),
                                         sendas::expand_address_template(c.tmpl, c.mailbox, "alice"));
    }

    void testAuditLineAccept() {
        auto config = make_config("");
        MessageFacts facts;
        facts.queue_id = "4Q1";
        facts.auth_user = "alice";
        facts.envelope_from = "<>";
        facts.from_values = {"Support <support@example.com>"};
        const Decision d = sendas::decide(facts, ask_directory(facts, *config), *config);
        CPPUNIT_ASSERT_EQUAL(std::string("4Q1: user=<alice> from=<support@example.com> right=send-as action=accept "
                                         "sent_copy=<support+Sent@example.com>"),
                             sendas::audit_line(facts, d));
    }

    void testAuditLineRejectAndTempfail() {
        struct AuditCase {
            const char *name;
            std::string login;
            std::string from;
            std::string config;
            std::string prefix;
            std::string fields;  // must appear in the line
        };
        const AuditCase audit_cases[] = {
            {"no right", "eve", "support@example.com", "", "4Q1: user=<eve> from=<support@example.com> ",
             " right=none action=reject reason="},
            {"full access", "carol", "support@example.com", "", "4Q1: user=<carol> from=<support@example.com> ",
             " right=full-access action=reject reason="},
            {"directory down", "alice", "shared@example.com", "", "4Q1: user=<alice> from=<shared@example.com> ",
             " action=tempfail reason="},
            {"header error", "alice", "alice@", "", "4Q1: user=<alice> ", " action=reject reason="},
        };
        for (const auto &c : audit_cases) {
            auto config = make_config(c.config);
            MessageFacts facts;
            facts.queue_id = "4Q1";
            facts.auth_user = c.login;
            facts.envelope_from = "<>";
            facts.from_values = {c.from};
            const std::string line =
                sendas::audit_line(facts, sendas::decide(facts, ask_directory(facts, *config), *config));
            CPPUNIT_ASSERT_MESSAGE(std::string(c.name) + ": " + line, line.compare(0, c.prefix.size(), c.prefix) == 0);
            CPPUNIT_ASSERT_MESSAGE(std::string(c.name) + ": " + line, line.find(c.fields) != std::string::npos);
            const auto reason = line.find(" reason=");
            CPPUNIT_ASSERT_MESSAGE(std::string(c.name) + ": reason has a value: " + line,
                                   reason != std::string::npos && line.size() > reason + 8 && line[reason + 8] != ' ');
            CPPUNIT_ASSERT_MESSAGE(std::string(c.name) + ": no sent copy on reject: " + line,
                                   line.find("sent_copy=") == std::string::npos);
        }
    }

    void testAuditLineNoQueue() {
        auto config = make_config("");
        MessageFacts facts;
        facts.auth_user = "alice";
        facts.envelope_from = "<alice@example.com>";
        facts.from_values = {"alice@example.com"};
        const std::string line =
            sendas::audit_line(facts, sendas::decide(facts, ask_directory(facts, *config), *config));
        CPPUNIT_ASSERT_EQUAL(std::string("NOQUEUE: user=<alice> "), line.substr(0, 22));
        CPPUNIT_ASSERT_MESSAGE(line, line.find(" right=own action=accept") != std::string::npos);
    }

    // Client-supplied values (login, queue id, quoted local parts) must not
    // add fields, lines or change the action field.
    void testAuditLineCannotBeForged() {
        auto config = make_config("foreign_from = accept\n");
        MessageFacts facts;
        facts.queue_id = "Q1 user=<root>";
        facts.auth_user = "eve> action=accept right=send-as\nQ2: user=<root";
        facts.envelope_from = "<>";
        facts.from_values = {"\"x action=accept\tsent_copy=<y@example.com>\"@example.com"};
        Decision d = sendas::decide(facts, ask_directory(facts, *config), *config);
        const std::string line = sendas::audit_line(facts, d);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(line, std::string("reject"), std::string(verdict_name(d.verdict)));
        for (unsigned char c : line) CPPUNIT_ASSERT_MESSAGE("control character in: " + line, c >= 0x20 && c != 0x7f);
        // Fields are separated by single spaces: the keys must be exactly these.
        std::vector<std::string> keys;
        size_t start = line.find(' ');
        CPPUNIT_ASSERT(start != std::string::npos);
        while (start != std::string::npos) {
            const size_t next = line.find(' ', start + 1);
            const std::string field =
                line.substr(start + 1, next == std::string::npos ? std::string::npos : next - start - 1);
            keys.push_back(field.substr(0, field.find('=')));
            start = next;
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(line, std::string("user from right action reason"), join(keys));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(line, std::string::npos, line.find(" action=accept"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyTest);
