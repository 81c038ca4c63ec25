// The audit line written for every decision (doc/design.md, section 9), Postfix style:
// queue id first, then fixed key=value fields.
#ifndef SENDAS_AUDIT_H
#define SENDAS_AUDIT_H

#include <string>

#include "policy/policy.h"

namespace sendas {

// e.g. "4Q1: user=<alice> from=<support@example.com> right=send-as
// action=accept sent_copy=<support+Sent@example.com>". Values are
// sanitised: no control characters or spaces can forge a field. `stale`
// adds "stale=yes": the rights came from an expired cache entry. With
// AuditFormat::json the same fields form one JSON object:
//   {"queue_id":"4Q1","user":"alice","from":["support@example.com"],
//    "right":"send-as","action":"accept","sent_copy":["support+Sent@example.com"]}
// ("sender", "envelope", "reason", "mode", "stale", "sender_set",
// "sender_removed", "envelope_set" appear when they apply).
// "accept", "reject", "tempfail", or in report mode "would-reject" etc.
std::string action_name(const Decision &decision);

std::string audit_line(const MessageFacts &facts, const Decision &decision, bool stale = false,
                       AuditFormat format = AuditFormat::text);

}  // namespace sendas

#endif
