// Directory questions for one message; see lookup.h.
#include "lookup.h"

namespace sendas {

DirectoryAnswers gather_answers(const MessageFacts &facts, const Claims &claims, Directory &directory,
                                const Config &config) {
    DirectoryAnswers answers;
    if (facts.auth_user.empty()) return answers;
    answers.user_status = directory.find_user(facts.auth_user, answers.user);
    if (answers.user_status == LookupStatus::unavailable) return answers;
    for (const auto &address : needed_rights(facts, claims, answers, config)) {
        // Even after one failure: a definite "no" elsewhere must still reject.
        auto &[status, rights] = answers.rights[address];
        status = directory.find_rights(facts.auth_user, answers.user, address, rights);
    }
    return answers;
}

}  // namespace sendas
