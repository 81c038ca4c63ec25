// The Directory over LDAP: users by login filter, rights as membership of
// groupOfNames groups named after the mailbox, or for a right the mailbox
// has no group of its own for, after its domain ("@example.com")
// (doc/design.md, section 6); nested groups resolved upwards from the
// user to ldap.nested_depth with cycle detection.
#ifndef SENDAS_LDAP_DIRECTORY_H
#define SENDAS_LDAP_DIRECTORY_H

#include <string>
#include <vector>

#include "base/config.h"
#include "base/mailbox_match.h"
#include "directory/directory.h"
#include "directory/ldap_connection.h"
#include "directory/ldap_filter.h"
#include "directory/snapshot.h"

namespace sendas {

// One per config snapshot; shared by all sessions using that snapshot.
// ldap.layout = ad derives from it (ad_directory.h).
class LdapDirectory : public Directory {
public:
    // `rules`: how the entries the server returns are compared with the
    // address asked about, and which addresses have a detail part.
    LdapDirectory(const LdapConfig &config, AddressRules rules);

    Answer<UserInfo> find_user(const std::string &login, LookupContext &context) override;
    Answer<MailboxRights> find_rights(const std::string &login, const UserInfo &user, const std::string &mailbox,
                                      LookupContext &context) override;
    std::string probe() override;
    std::map<std::string, unsigned long long> stats() const override { return {{"ldap_searches", pool_.searches()}}; }

    // Reads what `sendasctl audit` needs straight from LDAP, in pages: every
    // entry under ldap.base, the users, the disabled users and every rights
    // group. Returns "" or the error.
    virtual std::string snapshot(DirectorySnapshot &out);

protected:
    bool read_mailbox_lists(const FilterTokens &tokens, MailboxRights &rights, LookupContext &context);
    // A subtree search charged to `context`; false when it has no searches
    // left or the search failed.
    bool charged_search(LookupContext &context, const std::string &base, const std::string &filter,
                        const std::vector<std::string> &attributes, SearchResult &result, int size_limit = 0);
    // The users and disabled users of the audit (audit.*_filter); "" or the error.
    std::string read_users(DirectorySnapshot &out);
    // Any search charged to `context`, as charged_search.
    bool charged_search(LookupContext &context, const SearchRequest &request, SearchResult &result);

    LdapPool pool_;
    const AddressRules rules_;

private:
    // Where the three rights subtrees are searched, worked out once from
    // the config: one search under `ancestor`, or one per base when empty.
    struct RightsSubtrees {
        std::vector<std::string> bases;  // send-as, send-on-behalf, full-access
        std::vector<std::vector<std::string>> base_rdns;
        std::string ancestor;
    };
    static RightsSubtrees plan_rights_subtrees(const LdapConfig &config);
    // The groups of one rights subtree named after a mailbox, or after its
    // domain ("@example.com").
    struct SubtreeGroups {
        std::vector<LdapEntry> exact, domain;
    };
    bool search_rights_subtrees(const std::string &filter, const std::string &mailbox,
                                std::vector<SubtreeGroups> &found, LookupContext &context);
    bool drop_shadowed_domain_groups(const std::string &mailbox, std::vector<SubtreeGroups> &groups,
                                     MailboxRights &rights, LookupContext &context);
    LookupStatus held_rights(const FilterTokens &tokens, const UserInfo &user, MailboxRights &rights,
                             LookupContext &context);
    bool mail_entry_exists(const std::string &mailbox, LookupContext &context, bool &exists);
    bool listed_under(const std::string &base, const std::string &list_filter, LookupContext &context, bool &listed);
    bool read_sent_copy_lists(const std::string &list_filter, MailboxRights &rights, LookupContext &context);

    const RightsSubtrees subtrees_;
};

// Canonical form of a DN for comparison: RFC 4514 form, lower-cased.
std::string normalize_dn(const std::string &dn);

// Whether the entry's object class makes it a group (group, groupOfNames,
// groupOfUniqueNames), members or not.
bool is_group_entry(const LdapEntry &entry);

// Whether an entry the server matched for `mailbox` names exactly it by
// the milter's own comparison (cn or `mail_attribute`, lower-cased name):
// servers fold spaces, case and Unicode lookalikes (" support", U+017F)
// that the milter keeps apart.
bool names_mailbox(const LdapEntry &entry, const std::string &mail_attribute, const std::string &mailbox,
                   bool local_part_case_sensitive);

}  // namespace sendas

#endif
