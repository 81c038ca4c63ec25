// The words of a decision, typed: which right applied, which claim was
// checked, why a message was refused. Each has one name table, used by
// the decision log (text and JSON), the metrics, sendasctl and the tests.
#ifndef SENDAS_VOCABULARY_H
#define SENDAS_VOCABULARY_H

namespace sendas {

// What the MTA is told about a message.
enum class Verdict { accept, reject, tempfail };

// The right that applies to one address, strongest first; `foreign` is a
// message accepted for an address outside local_domains (foreign_from).
enum class Right { own, send_as, send_on_behalf, full_access_only, none, unknown, foreign };

// Where a checked address came from.
enum class Role { from, sender, envelope, resent_from, resent_sender };

// Why a message was refused (or, for directory_unavailable, could not be
// decided); none for an accepted one.
enum class Reason {
    none,
    no_right,
    full_access_only,
    foreign_from,
    multiple_from,
    from_syntax,
    multiple_sender,
    sender_syntax,
    resent_syntax,
    envelope_syntax,
    sender_required,
    missing_from,
    too_many_from,
    lookup_limit,
    no_primary_address,
    directory_unavailable,
    unauthenticated_local_from,
    send_limit,
    mta_refused_change,
};

const char *verdict_name(Verdict verdict);  // "accept", "reject", "tempfail"
const char *right_name(Right right);        // "own", "send-as", "full-access", ...
const char *role_name(Role role);           // "from", "resent_from", ... (the audit line's keys)
const char *reason_name(Reason reason);     // "no_right", ...; "" for none

}  // namespace sendas

#endif
