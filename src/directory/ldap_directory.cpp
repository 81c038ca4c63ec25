// Users and mailbox rights from LDAP; see ldap_directory.h.
#include "directory/ldap_directory.h"
#include "base/string_util.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <sstream>
#include <vector>

#include <ldap.h>

#include "base/log.h"
#include "base/mailbox_match.h"
#include "directory/ldap_filter.h"

namespace sendas {
namespace {

// Bounds the upward walk on directories with huge group graphs.
constexpr size_t max_groups_walked = 2000;

// A DN's RDNs, root first, in RFC 4514 form as written (so escaped commas
// stay inside their RDN); empty when it does not parse.
std::vector<std::string> rdns_of(const std::string &dn) {
    std::vector<std::string> rdns;
    LDAPDN parsed = nullptr;
    if (ldap_str2dn(dn.c_str(), &parsed, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS) return rdns;
    for (int i = 0; parsed && parsed[i]; ++i) {
        char *rdn = nullptr;
        if (ldap_rdn2str(parsed[i], &rdn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !rdn) {
            rdns.clear();
            break;
        }
        rdns.emplace_back(rdn);
        ldap_memfree(rdn);
    }
    ldap_dnfree(parsed);
    std::reverse(rdns.begin(), rdns.end());
    return rdns;
}

// Compared as normalize_dn compares whole DNs.
bool same_rdn(const std::string &a, const std::string &b) { return lower(a) == lower(b); }

// True when `dn` is `base` or lies under it.
bool within(const std::vector<std::string> &dn, const std::vector<std::string> &base) {
    return !base.empty() && base.size() <= dn.size() && std::equal(base.begin(), base.end(), dn.begin(), same_rdn);
}

// A node of the upward walk and the edge that reached it first (breadth
// first, so paths are shortest).
struct Reached {
    std::string dn;      // as the server wrote it
    std::string parent;  // normalized DN of the member that put it here
};

// The breadth-first walk from a user up through the groups that contain it,
// level by level to ldap.nested_depth, shared by the rights groups of one
// lookup: each question goes on with the walk only until its group is
// reached, and what was learned serves the next question. A level costs
// one search (per `level_chunk` groups): "(|(member=A)(member=B)...)",
// with a values return filter so that each group found brings back only
// the members of the level that put it there, which keeps paths.
class UpwardWalk {
public:
    UpwardWalk(LdapPool &pool, const std::string &user_dn)
        : pool_(pool), user_dn_(user_dn), root_(normalize_dn(user_dn)), frontier_{root_} {
        reached_[root_] = Reached{user_dn, ""};
    }

    // Fills `path`, user first, when `group_dn` is within reach. Each
    // search is charged to `context`.
    LookupStatus path_to(const std::string &group_dn, std::vector<std::string> &path, LookupContext &context) {
        const std::string target = normalize_dn(group_dn);
        while (target == root_ || reached_.count(target) == 0) {
            if (done_) return LookupStatus::not_found;
            if (!climb(context)) return LookupStatus::unavailable;
        }
        for (std::string at = target; !at.empty(); at = reached_[at].parent) path.push_back(reached_[at].dn);
        std::reverse(path.begin(), path.end());
        return LookupStatus::found;
    }

private:
    static constexpr size_t level_chunk = 64;  // DNs per search: filters stay small

    // Searches the groups holding the frontier; they become the next one.
    bool climb(LookupContext &context) {
        if (frontier_.empty() || level_ > pool_.config().nested_depth) {
            done_ = true;
            return true;
        }
        std::vector<std::string> next;
        for (size_t start = 0; start < frontier_.size(); start += level_chunk) {
            const std::vector<std::string> chunk(
                frontier_.begin() + static_cast<std::ptrdiff_t>(start),
                frontier_.begin() + static_cast<std::ptrdiff_t>(std::min(frontier_.size(), start + level_chunk)));
            if (!search_holders(chunk, next, context)) return false;
        }
        frontier_ = std::move(next);
        ++level_;
        if (reached_.size() > max_groups_walked) {
            // Groups reached before the cap still count.
            log(Severity::warning,
                "group walk stopped after " + std::to_string(max_groups_walked) + " groups for " + user_dn_);
            done_ = true;
        }
        return true;
    }

    // The groups with a member in `nodes` (normalized DNs reached), each
    // reached from the first such member; new ones appended to `next`.
    bool search_holders(const std::vector<std::string> &nodes, std::vector<std::string> &next, LookupContext &context) {
        const LdapConfig &cfg = pool_.config();
        std::string terms;
        for (const auto &node : nodes)
            terms += "(" + cfg.member_attribute + "=" + escape_filter_value(reached_[node].dn) + ")";
        SearchRequest request;
        request.base = cfg.base;
        request.filter = nodes.size() == 1 ? terms : "(|" + terms + ")";
        request.attributes = {cfg.member_attribute};
        request.values_return_filter = "(" + terms + ")";
        if (!context.charge()) return false;
        SearchResult res = pool_.search(request);
        if (res.status != SearchStatus::ok) return false;
        const std::string member_attr = lower(cfg.member_attribute);
        for (const auto &entry : res.entries) {
            const std::string dn = normalize_dn(entry.dn);
            if (reached_.count(dn)) continue;  // a cycle, or reached already
            for (const auto &member : entry.values(member_attr)) {
                const std::string parent = normalize_dn(member);
                if (std::find(nodes.begin(), nodes.end(), parent) == nodes.end()) continue;
                reached_.emplace(dn, Reached{entry.dn, parent});
                next.push_back(dn);
                break;
            }
        }
        return true;
    }

    LdapPool &pool_;
    const std::string user_dn_;
    const std::string root_;                  // the user, normalized: level 0
    std::map<std::string, Reached> reached_;  // normalized DN -> how it was reached
    std::vector<std::string> frontier_;       // the deepest level reached, not yet searched
    unsigned level_ = 0;                      // the frontier's level
    bool done_ = false;                       // depth, cap or the top of the graph reached
};

// One walk per user and message: the rights lookups of one message (a
// From: with several mailboxes, Sender:, the envelope) go on with the same
// walk instead of each starting from the user again.
class GroupWalks : public MembershipMemo {
public:
    UpwardWalk &for_user(LdapPool &pool, const std::string &user_dn) {
        auto &walk = walks_[normalize_dn(user_dn)];
        if (!walk) walk = std::make_unique<UpwardWalk>(pool, user_dn);
        return *walk;
    }

private:
    std::map<std::string, std::unique_ptr<UpwardWalk>> walks_;
};

UpwardWalk &walk_for(LookupContext &context, LdapPool &pool, const std::string &user_dn) {
    auto *walks = dynamic_cast<GroupWalks *>(context.memo.get());
    if (!walks) {
        context.memo = std::make_unique<GroupWalks>();
        walks = static_cast<GroupWalks *>(context.memo.get());
    }
    return walks->for_user(pool, user_dn);
}

}  // namespace

bool names_mailbox(const LdapEntry &entry, const std::string &mail_attribute, const std::string &mailbox,
                   bool local_part_case_sensitive) {
    for (const char *attribute : {"cn", mail_attribute.c_str()})
        for (const auto &value : entry.values(attribute))
            if (canonical_address(value, local_part_case_sensitive) == mailbox) return true;
    return false;
}

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

LdapDirectory::LdapDirectory(const LdapConfig &config, AddressRules rules)
    : pool_(config), rules_(std::move(rules)), subtrees_(plan_rights_subtrees(config)) {}

bool LdapDirectory::charged_search(LookupContext &context, const SearchRequest &request, SearchResult &result) {
    if (!context.charge()) return false;
    result = pool_.search(request);
    return result.status == SearchStatus::ok;
}

bool LdapDirectory::charged_search(LookupContext &context, const std::string &base, const std::string &filter,
                                   const std::vector<std::string> &attributes, SearchResult &result, int size_limit) {
    if (!context.charge()) return false;
    result = pool_.search(base, Scope::subtree, filter, attributes, size_limit);
    return result.status == SearchStatus::ok;
}

// One search under the bases' deepest common ancestor when that lies within
// ldap.base, which we know the server holds and lets us search; otherwise
// (e.g. bases in different naming contexts, where the ancestor may not
// exist or be a referral) one search per base.
LdapDirectory::RightsSubtrees LdapDirectory::plan_rights_subtrees(const LdapConfig &config) {
    RightsSubtrees plan;
    plan.bases = {config.send_as_base, config.send_on_behalf_base, config.full_access_base};
    for (const auto &base : plan.bases) plan.base_rdns.push_back(rdns_of(base));
    const std::vector<std::string> &first = plan.base_rdns.front();
    auto common = static_cast<std::ptrdiff_t>(first.size());
    for (const auto &rdns : plan.base_rdns) {
        auto end = rdns.begin() + std::min(common, static_cast<std::ptrdiff_t>(rdns.size()));
        common = std::mismatch(rdns.begin(), end, first.begin(), same_rdn).first - rdns.begin();
    }
    const std::vector<std::string> ancestor(first.begin(), first.begin() + common);
    if (!within(ancestor, rdns_of(config.base))) return plan;
    for (auto rdn = ancestor.rbegin(); rdn != ancestor.rend(); ++rdn)
        plan.ancestor += (plan.ancestor.empty() ? "" : ",") + *rdn;
    return plan;
}

// The groups matching `filter` under each rights subtree, in their order,
// that name exactly `mailbox` or, as `domain` groups, its "@domain".
bool LdapDirectory::search_rights_subtrees(const std::string &filter, const std::string &mailbox,
                                           std::vector<SubtreeGroups> &found, LookupContext &context) {
    const LdapConfig &cfg = pool_.config();
    const std::vector<std::string> attributes = {cfg.member_attribute, "cn", cfg.mail_attribute};
    const std::string mail_attr = lower(cfg.mail_attribute), domain = domain_group_name(mailbox);
    found.assign(subtrees_.bases.size(), {});
    auto keep = [&](size_t subtree, LdapEntry &entry) {
        if (names_mailbox(entry, mail_attr, mailbox, rules_.local_part_case_sensitive))
            found[subtree].exact.push_back(std::move(entry));
        else if (names_mailbox(entry, mail_attr, domain, rules_.local_part_case_sensitive))
            found[subtree].domain.push_back(std::move(entry));
    };
    SearchResult res;
    if (subtrees_.ancestor.empty()) {
        for (size_t i = 0; i < subtrees_.bases.size(); ++i) {
            if (!charged_search(context, subtrees_.bases[i], filter, attributes, res)) return false;
            for (auto &entry : res.entries) keep(i, entry);
        }
        return true;
    }
    if (!charged_search(context, subtrees_.ancestor, filter, attributes, res)) return false;
    for (auto &entry : res.entries) {
        const auto rdns = rdns_of(entry.dn);
        for (size_t i = 0; i < subtrees_.bases.size(); ++i)
            if (within(rdns, subtrees_.base_rdns[i])) {
                LdapEntry copy = entry;  // under nested bases: each
                keep(i, copy);
            }
    }
    return true;
}

Answer<UserInfo> LdapDirectory::find_user(const std::string &login, LookupContext &context) {
    const LdapConfig &cfg = pool_.config();
    FilterTokens tokens{login, login, ""};
    auto display_attrs = split_words(cfg.display_name_attribute);
    std::vector<std::string> attrs = display_attrs;
    attrs.push_back(cfg.mail_attribute);
    // Two entries are enough to see that a login is ambiguous.
    SearchResult res;
    if (!charged_search(context, cfg.base, expand_filter(cfg.user_filter, tokens), attrs, res, 2))
        return {LookupStatus::unavailable, {}};  // the pool logs an outage
    if (res.entries.empty()) return {LookupStatus::not_found, {}};
    if (res.entries.size() > 1) {
        log(Severity::warning, "login matches more than one LDAP entry, treated as unknown: " + login);
        return {LookupStatus::not_found, {}};
    }
    const LdapEntry &entry = res.entries.front();
    Answer<UserInfo> answer{LookupStatus::found, {}};
    UserInfo &user = answer.value;
    user.dn = entry.dn;
    user.addresses = entry.values(lower(cfg.mail_attribute));
    for (const auto &attr : display_attrs) {
        const auto &values = entry.values(lower(attr));
        if (!values.empty()) {
            user.display_name = values.front();
            break;
        }
    }
    return answer;
}

// With %D in the group filter only the groups holding the user match, so
// a group named after the address that leaves the user out is invisible:
// before a domain group may grant a right, one search asks whether the
// address has a group of its own for it, whoever its members.
bool LdapDirectory::drop_shadowed_domain_groups(const std::string &mailbox, std::vector<SubtreeGroups> &groups,
                                                MailboxRights &rights, LookupContext &context) {
    if (std::none_of(groups.begin(), groups.end(),
                     [](const SubtreeGroups &g) { return g.exact.empty() && !g.domain.empty(); }))
        return true;
    const std::string value = escape_filter_value(mailbox);
    std::vector<SubtreeGroups> named;
    if (!search_rights_subtrees("(|(cn=" + value + ")(" + pool_.config().mail_attribute + "=" + value + "))", mailbox,
                                named, context))
        return false;
    for (size_t i = 0; i < groups.size(); ++i)
        if (!named[i].exact.empty()) {
            groups[i].domain.clear();
            rights.is_mailbox = true;
        }
    return true;
}

// The rights groups that hold the user, strongest right first: for each
// right the groups named after `mailbox`, or when it has none for that
// right, those named after its domain ("most specific first"). The first
// path found is the one reported.
LookupStatus LdapDirectory::held_rights(const FilterTokens &tokens, const UserInfo &user, MailboxRights &rights,
                                        LookupContext &context) {
    const LdapConfig &cfg = pool_.config();
    // With %D the server itself decides membership (e.g. AD's in-chain rule).
    const bool filter_proves_membership = cfg.group_filter.find("%D") != std::string::npos;
    const std::string member_attr = lower(cfg.member_attribute);
    const std::string user_dn = normalize_dn(user.dn);
    bool *const flags[] = {&rights.send_as, &rights.send_on_behalf, &rights.full_access};
    const FilterTokens domain_tokens{tokens.login, domain_group_name(tokens.mailbox), tokens.user_dn};
    const std::string filter =
        "(|" + expand_filter(cfg.group_filter, tokens) + expand_filter(cfg.group_filter, domain_tokens) + ")";
    std::vector<SubtreeGroups> groups;
    if (!search_rights_subtrees(filter, tokens.mailbox, groups, context) ||
        (filter_proves_membership && !drop_shadowed_domain_groups(tokens.mailbox, groups, rights, context)))
        return LookupStatus::unavailable;
    UpwardWalk &walk = walk_for(context, pool_, user.dn);
    for (size_t i = 0; i < groups.size(); ++i) {
        if (!groups[i].exact.empty()) rights.is_mailbox = true;
        const bool by_domain = groups[i].exact.empty();
        for (const auto &group : by_domain ? groups[i].domain : groups[i].exact) {
            std::vector<std::string> path;
            const auto &members = group.values(member_attr);
            const bool direct = filter_proves_membership ||
                                std::any_of(members.begin(), members.end(),
                                            [&](const std::string &m) { return normalize_dn(m) == user_dn; });
            if (direct) {
                path = {user.dn, group.dn};
            } else if (!members.empty() && walk.path_to(group.dn, path, context) == LookupStatus::unavailable) {
                return LookupStatus::unavailable;
            }
            if (path.empty()) continue;
            *flags[i] = true;
            if (rights.path.empty()) {
                rights.path = std::move(path);
                rights.domain_grant = by_domain;
            }
            break;
        }
    }
    return LookupStatus::found;
}

// Whether an entry has `mailbox` as its mail value; false when LDAP could
// not be asked.
bool LdapDirectory::mail_entry_exists(const std::string &mailbox, LookupContext &context, bool &exists) {
    const LdapConfig &cfg = pool_.config();
    const std::string mail_attr = lower(cfg.mail_attribute);
    SearchResult res;
    if (!charged_search(context, cfg.base, "(" + cfg.mail_attribute + "=" + escape_filter_value(mailbox) + ")",
                        {cfg.mail_attribute}, res))
        return false;
    exists = std::any_of(res.entries.begin(), res.entries.end(), [&](const LdapEntry &entry) {
        return names_mailbox(entry, mail_attr, mailbox, rules_.local_part_case_sensitive);
    });
    return true;
}

Answer<MailboxRights> LdapDirectory::find_rights(const std::string &login, const UserInfo &user,
                                                 const std::string &mailbox, LookupContext &context) {
    Answer<MailboxRights> answer{LookupStatus::not_found, {}};
    if (user.dn.empty()) return answer;
    MailboxRights &rights = answer.value;
    const FilterTokens tokens{login, mailbox, user.dn};
    answer.status = LookupStatus::unavailable;
    if (held_rights(tokens, user, rights, context) == LookupStatus::unavailable) return answer;
    // A detail address with no group of its own may still be someone's
    // mail value: then it is a mailbox, and never decided by its base.
    if (!rights.is_mailbox && detail_base(mailbox, rules_.delimiters) &&
        !mail_entry_exists(mailbox, context, rights.is_mailbox))
        return answer;
    if (read_mailbox_lists(tokens, rights, context)) answer.status = LookupStatus::found;
    return answer;
}

std::string LdapDirectory::probe() {
    const LdapConfig &cfg = pool_.config();
    SearchResult res = pool_.search(cfg.base, Scope::base, "(objectClass=*)", {"1.1"});
    if (res.status != SearchStatus::ok) return res.error;
    if (res.entries.empty()) return "ldap.base " + cfg.base + " does not exist";
    return "";
}

}  // namespace sendas
