// Report mode; see report_mode.h.
#include "policy/report_mode.h"

#include <algorithm>

namespace sendas {
namespace {

// Mode for one address: a mailbox list in LDAP, then the domain lists,
// then the global mode.
Mode address_mode(const CheckedAddress &checked, const DirectoryAnswers &answers, const Config &config) {
    auto it = answers.rights.find(checked.address);
    if (it != answers.rights.end()) {
        if (it->second.value.mode == MailboxRights::Mode::enforce) return Mode::enforce;
        if (it->second.value.mode == MailboxRights::Mode::report) return Mode::report;
    }
    std::string domain = checked.address.substr(checked.address.rfind('@') + 1);
    auto listed = [&](const std::vector<std::string> &domains) {
        return std::find(domains.begin(), domains.end(), domain) != domains.end();
    };
    if (config.mode == Mode::enforce) return listed(config.report_domains) ? Mode::report : Mode::enforce;
    return listed(config.enforce_domains) ? Mode::enforce : Mode::report;
}

}  // namespace

Decision apply_report_mode(Decision d, const DirectoryAnswers &answers, const Config &config) {
    if (!d.acted) return d;
    // One enforced address enforces the message. The user's own addresses
    // have no say: the mode belongs to the mailboxes being claimed.
    bool claimed = false, enforced = false;
    for (const auto &checked : d.checked) {
        if (checked.right == Right::own) continue;
        claimed = true;
        enforced = enforced || address_mode(checked, answers, config) == Mode::enforce;
    }
    if (claimed ? enforced : config.mode == Mode::enforce) return d;
    d.report = true;
    d.enforced = d.verdict;
    d.verdict = Verdict::accept;
    d.drop_changes();
    return d;
}

}  // namespace sendas
