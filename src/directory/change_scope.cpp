// From a changed entry to what it invalidates; see change_scope.h.
#include "directory/change_scope.h"

#include <algorithm>
#include <map>
#include <vector>

#include <ldap.h>

#include "base/string_util.h"
#include "directory/ldap_directory.h"
#include "directory/ldap_filter.h"

namespace sendas {
namespace {

// Bounds the walk on huge group graphs, as the lookups' own walk does.
constexpr size_t max_groups_walked = 2000;

// The value of a DN's first RDN ("support@example.com" for
// "cn=support@example.com,ou=send-as,..."), unescaped; "" if none.
std::string first_rdn_value(const std::string &dn) {
    LDAPDN parsed = nullptr;
    if (ldap_str2dn(dn.c_str(), &parsed, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS) return "";
    std::string value;
    if (parsed && parsed[0] && parsed[0][0]) value.assign(parsed[0][0]->la_value.bv_val, parsed[0][0]->la_value.bv_len);
    ldap_dnfree(parsed);
    return value;
}

LdapConfig scope_pool_config(LdapConfig config) {
    config.pool_size = 2;
    return config;
}

}  // namespace

bool dn_within(const std::string &dn, const std::string &base) {
    if (base.empty()) return false;
    if (dn == base) return true;
    return dn.size() > base.size() && dn.compare(dn.size() - base.size(), base.size(), base) == 0 &&
           dn[dn.size() - base.size() - 1] == ',';
}

bool may_be_group(const ChangedEntry &change) {
    if (change.deleted) return true;
    return std::any_of(change.object_classes.begin(), change.object_classes.end(),
                       [](const std::string &oc) { return oc.find("group") != std::string::npos; });
}

std::vector<std::string> entry_mailboxes(const ChangedEntry &change, bool local_part_case_sensitive) {
    std::vector<std::string> names = change.names;
    if (change.deleted) names = {first_rdn_value(change.dn)};
    std::vector<std::string> mailboxes;
    for (const auto &name : names)
        if (auto canonical = canonical_address(name, local_part_case_sensitive)) mailboxes.push_back(*canonical);
    return mailboxes;
}

ChangeScope::ChangeScope(const LdapConfig &config, AddressRules rules)
    : pool_(scope_pool_config(config)), rules_(std::move(rules)), search_bases_(watched_bases(config)) {
    for (const std::string *base : config.mailbox_bases())
        if (!base->empty()) mailbox_bases_.push_back(normalize_dn(*base));
}

bool ChangeScope::under_mailbox_base(const std::string &normalized_dn) const {
    return std::any_of(mailbox_bases_.begin(), mailbox_bases_.end(), [&](const std::string &base) {
        return normalized_dn != base && dn_within(normalized_dn, base);
    });
}

bool ChangeScope::reach(const ChangedEntry &change, Invalidation &out, std::string &error) {
    const bool listed = under_mailbox_base(normalize_dn(change.dn));
    if (listed)
        for (const auto &mailbox : entry_mailboxes(change, rules_.local_part_case_sensitive))
            out.mailboxes.insert(mailbox);
    if (!may_be_group(change) || change.deleted) {
        out.identities.insert(lower(change.dn));
        // A detail address that is someone's mail value is a mailbox of
        // its own (mailbox_match.h): its cached answers change with it.
        if (!listed)
            for (const auto &mailbox : entry_mailboxes(change, rules_.local_part_case_sensitive))
                out.mailboxes.insert(mailbox);
    }
    return !may_be_group(change) || walk_up(change.dn, out, error);
}

// Breadth first from the changed group up through the groups that list
// it as a member; every one under a rights or list base names a mailbox.
bool ChangeScope::walk_up(const std::string &dn, Invalidation &out, std::string &error) {
    const LdapConfig &cfg = pool_.config();
    const std::vector<std::string> attrs = {"cn", cfg.mail_attribute, "objectClass"};
    std::map<std::string, bool> reached{{normalize_dn(dn), true}};
    std::vector<std::string> level{dn};
    for (unsigned depth = 0; depth <= cfg.nested_depth && !level.empty(); ++depth) {
        std::vector<std::string> next;
        for (const auto &member : level) {
            const std::string filter = "(" + cfg.member_attribute + "=" + escape_filter_value(member) + ")";
            for (const auto &base : search_bases_) {
                SearchResult res = pool_.search(base, Scope::subtree, filter, attrs);
                if (res.status != SearchStatus::ok) {
                    error = res.error;
                    return false;
                }
                for (const auto &entry : res.entries) {
                    const std::string normalized = normalize_dn(entry.dn);
                    if (!reached.emplace(normalized, true).second) continue;  // a cycle, or seen
                    if (under_mailbox_base(normalized))
                        for (const auto &mailbox :
                             entry_mailboxes(changed_entry(entry, cfg), rules_.local_part_case_sensitive))
                            out.mailboxes.insert(mailbox);
                    next.push_back(entry.dn);
                }
            }
            if (reached.size() > max_groups_walked) {
                error = "more than " + std::to_string(max_groups_walked) + " groups above " + dn;
                return false;
            }
        }
        level = std::move(next);
    }
    return true;
}

}  // namespace sendas
