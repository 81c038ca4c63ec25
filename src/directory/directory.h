// The directory as the milter sees it: who a login is, and what rights
// that user holds on a mailbox. Implemented over LDAP (ldap_directory.h);
// the cache (a later layer) wraps the same interface.
#ifndef SENDAS_DIRECTORY_H
#define SENDAS_DIRECTORY_H

#include <map>
#include <memory>
#include <string>

#include "policy/rights.h"

namespace sendas {

// What a backend learned about a user's group memberships during one
// message, kept for the message's later lookups; each backend derives its
// own (ldap_directory.cpp).
class MembershipMemo {
public:
    virtual ~MembershipMemo() = default;
};

// One message's lookups: a budget of directory searches, so that no
// message can cost thousands of them, and what the backend learned that
// the message's later lookups reuse. One per message, one thread at a time.
class LookupContext {
public:
    explicit LookupContext(unsigned max_searches) : max_searches_(max_searches) {}
    LookupContext(const LookupContext &) = delete;
    LookupContext &operator=(const LookupContext &) = delete;

    // Counts one search; false (and exhausted from then on) once the
    // budget is spent, when the search must not be sent.
    bool charge() {
        if (searches_ >= max_searches_) {
            exhausted_ = true;
            return false;
        }
        ++searches_;
        return true;
    }
    bool exhausted() const { return exhausted_; }
    unsigned searches() const { return searches_; }
    unsigned max_searches() const { return max_searches_; }

    std::unique_ptr<MembershipMemo> memo;  // set and read by the backend only

private:
    const unsigned max_searches_;
    unsigned searches_ = 0;
    bool exhausted_ = false;
};

class Directory {
public:
    virtual ~Directory() = default;

    // Finds the user by login. found: the user; not_found: no such user
    // (or an ambiguous login); unavailable: could not ask, or `context`
    // has no searches left. Thread-safe; never throws.
    virtual Answer<UserInfo> find_user(const std::string &login, LookupContext &context) = 0;

    // The user's rights on a mailbox address in canonical form
    // (mailbox_match.h). found: the rights (all flags may be false);
    // unavailable: could not ask, or `context` has no searches left.
    // Thread-safe; never throws.
    virtual Answer<MailboxRights> find_rights(const std::string &login, const UserInfo &user,
                                              const std::string &mailbox, LookupContext &context) = 0;

    // Checks that the directory answers at all (for -t). Returns an empty
    // string when it does, else what went wrong.
    virtual std::string probe() = 0;

    // Counters by name, for sendasctl and the published stats; every
    // implementation has "ldap_searches" (searches sent to the server).
    virtual std::map<std::string, unsigned long long> stats() const = 0;
};

}  // namespace sendas

#endif
