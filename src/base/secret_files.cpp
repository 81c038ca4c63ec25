// Secret file modes; see secret_files.h.
#include "base/secret_files.h"

#include <sys/stat.h>

#include <iomanip>
#include <sstream>

namespace sendas {

std::vector<std::string> secret_file_warnings(const Config &config) {
    const std::pair<const char *, const std::string *> secrets[] = {
        {"ldap.bind_password_file", &config.ldap.bind_password_file},
        {"redis.password_file", &config.redis.password_file},
        {"redis.hmac_key_file", &config.redis.hmac_key_file},
    };
    std::vector<std::string> warnings;
    for (const auto &[key, path] : secrets) {
        struct stat st {};
        if (path->empty() || stat(path->c_str(), &st) != 0 || (st.st_mode & (S_IRGRP | S_IROTH)) == 0) continue;
        std::ostringstream mode;
        mode << std::oct << std::setw(4) << std::setfill('0') << (st.st_mode & 07777);
        const std::string owner = config.user.empty() ? "the daemon's user" : config.user;
        warnings.push_back(std::string(key) + " " + *path + " is mode " + mode.str() +
                           ": its group or others may read the secret; make it mode 0400, owned by " + owner);
    }
    return warnings;
}

}  // namespace sendas
