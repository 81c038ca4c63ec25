// Parsing a message's claims; see claims.h.
#include "policy/claims.h"

#include "base/mailbox_match.h"

namespace sendas {

Claims parse_claims(const MessageFacts &facts) {
    Claims claims;
    auto fail = [&](Reason reason, std::string text) {
        claims.error_reason = reason;
        claims.error_text = std::move(text);
        return claims;
    };
    if (facts.from_values.size() > 1) return fail(Reason::multiple_from, "message has more than one From: header");
    if (facts.from_values.size() == 1) {
        auto parsed = parse_mailbox_list(facts.from_values.front());
        if (!parsed.ok())
            return fail(Reason::from_syntax, std::string("From: header rejected: ") + describe(parsed.error));
        claims.authors = parsed.mailboxes;
    } else {
        claims.from_missing = true;
    }
    if (facts.sender_values.size() > 1)
        return fail(Reason::multiple_sender, "message has more than one Sender: header");
    if (facts.sender_values.size() == 1) {
        auto parsed = parse_mailbox_list(facts.sender_values.front());
        if (!parsed.ok())
            return fail(Reason::sender_syntax, std::string("Sender: header rejected: ") + describe(parsed.error));
        if (parsed.mailboxes.size() != 1)
            return fail(Reason::sender_syntax, "Sender: header rejected: it must name exactly one mailbox");
        claims.sender = parsed.mailboxes.front();
        claims.sender_present = true;
    }
    if (!facts.resent_from_values.empty()) {
        auto parsed = parse_mailbox_list(facts.resent_from_values.front());
        if (!parsed.ok())
            return fail(Reason::resent_syntax, std::string("Resent-From: header rejected: ") + describe(parsed.error));
        claims.resent_authors = parsed.mailboxes;
    }
    if (!facts.resent_sender_values.empty()) {
        auto parsed = parse_mailbox_list(facts.resent_sender_values.front());
        if (!parsed.ok() || parsed.mailboxes.size() != 1)
            return fail(Reason::resent_syntax, "Resent-Sender: header rejected: it must name exactly one mailbox");
        claims.resent_sender = parsed.mailboxes.front();
    }
    Mailbox envelope;
    if (!parse_envelope_address(facts.envelope_from, envelope))
        return fail(Reason::envelope_syntax, "envelope sender is not a valid address");
    if (!envelope.local.empty()) claims.envelope = envelope;
    if (claims.from_missing && claims.envelope) claims.authors.push_back(*claims.envelope);
    return claims;
}

std::string normalize_address(const Mailbox &mailbox, const Config &config) {
    return canonical_address(mailbox.local, mailbox.domain, config.local_part_case_sensitive);
}

}  // namespace sendas
