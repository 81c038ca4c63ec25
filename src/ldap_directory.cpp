// Users and mailbox rights from LDAP; see ldap_directory.h.
#include "ldap_directory.h"
#include "string_util.h"

#include <algorithm>
#include <map>
#include <sstream>

#include <ldap.h>

#include "ldap_filter.h"
#include "log.h"

namespace sendas {
namespace {

// Bounds the upward walk on directories with huge group graphs.
constexpr size_t max_groups_walked = 2000;

// A node of the upward walk and the edge that reached it first (breadth
// first, so paths are shortest).
struct Reached {
    std::string dn;      // as the server wrote it
    std::string parent;  // normalized DN of the member that put it here
};

}  // namespace

std::string normalize_dn(const std::string &dn) {
    LDAPDN parsed = nullptr;
    if (ldap_str2dn(dn.c_str(), &parsed, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS) return lower(dn);
    char *out = nullptr;
    int rc = ldap_dn2str(parsed, &out, LDAP_DN_FORMAT_LDAPV3);
    ldap_dnfree(parsed);
    std::string result = rc == LDAP_SUCCESS && out ? lower(out) : lower(dn);
    if (out) ldap_memfree(out);
    return result;
}

LdapDirectory::LdapDirectory(const LdapConfig &config) : pool_(config) {}

LookupStatus LdapDirectory::find_user(const std::string &login, UserInfo &user) {
    const LdapConfig &cfg = pool_.config();
    FilterTokens tokens{login, login, ""};
    auto display_attrs = split_words(cfg.display_name_attribute);
    std::vector<std::string> attrs = display_attrs;
    attrs.push_back(cfg.mail_attribute);
    // Two entries are enough to see that a login is ambiguous.
    SearchResult res = pool_.search(cfg.base, Scope::subtree, expand_filter(cfg.user_filter, tokens), attrs, 2);
    if (res.status != SearchStatus::ok) return LookupStatus::unavailable;  // the pool logs the outage
    if (res.entries.empty()) return LookupStatus::not_found;
    if (res.entries.size() > 1) {
        log(Severity::warning, "login matches more than one LDAP entry, treated as unknown: " + login);
        return LookupStatus::not_found;
    }
    const LdapEntry &entry = res.entries.front();
    user.dn = entry.dn;
    user.addresses = entry.values(lower(cfg.mail_attribute));
    user.display_name.clear();
    for (const auto &attr : display_attrs) {
        const auto &values = entry.values(lower(attr));
        if (!values.empty()) {
            user.display_name = values.front();
            break;
        }
    }
    return LookupStatus::found;
}

// Walks from the user up through the groups that contain it, level by
// level, until `group_dn` is reached or nested_depth + 1 levels are done.
LookupStatus LdapDirectory::membership_path(const std::string &user_dn, const std::string &group_dn,
                                            std::vector<std::string> &path) {
    const LdapConfig &cfg = pool_.config();
    const std::string target = normalize_dn(group_dn);
    std::map<std::string, Reached> reached;  // normalized DN -> how it was reached
    reached[normalize_dn(user_dn)] = Reached{user_dn, ""};
    std::vector<std::string> frontier{normalize_dn(user_dn)};
    for (unsigned level = 0; level <= cfg.nested_depth && !frontier.empty(); ++level) {
        std::vector<std::string> next;
        for (const auto &node : frontier) {
            std::string filter = "(" + cfg.member_attribute + "=" + escape_filter_value(reached[node].dn) + ")";
            SearchResult res = pool_.search(cfg.base, Scope::subtree, filter, {"1.1"});
            if (res.status != SearchStatus::ok) return LookupStatus::unavailable;
            for (const auto &entry : res.entries) {
                std::string dn = normalize_dn(entry.dn);
                if (!reached.emplace(dn, Reached{entry.dn, node}).second) continue;  // cycle or seen
                if (dn == target) {
                    for (std::string at = dn; !at.empty(); at = reached[at].parent) path.push_back(reached[at].dn);
                    std::reverse(path.begin(), path.end());
                    return LookupStatus::found;
                }
                next.push_back(dn);
            }
            if (reached.size() > max_groups_walked) {
                log(Severity::warning, "group walk stopped after " + std::to_string(max_groups_walked) +
                                           " groups for " + user_dn);
                return LookupStatus::not_found;
            }
        }
        frontier = std::move(next);
    }
    return LookupStatus::not_found;
}

LookupStatus LdapDirectory::find_rights(const std::string &login, const UserInfo &user, const std::string &mailbox,
                                        MailboxRights &rights) {
    const LdapConfig &cfg = pool_.config();
    rights = MailboxRights{};
    if (user.dn.empty()) return LookupStatus::not_found;
    FilterTokens tokens{login, mailbox, user.dn};
    const std::string filter = expand_filter(cfg.group_filter, tokens);
    // With %D the server itself decides membership (e.g. AD's in-chain rule).
    const bool filter_proves_membership = cfg.group_filter.find("%D") != std::string::npos;
    const std::string member_attr = lower(cfg.member_attribute);
    const std::string user_dn = normalize_dn(user.dn);

    const std::pair<const std::string *, bool *> subtrees[] = {
        {&cfg.send_as_base, &rights.send_as},
        {&cfg.send_on_behalf_base, &rights.send_on_behalf},
        {&cfg.full_access_base, &rights.full_access},
    };
    for (const auto &[base, flag] : subtrees) {
        SearchResult res = pool_.search(*base, Scope::subtree, filter, {cfg.member_attribute});
        if (res.status != SearchStatus::ok) return LookupStatus::unavailable;
        for (const auto &group : res.entries) {
            std::vector<std::string> path;
            const auto &members = group.values(member_attr);
            bool direct = filter_proves_membership ||
                          std::any_of(members.begin(), members.end(),
                                      [&](const std::string &m) { return normalize_dn(m) == user_dn; });
            if (direct) {
                path = {user.dn, group.dn};
            } else if (!members.empty()) {
                LookupStatus status = membership_path(user.dn, group.dn, path);
                if (status == LookupStatus::unavailable) return status;
            }
            if (path.empty()) continue;
            *flag = true;
            if (rights.path.empty()) rights.path = path;  // subtrees go strongest first
            break;
        }
    }
    // Per-mailbox settings: membership of admin-kept lists.
    const std::string list_filter = expand_filter(cfg.mailbox_list_filter, tokens);
    bool listed = false;
    auto in_list = [&](const std::string &base) {
        if (base.empty()) return true;
        SearchResult res = pool_.search(base, Scope::subtree, list_filter, {"1.1"});
        if (res.status != SearchStatus::ok) return false;
        listed = !res.entries.empty();
        return true;
    };
    if (rights.send_as || rights.send_on_behalf) {
        if (!in_list(cfg.no_sent_copy_base)) return LookupStatus::unavailable;
        if (listed) rights.sent_copy = MailboxRights::SentCopy::off;
        listed = false;
        if (rights.sent_copy == MailboxRights::SentCopy::unset) {
            if (!in_list(cfg.sent_copy_base)) return LookupStatus::unavailable;
            if (listed) rights.sent_copy = MailboxRights::SentCopy::on;
        }
    }
    listed = false;
    if (!in_list(cfg.enforce_base)) return LookupStatus::unavailable;
    if (listed) rights.mode = MailboxRights::Mode::enforce;
    listed = false;
    if (rights.mode == MailboxRights::Mode::unset) {
        if (!in_list(cfg.report_base)) return LookupStatus::unavailable;
        if (listed) rights.mode = MailboxRights::Mode::report;
    }
    return LookupStatus::found;
}

std::string LdapDirectory::probe() {
    const LdapConfig &cfg = pool_.config();
    SearchResult res = pool_.search(cfg.base, Scope::base, "(objectClass=*)", {"1.1"});
    if (res.status != SearchStatus::ok) return res.error;
    if (res.entries.empty()) return "ldap.base " + cfg.base + " does not exist";
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
    SearchResult res;
    if (!read(cfg.base, "(objectClass=*)", {cfg.mail_attribute, cfg.member_attribute}, res)) return res.error;
    for (auto &entry : res.entries)
        out.entries[normalize_dn(entry.dn)] = {entry.dn, entry.values(mail_attr), entry.values(member_attr)};
    if (!read(cfg.base, cfg.audit_user_filter, {"1.1"}, res)) return res.error;
    for (const auto &entry : res.entries) out.users.insert(normalize_dn(entry.dn));
    if (!cfg.audit_disabled_filter.empty()) {
        if (!read(cfg.base, "(&" + cfg.audit_user_filter + cfg.audit_disabled_filter + ")", {"1.1"}, res))
            return res.error;
        for (const auto &entry : res.entries) out.disabled.insert(normalize_dn(entry.dn));
    }
    const std::pair<const char *, const std::string *> subtrees[] = {
        {"send-as", &cfg.send_as_base}, {"send-on-behalf", &cfg.send_on_behalf_base}, {"full-access", &cfg.full_access_base}};
    for (const auto &[right, base] : subtrees) {
        if (!read(*base, "(cn=*@*)", {"cn", cfg.member_attribute}, res)) return res.error;
        for (const auto &entry : res.entries)
            out.groups.push_back({right, entry.values("cn").front(), entry.dn, entry.values(member_attr)});
    }
    return "";
}

}  // namespace sendas

