// Secret files: the LDAP and Redis passwords and the cache signing key are
// for the daemon's user alone. The MTA joins the daemon's group to reach
// the socket, so a secret the group may read is a secret a compromised
// smtpd may read.
#ifndef SENDAS_SECRET_FILES_H
#define SENDAS_SECRET_FILES_H

#include <string>
#include <vector>

#include "base/config.h"

namespace sendas {

// One warning per secret file named in `config` that its group or others
// may read (a file that cannot be stat()ed is left to the loader, which
// already read it). Empty when every secret file is owner-only. Reads only
// file metadata; thread-safe.
std::vector<std::string> secret_file_warnings(const Config &config);

}  // namespace sendas

#endif
