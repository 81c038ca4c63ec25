// The rights a test's directory hands out, spelled in one line.
#ifndef SENDAS_TESTS_GRANTS_H
#define SENDAS_TESTS_GRANTS_H

#include <string>
#include <utility>
#include <vector>

#include "policy/rights.h"

namespace sendas_test {

inline sendas::MailboxRights grant(bool send_as, bool send_on_behalf, bool full_access,
                                   std::vector<std::string> path = {}) {
    sendas::MailboxRights r;
    r.send_as = send_as;
    r.send_on_behalf = send_on_behalf;
    r.full_access = full_access;
    r.path = std::move(path);
    return r;
}

}  // namespace sendas_test

#endif
