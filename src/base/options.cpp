// The option table and the kinds of value it reads; see options.h.
#include "base/options.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "base/duration.h"
#include "base/string_util.h"

namespace sendas {
namespace {

[[noreturn]] void bad_value(const std::string &expected) { throw std::invalid_argument(expected); }

bool all_digits(const std::string &v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// Each kind reads a key's text into its field (parse) and prints the field
// back as config text (show).

struct Text {
    bool required = false;
    void parse(const std::string &v, std::string &field) const {
        if (required && v.empty()) bad_value("must not be empty");
        field = v;
    }
    std::string show(const std::string &field) const { return field; }
};

// A template must keep its placeholders inside an LDAP filter's parentheses.
struct Filter {
    bool optional = false;
    void parse(const std::string &v, std::string &field) const {
        if (!(optional && v.empty()) && (v.size() < 2 || v.front() != '(' || v.back() != ')'))
            bad_value("expected an LDAP filter in parentheses");
        field = v;
    }
    std::string show(const std::string &field) const { return field; }
};

struct YesNo {
    void parse(const std::string &v, bool &field) const {
        if (v != "yes" && v != "no") bad_value("expected yes or no");
        field = v == "yes";
    }
    std::string show(bool field) const { return field ? "yes" : "no"; }
};

struct Number {
    unsigned min = 0, max = 0;
    void parse(const std::string &v, unsigned &field) const {
        if (!all_digits(v) || v.size() > 9) bad_value("expected a whole number");
        const unsigned long n = std::stoul(v);
        if (n > max) bad_value("expected at most " + std::to_string(max));
        if (n < min) bad_value("expected at least " + std::to_string(min));
        field = static_cast<unsigned>(n);
    }
    std::string show(unsigned field) const { return std::to_string(field); }
};

struct Seconds {
    void parse(const std::string &v, double &field) const {
        char *end = nullptr;
        const double seconds = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !(seconds > 0) || seconds > 60)
            bad_value("expected seconds, more than 0 and at most 60");
        field = seconds;
    }
    std::string show(double field) const {
        std::ostringstream out;
        out << field;
        return out.str();
    }
};

template <typename Enum>
struct Choice {
    std::vector<std::pair<const char *, Enum>> names;
    void parse(const std::string &v, Enum &field) const {
        std::string expected;
        for (const auto &[name, value] : names) {
            if (v == name) {
                field = value;
                return;
            }
            expected += expected.empty() ? name : std::string(" or ") + name;
        }
        bad_value("expected " + expected);
    }
    std::string show(Enum field) const {
        for (const auto &[name, value] : names)
            if (value == field) return name;
        return "";
    }
};

template <typename Enum>
Choice<Enum> choice(std::initializer_list<std::pair<const char *, Enum>> names) {
    return Choice<Enum>{names};
}

// Space-separated words, lower-cased (domains).
struct Words {
    void parse(const std::string &v, std::vector<std::string> &field) const {
        field.clear();
        for (const auto &w : split_words(v)) field.push_back(lower(w));
    }
    std::string show(const std::vector<std::string> &field) const { return join_words(field); }
};

struct RedisAddress {
    void parse(const std::string &v, std::string &field) const {
        std::string host;
        int port = 0;
        if (!v.empty() && v.rfind("unix:/", 0) != 0 && !parse_redis_tcp_address(v, host, port))
            bad_value("expected HOST:PORT (port 1 to 65535) or unix:/PATH");
        field = v;
    }
    std::string show(const std::string &field) const { return field; }
};

// Space-separated HOST:PORT addresses (Redis Sentinels).
struct RedisNodes {
    void parse(const std::string &v, std::vector<std::string> &field) const {
        field = split_words(v);
        std::string host;
        int port = 0;
        for (const auto &node : field)
            if (!parse_redis_tcp_address(node, host, port)) bad_value("expected HOST:PORT ... (port 1 to 65535)");
    }
    std::string show(const std::vector<std::string> &field) const { return join_words(field); }
};

struct AddressTemplate {
    void parse(const std::string &v, std::string &field) const {
        if (v.find('@') == std::string::npos) bad_value("expected an address template with @");
        field = v;
    }
    std::string show(const std::string &field) const { return field; }
};

// The SASL mechanisms whose binds are tested; empty: a simple bind.
struct SaslMech {
    void parse(const std::string &v, std::string &field) const {
        if (!v.empty() && v != "GSSAPI" && v != "EXTERNAL") bad_value("expected GSSAPI, EXTERNAL or nothing");
        field = v;
    }
    std::string show(const std::string &field) const { return field; }
};

struct Limit {
    void parse(const std::string &v, SendLimit &field) const {
        if (!parse_send_limit(v, field)) bad_value("expected COUNT/PERIOD such as 200/1h");
    }
    std::string show(const SendLimit &field) const {
        return field.count == 0 ? "" : std::to_string(field.count) + "/" + std::to_string(field.period);
    }
};

// A duration with a unit ("180d") or in seconds, shown in the largest exact unit.
struct Duration {
    unsigned min = 0;
    void parse(const std::string &v, unsigned &field) const {
        int64_t seconds = 0;
        if (!parse_duration(v, seconds)) bad_value("expected a duration such as 180d (units s, m, h, d, w)");
        if (seconds < min) bad_value("expected at least " + format_duration(min));
        field = static_cast<unsigned>(seconds);
    }
    std::string show(unsigned field) const { return format_duration(field); }
};

template <typename Access, typename Kind>
OptionSpec option(const char *key, Access access, Kind kind, const char *help) {
    return {key, help, [access, kind](Config &c, const std::string &v) { kind.parse(v, access(c)); },
            [access, kind](const Config &c) { return kind.show(access(c)); }};
}

// The field a key fills, for the Config and the const Config alike.
#define FIELD(member) ([](auto &c) -> auto & { return c.member; })

}  // namespace

// clang-format off
const std::vector<OptionSpec> &option_table() {
    static const std::vector<OptionSpec> table = {
        option("socket", FIELD(socket), Text{true}, "milter socket: unix:PATH or inet:PORT@ADDR"),
        option("user", FIELD(user), Text{}, "user to run as after opening the socket (empty: stay)"),
        option("group", FIELD(group), Text{}, "group owning the socket and the process (empty: user's group)"),
        option("pidfile", FIELD(pidfile), Text{}, "file to write the daemon's process id to (empty: none)"),
        option("local_domains", FIELD(local_domains), Words{}, "space-separated domains whose addresses are protected"),
        option("foreign_from", FIELD(foreign_from),
               choice<ForeignFrom>({{"reject", ForeignFrom::reject}, {"accept", ForeignFrom::accept}}),
               "From: outside local_domains from an authenticated user: reject or accept"),
        option("unauthenticated_local_from", FIELD(unauthenticated_local_from),
               choice<UnauthLocalFrom>({{"accept", UnauthLocalFrom::accept}, {"reject", UnauthLocalFrom::reject}}),
               "local From: without SMTP AUTH: accept or reject"),
        option("missing_from", FIELD(missing_from),
               choice<MissingFrom>({{"accept", MissingFrom::accept}, {"reject", MissingFrom::reject}}),
               "message without From: decided on the envelope sender (accept) or rejected"),
        option("on_directory_error", FIELD(on_directory_error),
               choice<DirectoryErrorAction>({{"tempfail", DirectoryErrorAction::tempfail},
                                             {"accept", DirectoryErrorAction::accept},
                                             {"reject", DirectoryErrorAction::reject}}),
               "rights unknown (directory down): tempfail, accept or reject"),
        option("mta", FIELD(mta),
               choice<MtaKind>({{"auto", MtaKind::automatic}, {"postfix", MtaKind::postfix}, {"sendmail", MtaKind::sendmail}}),
               "the MTA, for how it encodes {auth_authen}: postfix (raw), sendmail (xtext), or auto (from the v macro)"),
        option("mode", FIELD(mode), choice<Mode>({{"enforce", Mode::enforce}, {"report", Mode::report}}),
               "enforce decisions, or report: accept everything unchanged and log what would happen"),
        option("report_domains", FIELD(report_domains), Words{},
               "domains in report mode when mode = enforce (a mailbox list in LDAP wins)"),
        option("enforce_domains", FIELD(enforce_domains), Words{},
               "domains enforced when mode = report (a mailbox list in LDAP wins)"),
        option("audit.format", FIELD(audit_format), choice<AuditFormat>({{"text", AuditFormat::text}, {"json", AuditFormat::json}}),
               "audit lines as Postfix-style text or one JSON object per decision"),
        option("syslog", FIELD(syslog), YesNo{},
               "log through syslog, facility mail (no: only to stderr, which needs --foreground)"),
        option("log_level", FIELD(log_level), choice<LogLevel>({{"info", LogLevel::info}, {"debug", LogLevel::debug}}),
               "info, or debug: also the lookup path of every message (user, rights, group path, LDAP searches)"),
        option("recipient_delimiter", FIELD(recipient_delimiter), Text{},
               "characters that start an address's detail part; a detail address that is no mailbox of its own is "
               "decided by its base (empty: none)"),
        option("local_part_case_sensitive", FIELD(local_part_case_sensitive), YesNo{}, "compare local parts case-sensitively"),
        option("max_from_mailboxes", FIELD(max_from_mailboxes), Number{1, 1000},
               "most mailboxes From: (and Resent-From:) may name; a message naming more is rejected"),

        option("ldap.layout", FIELD(ldap.layout),
               choice<LdapLayout>({{"groups", LdapLayout::groups}, {"ad", LdapLayout::ad}}),
               "where rights live: groups (groupOfNames per mailbox and right) or ad (Active Directory as Exchange "
               "left it: Send-As ACEs, publicDelegates)"),
        option("ldap.uri", FIELD(ldap.uri), Text{true}, "space-separated LDAP URIs, tried in order"),
        option("ldap.bind_dn", FIELD(ldap.bind_dn), Text{}, "DN to bind as (empty: anonymous)"),
        option("ldap.bind_password_file", FIELD(ldap.bind_password_file), Text{}, "file holding the bind password"),
        option("ldap.base", FIELD(ldap.base), Text{true}, "search base for users and nested groups"),
        option("ldap.user_filter", FIELD(ldap.user_filter), Filter{}, "filter finding the user by login"),
        option("ldap.send_as_base", FIELD(ldap.send_as_base), Text{true}, "subtree of Send As groups"),
        option("ldap.send_on_behalf_base", FIELD(ldap.send_on_behalf_base), Text{true}, "subtree of Send on Behalf groups"),
        option("ldap.full_access_base", FIELD(ldap.full_access_base), Text{true}, "subtree of Full Access groups"),
        option("ldap.group_filter", FIELD(ldap.group_filter), Filter{},
               "filter finding a mailbox's rights group; with %D in it, a match alone proves membership"),
        option("ldap.no_sent_copy_base", FIELD(ldap.no_sent_copy_base), Text{},
               "subtree listing mailboxes that get no Sent copy (empty: no lookup)"),
        option("ldap.sent_copy_base", FIELD(ldap.sent_copy_base), Text{},
               "subtree listing mailboxes that always get a Sent copy (empty: no lookup)"),
        option("ldap.sent_copy_owner_base", FIELD(ldap.sent_copy_owner_base), Text{},
               "subtree listing mailboxes whose Sent copy goes to the mailbox's own Sent folder (empty: no lookup)"),
        option("ldap.sent_copy_sender_base", FIELD(ldap.sent_copy_sender_base), Text{},
               "subtree listing mailboxes whose Sent copy goes to the sending user's Sent folder (empty: no lookup)"),
        option("ldap.sent_copy_both_base", FIELD(ldap.sent_copy_both_base), Text{},
               "subtree listing mailboxes whose Sent copy goes to both Sent folders (empty: no lookup)"),
        option("ldap.report_base", FIELD(ldap.report_base), Text{},
               "subtree listing mailboxes kept in report mode (empty: no lookup)"),
        option("ldap.enforce_base", FIELD(ldap.enforce_base), Text{},
               "subtree listing mailboxes always enforced (empty: no lookup)"),
        option("ldap.mailbox_list_filter", FIELD(ldap.mailbox_list_filter), Filter{},
               "filter finding a mailbox's entry in the lists ldap.*sent_copy*_base, ldap.report_base and ldap.enforce_base"),
        option("audit.user_filter", FIELD(ldap.audit_user_filter), Filter{}, "entries sendasctl audit counts as users"),
        option("audit.disabled_filter", FIELD(ldap.audit_disabled_filter), Filter{true},
               "users sendasctl audit reports as disabled, e.g. (pwdAccountLockedTime=*)"),
        option("ldap.member_attribute", FIELD(ldap.member_attribute), Text{true}, "group attribute holding member DNs"),
        option("ldap.display_name_attribute", FIELD(ldap.display_name_attribute), Text{true},
               "user attributes tried in order for the display name in Sender:"),
        option("ldap.mail_attribute", FIELD(ldap.mail_attribute), Text{true},
               "user attribute listing the user's own addresses, primary first"),
        option("ldap.nested_depth", FIELD(ldap.nested_depth), Number{0, 64}, "how many levels of groups within groups are followed"),
        option("ldap.timeout", FIELD(ldap.timeout), Number{1, 60}, "seconds allowed for an LDAP connect or operation"),
        option("ldap.pool_size", FIELD(ldap.pool_size), Number{1, 256}, "LDAP connections kept open"),
        option("ldap.max_searches_per_message", FIELD(ldap.max_searches_per_message), Number{1, 100000},
               "most LDAP searches the cold lookups of one message may cost; a message needing more is rejected"),
        option("ldap.starttls", FIELD(ldap.starttls), YesNo{}, "require StartTLS on ldap:// connections"),
        option("ldap.ca_file", FIELD(ldap.ca_file), Text{}, "CA certificates for verifying the LDAP server"),
        option("ldap.watch", FIELD(ldap.watch),
               choice<WatchMode>({{"auto", WatchMode::automatic}, {"syncrepl", WatchMode::syncrepl},
                                  {"poll", WatchMode::poll}, {"off", WatchMode::off}}),
               "watch the directory and drop cached answers a change makes wrong: syncrepl (RFC 4533), poll "
               "(changed entries every ldap.change_poll seconds), auto (syncrepl when the server offers it) or off"),
        option("ldap.change_poll", FIELD(ldap.change_poll), Number{1, 3600},
               "seconds between two polls for changed entries (ldap.watch = poll)"),
        option("ldap.allow_plaintext_bind", FIELD(ldap.allow_plaintext_bind), YesNo{},
               "allow a password bind over plain ldap:// to a host other than this one (no: ldaps://, StartTLS or "
               "loopback only)"),
        option("ldap.sasl_mech", FIELD(ldap.sasl_mech),
               SaslMech{},
               "SASL bind instead of a simple bind: GSSAPI (Kerberos, with ldap.keytab) or EXTERNAL (ldapi://, "
               "TLS client certificate); empty: simple bind"),
        option("ldap.keytab", FIELD(ldap.keytab), Text{}, "Kerberos client keytab for ldap.sasl_mech = GSSAPI"),
        option("ldap.send_as_full_control", FIELD(ldap.send_as_full_control), YesNo{},
               "ldap.layout = ad: ACEs granting full control or every extended right (AD gives them to Domain "
               "Admins, Enterprise Admins, Account Operators, Administrators) grant Send As too"),

        option("redis.address", FIELD(redis.address), RedisAddress{},
               "Redis for the shared cache tier: HOST:PORT, [V6]:PORT or unix:PATH (empty: none)"),
        option("redis.sentinels", FIELD(redis.sentinels), RedisNodes{},
               "Redis Sentinels (HOST:PORT ...) that name the master, instead of redis.address (empty: none)"),
        option("redis.master_name", FIELD(redis.master_name), Text{}, "the master's name at redis.sentinels"),
        option("redis.user", FIELD(redis.user), Text{}, "Redis ACL user for AUTH (empty: the default user)"),
        option("redis.password_file", FIELD(redis.password_file), Text{}, "file holding the Redis password (empty: no AUTH)"),
        option("redis.hmac_key_file", FIELD(redis.hmac_key_file), Text{},
               "file holding the key that signs Redis records and send counts, the same on every host (empty: unsigned)"),
        option("redis.db", FIELD(redis.db), Number{0, 65535}, "Redis database number"),
        option("redis.prefix", FIELD(redis.prefix), Text{}, "prefix of every Redis key, so several sites can share one Redis"),
        option("redis.ttl", FIELD(redis.ttl), Number{0, 86400}, "seconds a directory answer stays cached"),
        option("redis.negative_ttl", FIELD(redis.negative_ttl), Number{0, 86400},
               "seconds a \"no such user\" or \"no right\" answer stays cached"),
        option("redis.timeout", FIELD(redis.timeout), Seconds{}, "seconds allowed for a Redis connect or command"),
        option("redis.pool_size", FIELD(redis.pool_size), Number{1, 256}, "Redis connections kept open"),
        option("cache.local_ttl", FIELD(cache.local_ttl), Number{0, 86400},
               "seconds an answer is trusted in-process without asking Redis (at most redis.ttl)"),
        option("cache.stale_ttl", FIELD(cache.stale_ttl), Number{0, 86400},
               "seconds past expiry a cached answer may serve while LDAP is down (0: never)"),
        option("cache.local_max_entries", FIELD(cache.local_max_entries), Number{0, 10000000}, "users kept in the in-process tier"),
        option("cache.local_max_bytes", FIELD(cache.local_max_bytes), Number{0, 1u << 30},
               "approximate memory bound of the in-process tier"),

        option("metrics.listen", FIELD(metrics_listen), Text{},
               "ADDRESS:PORT serving Prometheus metrics at /metrics, e.g. 127.0.0.1:9830 (empty: off)"),
        option("milter.timeout", FIELD(milter.timeout), Number{1, 86400},
               "seconds libmilter waits for the MTA's next command before it drops the connection"),
        option("milter.backlog", FIELD(milter.backlog), Number{1, 65535},
               "connections the socket queues before the daemon accepts them (listen backlog)"),
        option("limits.per_user_mailbox", FIELD(send_limit), Limit{},
               "most messages one user may send as one shared mailbox per period, e.g. 200/1h (empty: no limit)"),

        option("usage.record", FIELD(usage.record), YesNo{},
               "record each use of a Send As or Send on Behalf right (sendasctl usage, UNUSED_RIGHT, first_use)"),
        option("usage.state_file", FIELD(usage.state_file), Text{true},
               "file holding this host's usage records when redis.address is empty"),
        option("usage.retention", FIELD(usage.retention), Duration{31 * 86400},
               "how long a usage record is kept after its last use (at least 31d)"),
        option("alerts.daily_threshold", FIELD(alerts.daily_threshold), Number{0, 100000000},
               "log a usage_alert once a day when one user sends more messages as one mailbox (0: off)"),
        option("alerts.median_factor", FIELD(alerts.median_factor), Number{0, 10000},
               "log a usage_alert once a day when one user sends more than this many times the daily median of "
               "the 30 days before as one mailbox (0: off)"),

        option("rewrite.send_as_remove_sender", FIELD(rewrite.send_as_remove_sender), YesNo{},
               "remove Sender: from messages sent under Send As"),
        option("rewrite.send_as_envelope", FIELD(rewrite.send_as_envelope),
               choice<SendAsEnvelope>({{"keep", SendAsEnvelope::keep}, {"mailbox", SendAsEnvelope::mailbox}}),
               "envelope sender under Send As: keep, or mailbox"),

        option("sent_copy.send_as", FIELD(sent_copy.send_as), YesNo{}, "file a copy into the mailbox's Sent folder under Send As"),
        option("sent_copy.send_on_behalf", FIELD(sent_copy.send_on_behalf), YesNo{},
               "file a copy into the mailbox's Sent folder under Send on Behalf"),
        option("sent_copy.target", FIELD(sent_copy.target),
               choice<SentCopyTarget>({{"owner", SentCopyTarget::owner}, {"sender", SentCopyTarget::sender},
                                       {"both", SentCopyTarget::both}, {"none", SentCopyTarget::none}}),
               "whose Sent folder gets the copy: owner (the mailbox), sender (the sending user), both, or none"),
        option("sent_copy.address", FIELD(sent_copy.address), AddressTemplate{},
               "recipient of the Sent copy (%m mailbox, for the sender's copy the user's primary address; %l its "
               "local part, %d its domain, %u login)"),
    };
    return table;
}
// clang-format on

#undef FIELD

bool needs_restart(const std::string &key) {
    static const char *const keys[] = {"socket",         "user",           "group",         "pidfile",
                                       "metrics.listen", "milter.timeout", "milter.backlog"};
    return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

std::vector<std::string> restart_keys_changed(const Config &started, const Config &next) {
    std::vector<std::string> changed;
    for (const auto &opt : option_table())
        if (needs_restart(opt.key) && opt.show(started) != opt.show(next)) changed.emplace_back(opt.key);
    return changed;
}

bool parse_send_limit(const std::string &text, SendLimit &limit) {
    limit = SendLimit{};
    if (text.empty()) return true;
    const auto slash = text.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) return false;
    const std::string count = text.substr(0, slash);
    std::string period = text.substr(slash + 1);
    unsigned unit = 1;
    switch (period.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: unit = 0;
    }
    if (unit)
        period.pop_back();
    else
        unit = 1;
    if (!all_digits(count) || !all_digits(period) || count.size() > 6 || period.size() > 6) return false;
    limit.count = static_cast<unsigned>(std::stoul(count));
    limit.period = static_cast<unsigned>(std::stoul(period)) * unit;
    return limit.count > 0 && limit.period > 0;
}

bool parse_redis_tcp_address(const std::string &address, std::string &host, int &port) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    const std::string digits = address.substr(colon + 1);
    if (!all_digits(digits) || digits.size() > 5) return false;
    port = std::stoi(digits);
    host = address.substr(0, colon);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return port >= 1 && port <= 65535 && !host.empty();
}

}  // namespace sendas
