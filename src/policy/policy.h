// The decision: a pure function of the message's claims (claims.h), the
// directory's answers and the config. No I/O, no libmilter, no clock.
//
// It runs in steps because the lookups sit between them:
//   0. parse_claims(): the identities the message claims, parsed once;
//   1. needed_rights(): which addresses need the user's rights;
//   2. decide(): the verdict and the changes, given those rights.
#ifndef SENDAS_POLICY_H
#define SENDAS_POLICY_H

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "policy/claims.h"
#include "policy/rights.h"
#include "policy/vocabulary.h"

namespace sendas {

// What the directory answered.
struct DirectoryAnswers {
    Answer<UserInfo> user{LookupStatus::not_found, {}};
    // normalized address -> rights; status unavailable when it could not be asked
    std::map<std::string, Answer<MailboxRights>> rights;
    // A claimed detail address that is no mailbox of its own -> the base
    // address it is decided by (mailbox_match.h).
    std::map<std::string, std::string> fallback;
    // The message needed more directory searches than allowed.
    bool over_budget = false;

    // Whether any answer came from an expired cache entry (directory down).
    bool stale() const {
        if (user.value.stale) return true;
        for (const auto &entry : rights)
            if (entry.second.value.stale) return true;
        return false;
    }
};

// One claimed address whose rights decide the message.
struct RightsQuestion {
    std::string address;  // normalized
    bool decisive;        // a From:/Resent-From: author: a denial rejects the message whatever else
};

// Only authenticated mail needs the directory; the user lookup comes first.
// After it: the local addresses claimed, in order (authors first) and
// without repeats, that are not exactly one of the user's own. Nothing when
// the headers are rejected anyway or name more than max_from_mailboxes.
std::vector<RightsQuestion> needed_rights(const MessageFacts &facts, const Claims &claims,
                                          const DirectoryAnswers &answers, const Config &config);

// The right the user holds on one normalized claimed address, by the
// answers so far (a detail address by its base when it falls back).
Right classify_address(const std::string &address, const DirectoryAnswers &answers, const Config &config);

// One address the decision covered, for the audit line.
struct CheckedAddress {
    Role role = Role::from;
    std::string address;  // normalized, as written
    Right right = Right::none;
    std::string base;  // the base it was decided by, when it fell back to one
    // The mailbox the right is on: its Sent copy and its send limit.
    const std::string &mailbox() const { return base.empty() ? address : base; }
};

struct Decision {
    Verdict verdict = Verdict::accept;
    std::string smtp_code;      // "550" / "451" when not accept
    std::string enhanced_code;  // "5.7.1" / "4.7.1"
    std::string reply_text;     // human text, not yet escaped for the MTA
    Reason reason = Reason::none;
    bool acted = false;  // false: message not subject to the policy (passed untouched)

    // Changes, applied only when verdict is accept.
    bool remove_sender = false;
    std::optional<std::string> set_sender;     // full header value to set
    std::optional<std::string> envelope_from;  // new envelope sender
    std::vector<std::string> sent_copies;      // envelope recipients to add

    std::vector<CheckedAddress> checked;
    Right right = Right::none;  // the effective right, for the audit line

    // Report mode: the message passes unchanged; `enforced` is what enforce
    // mode would have done (its reply and reason are kept for the audit).
    bool report = false;
    Verdict enforced = Verdict::accept;

    // Keeps the verdict and what was checked, drops every change.
    void drop_changes() {
        remove_sender = false;
        set_sender.reset();
        envelope_from.reset();
        sent_copies.clear();
    }
};

// The verdict, with report mode applied: in report mode nothing is
// refused or changed (see sendas-milter.conf(5), "mode").
Decision decide(const MessageFacts &facts, const Claims &claims, const DirectoryAnswers &answers, const Config &config);

// For one-off callers (sendasctl explain, tests): parses the claims itself.
inline Decision decide(const MessageFacts &facts, const DirectoryAnswers &answers, const Config &config) {
    return decide(facts, parse_claims(facts), answers, config);
}

// An accepted decision turned into the 451 of a send limit: changes
// dropped, what was checked kept for the audit line.
Decision over_send_limit(Decision accepted, const std::string &login, const std::string &mailbox);

// Expands %m %l %d (mailbox, its local part and domain) and %u (login) in
// a template such as sent_copy.address. "%%" is a literal '%'.
std::string expand_address_template(const std::string &tmpl, const std::string &mailbox, const std::string &login);

}  // namespace sendas

#endif
