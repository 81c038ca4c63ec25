// The lookup path of one message, for log_level = debug: what the
// directory (through its caches) answered about the user and each claimed
// address, with the group path that granted a right, and how many LDAP
// searches that cost. Pure formatting; thread-safe.
#ifndef SENDAS_LOOKUP_TRACE_H
#define SENDAS_LOOKUP_TRACE_H

#include <string>
#include <vector>

#include "policy/policy.h"

namespace sendas {

// One line per answer, queue id first, e.g.
//   "4Q1: lookup user=<alice> status=found dn=<uid=alice,...>"
//   "4Q1: lookup address=<support@example.com> status=found right=send-as
//    path=<uid=alice,...>,<cn=support@example.com,...>"
//   "4Q1: lookup ldap_searches=3"   (0: every answer came from a cache)
// Values are sanitised as in the audit line: one line, one field each.
std::vector<std::string> lookup_trace(const std::string &queue_id, const std::string &login,
                                      const DirectoryAnswers &answers, unsigned ldap_searches);

}  // namespace sendas

#endif
