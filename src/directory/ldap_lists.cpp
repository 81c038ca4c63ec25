// The admin-kept per-mailbox lists of the LDAP layouts (Sent copy,
// report/enforce mode): an entry matching ldap.mailbox_list_filter below
// a list's base puts the mailbox on it; see sendas-milter.conf(5).
#include <tuple>

#include "directory/ldap_directory.h"

namespace sendas {

// Whether the admin-kept list under `base` names the mailbox (an empty
// base is an empty list); false when LDAP could not be asked.
bool LdapDirectory::listed_under(const std::string &base, const std::string &list_filter, LookupContext &context,
                                 bool &listed) {
    listed = false;
    if (base.empty()) return true;
    SearchResult res;
    if (!charged_search(context, base, list_filter, {"1.1"}, res)) return false;
    listed = !res.entries.empty();
    return true;
}

// The Sent copy lists, each asked only while it can still change the
// answer: ldap.no_sent_copy_base wins over the target lists, which win
// over ldap.sent_copy_base.
bool LdapDirectory::read_sent_copy_lists(const std::string &list_filter, MailboxRights &rights,
                                         LookupContext &context) {
    const LdapConfig &cfg = pool_.config();
    bool listed = false;
    if (!listed_under(cfg.no_sent_copy_base, list_filter, context, listed)) return false;
    if (listed) {
        rights.sent_copy = MailboxRights::SentCopy::off;
        return true;
    }
    auto &to = rights.sent_copy_to;
    const std::tuple<const std::string &, bool, bool> targets[] = {{cfg.sent_copy_owner_base, true, false},
                                                                   {cfg.sent_copy_sender_base, false, true},
                                                                   {cfg.sent_copy_both_base, true, true}};
    for (const auto &[base, owner, sender] : targets) {
        if (!listed_under(base, list_filter, context, listed)) return false;
        to.owner = to.owner || (listed && owner);
        to.sender = to.sender || (listed && sender);
    }
    if (to.listed()) return true;
    if (!listed_under(cfg.sent_copy_base, list_filter, context, listed)) return false;
    if (listed) rights.sent_copy = MailboxRights::SentCopy::on;
    return true;
}

// Per-mailbox settings from the lists: Sent copy, report/enforce.
bool LdapDirectory::read_mailbox_lists(const FilterTokens &tokens, MailboxRights &rights, LookupContext &context) {
    const LdapConfig &cfg = pool_.config();
    const std::string list_filter = expand_filter(cfg.mailbox_list_filter, tokens);
    bool listed = false;
    if ((rights.send_as || rights.send_on_behalf) && !read_sent_copy_lists(list_filter, rights, context)) return false;
    if (!listed_under(cfg.enforce_base, list_filter, context, listed)) return false;
    if (listed) rights.mode = MailboxRights::Mode::enforce;
    if (rights.mode == MailboxRights::Mode::unset) {
        if (!listed_under(cfg.report_base, list_filter, context, listed)) return false;
        if (listed) rights.mode = MailboxRights::Mode::report;
    }
    return true;
}

}  // namespace sendas
