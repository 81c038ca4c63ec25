// The decision table (doc/design.md, section 2) as a pure function.
#include "policy/policy.h"

#include <algorithm>

#include "base/mailbox_match.h"
#include "base/string_util.h"
#include "base/tokens.h"
#include "policy/report_mode.h"

namespace sendas {

namespace {

Decision reject(Reason reason, std::string text) {
    Decision d;
    d.verdict = Verdict::reject;
    d.acted = true;
    d.smtp_code = "550";
    d.enhanced_code = "5.7.1";
    d.reason = reason;
    d.reply_text = std::move(text);
    return d;
}

Decision directory_error(const Config &config) {
    Decision d;
    d.acted = true;
    d.reason = Reason::directory_unavailable;
    switch (config.on_directory_error) {
    case DirectoryErrorAction::tempfail:
        d.verdict = Verdict::tempfail;
        d.smtp_code = "451";
        d.enhanced_code = "4.7.1";
        d.reply_text = "sender rights cannot be verified now, try again later";
        break;
    case DirectoryErrorAction::reject:
        d = reject(Reason::directory_unavailable, "sender rights cannot be verified");
        break;
    case DirectoryErrorAction::accept: break;
    }
    d.right = Right::unknown;
    return d;
}

std::string bracketed(const std::string &s) { return "<" + s + ">"; }

// The user's addresses in the same canonical form as the claims: a handful,
// so a vector searched in order beats a set.
using OwnAddresses = std::vector<std::string>;

bool is_own(const OwnAddresses &own, const std::string &address) {
    return std::find(own.begin(), own.end(), address) != own.end();
}

std::string domain_of(const std::string &address) { return address.substr(address.rfind('@') + 1); }

// The address a claim is decided by: its base when it fell back to one.
const std::string &decided_by(const std::string &address, const DirectoryAnswers &answers) {
    auto it = answers.fallback.find(address);
    return it == answers.fallback.end() ? address : it->second;
}

// The right the user holds on one claimed address; Send As wins.
Right classify(const std::string &claimed, const OwnAddresses &own, const DirectoryAnswers &answers,
               const Config &config) {
    if (is_own(own, claimed)) return Right::own;
    if (!config.is_local_domain(domain_of(claimed))) return Right::none;
    const std::string &address = decided_by(claimed, answers);
    if (is_own(own, address)) return Right::own;
    auto it = answers.rights.find(address);
    if (it == answers.rights.end() || it->second.status == LookupStatus::unavailable) return Right::unknown;
    const MailboxRights &r = it->second.value;
    if (it->second.status == LookupStatus::not_found) return Right::none;
    if (r.send_as) return Right::send_as;
    if (r.send_on_behalf) return Right::send_on_behalf;
    if (r.full_access) return Right::full_access_only;
    return Right::none;
}

}  // namespace

namespace {

// The user's addresses, normalized and never stripped.
OwnAddresses own_addresses(const UserInfo &user, const Config &config) {
    OwnAddresses own;
    own.reserve(user.addresses.size());
    for (const auto &address : user.addresses)
        if (auto canonical = canonical_address(address, config.local_part_case_sensitive))
            own.push_back(std::move(*canonical));
    return own;
}

size_t author_count(const Claims &claims) { return claims.authors.size() + claims.resent_authors.size(); }

}  // namespace

std::vector<RightsQuestion> needed_rights(const MessageFacts &facts, const Claims &claims,
                                          const DirectoryAnswers &answers, const Config &config) {
    std::vector<RightsQuestion> needed;
    if (facts.auth_user.empty() || answers.user.status == LookupStatus::unavailable) return needed;
    if (claims.error_reason != Reason::none || author_count(claims) > config.max_from_mailboxes) return needed;
    const OwnAddresses own = own_addresses(answers.user.value, config);
    auto consider = [&](const Mailbox &m, bool decisive) {
        std::string address = normalize_address(m, config);
        if (is_own(own, address) || !config.is_local_domain(domain_of(address))) return;
        auto seen =
            std::find_if(needed.begin(), needed.end(), [&](const RightsQuestion &q) { return q.address == address; });
        if (seen == needed.end())
            needed.push_back({std::move(address), decisive});
        else
            seen->decisive = seen->decisive || decisive;
    };
    for (const auto &m : claims.authors) consider(m, true);
    for (const auto &m : claims.resent_authors) consider(m, true);
    if (claims.sender) consider(*claims.sender, false);
    if (claims.resent_sender) consider(*claims.resent_sender, false);
    if (claims.envelope) consider(*claims.envelope, false);
    return needed;
}

Right classify_address(const std::string &address, const DirectoryAnswers &answers, const Config &config) {
    return classify(address, own_addresses(answers.user.value, config), answers, config);
}

std::string expand_address_template(const std::string &tmpl, const std::string &mailbox, const std::string &login) {
    return expand_tokens(tmpl, [&](char token) -> std::optional<std::string> {
        switch (token) {
        case 'm': return mailbox;
        case 'l': return local_part_of(mailbox);
        case 'd': return domain_part_of(mailbox);
        case 'u': return login;
        default: return std::nullopt;
        }
    });
}

namespace {

Decision decide_unauthenticated(const Claims &claims, const Config &config) {
    Decision pass;
    if (config.unauthenticated_local_from == UnauthLocalFrom::accept) return pass;
    // Only the header From: is protected here; an unreadable one cannot be cleared.
    if (claims.error_reason == Reason::multiple_from || claims.error_reason == Reason::from_syntax)
        return reject(claims.error_reason, claims.error_text);
    if (claims.from_missing) return pass;
    for (const auto &m : claims.authors) {
        std::string address = normalize_address(m, config);
        if (config.is_local_domain(domain_of(address))) {
            Decision d = reject(Reason::unauthenticated_local_from,
                                bracketed(address) + " is a local address: authenticate to send as it");
            d.checked.push_back({Role::from, address, Right::none, {}});
            d.right = Right::none;
            return d;
        }
    }
    pass.acted = true;
    pass.right = Right::none;
    return pass;
}

}  // namespace

namespace {

// Every claimed address checked: the rights found and the first definite
// denial, which outranks an address whose rights are unknown.
struct ClaimCheck {
    std::vector<CheckedAddress> checked;
    std::vector<Right> author_rights;  // one per From: mailbox
    std::optional<Decision> denial;
    bool unknown = false;
    bool foreign_accepted = false;
    bool any(Right right) const {
        return std::find(author_rights.begin(), author_rights.end(), right) != author_rights.end();
    }
};

class ClaimChecker {
public:
    ClaimChecker(const DirectoryAnswers &answers, const Config &config, const std::string &login)
        : answers_(answers), config_(config), own_(own_addresses(answers.user.value, config)), login_(login) {}

    Right check(Role role, const Mailbox &m) {
        const std::string address = normalize_address(m, config_);
        const Right right = classify(address, own_, answers_, config_);
        const bool foreign = right == Right::none && !config_.is_local_domain(domain_of(address));
        const std::string &decided = decided_by(address, answers_);
        result_.checked.push_back({role, address, right, decided == address ? std::string() : decided});
        if (foreign && config_.foreign_from == ForeignFrom::accept) {
            result_.foreign_accepted = true;
            return right;
        }
        if (right == Right::unknown) result_.unknown = true;
        if (result_.denial) return right;
        if (right == Right::full_access_only)
            result_.denial = reject(Reason::full_access_only, login_ + " has Full Access to " + bracketed(address) +
                                                                  " but no Send As or Send on Behalf right");
        else if (right == Right::none)
            result_.denial = reject(foreign ? Reason::foreign_from : Reason::no_right,
                                    login_ + " is not allowed to send as " + bracketed(address));
        return right;
    }

    ClaimCheck &result() { return result_; }

private:
    const DirectoryAnswers &answers_;
    const Config &config_;
    const OwnAddresses own_;
    const std::string &login_;
    ClaimCheck result_;
};

// Whether the Sender: goes: one From: mailbox under Send As (several
// authors keep it, as RFC 5322 requires one).
bool sender_removed(const Claims &claims, const ClaimCheck &c, const Config &config) {
    return c.any(Right::send_as) && !c.any(Right::send_on_behalf) && claims.authors.size() == 1 &&
           config.rewrite.send_as_remove_sender;
}

ClaimCheck check_claims(const Claims &claims, const DirectoryAnswers &answers, const Config &config,
                        const std::string &login) {
    ClaimChecker checker(answers, config, login);
    for (const auto &m : claims.authors) checker.result().author_rights.push_back(checker.check(Role::from, m));
    ClaimCheck &c = checker.result();
    // A Sender: that survives the rewrite is a claim of its own.
    if (claims.sender && !c.any(Right::send_on_behalf) && !sender_removed(claims, c, config))
        checker.check(Role::sender, *claims.sender);
    if (claims.envelope && !claims.from_missing) checker.check(Role::envelope, *claims.envelope);
    // The most recent resending is checked like From:/Sender:, never rewritten.
    for (const auto &m : claims.resent_authors) checker.check(Role::resent_from, m);
    if (claims.resent_sender) checker.check(Role::resent_sender, *claims.resent_sender);
    return std::move(c);
}

// Reasons that stop the message before any right is looked at.
std::optional<Decision> refuse_early(const Claims &claims, const DirectoryAnswers &answers, const Config &config) {
    if (claims.error_reason != Reason::none) return reject(claims.error_reason, claims.error_text);
    if (claims.from_missing && config.missing_from == MissingFrom::reject)
        return reject(Reason::missing_from, "message has no From: header");
    if (author_count(claims) > config.max_from_mailboxes)
        return reject(Reason::too_many_from, "From: and Resent-From: name more than " +
                                                 std::to_string(config.max_from_mailboxes) + " mailboxes");
    if (claims.resent_authors.size() > 1 && !claims.resent_sender)
        return reject(Reason::sender_required, "Resent-From: with several mailboxes requires a Resent-Sender: header");
    if (answers.over_budget)
        return reject(Reason::lookup_limit,
                      "checking the sender rights of this message needs too many directory lookups");
    return std::nullopt;
}

// Sender: and envelope changes of an accepted message; a reject when the
// Sender: to set cannot be written.
std::optional<Decision> plan_rewrites(const Claims &claims, const ClaimCheck &c, const DirectoryAnswers &answers,
                                      const Config &config, const std::string &login, Decision &d) {
    if (c.any(Right::send_on_behalf)) {
        // Rejected rather than written empty or mangled: format_mailbox
        // refuses an address it cannot write as it is.
        d.set_sender = format_mailbox(answers.user.value.display_name, answers.user.value.primary());
        if (!d.set_sender)
            return reject(Reason::no_primary_address, login + " has no address of its own to name in Sender:");
    } else if (sender_removed(claims, c, config) && claims.sender_present) {
        d.remove_sender = true;
    }
    if (config.rewrite.send_as_envelope != SendAsEnvelope::mailbox || claims.from_missing) return std::nullopt;
    for (size_t i = 0; i < claims.authors.size() && !d.envelope_from; ++i)
        if (c.author_rights[i] == Right::send_as) d.envelope_from = smtp_path(c.checked[i].mailbox());
    return std::nullopt;
}

// Whose Sent folders get one mailbox's copy. Its ldap.no_sent_copy_base
// listing says none; its own target lists say where, whatever the config;
// otherwise ldap.sent_copy_base or the switch of the right used says
// whether, and sent_copy.target where.
MailboxRights::SentCopyTo copy_destinations(const MailboxRights &listing, bool send_as, const Config &config) {
    if (listing.sent_copy == MailboxRights::SentCopy::off) return {};
    if (listing.sent_copy_to.listed()) return listing.sent_copy_to;
    const bool wanted = listing.sent_copy == MailboxRights::SentCopy::on ||
                        (send_as ? config.sent_copy.send_as : config.sent_copy.send_on_behalf);
    if (!wanted) return {};
    const SentCopyTarget target = config.sent_copy.target;
    return {target == SentCopyTarget::owner || target == SentCopyTarget::both,
            target == SentCopyTarget::sender || target == SentCopyTarget::both};
}

// The Sent copies of the mailboxes whose right was used: into each
// mailbox's Sent folder and, once, the sending user's (their primary
// address through the same template; a user without one gets none).
void plan_sent_copies(const ClaimCheck &c, const DirectoryAnswers &answers, const Config &config,
                      const std::string &auth_user, Decision &d) {
    auto add = [&](const std::string &address) {
        std::string copy = smtp_path(expand_address_template(config.sent_copy.address, address, auth_user));
        if (std::find(d.sent_copies.begin(), d.sent_copies.end(), copy) == d.sent_copies.end())
            d.sent_copies.push_back(std::move(copy));
    };
    const std::string primary = answers.user.value.primary();
    for (size_t i = 0; i < c.author_rights.size(); ++i) {
        const bool as = c.author_rights[i] == Right::send_as, behalf = c.author_rights[i] == Right::send_on_behalf;
        if (!as && !behalf) continue;
        const std::string &mailbox = c.checked[i].mailbox();
        auto listed = answers.rights.find(mailbox);
        const auto to =
            copy_destinations(listed == answers.rights.end() ? MailboxRights{} : listed->second.value, as, config);
        if (to.owner) add(mailbox);
        if (to.sender && !primary.empty()) add(primary);
    }
}

Decision directory_unavailable(const Claims &claims, const Config &config) {
    Decision e = directory_error(config);
    for (const auto &m : claims.authors)
        e.checked.push_back({Role::from, normalize_address(m, config), Right::unknown, {}});
    if (claims.sender)
        e.checked.push_back({Role::sender, normalize_address(*claims.sender, config), Right::unknown, {}});
    if (claims.envelope && !claims.from_missing)
        e.checked.push_back({Role::envelope, normalize_address(*claims.envelope, config), Right::unknown, {}});
    return e;
}

// The decision table, as enforce mode applies it: check the claims, then
// plan the rewrites and the Sent copies.
Decision decide_enforced(const MessageFacts &facts, const Claims &claims, const DirectoryAnswers &answers,
                         const Config &config) {
    if (facts.auth_user.empty()) return decide_unauthenticated(claims, config);
    if (auto refused = refuse_early(claims, answers, config)) return *refused;
    if (answers.user.status == LookupStatus::unavailable) return directory_unavailable(claims, config);

    const std::string login = bracketed(facts.auth_user);
    ClaimCheck c = check_claims(claims, answers, config, login);
    if (c.denial) {
        c.denial->checked = std::move(c.checked);
        c.denial->right = c.denial->reason == Reason::full_access_only ? Right::full_access_only : Right::none;
        return *c.denial;
    }
    if (c.unknown) {
        Decision e = directory_error(config);
        e.checked = std::move(c.checked);
        return e;
    }
    if (claims.authors.size() > 1 && !claims.sender_present && !c.any(Right::send_on_behalf))
        return reject(Reason::sender_required, "From: with several mailboxes requires a Sender: header");

    Decision d;
    d.acted = true;
    d.right = c.any(Right::send_on_behalf) ? Right::send_on_behalf
              : c.any(Right::send_as)      ? Right::send_as
              : c.foreign_accepted         ? Right::foreign
              : claims.authors.empty()     ? Right::none
                                           : Right::own;
    if (auto refused = plan_rewrites(claims, c, answers, config, login, d)) return *refused;
    plan_sent_copies(c, answers, config, facts.auth_user, d);
    d.checked = std::move(c.checked);
    return d;
}

}  // namespace

Decision decide(const MessageFacts &facts, const Claims &claims, const DirectoryAnswers &answers,
                const Config &config) {
    return apply_report_mode(decide_enforced(facts, claims, answers, config), answers, config);
}

Decision over_send_limit(Decision d, const std::string &login, const std::string &mailbox) {
    d.verdict = Verdict::tempfail;
    d.smtp_code = "451";
    d.enhanced_code = "4.7.1";
    d.reply_text = bracketed(login) + " has sent too many messages as " + bracketed(mailbox) + ", try again later";
    d.reason = Reason::send_limit;
    d.drop_changes();
    return d;
}

}  // namespace sendas
