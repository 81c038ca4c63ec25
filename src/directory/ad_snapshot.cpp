// `sendasctl audit` on ldap.layout = ad: AD read into the audit's model
// (snapshot.h). Each mailbox's Send-As ACEs become one rights group named
// after its nTSecurityDescriptor, with the allowed trustees as members
// and the denied ones apart; its publicDelegates another; Full Access
// stays the groups under ldap.full_access_base. Member lists longer than
// the DC returns at once come in ranges (member;range=0-1499, ...).
#include <algorithm>
#include <charconv>
#include <map>

#include "base/string_util.h"
#include "directory/ad_directory.h"
#include "directory/security_descriptor.h"

namespace sendas {
namespace {

constexpr int sd_flags_dacl = 4;
// AD's default MaxValRange: a DC with a smaller limit answers with a
// shorter range, one without (Samba) honours it; either way the rest is
// asked for from where the answer stopped.
const char *const first_range = ";range=0-1499";

// The values of `attr` (lower-case) as returned, whole or as one range,
// into `values`; `next` is then the index to ask for next, or 0 when none
// is missing. False for a range the milter cannot read.
bool first_values(const LdapEntry &entry, const std::string &attr, std::vector<std::string> &values, size_t &next) {
    next = 0;
    const std::string prefix = attr + ";range=";
    for (const auto &[name, found] : entry.attributes) {
        if (name != attr && name.compare(0, prefix.size(), prefix) != 0) continue;
        values = found;
        if (name == attr) return true;
        const auto dash = name.find('-', prefix.size());
        if (dash == std::string::npos) return false;
        const std::string end = name.substr(dash + 1);
        if (end == "*") return true;
        const auto parsed = std::from_chars(end.data(), end.data() + end.size(), next);
        return parsed.ec == std::errc() && parsed.ptr == end.data() + end.size() && ++next != 0;
    }
    values.clear();
    return true;
}

// Classifies the ACEs of a mailbox's DACL into the trustees Send-As is
// granted to and denied to (SELF, the mailbox itself, left out).
void send_as_trustees(const std::string &descriptor, bool full_control, std::vector<std::string> &allowed,
                      std::vector<std::string> &denied) {
    SecurityDescriptor sd;
    std::string error;
    if (!parse_security_descriptor(descriptor, sd, error)) return;
    static const std::string self = sid_from_string("S-1-5-10");
    for (const auto &ace : sd.dacl) {
        if (!ace_applies(ace) || ace.sid == self) continue;
        if (ace_denies_send_as(ace))
            denied.push_back(ace.sid);
        else if (ace_grants_send_as(ace, full_control))
            allowed.push_back(ace.sid);
    }
}

// The rest of a ranged attribute, one base read per range.
bool read_remaining(LdapPool &pool, const LdapEntry &entry, const std::string &attr, std::vector<std::string> &values,
                    size_t next, std::string &error) {
    while (next) {
        const std::string wanted = attr + ";range=" + std::to_string(next) + "-*";
        SearchResult res = pool.search(entry.dn, Scope::base, "(objectClass=*)", {wanted});
        if (res.status != SearchStatus::ok || res.entries.empty()) {
            error = res.status == SearchStatus::ok ? entry.dn + " vanished while its " + attr + " was read" : res.error;
            return false;
        }
        size_t after = 0;
        std::vector<std::string> more;
        if (!first_values(res.entries.front(), attr, more, after) || more.empty() || (after && after <= next)) {
            error = "the range of " + attr + " of " + entry.dn + " did not advance at " + std::to_string(next);
            return false;
        }
        values.insert(values.end(), more.begin(), more.end());
        next = after;
    }
    return true;
}

// Every entry under ldap.base: its addresses, all its members (range by
// range) and group class; and which DN each objectSid names.
std::string read_entries(LdapPool &pool, DirectorySnapshot &out, std::map<std::string, std::string> &dn_of_sid) {
    const LdapConfig &cfg = pool.config();
    const std::string mail_attr = lower(cfg.mail_attribute), member_attr = lower(cfg.member_attribute);
    SearchRequest all{
        cfg.base,
        Scope::subtree,
        "(objectClass=*)",
        {cfg.mail_attribute, "proxyAddresses", "objectClass", "objectSid", cfg.member_attribute + first_range},
        0,
        true};
    SearchResult res = pool.search(all);
    if (res.status != SearchStatus::ok) return res.error;
    std::string error;
    for (const auto &entry : res.entries) {
        size_t next = 0;
        std::vector<std::string> members;
        if (!first_values(entry, member_attr, members, next))
            return "unreadable " + member_attr + " range of " + entry.dn;
        if (!read_remaining(pool, entry, member_attr, members, next, error)) return error;
        out.entries[normalize_dn(entry.dn)] = {entry.dn,
                                               ad_addresses(entry.values(mail_attr), entry.values("proxyaddresses")),
                                               std::move(members), is_group_entry(entry)};
        for (const auto &sid : entry.values("objectsid")) dn_of_sid[sid] = entry.dn;
    }
    return "";
}

// Each mailbox's Send-As trustees and publicDelegates as rights groups.
std::string read_mailboxes(LdapPool &pool, DirectorySnapshot &out,
                           const std::map<std::string, std::string> &dn_of_sid) {
    const LdapConfig &cfg = pool.config();
    const std::string mail_attr = lower(cfg.mail_attribute);
    auto trustee_dns = [&](const std::vector<std::string> &sids) {
        std::vector<std::string> dns;
        for (const auto &sid : sids) {
            auto known = dn_of_sid.find(sid);
            dns.push_back(known == dn_of_sid.end() ? sid_to_string(sid) : known->second);
        }
        return dns;
    };
    SearchRequest boxes{cfg.base,
                        Scope::subtree,
                        "(|(" + cfg.mail_attribute + "=*)(proxyAddresses=smtp:*)(proxyAddresses=SMTP:*))",
                        {cfg.mail_attribute, "proxyAddresses", "publicDelegates", "nTSecurityDescriptor"},
                        0,
                        true,
                        sd_flags_dacl};
    const SearchResult res = pool.search(boxes);
    if (res.status != SearchStatus::ok) return res.error;
    for (const auto &box : res.entries) {
        const auto addresses = ad_addresses(box.values(mail_attr), box.values("proxyaddresses"));
        if (addresses.empty()) continue;
        std::vector<std::string> allowed, denied;
        for (const auto &descriptor : box.values("ntsecuritydescriptor"))
            send_as_trustees(descriptor, cfg.send_as_full_control, allowed, denied);
        if (!allowed.empty())
            out.groups.push_back({"send-as", addresses.front(), "nTSecurityDescriptor of " + box.dn,
                                  trustee_dns(allowed), trustee_dns(denied)});
        const auto &delegates = box.values("publicdelegates");
        if (!delegates.empty())
            out.groups.push_back({"send-on-behalf", addresses.front(), "publicDelegates of " + box.dn, delegates, {}});
    }
    return "";
}

// The Full Access groups: named (cn or mail) after a mailbox, members as
// read_entries found them.
std::string read_full_access(LdapPool &pool, DirectorySnapshot &out) {
    const LdapConfig &cfg = pool.config();
    if (cfg.full_access_base.empty()) return "";
    const SearchResult res =
        pool.search(cfg.full_access_base, Scope::subtree, "(objectClass=group)", {"cn", cfg.mail_attribute}, 0, true);
    if (res.status != SearchStatus::ok) return res.error;
    for (const auto &group : res.entries) {
        std::vector<std::string> names = group.values("cn");
        const auto &mail = group.values(lower(cfg.mail_attribute));
        names.insert(names.end(), mail.begin(), mail.end());
        const auto name = std::find_if(names.begin(), names.end(),
                                       [](const std::string &n) { return n.find('@') != std::string::npos; });
        if (name != names.end())
            out.groups.push_back({"full-access", *name, group.dn, out.entries[normalize_dn(group.dn)].members, {}});
    }
    return "";
}

}  // namespace

std::string AdDirectory::snapshot(DirectorySnapshot &out) {
    out.nesting_unbounded = true;  // tokenGroups and in-chain see every level
    std::map<std::string, std::string> dn_of_sid;
    std::string error = read_entries(pool_, out, dn_of_sid);
    if (error.empty()) error = read_users(out);
    if (error.empty()) error = read_mailboxes(pool_, out, dn_of_sid);
    if (error.empty()) error = read_full_access(pool_, out);
    return error;
}

}  // namespace sendas
