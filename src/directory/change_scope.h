// What a directory change makes wrong in the caches: the mailboxes whose
// cached rights may no longer hold (for every login), and the users whose
// cached entry may no longer hold. Exact where the directory can tell:
//   - an entry under a rights or list base names its mailbox (cn, mail,
//     or for a deletion the DN's first RDN); "@domain" means the domain;
//   - a group reaches, upwards through the groups it is a member of (to
//     ldap.nested_depth), every rights group above it: their mailboxes;
//   - any other entry is a user (its DN) whose mail values may be
//     mailboxes of their own (detail addresses).
#ifndef SENDAS_CHANGE_SCOPE_H
#define SENDAS_CHANGE_SCOPE_H

#include <set>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/mailbox_match.h"
#include "directory/change_feed.h"
#include "directory/ldap_connection.h"

namespace sendas {

struct Invalidation {
    bool everything = false;
    std::set<std::string> mailboxes;   // canonical addresses, or "@domain"
    std::set<std::string> identities;  // users' DNs, lower-cased (identity_of)
    bool empty() const { return !everything && mailboxes.empty() && identities.empty(); }
};

// True when `dn` is `base` or lies under it; both normalized (normalize_dn).
bool dn_within(const std::string &dn, const std::string &base);

// Whether an entry is a group by its object classes (groupOfNames,
// groupOfUniqueNames, group, ...): a deleted entry may be one.
bool may_be_group(const ChangedEntry &change);

// The mailbox names an entry carries: its cn and mail values in canonical
// form, or for a deletion its first RDN's value.
std::vector<std::string> entry_mailboxes(const ChangedEntry &change, bool local_part_case_sensitive);

// One per change watcher; its own small LDAP pool. Not thread-safe.
class ChangeScope {
public:
    ChangeScope(const LdapConfig &config, AddressRules rules);

    // Adds what `change` makes wrong to `out`. False with `error` when the
    // groups a changed group reaches could not be read: drop everything.
    bool reach(const ChangedEntry &change, Invalidation &out, std::string &error);

private:
    bool under_mailbox_base(const std::string &normalized_dn) const;
    bool walk_up(const std::string &dn, Invalidation &out, std::string &error);

    LdapPool pool_;
    const AddressRules rules_;
    std::vector<std::string> mailbox_bases_;  // rights and list bases, normalized
    std::vector<std::string> search_bases_;
};

}  // namespace sendas

#endif
