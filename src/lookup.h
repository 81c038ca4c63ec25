// Asks the directory what a message's decision needs: the user, then the
// rights on every claimed address that is not the user's own. Shared by
// the milter session and `sendasctl explain`.
#ifndef SENDAS_LOOKUP_H
#define SENDAS_LOOKUP_H

#include "directory.h"
#include "policy.h"

namespace sendas {

// Never throws (Directory does not); unavailable answers are recorded as such.
DirectoryAnswers gather_answers(const MessageFacts &facts, const Claims &claims, Directory &directory,
                                const Config &config);

}  // namespace sendas

#endif
