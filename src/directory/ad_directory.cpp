// Users and mailbox rights from Active Directory; see ad_directory.h.
#include "directory/ad_directory.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "base/log.h"
#include "base/mailbox_match.h"
#include "base/string_util.h"
#include "directory/ldap_filter.h"
#include "directory/security_descriptor.h"

namespace sendas {
namespace {

constexpr int sd_flags_dacl = 4;
constexpr unsigned long account_disabled = 0x2;
// Delegates per in-chain search, to keep the filter small.
constexpr size_t delegates_per_search = 50;
const char *const in_chain = ":1.2.840.113556.1.4.1941:=";

// The tokens of the users one message asks about.
class TokenMemo : public MembershipMemo {
public:
    std::map<std::string, AdDirectory::Token> tokens;  // normalized user DN ->
};

TokenMemo &memo_of(LookupContext &context) {
    auto *memo = dynamic_cast<TokenMemo *>(context.memo.get());
    if (!memo) {
        context.memo = std::make_unique<TokenMemo>();
        memo = static_cast<TokenMemo *>(context.memo.get());
    }
    return *memo;
}

// "smtp:a@b" / "SMTP:a@b" -> "a@b"; "" for every other type.
std::string smtp_address(const std::string &proxy) {
    return lower(proxy.substr(0, 5)) == "smtp:" ? proxy.substr(5) : "";
}

// Whether `entry` is the mailbox by mail or an smtp: proxy address.
bool is_mailbox_entry(const LdapEntry &entry, const std::string &mail_attr, const std::string &mailbox,
                      bool case_sensitive) {
    const auto addresses = ad_addresses(entry.values(mail_attr), entry.values("proxyaddresses"));
    return std::any_of(addresses.begin(), addresses.end(),
                       [&](const std::string &a) { return canonical_address(a, case_sensitive) == mailbox; });
}

bool has_member(const LdapEntry &group, const std::string &member_attr, const std::string &user_dn) {
    const std::string wanted = normalize_dn(user_dn);
    const auto &members = group.values(member_attr);
    return std::any_of(members.begin(), members.end(), [&](const std::string &m) { return normalize_dn(m) == wanted; });
}

}  // namespace

std::vector<std::string> ad_addresses(const std::vector<std::string> &mail, const std::vector<std::string> &proxies) {
    std::vector<std::string> out;
    auto add = [&](const std::string &address) {
        if (address.empty()) return;
        if (std::none_of(out.begin(), out.end(), [&](const std::string &a) { return lower(a) == lower(address); }))
            out.push_back(address);
    };
    for (const auto &m : mail) add(m);
    for (const auto &p : proxies)
        if (p.compare(0, 5, "SMTP:") == 0) add(p.substr(5));
    for (const auto &p : proxies) add(smtp_address(p));
    return out;
}

bool ad_account_disabled(const LdapEntry &entry) {
    const auto &uac = entry.values("useraccountcontrol");
    return !uac.empty() && (std::strtoul(uac.front().c_str(), nullptr, 10) & account_disabled);
}

std::unique_ptr<LdapDirectory> make_ldap_directory(const LdapConfig &config, AddressRules rules) {
    if (config.layout == LdapLayout::ad) return std::make_unique<AdDirectory>(config, std::move(rules));
    return std::make_unique<LdapDirectory>(config, std::move(rules));
}

Answer<UserInfo> AdDirectory::find_user(const std::string &login, LookupContext &context) {
    const LdapConfig &cfg = pool_.config();
    const auto display_attrs = split_words(cfg.display_name_attribute);
    std::vector<std::string> attrs = display_attrs;
    attrs.insert(attrs.end(), {cfg.mail_attribute, "proxyAddresses", "userAccountControl"});
    SearchResult res;
    // Two entries are enough to see that a login is ambiguous.
    if (!charged_search(context, cfg.base, expand_filter(cfg.user_filter, FilterTokens{login, login, ""}), attrs, res,
                        2))
        return {LookupStatus::unavailable, {}};
    if (res.entries.empty()) return {LookupStatus::not_found, {}};
    if (res.entries.size() > 1) {
        log(Severity::warning, "login matches more than one AD entry, treated as unknown: " + login);
        return {LookupStatus::not_found, {}};
    }
    const LdapEntry &entry = res.entries.front();
    Answer<UserInfo> answer{LookupStatus::found, {}};
    answer.value.dn = entry.dn;
    if (ad_account_disabled(entry))
        log(Severity::info, "login " + login + ": AD account disabled, it owns no address and holds no right");
    else
        answer.value.addresses = ad_addresses(entry.values(lower(cfg.mail_attribute)), entry.values("proxyaddresses"));
    for (const auto &attr : display_attrs) {
        const auto &values = entry.values(lower(attr));
        if (!values.empty()) {
            answer.value.display_name = values.front();
            break;
        }
    }
    return answer;
}

// One base read per user and message: tokenGroups is computed by the DC
// for base searches only.
bool AdDirectory::user_token(const std::string &user_dn, LookupContext &context, const Token *&token) {
    auto &tokens = memo_of(context).tokens;
    const std::string key = normalize_dn(user_dn);
    auto known = tokens.find(key);
    if (known == tokens.end()) {
        SearchResult res;
        SearchRequest request{
            user_dn, Scope::base, "(objectClass=*)", {"objectSid", "tokenGroups", "userAccountControl"}};
        if (!charged_search(context, request, res)) return false;
        Token fresh;
        fresh.disabled = res.entries.empty();  // gone since find_user: nothing
        if (!res.entries.empty()) {
            const LdapEntry &entry = res.entries.front();
            fresh.disabled = ad_account_disabled(entry);
            for (const char *attr : {"objectsid", "tokengroups"})
                for (const auto &sid : entry.values(attr)) fresh.sids.insert(sid);
            for (const char *well_known : {"S-1-1-0", "S-1-5-11"}) fresh.sids.insert(sid_from_string(well_known));
        }
        known = tokens.emplace(key, std::move(fresh)).first;
    }
    token = &known->second;
    return true;
}

// The entries whose mail or smtp: proxy address is exactly `mailbox`.
bool AdDirectory::mailbox_entries(const std::string &mailbox, LookupContext &context, std::vector<LdapEntry> &found) {
    const LdapConfig &cfg = pool_.config();
    const std::string value = escape_filter_value(mailbox);
    SearchRequest request{cfg.base,
                          Scope::subtree,
                          "(|(" + cfg.mail_attribute + "=" + value + ")(proxyAddresses=smtp:" + value +
                              ")(proxyAddresses=SMTP:" + value + "))",
                          {cfg.mail_attribute, "proxyAddresses", "publicDelegates", "nTSecurityDescriptor"}};
    request.sd_flags = sd_flags_dacl;
    SearchResult res;
    if (!charged_search(context, request, res)) return false;
    for (auto &entry : res.entries)
        if (is_mailbox_entry(entry, lower(cfg.mail_attribute), mailbox, rules_.local_part_case_sensitive))
            found.push_back(std::move(entry));
    return true;
}

bool AdDirectory::dn_of_sid(const std::string &sid, LookupContext &context, std::string &dn) {
    SearchResult res;
    if (!charged_search(context, pool_.config().base, "(objectSid=" + escape_filter_value(sid) + ")", {"1.1"}, res))
        return false;
    dn = res.entries.empty() ? sid_to_string(sid) : res.entries.front().dn;
    return true;
}

bool AdDirectory::send_as(const LdapEntry &box, const UserInfo &user, const Token &token, MailboxRights &rights,
                          LookupContext &context) {
    const auto &descriptors = box.values("ntsecuritydescriptor");
    if (descriptors.empty()) {
        log(Severity::warning, "no nTSecurityDescriptor returned for " + box.dn + ": no Send As on it");
        return true;
    }
    SecurityDescriptor sd;
    std::string error;
    if (!parse_security_descriptor(descriptors.front(), sd, error)) {
        log(Severity::warning, "nTSecurityDescriptor of " + box.dn + " unreadable (" + error + "): no Send As on it");
        return true;
    }
    const SendAsVerdict verdict = send_as_verdict(sd, token.sids, pool_.config().send_as_full_control);
    if (verdict.kind != SendAsVerdict::Kind::allowed) return true;
    rights.send_as = true;
    std::vector<std::string> path{user.dn};
    std::string trustee;
    if (!dn_of_sid(verdict.trustee, context, trustee)) return false;
    if (normalize_dn(trustee) != normalize_dn(user.dn)) path.push_back(trustee);
    path.push_back("Send-As ACE " + std::to_string(verdict.ace) + " (" + sid_to_string(verdict.trustee) +
                   ") in nTSecurityDescriptor of " + box.dn);
    if (rights.path.empty()) rights.path = std::move(path);
    return true;
}

bool AdDirectory::send_on_behalf(const LdapEntry &box, const UserInfo &user, MailboxRights &rights,
                                 LookupContext &context) {
    const auto &delegates = box.values("publicdelegates");
    const std::string via = "publicDelegates of " + box.dn;
    std::string group;
    const bool direct = std::any_of(delegates.begin(), delegates.end(),
                                    [&](const std::string &d) { return normalize_dn(d) == normalize_dn(user.dn); });
    for (size_t at = 0; !direct && group.empty() && at < delegates.size(); at += delegates_per_search) {
        std::string any;
        for (size_t i = at; i < std::min(delegates.size(), at + delegates_per_search); ++i)
            any += "(distinguishedName=" + escape_filter_value(delegates[i]) + ")";
        SearchResult res;
        const std::string filter = "(&(|" + any + ")(member" + in_chain + escape_filter_value(user.dn) + "))";
        if (!charged_search(context, pool_.config().base, filter, {"1.1"}, res)) return false;
        if (!res.entries.empty()) group = res.entries.front().dn;
    }
    if (!direct && group.empty()) return true;
    rights.send_on_behalf = true;
    std::vector<std::string> path{user.dn};
    if (!direct) path.push_back(group);
    path.push_back(via);
    if (rights.path.empty()) rights.path = std::move(path);
    return true;
}

// The groups layout's Full Access subtree. A group the filter matched
// holds the user when the filter said so (%D), when the group is in the
// user's tokenGroups, or by a direct member value.
bool AdDirectory::full_access(const FilterTokens &tokens, const Token &token, MailboxRights &rights,
                              LookupContext &context) {
    const LdapConfig &cfg = pool_.config();
    if (cfg.full_access_base.empty()) return true;
    const std::string member_attr = lower(cfg.member_attribute);
    SearchResult res;
    if (!charged_search(context, cfg.full_access_base, expand_filter(cfg.group_filter, tokens),
                        {"cn", cfg.mail_attribute, cfg.member_attribute, "objectSid"}, res))
        return false;
    const bool filter_proves = cfg.group_filter.find("%D") != std::string::npos;
    for (const auto &group : res.entries) {
        if (!names_mailbox(group, lower(cfg.mail_attribute), tokens.mailbox, rules_.local_part_case_sensitive))
            continue;
        rights.is_mailbox = true;
        const auto &sid = group.values("objectsid");
        if (filter_proves || (!sid.empty() && token.sids.count(sid.front())) ||
            has_member(group, member_attr, tokens.user_dn)) {
            rights.full_access = true;
            if (rights.path.empty()) rights.path = std::vector<std::string>{tokens.user_dn, group.dn};
            break;
        }
    }
    return true;
}

Answer<MailboxRights> AdDirectory::find_rights(const std::string &login, const UserInfo &user,
                                               const std::string &mailbox, LookupContext &context) {
    Answer<MailboxRights> answer{LookupStatus::not_found, {}};
    if (user.dn.empty()) return answer;
    answer.status = LookupStatus::unavailable;
    MailboxRights &rights = answer.value;
    const Token *token = nullptr;
    std::vector<LdapEntry> boxes;
    if (!user_token(user.dn, context, token) || !mailbox_entries(mailbox, context, boxes)) return answer;
    rights.is_mailbox = !boxes.empty();
    if (boxes.size() > 1)
        log(Severity::warning, mailbox + " is the address of " + std::to_string(boxes.size()) +
                                   " AD entries: no Send As or Send on Behalf on it");
    const FilterTokens tokens{login, mailbox, user.dn};
    if (!token->disabled) {
        if (boxes.size() == 1 && (!send_as(boxes.front(), user, *token, rights, context) ||
                                  !send_on_behalf(boxes.front(), user, rights, context)))
            return answer;
        if (!full_access(tokens, *token, rights, context)) return answer;
    }
    if (read_mailbox_lists(tokens, rights, context)) answer.status = LookupStatus::found;
    return answer;
}

}  // namespace sendas
