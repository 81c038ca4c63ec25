// The decision table of SPEC §1 as a pure function.
#include "policy.h"
#include "string_util.h"

#include <algorithm>

namespace sendas {
namespace {

}  // namespace

Claims parse_claims(const MessageFacts &facts) {
    Claims claims;
    auto fail = [&](const char *reason, std::string text) {
        claims.error_reason = reason;
        claims.error_text = std::move(text);
        return claims;
    };
    if (facts.from_values.size() > 1) return fail("multiple_from", "message has more than one From: header");
    if (facts.from_values.size() == 1) {
        auto parsed = parse_mailbox_list(facts.from_values.front());
        if (!parsed.ok()) return fail("from_syntax", std::string("From: header rejected: ") + describe(parsed.error));
        claims.authors = parsed.mailboxes;
    } else {
        claims.from_missing = true;
    }
    if (facts.sender_values.size() > 1) return fail("multiple_sender", "message has more than one Sender: header");
    if (facts.sender_values.size() == 1) {
        auto parsed = parse_mailbox_list(facts.sender_values.front());
        if (!parsed.ok())
            return fail("sender_syntax", std::string("Sender: header rejected: ") + describe(parsed.error));
        if (parsed.mailboxes.size() != 1)
            return fail("sender_syntax", "Sender: header rejected: it must name exactly one mailbox");
        claims.sender = parsed.mailboxes.front();
        claims.sender_present = true;
    }
    Mailbox envelope;
    if (!parse_envelope_address(facts.envelope_from, envelope))
        return fail("envelope_syntax", "envelope sender is not a valid address");
    if (!envelope.local.empty()) claims.envelope = envelope;
    if (claims.from_missing && claims.envelope) claims.authors.push_back(*claims.envelope);
    return claims;
}

namespace {

Decision reject(const char *reason, std::string text) {
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
    d.reason = "directory_unavailable";
    switch (config.on_directory_error) {
    case DirectoryErrorAction::tempfail:
        d.verdict = Verdict::tempfail;
        d.smtp_code = "451";
        d.enhanced_code = "4.7.1";
        d.reply_text = "sender rights cannot be verified now, try again later";
        break;
    case DirectoryErrorAction::reject:
        d = reject("directory_unavailable", "sender rights cannot be verified");
        break;
    case DirectoryErrorAction::accept:
        break;
    }
    d.right = "unknown";
    return d;
}

std::string bracketed(const std::string &s) { return "<" + s + ">"; }

// The user's addresses in the same canonical form as the claims: a handful,
// so a vector searched in order beats a set.
using OwnAddresses = std::vector<std::string>;

bool is_own(const OwnAddresses &own, const std::string &address) {
    return std::find(own.begin(), own.end(), address) != own.end();
}

// The right the user holds on one claimed address; Send As wins.
Right classify(const std::string &address, const std::string &domain, const OwnAddresses &own,
               const DirectoryAnswers &answers, const Config &config) {
    if (is_own(own, address)) return Right::own;
    if (!config.is_local_domain(domain)) return Right::none;
    auto it = answers.rights.find(address);
    if (it == answers.rights.end() || it->second.first == LookupStatus::unavailable) return Right::unknown;
    const MailboxRights &r = it->second.second;
    if (it->second.first == LookupStatus::not_found) return Right::none;
    if (r.send_as) return Right::send_as;
    if (r.send_on_behalf) return Right::send_on_behalf;
    if (r.full_access) return Right::full_access_only;
    return Right::none;
}

}  // namespace

std::string normalize_address(const Mailbox &mailbox, const Config &config) {
    size_t local_length = mailbox.local.size();
    if (!config.recipient_delimiter.empty()) {
        auto cut = mailbox.local.find_first_of(config.recipient_delimiter);
        // A local part that starts with the delimiter is not an extension.
        if (cut != std::string::npos && cut > 0) local_length = cut;
    }
    std::string out;
    out.reserve(local_length + 1 + mailbox.domain.size());
    auto ascii_lower = [](unsigned char c) { return static_cast<char>(std::tolower(c)); };
    for (size_t i = 0; i < local_length; ++i)
        out += config.local_part_case_sensitive ? mailbox.local[i] : ascii_lower(mailbox.local[i]);
    out += '@';
    for (char c : mailbox.domain) out += ascii_lower(c);
    return out;
}

namespace {

// The user's addresses, normalized.
OwnAddresses own_addresses(const UserInfo &user, const Config &config) {
    OwnAddresses own;
    own.reserve(user.addresses.size());
    for (const auto &address : user.addresses) {
        auto at = address.rfind('@');
        if (at != std::string::npos)
            own.push_back(normalize_address({"", address.substr(0, at), address.substr(at + 1)}, config));
    }
    return own;
}

}  // namespace

std::vector<std::string> needed_rights(const MessageFacts &facts, const Claims &claims,
                                       const DirectoryAnswers &answers, const Config &config) {
    std::vector<std::string> needed;
    if (facts.auth_user.empty() || answers.user_status == LookupStatus::unavailable) return needed;
    if (!claims.error_reason.empty()) return needed;
    const OwnAddresses own = own_addresses(answers.user, config);
    auto consider = [&](const Mailbox &m) {
        std::string address = normalize_address(m, config);
        if (!is_own(own, address) && config.is_local_domain(lower(m.domain)) &&
            std::find(needed.begin(), needed.end(), address) == needed.end())
            needed.push_back(address);
    };
    for (const auto &m : claims.authors) consider(m);
    if (claims.sender) consider(*claims.sender);
    if (claims.envelope) consider(*claims.envelope);
    return needed;
}

std::string expand_address_template(const std::string &tmpl, const std::string &mailbox, const std::string &login) {
    auto at = mailbox.rfind('@');
    std::string local = at == std::string::npos ? mailbox : mailbox.substr(0, at);
    std::string domain = at == std::string::npos ? std::string() : mailbox.substr(at + 1);
    std::string out;
    for (size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '%' || i + 1 == tmpl.size()) {
            out += tmpl[i];
            continue;
        }
        switch (tmpl[++i]) {
        case 'm': out += mailbox; break;
        case 'l': out += local; break;
        case 'd': out += domain; break;
        case 'u': out += login; break;
        case '%': out += '%'; break;
        default: out += '%'; out += tmpl[i];
        }
    }
    return out;
}

namespace {

Decision decide_unauthenticated(const Claims &claims, const Config &config) {
    Decision pass;
    if (config.unauthenticated_local_from == UnauthLocalFrom::accept) return pass;
    // Only the header From: is protected here; an unreadable one cannot be cleared.
    if (claims.error_reason == "multiple_from" || claims.error_reason == "from_syntax")
        return reject(claims.error_reason.c_str(), claims.error_text);
    if (claims.from_missing) return pass;
    for (const auto &m : claims.authors) {
        std::string address = normalize_address(m, config);
        if (config.is_local_domain(lower(m.domain))) {
            Decision d = reject("unauthenticated_local_from",
                                bracketed(address) + " is a local address: authenticate to send as it");
            d.checked.push_back({"from", address, Right::none});
            d.right = "none";
            return d;
        }
    }
    pass.acted = true;
    pass.right = "none";
    return pass;
}

}  // namespace

namespace {

// The decision table, as enforce mode applies it.
Decision decide_enforced(const MessageFacts &facts, const Claims &claims, const DirectoryAnswers &answers,
                         const Config &config) {
    if (facts.auth_user.empty()) return decide_unauthenticated(claims, config);

    if (!claims.error_reason.empty()) return reject(claims.error_reason.c_str(), claims.error_text);
    if (claims.from_missing && config.missing_from == MissingFrom::reject)
        return reject("missing_from", "message has no From: header");
    if (answers.user_status == LookupStatus::unavailable) {
        Decision e = directory_error(config);
        for (const auto &m : claims.authors) e.checked.push_back({"from", normalize_address(m, config), Right::unknown});
        if (claims.sender) e.checked.push_back({"sender", normalize_address(*claims.sender, config), Right::unknown});
        if (claims.envelope && !claims.from_missing)
            e.checked.push_back({"envelope", normalize_address(*claims.envelope, config), Right::unknown});
        return e;
    }

    const OwnAddresses own = own_addresses(answers.user, config);
    const std::string login = bracketed(facts.auth_user);

    Decision d;
    d.acted = true;
    d.checked.reserve(claims.authors.size() + 2);
    bool unknown = false, foreign_accepted = false;
    std::optional<Decision> denial;
    // Checks one claimed address; a definite denial outranks "unknown".
    auto check = [&](const char *role, const Mailbox &m) {
        std::string address = normalize_address(m, config);
        const std::string domain = address.substr(address.rfind('@') + 1);
        Right right = classify(address, domain, own, answers, config);
        bool foreign = right == Right::none && !config.is_local_domain(domain);
        d.checked.push_back({role, address, right});
        if (foreign && config.foreign_from == ForeignFrom::accept) {
            foreign_accepted = true;
            return right;
        }
        if (right == Right::unknown) unknown = true;
        if (denial) return right;
        if (right == Right::full_access_only)
            denial = reject("full_access_only", login + " has Full Access to " + bracketed(address) +
                                                    " but no Send As or Send on Behalf right");
        else if (right == Right::none)
            denial = reject(foreign ? "foreign_from" : "no_right",
                            login + " is not allowed to send as " + bracketed(address));
        return right;
    };

    std::vector<Right> author_rights;
    for (const auto &m : claims.authors) author_rights.push_back(check("from", m));
    bool any_behalf = std::count(author_rights.begin(), author_rights.end(), Right::send_on_behalf) > 0;
    bool any_send_as = std::count(author_rights.begin(), author_rights.end(), Right::send_as) > 0;
    // Several authors keep their Sender: (RFC 5322 requires one), so it is checked.
    bool sender_removed =
        any_send_as && !any_behalf && claims.authors.size() == 1 && config.rewrite.send_as_remove_sender;
    // A Sender: that survives the rewrite is a claim of its own.
    if (claims.sender && !any_behalf && !sender_removed) check("sender", *claims.sender);
    if (claims.envelope && !claims.from_missing) check("envelope", *claims.envelope);

    if (denial) {
        denial->checked = d.checked;
        denial->right = right_name(denial->reason == "full_access_only" ? Right::full_access_only : Right::none);
        return *denial;
    }
    if (unknown) {
        Decision e = directory_error(config);
        e.checked = d.checked;
        return e;
    }
    if (claims.authors.size() > 1 && !claims.sender_present && !any_behalf)
        return reject("sender_required", "From: with several mailboxes requires a Sender: header");

    d.right = any_behalf        ? "send-on-behalf"
              : any_send_as     ? "send-as"
              : foreign_accepted ? "foreign"
              : claims.authors.empty() ? "none"
                                       : "own";
    if (any_behalf) {
        // Rejected rather than written empty or mangled: format_mailbox
        // refuses an address it cannot write as it is.
        d.set_sender = format_mailbox(answers.user.display_name, answers.user.primary());
        if (!d.set_sender) return reject("no_primary_address", login + " has no address of its own to name in Sender:");
    } else if (sender_removed && claims.sender_present) {
        d.remove_sender = true;
    }


    for (size_t i = 0; i < claims.authors.size(); ++i) {
        std::string mailbox = normalize_address(claims.authors[i], config);
        bool as = author_rights[i] == Right::send_as, behalf = author_rights[i] == Right::send_on_behalf;
        if (as && !d.envelope_from && config.rewrite.send_as_envelope == SendAsEnvelope::mailbox &&
            !claims.from_missing)
            d.envelope_from = bracketed(mailbox);
        auto listed = answers.rights.find(mailbox);
        auto listing = listed == answers.rights.end() ? MailboxRights::SentCopy::unset : listed->second.second.sent_copy;
        bool by_config = (as && config.sent_copy.send_as) || (behalf && config.sent_copy.send_on_behalf);
        bool wanted = listing == MailboxRights::SentCopy::unset ? by_config : listing == MailboxRights::SentCopy::on;
        if ((as || behalf) && wanted) {
            std::string copy = bracketed(expand_address_template(config.sent_copy.address, mailbox, facts.auth_user));
            if (std::find(d.sent_copies.begin(), d.sent_copies.end(), copy) == d.sent_copies.end())
                d.sent_copies.push_back(std::move(copy));
        }
    }
    return d;
}

// Mode for one address: a mailbox list in LDAP, then the domain lists,
// then the global mode.
Mode address_mode(const CheckedAddress &checked, const DirectoryAnswers &answers, const Config &config) {
    auto it = answers.rights.find(checked.address);
    if (it != answers.rights.end()) {
        if (it->second.second.mode == MailboxRights::Mode::enforce) return Mode::enforce;
        if (it->second.second.mode == MailboxRights::Mode::report) return Mode::report;
    }
    std::string domain = checked.address.substr(checked.address.rfind('@') + 1);
    auto listed = [&](const std::vector<std::string> &domains) {
        return std::find(domains.begin(), domains.end(), domain) != domains.end();
    };
    if (config.mode == Mode::enforce) return listed(config.report_domains) ? Mode::report : Mode::enforce;
    return listed(config.enforce_domains) ? Mode::enforce : Mode::report;
}

}  // namespace

Decision decide(const MessageFacts &facts, const Claims &claims, const DirectoryAnswers &answers,
                const Config &config) {
    Decision d = decide_enforced(facts, claims, answers, config);
    if (!d.acted) return d;
    // One enforced address enforces the message. The user's own addresses
    // have no say: the mode belongs to the mailboxes being claimed.
    std::vector<CheckedAddress> claimed;
    for (const auto &checked : d.checked)
        if (checked.right != Right::own) claimed.push_back(checked);
    Mode mode = config.mode;
    if (!claimed.empty()) {
        mode = Mode::report;
        for (const auto &checked : claimed)
            if (address_mode(checked, answers, config) == Mode::enforce) mode = Mode::enforce;
    }
    if (mode == Mode::enforce) return d;
    d.report = true;
    d.enforced = d.verdict;
    d.verdict = Verdict::accept;
    d.remove_sender = false;
    d.set_sender.reset();
    d.envelope_from.reset();
    d.sent_copies.clear();
    return d;
}

Decision over_send_limit(Decision d, const std::string &login, const std::string &mailbox) {
    d.verdict = Verdict::tempfail;
    d.smtp_code = "451";
    d.enhanced_code = "4.7.1";
    d.reply_text = bracketed(login) + " has sent too many messages as " + bracketed(mailbox) + ", try again later";
    d.reason = "send_limit";
    d.remove_sender = false;
    d.set_sender.reset();
    d.envelope_from.reset();
    d.sent_copies.clear();
    return d;
}

}  // namespace sendas
