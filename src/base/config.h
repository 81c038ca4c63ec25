// The daemon's configuration: one immutable snapshot per load.
//
// Every key is declared once in config.cpp's option table, which drives the
// config file, the long command-line options, --help and validation.
// A snapshot is never modified after load(); reload builds a new one and the
// holder swaps it (see runtime.h).
#ifndef SENDAS_CONFIG_H
#define SENDAS_CONFIG_H

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/mailbox_match.h"

namespace sendas {

enum class ForeignFrom { reject, accept };
enum class UnauthLocalFrom { accept, reject };
enum class MissingFrom { accept, reject };
enum class DirectoryErrorAction { tempfail, accept, reject };
enum class SendAsEnvelope { keep, mailbox };
enum class MtaKind { automatic, postfix, sendmail };
enum class Mode { enforce, report };
enum class AuditFormat { text, json };
enum class WatchMode { automatic, syncrepl, poll, off };
enum class LdapLayout { groups, ad };

// ldap.layout = ad: the defaults of the keys whose groups-layout default
// names object classes AD does not have. A key set in the file wins.
struct AdDefaults {
    static constexpr const char *user_filter =
        "(&(objectCategory=person)(objectClass=user)(|(sAMAccountName=%u)(userPrincipalName=%u)))";
    static constexpr const char *group_filter = "(&(objectClass=group)(cn=%m)(member:1.2.840.113556.1.4.1941:=%D))";
    static constexpr const char *audit_user_filter = "(&(objectCategory=person)(objectClass=user))";
    static constexpr const char *audit_disabled_filter = "(userAccountControl:1.2.840.113556.1.4.803:=2)";
};
enum class LogLevel { info, debug };
enum class SentCopyTarget { owner, sender, both, none };

struct LdapConfig {
    LdapLayout layout = LdapLayout::groups;
    std::string uri = "ldap://127.0.0.1/";  // space-separated: libldap fails over
    std::string bind_dn;                    // empty: anonymous bind
    std::string bind_password_file;
    std::string bind_password;  // read from bind_password_file at load
    std::string base = "dc=example,dc=com";
    std::string user_filter = "(&(objectClass=inetOrgPerson)(|(uid=%u)(mail=%u)))";
    std::string send_as_base = "ou=send-as,ou=mailbox-rights,dc=example,dc=com";
    std::string send_on_behalf_base = "ou=send-on-behalf,ou=mailbox-rights,dc=example,dc=com";
    std::string full_access_base = "ou=full-access,ou=mailbox-rights,dc=example,dc=com";
    std::string group_filter = "(&(objectClass=groupOfNames)(cn=%m))";
    std::string sent_copy_base;  // mailboxes that always get a Sent copy; empty: no lookup
    std::string no_sent_copy_base = "ou=no-sent-copy,ou=mailbox-rights,dc=example,dc=com";  // never; empty: off
    // Mailboxes whose copy goes to the owner's, the sender's or both Sent
    // folders, whatever sent_copy.target says; empty: no lookup.
    std::string sent_copy_owner_base, sent_copy_sender_base, sent_copy_both_base;
    std::string report_base;                      // mailboxes in report mode whatever the domain says; empty: off
    std::string enforce_base;                     // mailboxes enforced whatever the domain says; empty: off
    std::string mailbox_list_filter = "(cn=%m)";  // finds a mailbox in the lists above
    std::string member_attribute = "member";
    std::string display_name_attribute = "displayName cn";  // first present wins
    std::string mail_attribute = "mail";
    std::string audit_user_filter = "(objectClass=inetOrgPerson)";  // what counts as a user in the audit
    std::string audit_disabled_filter;                              // users flagged DISABLED_MEMBER; empty: none
    unsigned nested_depth = 5;
    unsigned timeout = 5;                     // seconds, per operation and per connect
    unsigned pool_size = 8;                   // connections kept open
    unsigned max_searches_per_message = 200;  // a message needing more is rejected
    bool starttls = false;
    std::string ca_file;
    WatchMode watch = WatchMode::automatic;  // how directory changes reach the caches
    unsigned change_poll = 2;                // seconds between polls for changed entries
    bool allow_plaintext_bind = false;       // a password over plain ldap:// to another host
    std::string sasl_mech;                   // GSSAPI or EXTERNAL; empty: simple bind
    std::string keytab;                      // GSSAPI: the client keytab (KRB5_CLIENT_KTNAME)
    bool send_as_full_control = false;       // ad: full control / all extended rights ACEs grant Send As too

    // The rights subtrees and the per-mailbox lists: the bases whose
    // entries name a mailbox (an empty one is not used).
    std::vector<const std::string *> mailbox_bases() const {
        return {&send_as_base,      &send_on_behalf_base,  &full_access_base,      &sent_copy_base,
                &no_sent_copy_base, &sent_copy_owner_base, &sent_copy_sender_base, &sent_copy_both_base,
                &report_base,       &enforce_base};
    }
};

struct RedisSection {
    std::string address;                 // host:port, [v6]:port or unix:/path; empty: no Redis tier (unless sentinels)
    std::vector<std::string> sentinels;  // host:port each: the master is asked of them
    std::string master_name;             // the master's name at the sentinels
    std::string user;                    // ACL user; empty: the default user
    std::string password_file;
    std::string password;  // read from password_file at load
    std::string hmac_key_file;
    std::string hmac_key;  // hmac_key_file's bytes, read at load; empty: records unsigned
    unsigned db = 0;
    std::string prefix = "sendas:";
    unsigned ttl = 300;
    unsigned negative_ttl = 60;
    double timeout = 0.5;  // seconds, connect and per command
    unsigned pool_size = 8;

    bool enabled() const { return !address.empty() || !sentinels.empty(); }
    // How logs name it: the address, or the master the sentinels point at.
    std::string label() const;
};

struct CacheSection {
    unsigned local_ttl = 30;  // never longer than redis.ttl
    unsigned stale_ttl = 0;   // 0: never serve expired entries
    unsigned local_max_entries = 10000;
    unsigned local_max_bytes = 16u << 20;
};

struct SendLimit {
    unsigned count = 0;   // messages allowed per period; 0: no limit
    unsigned period = 0;  // seconds
};

struct RewriteConfig {
    bool send_as_remove_sender = true;
    SendAsEnvelope send_as_envelope = SendAsEnvelope::keep;
};

struct SentCopyConfig {
    bool send_as = true;
    bool send_on_behalf = true;
    SentCopyTarget target = SentCopyTarget::owner;  // whose Sent folder gets the copy
    std::string address = "%l+Sent@%d";
};

// Usage of delegated rights (ops/usage_recorder.h).
struct UsageSection {
    bool record = true;
    std::string state_file = "/var/lib/sendas-milter/usage";  // without Redis; this host only
    unsigned retention = 180 * 86400;                         // seconds a record outlives its last use
};

struct AlertsSection {
    unsigned daily_threshold = 0;  // messages per user, mailbox and day; 0: off
    unsigned median_factor = 0;    // times the 30-day median; 0: off
};

// What libmilter is given at start.
struct MilterSection {
    unsigned timeout = 7210;  // seconds waiting for the MTA's next command: libmilter's default
    unsigned backlog = 4096;  // listen(2) queue: libmilter's default, SOMAXCONN; the kernel caps it
};

struct Config {
    std::string source;  // file it was read from, for messages
    std::string socket = "unix:/run/sendas-milter/milter.sock";
    std::string user = "sendas-milter";
    std::string group = "sendas-milter";
    std::string pidfile;
    std::vector<std::string> local_domains;  // lower-cased
    ForeignFrom foreign_from = ForeignFrom::reject;
    UnauthLocalFrom unauthenticated_local_from = UnauthLocalFrom::accept;
    MissingFrom missing_from = MissingFrom::accept;
    DirectoryErrorAction on_directory_error = DirectoryErrorAction::tempfail;
    std::string recipient_delimiter = "+";
    MtaKind mta = MtaKind::automatic;  // how {auth_authen} is encoded
    Mode mode = Mode::enforce;
    std::vector<std::string> report_domains, enforce_domains;  // lower-cased
    AuditFormat audit_format = AuditFormat::text;
    bool syslog = true;  // else stderr only (foreground)
    LogLevel log_level = LogLevel::info;
    SendLimit send_limit;        // limits.per_user_mailbox
    std::string metrics_listen;  // ADDR:PORT of the Prometheus endpoint; empty: off
    bool local_part_case_sensitive = false;
    unsigned max_from_mailboxes = 10;  // From: and Resent-From: mailboxes one message may name
    LdapConfig ldap;
    RedisSection redis;
    CacheSection cache;
    RewriteConfig rewrite;
    SentCopyConfig sent_copy;
    UsageSection usage;
    AlertsSection alerts;
    MilterSection milter;

    bool is_local_domain(const std::string &lowercase_domain) const {
        return std::find(local_domains.begin(), local_domains.end(), lowercase_domain) != local_domains.end();
    }
};

// The settings of the address comparison rule (mailbox_match.h).
inline AddressRules address_rules(const Config &config) {
    return {config.recipient_delimiter, config.local_part_case_sensitive};
}

// Parses "200/1h" (units s, m, h, d; none = seconds) for
// limits.per_user_mailbox. Empty: no limit. False for anything else.
bool parse_send_limit(const std::string &text, SendLimit &limit);

// Splits a TCP address ("host:port", "[v6]:port") into a non-empty host
// and a port from 1 to 65535. False for anything else (unix: included).
bool parse_redis_tcp_address(const std::string &address, std::string &host, int &port);

// A config error names where it happened ("FILE:LINE: key: problem").
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What the command line asked for besides config keys.
struct CommandLine {
    std::string config_file;  // SYSCONFDIR/sendas-milter/sendas-milter.conf unless -c
    bool foreground = false;
    bool check_only = false;   // -t: values, then LDAP and Redis answer
    bool syntax_only = false;  // -n: values only, no server contacted
    bool show_help = false;
    bool show_version = false;
    std::vector<std::string> overrides;  // "--key value" pairs, re-applied on reload
};

// Boost 1.74 loops for ever building the message for an unknown option
// whose name holds one of its own %placeholders%: no option has a '%', so
// such an argument is refused first. Throws ConfigError.
void refuse_placeholder_options(int argc, const char *const argv[]);

// Parses argv. Throws ConfigError on unknown or malformed options.
CommandLine parse_command_line(int argc, const char *const argv[]);

// Reads the config file named by the command line, then applies the
// command-line overrides, validates and reads secret files.
// Throws ConfigError naming file, line and key.
std::shared_ptr<const Config> load_config(const CommandLine &cmdline);

// Same, from a config text (tests); `name` is used in messages.
std::shared_ptr<const Config> load_config_text(const std::string &text, const std::string &name,
                                               const std::vector<std::string> &overrides = {});

// A warning when anyone on the network who reaches Redis could write cache
// records and send counts the daemon trusts: Redis on another host than
// loopback or a unix socket, without redis.hmac_key_file. "" otherwise.
std::string redis_integrity_warning(const Config &config);

// --help text: usage plus every key with its default and description.
std::string help_text(const char *program);

}  // namespace sendas

#endif
