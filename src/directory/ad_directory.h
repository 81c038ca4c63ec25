// ldap.layout = ad: users and mailbox rights as Exchange left them in
// Active Directory (sendas-milter.conf(5), ACTIVE DIRECTORY):
//   own addresses   mail, and the smtp: values of proxyAddresses; a disabled
//                   account (userAccountControl bit 0x2) owns none and holds
//                   no right
//   Send As         the Send-As ACEs in the mailbox's nTSecurityDescriptor
//                   (its DACL, read with the SD_FLAGS control) for the
//                   user's objectSid or one of its tokenGroups
//   Send on Behalf  the mailbox's publicDelegates: users, or groups holding
//                   the user at any depth (the in-chain matching rule)
//   Full Access     groups under ldap.full_access_base, as in the groups
//                   layout
// Nesting is resolved by the domain controller (tokenGroups, in-chain),
// never walked by the milter; referrals are not chased.
#ifndef SENDAS_AD_DIRECTORY_H
#define SENDAS_AD_DIRECTORY_H

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "directory/ldap_directory.h"

namespace sendas {

// One per config snapshot, like LdapDirectory; thread-safe, never throws.
class AdDirectory : public LdapDirectory {
public:
    AdDirectory(const LdapConfig &config, AddressRules rules) : LdapDirectory(config, std::move(rules)) {}

    Answer<UserInfo> find_user(const std::string &login, LookupContext &context) override;
    Answer<MailboxRights> find_rights(const std::string &login, const UserInfo &user, const std::string &mailbox,
                                      LookupContext &context) override;
    // The audit's view of AD (ad_snapshot.cpp).
    std::string snapshot(DirectorySnapshot &out) override;

    // The user's security identity: objectSid, tokenGroups, and the SIDs
    // every logon token holds (Everyone, Authenticated Users).
    struct Token {
        std::set<std::string> sids;  // binary
        bool disabled = false;
    };

private:
    bool user_token(const std::string &user_dn, LookupContext &context, const Token *&token);
    bool mailbox_entries(const std::string &mailbox, LookupContext &context, std::vector<LdapEntry> &found);
    bool send_as(const LdapEntry &box, const UserInfo &user, const Token &token, MailboxRights &rights,
                 LookupContext &context);
    bool send_on_behalf(const LdapEntry &box, const UserInfo &user, MailboxRights &rights, LookupContext &context);
    bool full_access(const FilterTokens &tokens, const Token &token, MailboxRights &rights, LookupContext &context);
    bool dn_of_sid(const std::string &sid, LookupContext &context, std::string &dn);
};

// The Directory of ldap.layout: LdapDirectory or AdDirectory.
std::unique_ptr<LdapDirectory> make_ldap_directory(const LdapConfig &config, AddressRules rules);

// A user's own addresses in AD: the mail values, then the primary SMTP:
// proxy address, then the other smtp: ones (prefix case ignored; x500:,
// sip: and the rest skipped), each once (compared case-insensitively).
std::vector<std::string> ad_addresses(const std::vector<std::string> &mail, const std::vector<std::string> &proxies);

// userAccountControl with ACCOUNTDISABLE (0x2) set.
bool ad_account_disabled(const LdapEntry &entry);

}  // namespace sendas

#endif
