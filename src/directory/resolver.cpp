// Directory questions for one message; see resolver.h.
#include "directory/resolver.h"

#include "base/mailbox_match.h"

namespace sendas {
namespace {

void ask_rights(const std::string &address, const MessageFacts &facts, Directory &directory, LookupContext &context,
                DirectoryAnswers &answers) {
    if (answers.rights.count(address)) return;
    answers.rights[address] = directory.find_rights(facts.auth_user, answers.user.value, address, context);
}

// The rights on one claimed address: its own, or, for a detail address
// that is no mailbox of its own, its base's. Rights a detail address holds
// only through its domain's group do not keep it from its base, whose own
// groups come first (the base's answer holds the domain's grant otherwise).
void resolve(const std::string &address, const MessageFacts &facts, Directory &directory, const Config &config,
             LookupContext &context, DirectoryAnswers &answers) {
    ask_rights(address, facts, directory, context, answers);
    const auto &[status, rights] = answers.rights[address];
    if (status == LookupStatus::unavailable) return;
    const bool own_grant = (rights.send_as || rights.send_on_behalf || rights.full_access) && !rights.domain_grant;
    if (own_grant || rights.is_mailbox) return;
    const auto base = detail_base(address, config.recipient_delimiter);
    if (!base) return;
    answers.fallback[address] = *base;
    if (classify_address(address, answers, config) != Right::own) ask_rights(*base, facts, directory, context, answers);
}

}  // namespace

DirectoryAnswers gather_answers(const MessageFacts &facts, const Claims &claims, Directory &directory,
                                const Config &config, LookupContext &context) {
    DirectoryAnswers answers;
    if (facts.auth_user.empty()) return answers;
    answers.user = directory.find_user(facts.auth_user, context);
    if (answers.user.status == LookupStatus::unavailable) {
        answers.over_budget = context.exhausted();
        return answers;
    }
    for (const auto &question : needed_rights(facts, claims, answers, config)) {
        resolve(question.address, facts, directory, config, context, answers);
        if (context.exhausted()) {
            answers.over_budget = true;
            break;
        }
        // After an unavailable answer the lookups go on: a definite "no"
        // elsewhere must still reject. After a definite "no" from an
        // author they stop: nothing else can save the message.
        const Right right = classify_address(question.address, answers, config);
        if (question.decisive && (right == Right::none || right == Right::full_access_only)) break;
    }
    return answers;
}

}  // namespace sendas
