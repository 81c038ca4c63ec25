// sendas-milter: the daemon's main. Startup order: config -> socket ->
// detach -> reload thread -> drop privileges -> smfi_main.
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sysexits.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include <libmilter/mfapi.h>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/options.h"
#include "cmd/service_notify.h"
#include "cmd/startup.h"
#include "milter/glue.h"

using namespace sendas;

namespace {

std::string unix_socket_path(const std::string &spec) {
    for (const char *prefix : {"unix:", "local:"})
        if (spec.rfind(prefix, 0) == 0) return spec.substr(std::strlen(prefix));
    return spec.find(':') == std::string::npos ? spec : "";
}

struct Identity {
    uid_t uid;
    gid_t gid;
};

// Resolves user/group; an empty user means "stay who we are".
bool resolve_identity(const Config &config, Identity &id, std::string &error) {
    id = {getuid(), getgid()};
    if (config.user.empty()) return true;
    const passwd *pw = getpwnam(config.user.c_str());  // NOLINT(concurrency-mt-unsafe): before any thread
    if (!pw) {
        error = "user " + config.user + " does not exist";
        return false;
    }
    id = {pw->pw_uid, pw->pw_gid};
    if (!config.group.empty()) {
        const group *gr = getgrnam(config.group.c_str());  // NOLINT(concurrency-mt-unsafe): before any thread
        if (!gr) {
            error = "group " + config.group + " does not exist";
            return false;
        }
        id.gid = gr->gr_gid;
    }
    return true;
}

bool drop_privileges(const Config &config, const Identity &id, std::string &error) {
    if (config.user.empty() || geteuid() != 0) return true;
    if (initgroups(config.user.c_str(), id.gid) != 0 || setgid(id.gid) != 0 || setuid(id.uid) != 0) {
        error = std::string("cannot change to user ") + config.user + ": " + error_text(errno);
        return false;
    }
    if (setuid(0) == 0) {
        error = "could regain root after dropping privileges";
        return false;
    }
    return true;
}

// Under systemd stderr is the journal: read once in main, before threads.
bool under_journal = false;

// Lines go to syslog unless `syslog = no` (which needs --foreground), and
// to stderr while attached to it; under the journal each line once.
// Returns an error, or "" once the targets are set.
std::string set_log_targets(const Config &config, bool foreground, bool attached) {
    if (!config.syslog && !foreground)
        return config.source + ": syslog = no needs --foreground: nothing would be logged";
    log_targets(config.syslog, attached && (!under_journal || !config.syslog));
    log_debug(config.log_level == LogLevel::debug);
    return "";
}

// Keys read only at start keep the values the process started with.
void warn_restart_keys(const Config &started, const Config &next) {
    for (const auto &key : restart_keys_changed(started, next))
        log(Severity::warning, "reload: " + key + " changed in " + next.source +
                                   " but is read at start only: not applied until a restart");
}

// Waits for SIGUSR1 and swaps in a freshly read config; a bad file keeps
// the old one. Runs for the life of the process.
void reload_loop(const CommandLine &cmd, RuntimeHolder *holder, WatcherSlot *watchers,
                 const std::shared_ptr<const Config> &started) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    for (;;) {
        int signal = 0;
        if (sigwait(&set, &signal) != 0) continue;
        service_notify::reloading();
        try {
            std::shared_ptr<const Config> config = load_config(cmd);
            std::string error = set_log_targets(*config, cmd.foreground, cmd.foreground);
            if (!error.empty()) throw ConfigError(error);
            const Services services = make_services(config);
            holder->replace(services.runtime);
            watchers->replace(start_watcher(*config, services));
            warn_restart_keys(*started, *config);
            log(Severity::info, "configuration reloaded from " + cmd.config_file);
        } catch (const std::exception &e) {
            log(Severity::error, std::string("reload failed, keeping the running configuration: ") + e.what());
        }
        service_notify::ready();  // with the new config or the old one
    }
}

// daemon() changes to "/": a relative -c would no longer open on reload.
std::string absolute_path(const std::string &path) {
    if (path.empty() || path[0] == '/') return path;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return path;
    return std::string(cwd) + "/" + path;
}

// Returns "" or why the file could not be written.
std::string write_pidfile(const std::string &path) {
    if (path.empty()) return "";
    const std::string text = std::to_string(getpid()) + "\n";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return error_text(errno);
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const int saved = errno;
    return ::close(fd) == 0 && written ? "" : error_text(written ? errno : saved);
}

// -n: the config loaded, so its syntax and values are right; no server
// is asked (for package scripts and ExecStartPre= with the network down).
int check_syntax(const Config &config) {
    const std::string warning = redis_integrity_warning(config);
    if (!warning.empty()) log(Severity::warning, warning);
    std::cout << config.source << ": configuration OK (syntax and values; LDAP and Redis not contacted)\n";
    return 0;
}

// -t: the config loaded; now LDAP and Redis must answer.
int check_connections(const std::shared_ptr<const Config> &config) {
    const Services services = make_services(config);
    std::string problem = services.runtime->directory->probe();
    if (!problem.empty()) {
        log(Severity::error, "LDAP " + config->ldap.uri + ": " + problem);
        return EX_UNAVAILABLE;
    }
    problem = services.redis ? services.redis->probe() : "";
    if (!problem.empty()) {
        log(Severity::error, "Redis " + config->redis.label() + ": " + problem);
        return EX_UNAVAILABLE;
    }
    std::cout << config->source << ": configuration OK, LDAP reachable" << (services.redis ? ", Redis reachable" : "")
              << "\n";
    return 0;
}

// The socket, opened as root and handed to the daemon's user; then detach.
int open_socket_and_detach(const Config &config, const CommandLine &cmd, const Identity &identity,
                           RuntimeHolder &holder) {
    std::string error = milter_setup(holder, config.socket, config.milter.timeout, config.milter.backlog);
    if (!error.empty()) {
        log(Severity::error, error);
        return EX_UNAVAILABLE;
    }
    const std::string path = unix_socket_path(config.socket);
    if (!path.empty() && geteuid() == 0 && chown(path.c_str(), identity.uid, identity.gid) != 0) {
        log(Severity::error, "cannot hand socket " + path + " to " + config.user + ": " + error_text(errno));
        return EX_OSERR;
    }
    if (cmd.foreground) return 0;
    if (daemon(0, 0) != 0) {
        log(Severity::error, std::string("cannot detach: ") + error_text(errno));
        return EX_OSERR;
    }
    set_log_targets(config, false, false);
    return 0;
}

// From the socket to smfi_main: runtime, pid file, reload thread, no root.
int serve(const std::shared_ptr<const Config> &config, const CommandLine &cmd, const Identity &identity) {
    RuntimeHolder holder;
    if (int rc = open_socket_and_detach(*config, cmd, identity, holder)) return rc;
    // Only now: the runtime may start threads (the Redis flush listener,
    // the change watcher), and daemon()'s fork would leave them behind in
    // the parent.
    const Services services = make_services(config);
    holder.replace(services.runtime);
    // Static: the detached reload thread may still use it while main returns.
    static WatcherSlot watchers;
    watchers.replace(start_watcher(*config, services));
    const std::string pid_error = write_pidfile(config->pidfile);
    if (!pid_error.empty()) log(Severity::warning, "cannot write pid file " + config->pidfile + ": " + pid_error);

    std::thread(reload_loop, cmd, &holder, &watchers, config).detach();

    std::string error;
    if (!drop_privileges(*config, identity, error)) {
        log(Severity::error, error);
        return EX_OSERR;
    }
    // After dropping root: the endpoint should not run privileged.
    error = metrics::start(config->metrics_listen);
    if (!error.empty()) {
        log(Severity::error, error);
        return EX_UNAVAILABLE;
    }
    log(Severity::info, "starting on " + config->socket);
    // The socket has listened since open_socket_and_detach: connections
    // made from now on wait in its backlog for smfi_main to accept them.
    service_notify::ready();
    const int rc = smfi_main();
    watchers.stop();  // gives the lease up: another daemon takes over at once
    service_notify::stopping();
    if (!config->pidfile.empty()) unlink(config->pidfile.c_str());
    log(Severity::info, "stopped");
    return rc == MI_SUCCESS ? 0 : EX_SOFTWARE;
}

}  // namespace

int main(int argc, char **argv) {
    // Blocked before any thread exists (libldap, libmilter and ours inherit
    // the mask): SIGUSR1 is taken by reload_loop's sigwait, the others by
    // libmilter's signal thread. Unblocked anywhere, they would kill us.
    sigset_t signals;
    sigemptyset(&signals);
    for (int sig : {SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, sig);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    CommandLine cmd;
    try {
        cmd = parse_command_line(argc, argv);
    } catch (const ConfigError &e) {
        std::cerr << "sendas-milter: " << e.what() << "\n";
        return EX_USAGE;
    }
    if (cmd.show_help) {
        std::cout << help_text("sendas-milter");
        return 0;
    }
    if (cmd.show_version) {
        std::cout << "sendas-milter " PACKAGE_VERSION "\n";
        return 0;
    }
    cmd.config_file = absolute_path(cmd.config_file);
    // Until detached, stderr is where an admin starting it by hand looks.
    under_journal = std::getenv("JOURNAL_STREAM") != nullptr;  // NOLINT(concurrency-mt-unsafe): before any thread
    log_open("sendas-milter", !under_journal);

    std::shared_ptr<const Config> config;
    try {
        config = load_config(cmd);
    } catch (const ConfigError &e) {
        log(Severity::error, e.what());
        return EX_CONFIG;
    }
    // The checks never detach: their lines reach stderr whatever syslog says.
    std::string error = set_log_targets(*config, cmd.foreground || cmd.check_only || cmd.syntax_only, true);
    if (!error.empty()) {
        log(Severity::error, error);
        return EX_CONFIG;
    }
    kerberos_environment(config->ldap);
    Identity identity;
    if (!resolve_identity(*config, identity, error)) {
        log(Severity::error, config->source + ": " + error);
        return EX_CONFIG;
    }
    if (cmd.syntax_only) return check_syntax(*config);
    return cmd.check_only ? check_connections(config) : serve(config, cmd, identity);
}
