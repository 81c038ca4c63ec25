// What a message claims to be from: the facts the MTA handed over and
// the identities parsed out of them once (From:, Sender:, the most recent
// Resent-From:/Resent-Sender:, the envelope sender). Pure.
#ifndef SENDAS_CLAIMS_H
#define SENDAS_CLAIMS_H

#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "policy/address.h"
#include "policy/vocabulary.h"

namespace sendas {

// What the MTA told us about one message (collected by the milter session).
struct MessageFacts {
    std::string queue_id;
    std::string auth_user;                   // {auth_authen}; empty: unauthenticated
    std::string envelope_from;               // as given in MAIL FROM, brackets allowed; "<>" null
    std::vector<std::string> from_values;    // raw value of each From: header
    std::vector<std::string> sender_values;  // raw value of each Sender: header
    // The most recent resent block (the first Resent-From: and the first
    // Resent-Sender: before a second Resent-From:), raw values.
    std::vector<std::string> resent_from_values;
    std::vector<std::string> resent_sender_values;
};

// The message's identity claims, parsed; `error_reason` set when the
// headers themselves are unacceptable, whoever sends them.
struct Claims {
    std::vector<Mailbox> authors;  // From: mailboxes, or the envelope sender without From:
    bool from_missing = false;
    std::optional<Mailbox> sender;  // Sender: header
    bool sender_present = false;
    std::optional<Mailbox> envelope;      // non-null envelope sender
    std::vector<Mailbox> resent_authors;  // Resent-From: of the most recent block
    std::optional<Mailbox> resent_sender;
    Reason error_reason = Reason::none;
    std::string error_text;
};

Claims parse_claims(const MessageFacts &facts);

// The queue id as logs show it: Postfix's NOQUEUE when there is none yet.
inline std::string queue_label(const std::string &queue_id) { return queue_id.empty() ? "NOQUEUE" : queue_id; }

// Canonical form used for comparison and lookup (mailbox_match.h): domain
// lower-cased, local part lower-cased unless configured case-sensitive,
// nothing stripped.
std::string normalize_address(const Mailbox &mailbox, const Config &config);

}  // namespace sendas

#endif
