// The seam between the session and the MTA: the few changes a decision
// can make. In the daemon they call smfi_*; unit tests record them.
#ifndef SENDAS_MTA_ACTIONS_H
#define SENDAS_MTA_ACTIONS_H

#include <string>

namespace sendas {

class MtaActions {
public:
    virtual ~MtaActions() = default;
    // Each returns false when the MTA refused the change.
    virtual bool set_reply(const std::string &code, const std::string &enhanced, const std::string &text) = 0;
    virtual bool add_header(const std::string &name, const std::string &value) = 0;
    // index counts headers of this name from 1; an empty value deletes.
    virtual bool change_header(const std::string &name, int index, const std::string &value) = 0;
    virtual bool change_from(const std::string &address) = 0;
    virtual bool add_recipient(const std::string &address, const std::string &esmtp_args) = 0;
};

}  // namespace sendas

#endif
