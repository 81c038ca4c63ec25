// The rights resolver: asks the directory what a message's decision needs,
// the user and then the rights on every claimed address that is not the
// user's own, by the address comparison rule of mailbox_match.h. Shared by
// the milter session and `sendasctl explain`.
#ifndef SENDAS_RESOLVER_H
#define SENDAS_RESOLVER_H

#include "directory/directory.h"
#include "policy/policy.h"

namespace sendas {

// Never throws (Directory does not). Unavailable answers are recorded as
// such; the lookups stop at the first author the user holds no right on
// (the message is rejected whatever else) and when `context` runs out of
// searches (then `over_budget` is set).
DirectoryAnswers gather_answers(const MessageFacts &facts, const Claims &claims, Directory &directory,
                                const Config &config, LookupContext &context);

}  // namespace sendas

#endif
