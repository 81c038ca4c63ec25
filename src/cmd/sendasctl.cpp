// sendasctl: the admin's view of what the daemon decides and caches.
//   explain USER ADDRESS   the decision for USER sending as ADDRESS, and why
//   cache flush [USER]     drop cached answers on every daemon sharing Redis
//   cache stats            hits and misses per tier, LDAP searches, per daemon
//   audit [--format text|csv|json|html] [--mailbox ADDR] [--unused 90d] [--diff OLD.json]
//                          who holds which right on every mailbox, and findings (ctl_audit.h)
//   usage [--user U] [--mailbox ADDR] [--since 30d] [--format text|csv|json]
//                          who used which right, how often, when last (ctl_usage.h)
#include <sysexits.h>
#include <algorithm>
#include <charconv>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include <boost/program_options.hpp>

#include "base/config.h"
#include "base/log.h"
#include "base/mailbox_match.h"
#include "cache/caching_directory.h"
#include "cache/redis_tier.h"
#include "cache/watch_store.h"
#include "cmd/ctl_audit.h"
#include "cmd/ctl_usage.h"
#include "cmd/startup.h"
#include "directory/ad_directory.h"
#include "directory/resolver.h"
#include "ops/rights_audit.h"

namespace po = boost::program_options;
using namespace sendas;

namespace {

// explain's exit status, for scripts.
constexpr int exit_allow = 0, exit_deny = 1, exit_unknown = 2;

std::string joined(const std::vector<std::string> &items, const char *separator) {
    std::string out;
    for (const auto &item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

std::string actions_of(const Decision &d) {
    std::vector<std::string> actions;
    if (d.set_sender) actions.push_back("set Sender: " + *d.set_sender);
    if (d.remove_sender) actions.push_back("remove Sender:");
    if (d.envelope_from) actions.push_back("envelope sender " + *d.envelope_from);
    for (const auto &copy : d.sent_copies) actions.push_back("Sent copy to " + copy + " (NOTIFY=NEVER)");
    return actions.empty() ? "none" : joined(actions, "; ");
}

void print_user(const std::string &login, const DirectoryAnswers &answers) {
    std::cout << "user:     " << login;
    if (answers.user.status == LookupStatus::found)
        std::cout << " (" << answers.user.value.dn
                  << "), own addresses: " << joined(answers.user.value.addresses, ", ");
    else
        std::cout << (answers.user.status == LookupStatus::unavailable ? " (directory unavailable)"
                                                                       : " (not in the directory)");
    std::cout << "\n";
}

// Each address checked: the right, and the group path that granted it.
void print_checked(const Decision &d, const DirectoryAnswers &answers) {
    for (const auto &checked : d.checked) {
        std::cout << "address:  " << checked.address << "\n";
        if (!checked.base.empty())
            std::cout << "base:     " << checked.base << " (" << checked.address << " is no mailbox of its own)\n";
        std::cout << "right:    " << right_name(checked.right) << "\n";
        auto it = answers.rights.find(checked.mailbox());
        if (it == answers.rights.end()) continue;
        const MailboxRights &r = it->second.value;
        if (!r.path.empty()) std::cout << "path:     " << joined(r.path.dns(), " -> ") << "\n";
        if (r.domain_grant)
            std::cout << "grant:    domain grant: the group of " << domain_group_name(checked.mailbox())
                      << " (every address of the domain without a group of its own for the right)\n";
        std::vector<std::string> held;
        if (r.send_as) held.push_back("send-as");
        if (r.send_on_behalf) held.push_back("send-on-behalf");
        if (r.full_access) held.push_back("full-access");
        std::cout << "holds:    " << (held.empty() ? "nothing" : joined(held, ", ")) << "\n";
    }
}

// Where the answers came from; never "LDAP" when LDAP did not answer.
const char *source_of(const DirectoryAnswers &answers, bool asked_ldap) {
    const bool unanswered = answers.user.status == LookupStatus::unavailable ||
                            std::any_of(answers.rights.begin(), answers.rights.end(), [](const auto &entry) {
                                return entry.second.status == LookupStatus::unavailable;
                            });
    return answers.stale() ? "stale cache (LDAP down)"
           : unanswered    ? "none (LDAP unavailable)"
           : asked_ldap    ? "LDAP"
                           : "cache";
}

// The decision line and explain's exit status.
int print_decision(const Decision &d) {
    switch (d.verdict) {
    case Verdict::accept:
        std::cout << "decision: accept"
                  << (d.reason == Reason::none ? std::string() : std::string(" (") + reason_name(d.reason) + ")")
                  << "\n";
        std::cout << "actions:  " << actions_of(d) << "\n";
        return d.reason == Reason::directory_unavailable ? exit_unknown : exit_allow;
    case Verdict::reject:
        std::cout << "decision: reject " << d.smtp_code << " " << d.enhanced_code << " " << d.reply_text << "\n";
        return d.reason == Reason::directory_unavailable ? exit_unknown : exit_deny;
    case Verdict::tempfail:
        std::cout << "decision: tempfail " << d.smtp_code << " " << d.enhanced_code << " " << d.reply_text << "\n";
        return exit_unknown;
    }
    return exit_unknown;
}

int explain(const Config &config, const std::string &login, const std::string &address) {
    const auto runtime = make_services(std::make_shared<Config>(config)).runtime;
    const auto before = runtime->directory->stats();

    MessageFacts facts;
    facts.queue_id = "explain";
    facts.auth_user = login;
    facts.envelope_from = "<>";  // only the From: claim is explained
    facts.from_values = {address};
    const Claims claims = parse_claims(facts);
    LookupContext context(config.ldap.max_searches_per_message);
    const DirectoryAnswers answers = gather_answers(facts, claims, *runtime->directory, config, context);
    const Decision d = decide(facts, claims, answers, config);

    print_user(login, answers);
    print_checked(d, answers);
    const bool asked_ldap = runtime->directory->stats().at("ldap_searches") != before.at("ldap_searches");
    std::cout << "source:   " << source_of(answers, asked_ldap) << "\n";
    return print_decision(d);
}

std::unique_ptr<RedisTier> redis_for(const Config &config) {
    const RedisSection &r = config.redis;
    if (!r.enabled()) return nullptr;
    return std::make_unique<RedisTier>(redis_config(r), r.prefix, 1);
}

int redis_unavailable(const Config &config) {
    std::cerr << "sendasctl: Redis " << config.redis.label() << " unavailable\n";
    return EX_UNAVAILABLE;
}

int cache_flush(const Config &config, const std::string &login) {
    auto redis = redis_for(config);
    if (!redis) {
        std::cerr << "sendasctl: neither redis.address nor redis.sentinels configured: each daemon's in-process cache "
                     "expires within "
                  << config.cache.local_ttl << " s; reload the daemon (SIGUSR1) to drop it now\n";
        return EX_UNAVAILABLE;
    }
    if (login.empty()) {
        if (!redis->flush(login)) return redis_unavailable(config);
        std::cout << "flushed all cached answers\n";
        return 0;
    }
    // Every spelling LDAP folds into the same entry ("Alice", " alice")
    // was cached on its own: flush them all by the entry's identity.
    const auto directory = make_ldap_directory(config.ldap, address_rules(config));
    LookupContext context(config.ldap.max_searches_per_message);
    const auto [status, user] = directory->find_user(login, context);
    if (status != LookupStatus::found) {
        if (!redis->flush(login)) return redis_unavailable(config);
        std::cout << "flushed cached answers for " << login << " ("
                  << (status == LookupStatus::not_found ? "not in the directory"
                                                        : "LDAP unavailable: other spellings of the login are kept")
                  << ")\n";
        return status == LookupStatus::not_found ? 0 : EX_TEMPFAIL;
    }
    size_t spellings = 0;
    if (!redis->flush_identity(identity_of(user), login, spellings)) return redis_unavailable(config);
    std::cout << "flushed cached answers for " << login << " (" << user.dn << ", " << spellings << " cached spelling"
              << (spellings == 1 ? "" : "s") << ")\n";
    return 0;
}

// The change watcher's status as the daemon holding the lease publishes it.
void print_watcher(const Config &config) {
    const RedisSection &r = config.redis;
    WatchStore store(redis_config(r), r.prefix, r.hmac_key);
    std::map<std::string, std::string> status;
    if (!store.read_status(status) || status.empty()) {
        std::cout << "watcher: none (ldap.watch = off, or no daemon holds the lease)\n";
        return;
    }
    std::cout << "watcher:";
    for (const char *name : {"holder", "mode", "state", "lag_ms", "last_change_latency_ms", "changes", "resyncs"})
        std::cout << " " << name << "=" << status[name];
    std::cout << "\n";
}

int cache_stats(const Config &config) {
    auto redis = redis_for(config);
    if (!redis) {
        std::cerr << "sendasctl: neither redis.address nor redis.sentinels configured: daemons publish their counters "
                     "through Redis\n";
        return EX_UNAVAILABLE;
    }
    std::map<std::string, std::map<std::string, std::string>> daemons;
    if (!redis->read_stats(daemons)) {
        std::cerr << "sendasctl: Redis " << config.redis.label() << " unavailable\n";
        return EX_UNAVAILABLE;
    }
    std::map<std::string, unsigned long long> total;
    for (const auto &[daemon, counters] : daemons) {
        std::cout << daemon << ":";
        for (const auto &[name, value] : counters) {
            std::cout << " " << name << "=" << value;
            // Whatever else is in Redis is shown, not added.
            unsigned long long n = 0;
            const auto parsed = std::from_chars(value.data(), value.data() + value.size(), n);
            if (parsed.ec == std::errc() && parsed.ptr == value.data() + value.size()) total[name] += n;
        }
        std::cout << "\n";
    }
    std::cout << "total (" << daemons.size() << " daemons):";
    for (const auto &[name, value] : total) std::cout << " " << name << "=" << value;
    std::cout << "\n";
    print_watcher(config);
    return 0;
}

const char *usage =
    "Usage: sendasctl [-c FILE] explain USER ADDRESS\n"
    "       sendasctl [-c FILE] cache flush [USER]\n"
    "       sendasctl [-c FILE] cache stats\n"
    "       sendasctl [-c FILE] audit [--format text|csv|json|html] [--mailbox ADDR] [--unused 90d] [--diff OLD.json]\n"
    "       sendasctl [-c FILE] usage [--user U] [--mailbox ADDR] [--since 30d] [--format text|csv|json]\n";

using Subcommand = std::function<int(const Config &)>;

// The words after the options as a subcommand to run on the config; an
// empty function and `error` set when they name none.
Subcommand parse_subcommand(const std::vector<std::string> &words, const po::variables_map &vm, std::string &error) {
    const std::string first = words.empty() ? "" : words[0];
    if (first == "explain" && words.size() == 3)
        return [login = words[1], address = words[2]](const Config &c) { return explain(c, login, address); };
    if (first == "cache" && words.size() >= 2 && words[1] == "flush" && words.size() <= 3)
        return [login = words.size() == 3 ? words[2] : ""](const Config &c) { return cache_flush(c, login); };
    if (first == "cache" && words.size() == 2 && words[1] == "stats") return cache_stats;
    if (first == "audit" && words.size() == 1) {
        AuditRequest request;
        if (!parse_audit_request(vm, request, error)) return nullptr;
        return [request](const Config &c) { return run_audit(c, request); };
    }
    if (first == "usage" && words.size() == 1) {
        UsageQuery query;
        if (!parse_usage_query(vm, query, error)) return nullptr;
        return [query](const Config &c) { return run_usage(c, query); };
    }
    if (first == "explain" || first == "cache" || first == "audit" || first == "usage")
        error = "wrong arguments for " + first;
    else
        error = first.empty() ? "no command given" : "unknown command '" + first + "'";
    return nullptr;
}

// Reads the command line into `vm`. An exit status when that is all there
// is to do: help, version, or a usage error.
std::optional<int> read_command_line(int argc, char **argv, po::variables_map &vm) {
    po::options_description options("Options");
    options.add_options()("config,c", po::value<std::string>(), "the daemon's config file")(
        "format", po::value<std::string>()->default_value("text"),
        "output: text, csv or json; audit also html (one self-contained page)")(
        "mailbox", po::value<std::string>()->default_value(""), "audit only this mailbox")("help,h", "this help")(
        "version", "print the version");
    add_audit_options(options);
    add_usage_options(options);
    po::options_description all;
    all.add(options).add_options()("words", po::value<std::vector<std::string>>());
    po::positional_options_description positional;
    positional.add("words", -1);
    try {
        refuse_placeholder_options(argc, argv);
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    } catch (const po::error &e) {
        std::cerr << "sendasctl: " << e.what() << "\n" << usage;
        return EX_USAGE;
    } catch (const ConfigError &e) {
        std::cerr << "sendasctl: " << e.what() << "\n" << usage;
        return EX_USAGE;
    }
    if (vm.count("help")) {
        std::cout << usage << "\n" << options;
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "sendasctl " PACKAGE_VERSION "\n";
        return 0;
    }
    return std::nullopt;
}

// The daemon's config: -c FILE, or its default file.
std::shared_ptr<const Config> config_for(const po::variables_map &vm) {
    const char *argv0[] = {"sendasctl"};
    CommandLine cmd = parse_command_line(1, argv0);
    if (vm.count("config")) cmd.config_file = vm["config"].as<std::string>();
    return load_config(cmd);
}

}  // namespace

int main(int argc, char **argv) {
    po::variables_map vm;
    if (const auto status = read_command_line(argc, argv, vm)) return *status;
    const auto words = vm.count("words") ? vm["words"].as<std::vector<std::string>>() : std::vector<std::string>{};
    // The subcommand first: a typo is a usage error even where the config
    // cannot be read.
    std::string error;
    const Subcommand run = parse_subcommand(words, vm, error);
    if (!run) {
        std::cerr << "sendasctl: " << error << "\n" << usage;
        return EX_USAGE;
    }
    log_open("sendasctl", true);
    std::shared_ptr<const Config> config;
    try {
        config = config_for(vm);
    } catch (const ConfigError &e) {
        std::cerr << "sendasctl: " << e.what() << "\n";
        return EX_CONFIG;
    }
    kerberos_environment(config->ldap);
    return run(*config);
}
