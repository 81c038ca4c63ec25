// Config loading: the option table (options.h) drives the file, the
// command line, --help and validation.
#include "base/config.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>

#include <boost/program_options.hpp>

#include "base/log.h"
#include "base/options.h"
#include "base/string_util.h"

namespace po = boost::program_options;

namespace sendas {
namespace {

// No abbreviations: "--ldap.bind_password x" must not become
// "--ldap.bind_password_file x".
constexpr int exact_style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

po::options_description config_options() {
    po::options_description desc("Configuration keys (config file or --key value)");
    for (const auto &opt : option_table()) {
        const std::string help = std::string(opt.help) + (needs_restart(opt.key) ? " [read at start only]" : "");
        desc.add_options()(opt.key, po::value<std::string>()->default_value(opt.default_value()), help.c_str());
    }
    return desc;
}

po::options_description generic_options() {
    po::options_description desc("Options");
    desc.add_options()("config,c", po::value<std::string>(), "config file")(
        "foreground,f", "stay in the foreground and log to stderr too (only there with syslog = no)")(
        "test,t", "check the config, LDAP and (with redis.address) Redis, then exit")(
        "check-syntax,n", "check the config's syntax and values only, contacting neither LDAP nor Redis, then exit")(
        "version", "print the version")("help,h", "print this help");
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

// Reads up to `limit` bytes of `path` into `text`; false with `why` set to
// the system's reason ("No such file or directory", "Permission denied").
bool read_bytes(const std::string &path, size_t limit, std::string &text, std::string &why) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        why = error_text(errno);
        return false;
    }
    text.clear();
    char buffer[4096];
    while (text.size() < limit) {
        const ssize_t n = ::read(fd, buffer, std::min(sizeof buffer, limit - text.size()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) why = error_text(errno);  // a directory: "Is a directory"
        if (n <= 0) break;
        text.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return why.empty();
}

std::string read_secret_file(const std::string &path, const char *key, const KeySources &sources) {
    std::string text, why;
    if (!read_bytes(path, 4096, text, why)) throw ConfigError(sources.locate(key, "cannot read " + path + ": " + why));
    return text.substr(0, text.find('\n'));
}

// All the file's bytes are the key: `head -c 32 /dev/urandom` may well
// write a newline or a NUL. Read up to a bound, for a path to a device.
std::string read_key_file(const std::string &path, const char *key, const KeySources &sources) {
    constexpr size_t min_size = 16, max_size = 4096;
    std::string secret, why;
    if (!read_bytes(path, max_size + 1, secret, why))
        throw ConfigError(sources.locate(key, "cannot read " + path + ": " + why));
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

// The keys left at their groups-layout default take the AD one.
void apply_ad_defaults(Config &config, const po::variables_map &vm) {
    const std::pair<const char *, std::string *> keys[] = {
        {"ldap.user_filter", &config.ldap.user_filter},
        {"ldap.group_filter", &config.ldap.group_filter},
        {"audit.user_filter", &config.ldap.audit_user_filter},
        {"audit.disabled_filter", &config.ldap.audit_disabled_filter}};
    const char *const defaults[] = {AdDefaults::user_filter, AdDefaults::group_filter, AdDefaults::audit_user_filter,
                                    AdDefaults::audit_disabled_filter};
    for (size_t i = 0; i < std::size(keys); ++i)
        if (vm[keys[i].first].defaulted()) *keys[i].second = defaults[i];
}

// The host of an ldap:// URI ("" for ldap:///, libldap's localhost), or
// nothing for other schemes.
bool plain_ldap_host(const std::string &uri, std::string &host) {
    const std::string scheme = "ldap://";
    if (uri.size() < scheme.size() || !std::equal(scheme.begin(), scheme.end(), uri.begin(), [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
        }))
        return false;
    std::string rest = uri.substr(scheme.size());
    rest = rest.substr(0, rest.find('/'));
    if (!rest.empty() && rest[0] == '[')
        host = rest.substr(1, rest.find(']') - 1);
    else
        host = rest.substr(0, rest.find(':'));
    return true;
}

// A password must not cross the network in clear: refused unless TLS,
// SASL, a loopback server or ldap.allow_plaintext_bind.
void check_plaintext_bind(const Config &config, const KeySources &sources) {
    const LdapConfig &ldap = config.ldap;
    if (ldap.bind_password.empty() || !ldap.sasl_mech.empty() || ldap.starttls || ldap.allow_plaintext_bind) return;
    std::istringstream uris(ldap.uri);
    for (std::string uri, host; uris >> uri;)
        if (plain_ldap_host(uri, host) && !host.empty() && !is_loopback(host)) {
            std::string problem = uri;
            problem += ": a simple bind would send the password in clear to ";
            problem += host;
            problem += ": use ldaps://, ldap.starttls = yes, or ldap.allow_plaintext_bind = yes";
            throw ConfigError(sources.locate("ldap.uri", problem));
        }
}

}  // namespace

std::string RedisSection::label() const {
    return sentinels.empty() ? address : "master " + master_name + " of sentinels " + join_words(sentinels);
}

std::string redis_integrity_warning(const Config &config) {
    const RedisSection &r = config.redis;
    if (!r.hmac_key.empty()) return "";
    // With sentinels the master is wherever they say: off this host as
    // soon as one of them is.
    std::vector<std::string> nodes = r.sentinels;
    nodes.push_back(r.address);
    const bool remote = std::any_of(nodes.begin(), nodes.end(), [](const std::string &node) {
        std::string host;
        int port = 0;
        return parse_redis_tcp_address(node, host, port) && !is_loopback(host);
    });
    if (!remote) return "";
    return "Redis " + r.label() +
           " is not on this host and redis.hmac_key_file is not set: whoever can write "
           "to it can grant any right through the cache";
}

void refuse_placeholder_options(int argc, const char *const argv[]) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--", 0) == 0 && arg.find('%') != std::string::npos && arg.find('=') > arg.find('%'))
            throw ConfigError("command line: unknown option " + arg.substr(0, arg.find('=')));
    }
}

CommandLine parse_command_line(int argc, const char *const argv[]) {
    const po::options_description generic = generic_options();
    po::options_description all;
    all.add(generic).add(config_options());
    CommandLine cmd;
    cmd.config_file = SYSCONFDIR "/sendas-milter/sendas-milter.conf";
    refuse_placeholder_options(argc, argv);
    po::variables_map vm;
    try {
        auto parsed = po::command_line_parser(argc, argv).options(all).style(exact_style).run();
        po::store(parsed, vm);
        for (const auto &opt : parsed.options) {
            // Without a positional description Boost keeps a stray word
            // (`-t good.conf`) nameless; it would be dropped silently.
            if (opt.string_key.empty())
                throw ConfigError("command line: unexpected argument '" +
                                  (opt.original_tokens.empty() ? std::string() : opt.original_tokens.front()) +
                                  "' (the config file is given with -c FILE)");
            if (generic.find_nothrow(opt.string_key, false)) continue;
            cmd.overrides.push_back("--" + opt.string_key);
            for (const auto &v : opt.value) cmd.overrides.push_back(v);
        }
    } catch (const po::error &e) {
        throw ConfigError(std::string("command line: ") + e.what());
    }
    if (vm.count("config")) cmd.config_file = vm["config"].as<std::string>();
    cmd.foreground = vm.count("foreground") > 0;
    cmd.check_only = vm.count("test") > 0;
    cmd.syntax_only = vm.count("check-syntax") > 0;
    if (cmd.check_only && cmd.syntax_only)
        throw ConfigError("command line: -n checks without servers, -t with them: give one of them");
    cmd.show_help = vm.count("help") > 0;
    cmd.show_version = vm.count("version") > 0;
    return cmd;
}

namespace {

// The command-line overrides and then the file's values into `vm`:
// the first stored value wins.
po::variables_map read_values(const std::string &text, const std::string &name, const KeySources &sources,
                              const std::vector<std::string> &overrides) {
    const auto desc = config_options();
    po::variables_map vm;
    try {
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
    return vm;
}

// What one key's value cannot show: keys that need or exclude each other.
void check_combinations(const Config &config, const KeySources &sources) {
    if (config.cache.local_ttl > config.redis.ttl)
        throw ConfigError(sources.locate("cache.local_ttl", "must not be longer than redis.ttl"));
    if (!config.redis.sentinels.empty() && !config.redis.address.empty())
        throw ConfigError(
            sources.locate("redis.sentinels", "and redis.address exclude each other: the sentinels name the master"));
    if (config.redis.sentinels.empty() != config.redis.master_name.empty())
        throw ConfigError(sources.locate(config.redis.sentinels.empty() ? "redis.master_name" : "redis.sentinels",
                                         "needs redis.sentinels and redis.master_name together"));
    if (config.ldap.bind_password_file.empty() && !config.ldap.bind_dn.empty())
        throw ConfigError(sources.locate("ldap.bind_dn", "needs ldap.bind_password_file"));
    if (config.ldap.sasl_mech == "GSSAPI" && !config.ldap.bind_password_file.empty())
        throw ConfigError(sources.locate("ldap.sasl_mech", "GSSAPI takes ldap.keytab, not ldap.bind_password_file"));
}

// The password and key files' contents.
void read_secrets(Config &config, const KeySources &sources) {
    if (!config.redis.password_file.empty())
        config.redis.password = read_secret_file(config.redis.password_file, "redis.password_file", sources);
    if (!config.redis.hmac_key_file.empty())
        config.redis.hmac_key = read_key_file(config.redis.hmac_key_file, "redis.hmac_key_file", sources);
    if (!config.ldap.bind_password_file.empty())
        config.ldap.bind_password =
            read_secret_file(config.ldap.bind_password_file, "ldap.bind_password_file", sources);
}

}  // namespace

std::shared_ptr<const Config> load_config_text(const std::string &text, const std::string &name,
                                               const std::vector<std::string> &overrides) {
    const KeySources sources{name, key_lines(text, name), overrides};
    const po::variables_map vm = read_values(text, name, sources, overrides);
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
    if (config->ldap.layout == LdapLayout::ad) apply_ad_defaults(*config, vm);
    check_combinations(*config, sources);
    read_secrets(*config, sources);
    check_plaintext_bind(*config, sources);
    return config;
}

std::shared_ptr<const Config> load_config(const CommandLine &cmdline) {
    // A bound, for a path to a device; a config is a few kilobytes.
    constexpr size_t max_size = 1u << 20;
    std::string text, why;
    if (!read_bytes(cmdline.config_file, max_size + 1, text, why))
        throw ConfigError(cmdline.config_file + ": cannot open config file: " + why);
    if (text.size() > max_size) throw ConfigError(cmdline.config_file + ": config file larger than 1 MiB");
    return load_config_text(text, cmdline.config_file, cmdline.overrides);
}

std::string help_text(const char *program) {
    std::ostringstream out;
    out << "Usage: " << program << " [-c FILE] [-f] [-t | -n] [--KEY VALUE ...]\n\n";
    out << generic_options() << "\n" << config_options();
    return out.str();
}

}  // namespace sendas
