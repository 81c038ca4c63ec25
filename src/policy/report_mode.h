// Report mode (sendas-milter.conf(5), "mode"): the message passes
// unchanged and the decision log says what enforce mode would have done.
// Per message: one enforced claimed mailbox enforces it.
#ifndef SENDAS_REPORT_MODE_H
#define SENDAS_REPORT_MODE_H

#include "base/config.h"
#include "policy/policy.h"

namespace sendas {

// `enforced` as decided in enforce mode, turned into an accept without
// changes when the message's mailboxes are in report mode.
Decision apply_report_mode(Decision enforced, const DirectoryAnswers &answers, const Config &config);

}  // namespace sendas

#endif
