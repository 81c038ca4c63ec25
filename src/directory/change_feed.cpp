// Choosing and building a change feed; see change_feed.h.
#include "directory/change_feed.h"

#include <algorithm>

#include "base/string_util.h"
#include "directory/change_scope.h"
#include "directory/ldap_connection.h"
#include "directory/ldap_directory.h"
#include "directory/poll_feed.h"
#include "directory/syncrepl_feed.h"

namespace sendas {
namespace {

constexpr const char *content_sync_control = "1.3.6.1.4.1.4203.1.9.1.1";

}  // namespace

WatchMode resolve_watch_mode(const LdapConfig &config, std::string &error) {
    if (config.watch != WatchMode::automatic) return config.watch;
    LdapConnection conn(config);
    SearchResult res = conn.search("", Scope::base, "(objectClass=*)", {"supportedControl"});
    if (res.status != SearchStatus::ok || res.entries.empty()) {
        error = res.error.empty() ? "the root DSE cannot be read" : res.error;
        return WatchMode::poll;
    }
    const auto &controls = res.entries.front().values("supportedcontrol");
    return std::find(controls.begin(), controls.end(), content_sync_control) != controls.end() ? WatchMode::syncrepl
                                                                                               : WatchMode::poll;
}

std::unique_ptr<ChangeFeed> make_change_feed(const LdapConfig &config, WatchMode mode) {
    if (mode == WatchMode::syncrepl) return std::make_unique<SyncreplFeed>(config);
    return std::make_unique<PollFeed>(config);
}

std::vector<std::string> watched_bases(const LdapConfig &config) {
    std::vector<std::string> bases;
    std::vector<std::string> normalized;
    std::vector<const std::string *> all = {&config.base};
    const auto mailbox_bases = config.mailbox_bases();
    all.insert(all.end(), mailbox_bases.begin(), mailbox_bases.end());
    for (const std::string *base : all) {
        if (base->empty()) continue;
        const std::string n = normalize_dn(*base);
        if (std::any_of(normalized.begin(), normalized.end(), [&](const std::string &b) { return dn_within(n, b); }))
            continue;
        // A base found earlier may lie under this one: this one replaces it.
        for (size_t i = normalized.size(); i-- > 0;)
            if (dn_within(normalized[i], n)) {
                normalized.erase(normalized.begin() + static_cast<std::ptrdiff_t>(i));
                bases.erase(bases.begin() + static_cast<std::ptrdiff_t>(i));
            }
        normalized.push_back(n);
        bases.push_back(*base);
    }
    return bases;
}

ChangedEntry changed_entry(const LdapEntry &entry, const LdapConfig &config) {
    ChangedEntry change;
    change.dn = entry.dn;
    for (const auto &oc : entry.values("objectclass")) change.object_classes.push_back(lower(oc));
    change.names = entry.values("cn");
    const auto &mail = entry.values(lower(config.mail_attribute));
    change.names.insert(change.names.end(), mail.begin(), mail.end());
    const auto &csn = entry.values("entrycsn");
    const auto &stamp = entry.values("modifytimestamp");
    if (!csn.empty())
        change.changed_at = csn.front().substr(0, csn.front().find('#'));
    else if (!stamp.empty())
        change.changed_at = stamp.front();
    return change;
}

}  // namespace sendas
