// `sendasctl audit` on the groups layout: the directory read into the
// audit's model (snapshot.h), in pages; see ldap_directory.h.
#include <algorithm>

#include "base/string_util.h"
#include "directory/ldap_directory.h"

namespace sendas {

bool is_group_entry(const LdapEntry &entry) {
    const auto &classes = entry.values("objectclass");
    return std::any_of(classes.begin(), classes.end(), [](const std::string &c) {
        const std::string name = lower(c);
        return name == "group" || name == "groupofnames" || name == "groupofuniquenames";
    });
}

std::string LdapDirectory::read_users(DirectorySnapshot &out) {
    const LdapConfig &cfg = pool_.config();
    SearchResult res = pool_.search(cfg.base, Scope::subtree, cfg.audit_user_filter, {"1.1"}, 0, true);
    if (res.status != SearchStatus::ok) return res.error;
    for (const auto &entry : res.entries) out.users.insert(normalize_dn(entry.dn));
    if (cfg.audit_disabled_filter.empty()) return "";
    res = pool_.search(cfg.base, Scope::subtree, "(&" + cfg.audit_user_filter + cfg.audit_disabled_filter + ")",
                       {"1.1"}, 0, true);
    if (res.status != SearchStatus::ok) return res.error;
    for (const auto &entry : res.entries) out.disabled.insert(normalize_dn(entry.dn));
    return "";
}

std::string LdapDirectory::snapshot(DirectorySnapshot &out) {
    const LdapConfig &cfg = pool_.config();
    const std::string mail_attr = lower(cfg.mail_attribute), member_attr = lower(cfg.member_attribute);
    auto read = [&](const std::string &base, const std::string &filter, const std::vector<std::string> &attrs,
                    SearchResult &res) {
        res = pool_.search(base, Scope::subtree, filter, attrs, 0, true);
        return res.status == SearchStatus::ok;
    };
    // With %D the server decides membership at any depth.
    out.nesting_unbounded = cfg.group_filter.find("%D") != std::string::npos;
    SearchResult res;
    if (!read(cfg.base, "(objectClass=*)", {cfg.mail_attribute, cfg.member_attribute, "objectClass"}, res))
        return res.error;
    for (auto &entry : res.entries)
        out.entries[normalize_dn(entry.dn)] = {entry.dn, entry.values(mail_attr), entry.values(member_attr),
                                               is_group_entry(entry)};
    std::string error = read_users(out);
    if (!error.empty()) return error;
    const std::pair<const char *, const std::string *> subtrees[] = {{"send-as", &cfg.send_as_base},
                                                                     {"send-on-behalf", &cfg.send_on_behalf_base},
                                                                     {"full-access", &cfg.full_access_base}};
    for (const auto &[right, base] : subtrees) {
        if (!read(*base, "(cn=*@*)", {"cn", cfg.member_attribute}, res)) return res.error;
        for (const auto &entry : res.entries) {
            // The filter matched a cn the ACLs may still hide from this bind.
            const auto &cn = entry.values("cn");
            if (cn.empty()) continue;
            out.groups.push_back({right, cn.front(), entry.dn, entry.values(member_attr), {}});
        }
    }
    return "";
}

}  // namespace sendas
