// The name tables; see vocabulary.h.
#include "policy/vocabulary.h"

namespace sendas {

const char *verdict_name(Verdict v) {
    switch (v) {
    case Verdict::accept: return "accept";
    case Verdict::reject: return "reject";
    case Verdict::tempfail: return "tempfail";
    }
    return "unknown";
}

const char *right_name(Right right) {
    switch (right) {
    case Right::own: return "own";
    case Right::send_as: return "send-as";
    case Right::send_on_behalf: return "send-on-behalf";
    case Right::full_access_only: return "full-access";
    case Right::none: return "none";
    case Right::unknown: return "unknown";
    case Right::foreign: return "foreign";
    }
    return "unknown";
}

const char *role_name(Role role) {
    switch (role) {
    case Role::from: return "from";
    case Role::sender: return "sender";
    case Role::envelope: return "envelope";
    case Role::resent_from: return "resent_from";
    case Role::resent_sender: return "resent_sender";
    }
    return "";
}

const char *reason_name(Reason reason) {
    switch (reason) {
    case Reason::none: return "";
    case Reason::no_right: return "no_right";
    case Reason::full_access_only: return "full_access_only";
    case Reason::foreign_from: return "foreign_from";
    case Reason::multiple_from: return "multiple_from";
    case Reason::from_syntax: return "from_syntax";
    case Reason::multiple_sender: return "multiple_sender";
    case Reason::sender_syntax: return "sender_syntax";
    case Reason::resent_syntax: return "resent_syntax";
    case Reason::envelope_syntax: return "envelope_syntax";
    case Reason::sender_required: return "sender_required";
    case Reason::missing_from: return "missing_from";
    case Reason::too_many_from: return "too_many_from";
    case Reason::lookup_limit: return "lookup_limit";
    case Reason::no_primary_address: return "no_primary_address";
    case Reason::directory_unavailable: return "directory_unavailable";
    case Reason::unauthenticated_local_from: return "unauthenticated_local_from";
    case Reason::send_limit: return "send_limit";
    case Reason::mta_refused_change: return "mta_refused_change";
    }
    return "";
}

}  // namespace sendas
