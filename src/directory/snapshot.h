// What `sendasctl audit` reads of the whole directory at once: the
// entries, the users and every rights group. Filled by
// LdapDirectory::snapshot(), read by ops/rights_audit.h.
#ifndef SENDAS_SNAPSHOT_H
#define SENDAS_SNAPSHOT_H

#include <map>
#include <set>
#include <string>
#include <vector>

namespace sendas {

// The directory as the audit needs it; DNs are keyed normalized.
struct DirectorySnapshot {
    struct Entry {
        std::string dn;                    // as the server wrote it
        std::vector<std::string> mails;    // mail attribute values
        std::vector<std::string> members;  // member attribute values (raw DNs)
        bool group = false;                // a group by its object class, even when empty
    };
    std::map<std::string, Entry> entries;  // every entry under ldap.base
    std::set<std::string> users;           // normalized DNs matching audit.user_filter
    std::set<std::string> disabled;        // normalized DNs matching audit.disabled_filter
    struct RightsGroup {
        std::string right;    // "send-as", "send-on-behalf", "full-access"
        std::string mailbox;  // from the group's cn
        std::string dn;
        std::vector<std::string> members;
        std::vector<std::string> denied;  // AD: trustees of deny ACEs, whose users never hold the right
    };
    std::vector<RightsGroup> groups;
    // The server resolves nesting (AD, a group filter with %D): no depth limit.
    bool nesting_unbounded = false;
};

}  // namespace sendas

#endif
