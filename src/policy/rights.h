// What the directory says about a user and a mailbox: the vocabulary shared
// by the directory backends, the cache and the policy.
#ifndef SENDAS_RIGHTS_H
#define SENDAS_RIGHTS_H

#include <memory>
#include <string>
#include <vector>

namespace sendas {

// Outcome of any directory or cache lookup. "not found" is an answer;
// "unavailable" means the question could not be asked (server down,
// timeout, bind failure) and must never be read as "no right".
enum class LookupStatus { found, not_found, unavailable };

// The authenticated user as the directory knows them.
struct UserInfo {
    std::string dn;
    std::string display_name;
    std::vector<std::string> addresses;  // all `mail` values; first is primary
    bool stale = false;                  // served from an expired cache entry while the directory is down
    std::string primary() const { return addresses.empty() ? std::string() : addresses.front(); }
};

// DNs of a group chain, user first. Shared and read-only: a cached answer
// is copied for every message that needs it, its DNs need not be.
class GroupPath {
public:
    GroupPath() = default;
    GroupPath(std::vector<std::string> dns)  // implicit: a path is its DNs
        : dns_(dns.empty() ? nullptr : std::make_shared<const std::vector<std::string>>(std::move(dns))) {}

    const std::vector<std::string> &dns() const { return dns_ ? *dns_ : none(); }
    bool empty() const { return !dns_; }
    size_t size() const { return dns().size(); }
    std::vector<std::string>::const_iterator begin() const { return dns().begin(); }
    std::vector<std::string>::const_iterator end() const { return dns().end(); }

private:
    static const std::vector<std::string> &none() {
        static const std::vector<std::string> empty;
        return empty;
    }
    std::shared_ptr<const std::vector<std::string>> dns_;
};

// Rights one user holds on one mailbox. Each flag is the fact from its own
// rights subtree; the policy decides which one wins.
struct MailboxRights {
    bool send_as = false;
    bool send_on_behalf = false;
    bool full_access = false;
    // The address is a mailbox of its own: a rights group is named after
    // exactly it (whoever its members), or, for an address with a detail
    // part, a directory entry has it as a mail value. Such an address never
    // falls back to its base (mailbox_match.h).
    bool is_mailbox = false;
    // For explain/audit: the group chain that granted the strongest right,
    // user first ("uid=alice,... -> cn=team,... -> cn=support@...").
    GroupPath path;
    // The right `path` shows comes from the group named after the
    // address's domain ("@example.com"): the address has no group of its
    // own for that right. Such rights never make the address a mailbox.
    bool domain_grant = false;
    // The mailbox is listed under ldap.sent_copy_base (on) or
    // ldap.no_sent_copy_base (off): that wins over sent_copy.send_as and
    // sent_copy.send_on_behalf. Only looked up when a send right is held.
    enum class SentCopy { unset, on, off } sent_copy = SentCopy::unset;
    // Whose Sent folders get the mailbox's copy when it is listed under
    // ldap.sent_copy_owner_base, ldap.sent_copy_sender_base or
    // ldap.sent_copy_both_base (several lists: all they name); both false:
    // not listed. A listing wins over sent_copy.target and the per-right
    // switches; ldap.no_sent_copy_base wins over it. Looked up as above.
    struct SentCopyTo {
        bool owner = false;
        bool sender = false;
        bool listed() const { return owner || sender; }
    } sent_copy_to;
    // The mailbox is listed under ldap.report_base / ldap.enforce_base.
    enum class Mode { unset, report, enforce } mode = Mode::unset;
    bool stale = false;  // as UserInfo::stale
};

// One answer of a directory or a cache tier: the value is meaningful when
// the status is `found` (a user) or not `unavailable` (rights, where "no
// right" is an answer too).
template <typename Value>
struct Answer {
    LookupStatus status = LookupStatus::unavailable;
    Value value{};
};

}  // namespace sendas

#endif
