// The directory as the milter sees it: who a login is, and what rights
// that user holds on a mailbox. Implemented over LDAP (ldap_directory.h);
// the cache (a later layer) wraps the same interface.
#ifndef SENDAS_DIRECTORY_H
#define SENDAS_DIRECTORY_H

#include <string>

#include "rights.h"

namespace sendas {

class Directory {
public:
    virtual ~Directory() = default;

    // Finds the user by login. found: `user` filled; not_found: no such
    // user (or an ambiguous login); unavailable: could not ask.
    // Thread-safe; never throws.
    virtual LookupStatus find_user(const std::string &login, UserInfo &user) = 0;

    // The user's rights on a normalized mailbox address. found: `rights`
    // filled (all flags may be false); unavailable: could not ask.
    // Thread-safe; never throws.
    virtual LookupStatus find_rights(const std::string &login, const UserInfo &user, const std::string &mailbox,
                                     MailboxRights &rights) = 0;

    // Checks that the directory answers at all (for -t). Returns an empty
    // string when it does, else what went wrong.
    virtual std::string probe() = 0;

    // How many searches this directory has sent to its server so far.
    virtual unsigned long long searches() const = 0;
};

}  // namespace sendas

#endif
