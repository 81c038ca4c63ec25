// Config loading: one option table drives the file, the command line,
// --help and validation.
#include "config.h"
#include "string_util.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <arpa/inet.h>

#include <boost/program_options.hpp>

#include "redis_client.h"
#include "send_limit.h"

namespace po = boost::program_options;

namespace sendas {
namespace {

using Apply = std::function<void(Config &, const std::string &)>;

struct OptionSpec {
    const char *key;
    const char *default_value;
    const char *help;
    Apply apply;
};

[[noreturn]] void bad_value(const std::string &expected) { throw std::invalid_argument(expected); }

bool parse_bool(const std::string &v) {
    if (v == "yes") return true;
    if (v == "no") return false;
    bad_value("expected yes or no");
}

unsigned parse_unsigned(const std::string &v, unsigned max) {
    if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
        bad_value("expected a whole number");
    unsigned long n = std::stoul(v);
    if (n > max) bad_value("expected at most " + std::to_string(max));
    return static_cast<unsigned>(n);
}

template <typename Enum>
Enum parse_choice(const std::string &v, std::initializer_list<std::pair<const char *, Enum>> choices) {
    std::string expected;
    for (const auto &[name, value] : choices) {
        if (v == name) return value;
        expected += expected.empty() ? name : std::string(" or ") + name;
    }
    bad_value("expected " + expected);
}

std::vector<std::string> lower_words(const std::string &v) {
    std::vector<std::string> words;
    for (const auto &w : split_words(v)) words.push_back(lower(w));
    return words;
}

// A template must keep its placeholders inside an LDAP filter's parentheses.
std::string ldap_filter_value(const std::string &v) {
    if (v.size() < 2 || v.front() != '(' || v.back() != ')') bad_value("expected an LDAP filter in parentheses");
    return v;
}

double parse_seconds(const std::string &v) {
    char *end = nullptr;
    double seconds = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(seconds > 0) || seconds > 60) bad_value("expected seconds, more than 0 and at most 60");
    return seconds;
}

std::string nonempty(const std::string &v) {
    if (v.empty()) bad_value("must not be empty");
    return v;
}

// clang-format off
const std::vector<OptionSpec> &option_table() {
    static const std::vector<OptionSpec> table = {
        {"socket", "unix:/run/sendas-milter/milter.sock", "milter socket: unix:PATH or inet:PORT@ADDR",
         [](Config &c, const std::string &v) { c.socket = nonempty(v); }},
        {"user", "sendas-milter", "user to run as after opening the socket (empty: stay)",
         [](Config &c, const std::string &v) { c.user = v; }},
        {"group", "sendas-milter", "group owning the socket and the process (empty: user's group)",
         [](Config &c, const std::string &v) { c.group = v; }},
        {"pidfile", "", "file to write the daemon's process id to (empty: none)",
         [](Config &c, const std::string &v) { c.pidfile = v; }},
        {"local_domains", "", "space-separated domains whose addresses are protected",
         [](Config &c, const std::string &v) { c.local_domains = lower_words(v); }},
        {"foreign_from", "reject", "From: outside local_domains from an authenticated user: reject or accept",
         [](Config &c, const std::string &v) {
             c.foreign_from = parse_choice<ForeignFrom>(v, {{"reject", ForeignFrom::reject}, {"accept", ForeignFrom::accept}});
         }},
        {"unauthenticated_local_from", "accept", "local From: without SMTP AUTH: accept or reject",
         [](Config &c, const std::string &v) {
             c.unauthenticated_local_from =
                 parse_choice<UnauthLocalFrom>(v, {{"accept", UnauthLocalFrom::accept}, {"reject", UnauthLocalFrom::reject}});
         }},
        {"missing_from", "accept", "message without From: decided on the envelope sender (accept) or rejected",
         [](Config &c, const std::string &v) {
             c.missing_from = parse_choice<MissingFrom>(v, {{"accept", MissingFrom::accept}, {"reject", MissingFrom::reject}});
         }},
        {"on_directory_error", "tempfail", "rights unknown (directory down): tempfail, accept or reject",
         [](Config &c, const std::string &v) {
             c.on_directory_error = parse_choice<DirectoryErrorAction>(v, {{"tempfail", DirectoryErrorAction::tempfail},
                                                     {"accept", DirectoryErrorAction::accept},
                                                     {"reject", DirectoryErrorAction::reject}});
         }},
        {"mta", "auto",
         "the MTA, for how it encodes {auth_authen}: postfix (raw), sendmail (xtext), or auto (from the v macro)",
         [](Config &c, const std::string &v) {
             c.mta = parse_choice<MtaKind>(
                 v, {{"auto", MtaKind::automatic}, {"postfix", MtaKind::postfix}, {"sendmail", MtaKind::sendmail}});
         }},
        {"mode", "enforce", "enforce decisions, or report: accept everything unchanged and log what would happen",
         [](Config &c, const std::string &v) {
             c.mode = parse_choice<Mode>(v, {{"enforce", Mode::enforce}, {"report", Mode::report}});
         }},
        {"report_domains", "", "domains in report mode when mode = enforce (a mailbox list in LDAP wins)",
         [](Config &c, const std::string &v) { c.report_domains = lower_words(v); }},
        {"enforce_domains", "", "domains enforced when mode = report (a mailbox list in LDAP wins)",
         [](Config &c, const std::string &v) { c.enforce_domains = lower_words(v); }},
        {"audit.format", "text", "audit lines as Postfix-style text or one JSON object per decision",
         [](Config &c, const std::string &v) {
             c.audit_format = parse_choice<AuditFormat>(v, {{"text", AuditFormat::text}, {"json", AuditFormat::json}});
         }},
        {"syslog", "yes", "log through syslog, facility mail (no: only to stderr, which needs --foreground)",
         [](Config &c, const std::string &v) { c.syslog = parse_bool(v); }},
        {"recipient_delimiter", "+",
         "characters that start an address's detail part; a detail address that is no mailbox of its own is "
         "decided by its base (empty: none)",
         [](Config &c, const std::string &v) { c.recipient_delimiter = v; }},
        {"local_part_case_sensitive", "no", "compare local parts case-sensitively",
         [](Config &c, const std::string &v) { c.local_part_case_sensitive = parse_bool(v); }},
        {"max_from_mailboxes", "10",
         "most mailboxes From: (and Resent-From:) may name; a message naming more is rejected",
         [](Config &c, const std::string &v) {
             c.max_from_mailboxes = parse_unsigned(v, 1000);
             if (c.max_from_mailboxes == 0) bad_value("expected at least 1");
         }},

        {"ldap.uri", "ldap://127.0.0.1/", "space-separated LDAP URIs, tried in order",
         [](Config &c, const std::string &v) { c.ldap.uri = nonempty(v); }},
        {"ldap.bind_dn", "", "DN to bind as (empty: anonymous)",
         [](Config &c, const std::string &v) { c.ldap.bind_dn = v; }},
        {"ldap.bind_password_file", "", "file holding the bind password",
         [](Config &c, const std::string &v) { c.ldap.bind_password_file = v; }},
        {"ldap.base", "dc=example,dc=com", "search base for users and nested groups",
         [](Config &c, const std::string &v) { c.ldap.base = nonempty(v); }},
        {"ldap.user_filter", "(&(objectClass=inetOrgPerson)(|(uid=%u)(mail=%u)))", "filter finding the user by login",
         [](Config &c, const std::string &v) { c.ldap.user_filter = ldap_filter_value(v); }},
        {"ldap.send_as_base", "ou=send-as,ou=mailbox-rights,dc=example,dc=com", "subtree of Send As groups",
         [](Config &c, const std::string &v) { c.ldap.send_as_base = nonempty(v); }},
        {"ldap.send_on_behalf_base", "ou=send-on-behalf,ou=mailbox-rights,dc=example,dc=com",
         "subtree of Send on Behalf groups",
         [](Config &c, const std::string &v) { c.ldap.send_on_behalf_base = nonempty(v); }},
        {"ldap.full_access_base", "ou=full-access,ou=mailbox-rights,dc=example,dc=com", "subtree of Full Access groups",
         [](Config &c, const std::string &v) { c.ldap.full_access_base = nonempty(v); }},
        {"ldap.group_filter", "(&(objectClass=groupOfNames)(cn=%m))",
         "filter finding a mailbox's rights group; with %D in it, a match alone proves membership",
         [](Config &c, const std::string &v) { c.ldap.group_filter = ldap_filter_value(v); }},
        {"ldap.no_sent_copy_base", "ou=no-sent-copy,ou=mailbox-rights,dc=example,dc=com",
         "subtree listing mailboxes that get no Sent copy (empty: no lookup)",
         [](Config &c, const std::string &v) { c.ldap.no_sent_copy_base = v; }},
        {"ldap.sent_copy_base", "", "subtree listing mailboxes that always get a Sent copy (empty: no lookup)",
         [](Config &c, const std::string &v) { c.ldap.sent_copy_base = v; }},
        {"ldap.report_base", "", "subtree listing mailboxes kept in report mode (empty: no lookup)",
         [](Config &c, const std::string &v) { c.ldap.report_base = v; }},
        {"ldap.enforce_base", "", "subtree listing mailboxes always enforced (empty: no lookup)",
         [](Config &c, const std::string &v) { c.ldap.enforce_base = v; }},
        {"ldap.mailbox_list_filter", "(cn=%m)",
         "filter finding a mailbox's entry in the lists ldap.*sent_copy_base, ldap.report_base and ldap.enforce_base",
         [](Config &c, const std::string &v) { c.ldap.mailbox_list_filter = ldap_filter_value(v); }},
        {"audit.user_filter", "(objectClass=inetOrgPerson)", "entries sendasctl audit counts as users",
         [](Config &c, const std::string &v) { c.ldap.audit_user_filter = ldap_filter_value(v); }},
        {"audit.disabled_filter", "", "users sendasctl audit reports as disabled, e.g. (pwdAccountLockedTime=*)",
         [](Config &c, const std::string &v) { c.ldap.audit_disabled_filter = v.empty() ? v : ldap_filter_value(v); }},
        {"ldap.member_attribute", "member", "group attribute holding member DNs",
         [](Config &c, const std::string &v) { c.ldap.member_attribute = nonempty(v); }},
        {"ldap.display_name_attribute", "displayName cn", "user attributes tried in order for the display name in Sender:",
         [](Config &c, const std::string &v) { c.ldap.display_name_attribute = nonempty(v); }},
        {"ldap.mail_attribute", "mail", "user attribute listing the user's own addresses, primary first",
         [](Config &c, const std::string &v) { c.ldap.mail_attribute = nonempty(v); }},
        {"ldap.nested_depth", "5", "how many levels of groups within groups are followed",
         [](Config &c, const std::string &v) { c.ldap.nested_depth = parse_unsigned(v, 64); }},
        {"ldap.timeout", "5", "seconds allowed for an LDAP connect or operation",
         [](Config &c, const std::string &v) {
             c.ldap.timeout = parse_unsigned(v, 60);
             if (c.ldap.timeout == 0) bad_value("expected at least 1");
         }},
        {"ldap.pool_size", "8", "LDAP connections kept open",
         [](Config &c, const std::string &v) {
             c.ldap.pool_size = parse_unsigned(v, 256);
             if (c.ldap.pool_size == 0) bad_value("expected at least 1");
         }},
        {"ldap.max_searches_per_message", "200",
         "most LDAP searches the cold lookups of one message may cost; a message needing more is rejected",
         [](Config &c, const std::string &v) {
             c.ldap.max_searches_per_message = parse_unsigned(v, 100000);
             if (c.ldap.max_searches_per_message == 0) bad_value("expected at least 1");
         }},
        {"ldap.starttls", "no", "require StartTLS on ldap:// connections",
         [](Config &c, const std::string &v) { c.ldap.starttls = parse_bool(v); }},
        {"ldap.ca_file", "", "CA certificates for verifying the LDAP server",
         [](Config &c, const std::string &v) { c.ldap.ca_file = v; }},

        {"redis.address", "", "Redis for the shared cache tier: HOST:PORT, [V6]:PORT or unix:PATH (empty: none)",
         [](Config &c, const std::string &v) {
             std::string host;
             int port = 0;
             if (!v.empty() && v.rfind("unix:/", 0) != 0 && !parse_redis_tcp_address(v, host, port))
                 bad_value("expected HOST:PORT (port 1 to 65535) or unix:/PATH");
             c.redis.address = v;
         }},
        {"redis.password_file", "", "file holding the Redis password (empty: no AUTH)",
         [](Config &c, const std::string &v) { c.redis.password_file = v; }},
        {"redis.hmac_key_file", "",
         "file holding the key that signs Redis records and send counts, the same on every host (empty: unsigned)",
         [](Config &c, const std::string &v) { c.redis.hmac_key_file = v; }},
        {"redis.db", "0", "Redis database number",
         [](Config &c, const std::string &v) { c.redis.db = parse_unsigned(v, 65535); }},
        {"redis.prefix", "sendas:", "prefix of every Redis key, so several sites can share one Redis",
         [](Config &c, const std::string &v) { c.redis.prefix = v; }},
        {"redis.ttl", "300", "seconds a directory answer stays cached",
         [](Config &c, const std::string &v) { c.redis.ttl = parse_unsigned(v, 86400); }},
        {"redis.negative_ttl", "60", "seconds a \"no such user\" or \"no right\" answer stays cached",
         [](Config &c, const std::string &v) { c.redis.negative_ttl = parse_unsigned(v, 86400); }},
        {"redis.timeout", "0.5", "seconds allowed for a Redis connect or command",
         [](Config &c, const std::string &v) { c.redis.timeout = parse_seconds(v); }},
        {"redis.pool_size", "8", "Redis connections kept open",
         [](Config &c, const std::string &v) {
             c.redis.pool_size = parse_unsigned(v, 256);
             if (c.redis.pool_size == 0) bad_value("expected at least 1");
         }},
        {"cache.local_ttl", "30", "seconds an answer is trusted in-process without asking Redis (at most redis.ttl)",
         [](Config &c, const std::string &v) { c.cache.local_ttl = parse_unsigned(v, 86400); }},
        {"cache.stale_ttl", "0", "seconds past expiry a cached answer may serve while LDAP is down (0: never)",
         [](Config &c, const std::string &v) { c.cache.stale_ttl = parse_unsigned(v, 86400); }},
        {"cache.local_max_entries", "10000", "users kept in the in-process tier",
         [](Config &c, const std::string &v) { c.cache.local_max_entries = parse_unsigned(v, 10000000); }},
        {"cache.local_max_bytes", "16777216", "approximate memory bound of the in-process tier",
         [](Config &c, const std::string &v) { c.cache.local_max_bytes = parse_unsigned(v, 1u << 30); }},

        {"metrics.listen", "", "ADDRESS:PORT serving Prometheus metrics at /metrics, e.g. 127.0.0.1:9830 (empty: off)",
         [](Config &c, const std::string &v) { c.metrics_listen = v; }},
        {"limits.per_user_mailbox", "",
         "most messages one user may send as one shared mailbox per period, e.g. 200/1h (empty: no limit)",
         [](Config &c, const std::string &v) {
             if (!parse_send_limit(v, c.send_limit)) bad_value("expected COUNT/PERIOD such as 200/1h");
         }},

        {"rewrite.send_as_remove_sender", "yes", "remove Sender: from messages sent under Send As",
         [](Config &c, const std::string &v) { c.rewrite.send_as_remove_sender = parse_bool(v); }},
        {"rewrite.send_as_envelope", "keep", "envelope sender under Send As: keep, or mailbox",
         [](Config &c, const std::string &v) {
             c.rewrite.send_as_envelope =
                 parse_choice<SendAsEnvelope>(v, {{"keep", SendAsEnvelope::keep}, {"mailbox", SendAsEnvelope::mailbox}});
         }},

        {"sent_copy.send_as", "yes", "file a copy into the mailbox's Sent folder under Send As",
         [](Config &c, const std::string &v) { c.sent_copy.send_as = parse_bool(v); }},
        {"sent_copy.send_on_behalf", "yes", "file a copy into the mailbox's Sent folder under Send on Behalf",
         [](Config &c, const std::string &v) { c.sent_copy.send_on_behalf = parse_bool(v); }},
        {"sent_copy.address", "%l+Sent@%d", "recipient of the Sent copy (%m mailbox, %l local part, %d domain)",
         [](Config &c, const std::string &v) {
             if (v.find('@') == std::string::npos) bad_value("expected an address template with @");
             c.sent_copy.address = v;
         }},
    };
    return table;
}
// clang-format on

// No abbreviations: "--ldap.bind_password x" must not become
// "--ldap.bind_password_file x".
constexpr int exact_style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

po::options_description config_options() {
    po::options_description desc("Configuration keys (config file or --key value)");
    for (const auto &opt : option_table())
        desc.add_options()(opt.key, po::value<std::string>()->default_value(opt.default_value), opt.help);
    return desc;
}

po::options_description generic_options() {
    po::options_description desc("Options");
    desc.add_options()("config,c", po::value<std::string>(), "config file")(
        "foreground,f", "stay in the foreground and log to stderr too (only there with syslog = no)")(
        "test,t", "check the config, LDAP and (with redis.address) Redis, then exit")("version", "print the version")(
        "help,h", "print this help");
    return desc;
}

bool is_key_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; }

// A letter first: Boost reads a leading '-' as an option prefix and puts
// the name into its messages' format strings.
bool is_key(const std::string &s) {
    return !s.empty() && std::isalpha(static_cast<unsigned char>(s[0])) && std::all_of(s.begin(), s.end(), is_key_char);
}

std::string trimmed(const std::string &s) {
    auto start = s.find_first_not_of(" \t\r");
    if (start == std::string::npos) return "";
    return s.substr(start, s.find_last_not_of(" \t\r") - start + 1);
}

// Checks every line's shape before Boost reads the file (Boost's own
// message names no line) and records where each key stands, so later
// errors can name the line too. Throws ConfigError "FILE:LINE: ...".
std::map<std::string, int> key_lines(const std::string &text, const std::string &name) {
    std::map<std::string, int> lines;
    std::istringstream in(text);
    std::string section;
    int number = 0;
    auto malformed = [&](const std::string &problem) {
        return ConfigError(name + ":" + std::to_string(number) + ": " + problem);
    };
    for (std::string raw; std::getline(in, raw);) {
        ++number;
        // As Boost does: '#' starts a comment anywhere on a line.
        const std::string line = trimmed(raw.substr(0, raw.find('#')));
        if (line.empty()) continue;
        if (line[0] == '[') {
            if (line.back() != ']') throw malformed("section header without closing ']'");
            section = trimmed(line.substr(1, line.size() - 2));
            if (!is_key(section)) throw malformed("expected a section name such as [ldap]");
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string::npos) {
            std::string problem = "expected 'key = value' or '[section]', got '";
            problem += line;
            problem += '\'';
            throw malformed(problem);
        }
        const std::string key = trimmed(line.substr(0, eq));
        if (!is_key(key)) throw malformed("expected a key name before '='");
        std::string dotted = section;
        if (!dotted.empty()) dotted += '.';
        dotted += key;
        lines[dotted] = number;  // a repeat is the one to blame
    }
    return lines;
}

// Where a key's value came from: the command line, or FILE:LINE.
struct KeySources {
    std::string file;
    std::map<std::string, int> lines;
    std::vector<std::string> overrides;

    std::string locate(const std::string &key, const std::string &problem) const {
        if (std::find(overrides.begin(), overrides.end(), "--" + key) != overrides.end())
            return "command line: " + key + ": " + problem;
        auto it = lines.find(key);
        std::string where = it != lines.end() ? file + ":" + std::to_string(it->second) : file;
        return where + ": " + key + ": " + problem;
    }
};

std::string read_secret_file(const std::string &path, const char *key, const KeySources &sources) {
    std::ifstream in(path);
    if (!in) throw ConfigError(sources.locate(key, "cannot read " + path));
    std::string secret;
    std::getline(in, secret);
    return secret;
}

// All the file's bytes are the key: `head -c 32 /dev/urandom` may well
// write a newline or a NUL. Read up to a bound, for a path to a device.
std::string read_key_file(const std::string &path, const char *key, const KeySources &sources) {
    constexpr size_t min_size = 16, max_size = 4096;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(sources.locate(key, "cannot read " + path));
    std::string secret(max_size + 1, '\0');
    in.read(&secret[0], static_cast<std::streamsize>(secret.size()));
    secret.resize(static_cast<size_t>(in.gcount()));
    if (secret.size() < min_size || secret.size() > max_size) {
        const std::string held =
            secret.size() > max_size ? "more than " + std::to_string(max_size) : std::to_string(secret.size());
        throw ConfigError(sources.locate(key, path + " holds " + held + " bytes, expected " + std::to_string(min_size) +
                                                  " to " + std::to_string(max_size)));
    }
    return secret;
}

bool is_loopback(const std::string &host) {
    in_addr v4;
    in6_addr v6;
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return host == "localhost";
}

}  // namespace

std::string redis_integrity_warning(const Config &config) {
    const RedisSection &r = config.redis;
    std::string host;
    int port = 0;
    if (!r.hmac_key.empty() || !parse_redis_tcp_address(r.address, host, port) || is_loopback(host)) return "";
    return "Redis " + r.address +
           " is not on this host and redis.hmac_key_file is not set: whoever can write "
           "to it can grant any right through the cache";
}

bool Config::is_local_domain(const std::string &lowercase_domain) const {
    return std::find(local_domains.begin(), local_domains.end(), lowercase_domain) != local_domains.end();
}

CommandLine parse_command_line(int argc, const char *const argv[]) {
    po::options_description all;
    all.add(generic_options()).add(config_options());
    CommandLine cmd;
    cmd.config_file = SYSCONFDIR "/sendas-milter/sendas-milter.conf";
    po::variables_map vm;
    try {
        auto parsed = po::command_line_parser(argc, argv).options(all).style(exact_style).run();
        po::store(parsed, vm);
        for (const auto &opt : parsed.options) {
            if (opt.string_key == "config" || opt.string_key == "foreground" || opt.string_key == "test" ||
                opt.string_key == "version" || opt.string_key == "help")
                continue;
            cmd.overrides.push_back("--" + opt.string_key);
            for (const auto &v : opt.value) cmd.overrides.push_back(v);
        }
    } catch (const po::error &e) {
        throw ConfigError(std::string("command line: ") + e.what());
    }
    if (vm.count("config")) cmd.config_file = vm["config"].as<std::string>();
    cmd.foreground = vm.count("foreground") > 0;
    cmd.check_only = vm.count("test") > 0;
    cmd.show_help = vm.count("help") > 0;
    cmd.show_version = vm.count("version") > 0;
    return cmd;
}

std::shared_ptr<const Config> load_config_text(const std::string &text, const std::string &name,
                                               const std::vector<std::string> &overrides) {
    const auto desc = config_options();
    const KeySources sources{name, key_lines(text, name), overrides};
    po::variables_map vm;
    try {
        // Command-line values are stored first: the first stored value wins.
        po::store(po::command_line_parser(overrides).options(desc).style(exact_style).run(), vm);
    } catch (const po::error &e) {
        throw ConfigError(std::string("command line: ") + e.what());
    }
    try {
        std::istringstream in(text);
        po::store(po::parse_config_file(in, desc), vm);
    } catch (const po::error_with_option_name &e) {
        const std::string option = e.get_option_name();
        const auto start = option.find_first_not_of('-');
        if (start == std::string::npos) throw ConfigError(name + ": " + e.what());
        throw ConfigError(sources.locate(option.substr(start), e.what()));
    } catch (const po::error &e) {
        throw ConfigError(name + ": " + e.what());
    }

    auto config = std::make_shared<Config>();
    config->source = name;
    for (const auto &opt : option_table()) {
        try {
            opt.apply(*config, vm[opt.key].as<std::string>());
        } catch (const std::invalid_argument &e) {
            throw ConfigError(
                sources.locate(opt.key, "invalid value '" + vm[opt.key].as<std::string>() + "': " + e.what()));
        }
    }
    if (config->cache.local_ttl > config->redis.ttl)
        throw ConfigError(sources.locate("cache.local_ttl", "must not be longer than redis.ttl"));
    if (!config->redis.password_file.empty())
        config->redis.password = read_secret_file(config->redis.password_file, "redis.password_file", sources);
    if (!config->redis.hmac_key_file.empty())
        config->redis.hmac_key = read_key_file(config->redis.hmac_key_file, "redis.hmac_key_file", sources);
    if (!config->ldap.bind_password_file.empty())
        config->ldap.bind_password =
            read_secret_file(config->ldap.bind_password_file, "ldap.bind_password_file", sources);
    else if (!config->ldap.bind_dn.empty())
        throw ConfigError(sources.locate("ldap.bind_dn", "needs ldap.bind_password_file"));
    return config;
}

std::shared_ptr<const Config> load_config(const CommandLine &cmdline) {
    std::ifstream in(cmdline.config_file);
    if (!in) throw ConfigError(cmdline.config_file + ": cannot open config file");
    std::stringstream text;
    text << in.rdbuf();
    return load_config_text(text.str(), cmdline.config_file, cmdline.overrides);
}

std::string help_text(const char *program) {
    std::ostringstream out;
    out << "Usage: " << program << " [-c FILE] [-f] [-t] [--KEY VALUE ...]\n\n";
    out << generic_options() << "\n" << config_options();
    return out.str();
}

}  // namespace sendas
