// smtp-load: concurrent SMTP AUTH submissions for the end-to-end benchmark (bench/e2e).
//
// Debian's smtp-source has concurrency but no AUTH, swaks has AUTH but no concurrency:
// this sends N messages over C concurrent connections (threads), M per connection, each
// connection authenticating with AUTH PLAIN as the user of the mix entry drawn for it and
// sending its M messages as that entry. The mix is milter-load's (fixture users alice, bob, dave, eve); every final
// reply is checked: a message that should be accepted must get 250 after DATA, one that should be refused must get a
// 5xx (at MAIL, RCPT or after DATA, wherever the server refuses). Latency runs from MAIL FROM to the reply that decides
// the message.
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "load_common.h"

namespace {

const char usage_text[] = R"(usage: smtp-load --port PORT [option...]
  --server ADDR                  IPv4 address of the submission service (default 127.0.0.1)
  --port PORT                    its port
  --connections C                concurrent SMTP sessions, one thread each (default 8)
  --messages-per-connection M    messages per session (default 5)
  --total N                      messages in all (default C * M)
  --mix own:W,send-as:W,behalf:W,denied:W   as in milter-load (default 1 each)
  --password PW                  every user's password (default secret)
  --envelope own|from            envelope sender: the user's own address (default) or the
                                 From: mailbox (what smtpd_sender_login_maps checks)
  --rcpt ADDR                    recipient (default friend@example.net)
  --expect policy|accept         refusals expected for "denied" (default), or none at all
  --seed S                       random seed of the mix (default 1)
  --timeout SEC                  per-reply timeout (default 30)
  --json                         the report as one JSON object
Exit status: 0 all replies as expected, 1 otherwise, 2 usage.
)";

struct Options {
    std::string server = "127.0.0.1";
    int port = 0;
    int connections = 8;
    long per_connection = 5;
    long total = 0;
    double weights[kind_count] = {1, 1, 1, 1};
    std::string password = "secret";
    bool envelope_from = false;
    std::string rcpt = "friend@example.net";
    bool expect_refusals = true;
    unsigned long seed = 1;
    int timeout_s = 30;
    bool json = false;
};

struct Case {
    Kind kind;
    std::string login, own, mailbox;
};

// The fixture cases of milter-load, same kinds and users.
Case draw_case(Kind kind, unsigned pick) {
    switch (kind) {
    case Kind::own:
        switch (pick % 3) {
        case 0: return {kind, "alice", "alice@example.com", "alice@example.com"};
        case 1: return {kind, "bob", "bob@example.com", "bob.b@example.com"};
        default: return {kind, "dave", "dave@example.com", "dave@example.com"};
        }
    case Kind::send_as: return {kind, "alice", "alice@example.com", "support@example.com"};
    case Kind::behalf:
        if (pick % 2 == 0) return {kind, "bob", "bob@example.com", "support@example.com"};
        return {kind, "dave", "dave@example.com", "boss@example.com"};
    case Kind::denied:
        if (pick % 2 == 0) return {kind, "eve", "eve@example.com", "support@example.com"};
        return {kind, "eve", "eve@example.com", "boss@example.com"};
    }
    throw std::logic_error("unknown kind");
}

std::string base64(const std::string &in) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += table[(v >> s) & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += i + 1 < in.size() ? table[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// One SMTP session over a blocking socket with receive and send timeouts.
class Session {
public:
    Session(const Options &opts) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        timeval tv{opts.timeout_s, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(opts.port));
        if (::inet_pton(AF_INET, opts.server.c_str(), &addr.sin_addr) != 1)
            throw std::runtime_error("bad server address " + opts.server);
        if (::connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            int e = errno;
            ::close(fd_);
            throw std::runtime_error(std::string("connect: ") + std::strerror(e));
        }
    }
    ~Session() { ::close(fd_); }
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    // Sends a command (CRLF added) and returns the whole reply, last line's code first.
    std::string command(const std::string &line) {
        send_all(line + "\r\n");
        return reply();
    }
    void send_all(const std::string &data) {
        for (std::size_t sent = 0; sent < data.size();) {
            ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
            sent += static_cast<std::size_t>(n);
        }
    }
    // A reply: lines "NNN-text" ... "NNN text"; returns the last line.
    std::string reply() {
        for (;;) {
            auto eol = buffer_.find("\r\n");
            if (eol != std::string::npos) {
                std::string line = buffer_.substr(0, eol);
                buffer_.erase(0, eol + 2);
                if (line.size() < 4 || line[3] != '-') return line;
                continue;
            }
            char chunk[4096];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) throw std::runtime_error("server closed the connection");
            if (n < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    int fd_ = -1;
    std::string buffer_;
};

bool is(const std::string &reply, char first) { return !reply.empty() && reply[0] == first; }

struct WorkerResult {
    std::vector<double> latencies_us;
    std::map<std::string, long> replies;
    long wrong = 0, errors = 0, sessions = 0;
    std::vector<std::string> samples;
};

class Run {
public:
    explicit Run(const Options &opts) : opts_(opts) {
        double sum = 0, acc = 0;
        for (double w : opts.weights) sum += w;
        for (int k = 0; k < kind_count; ++k) cumulative_[k] = (acc += opts.weights[k] / sum);
    }

    void worker(int index, WorkerResult &out) {
        std::mt19937_64 rng(opts_.seed * 1000003 + static_cast<unsigned long>(index));
        std::uniform_real_distribution<double> unit(0, 1);
        long n = 0;
        while (next_ < opts_.total) {
            // One login per session (AUTH comes once): its messages all repeat the case drawn.
            long first = next_.fetch_add(1);
            if (first >= opts_.total) break;
            Case c = draw(unit(rng), rng());
            try {
                Session s(opts_);
                ++out.sessions;
                expect(s.reply(), '2', "greeting");
                expect(s.command("EHLO client" + std::to_string(index) + ".example.net"), '2', "EHLO");
                expect(s.command("AUTH PLAIN " + base64(std::string(1, '\0') + c.login + '\0' + opts_.password)), '2',
                       "AUTH");
                for (long m = 0; m < opts_.per_connection; ++m) {
                    if (m > 0 && next_.fetch_add(1) >= opts_.total) break;
                    send_message(s, c, index, ++n, out);
                }
                s.command("QUIT");
            } catch (const std::exception &e) {
                ++out.errors;
                if (out.samples.size() < 5) out.samples.push_back(std::string("session failed: ") + e.what());
                if (out.errors > 100) return;
            }
        }
    }

private:
    static void expect(const std::string &reply, char cls, const char *what) {
        if (!is(reply, cls)) throw std::runtime_error(std::string(what) + " refused: " + reply);
    }

    Case draw(double x, unsigned long pick) const {
        int k = 0;
        while (k < 3 && x >= cumulative_[k]) ++k;
        return draw_case(static_cast<Kind>(k), static_cast<unsigned>(pick >> 7));
    }

    void send_message(Session &s, const Case &c, int index, long n, WorkerResult &out) {
        const std::string envelope = opts_.envelope_from ? c.mailbox : c.own;
        char id[48];
        std::snprintf(id, sizeof id, "%d.%ld.%lu", index, n, opts_.seed);
        auto start = std::chrono::steady_clock::now();
        std::string decisive = s.command("MAIL FROM:<" + envelope + ">");
        if (is(decisive, '2')) {
            decisive = s.command("RCPT TO:<" + opts_.rcpt + ">");
            if (is(decisive, '2')) {
                std::string data = s.command("DATA");
                if (!is(data, '3')) {
                    decisive = data;
                } else {
                    s.send_all("From: Someone <" + c.mailbox + ">\r\nTo: Friend <" + opts_.rcpt +
                               ">\r\nSubject: e2e benchmark " + id + "\r\nMessage-ID: <" + id +
                               "@client.example.net>\r\nDate: Thu, 27 Nov 2025 12:00:00 +0000\r\n\r\nHello,\r\n\r\n"
                               "this is a benchmark message.\r\n.\r\n");
                    decisive = s.reply();
                }
            }
        }
        auto end = std::chrono::steady_clock::now();
        out.latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
        ++out.replies[decisive.substr(0, 3)];
        bool accepted = decisive.rfind("250", 0) == 0;
        bool want_accept = !opts_.expect_refusals || c.kind != Kind::denied;
        bool ok = want_accept ? accepted : is(decisive, '5');
        if (!ok) {
            ++out.wrong;
            if (out.samples.size() < 5)
                out.samples.push_back(c.login + " as " + c.mailbox + " (" + kind_names[static_cast<int>(c.kind)] +
                                      "): got " + decisive);
        }
        if (!accepted) s.command("RSET");
    }

    const Options &opts_;
    double cumulative_[kind_count];
    std::atomic<long> next_{0};
};

Options parse_args(int argc, char **argv) {
    enum {
        server = 1,
        port,
        connections,
        per,
        total,
        mix,
        password,
        envelope,
        rcpt,
        expect,
        seed,
        timeout,
        json,
        help
    };
    static const option long_options[] = {{"server", required_argument, nullptr, server},
                                          {"port", required_argument, nullptr, port},
                                          {"connections", required_argument, nullptr, connections},
                                          {"messages-per-connection", required_argument, nullptr, per},
                                          {"total", required_argument, nullptr, total},
                                          {"mix", required_argument, nullptr, mix},
                                          {"password", required_argument, nullptr, password},
                                          {"envelope", required_argument, nullptr, envelope},
                                          {"rcpt", required_argument, nullptr, rcpt},
                                          {"expect", required_argument, nullptr, expect},
                                          {"seed", required_argument, nullptr, seed},
                                          {"timeout", required_argument, nullptr, timeout},
                                          {"json", no_argument, nullptr, json},
                                          {"help", no_argument, nullptr, help},
                                          {nullptr, 0, nullptr, 0}};
    Options opts;
    opterr = 0;
    for (int opt; (opt = getopt_long(argc, argv, "", long_options, nullptr)) != -1;) {
        std::string arg = optarg ? optarg : "";
        switch (opt) {
        case server: opts.server = arg; break;
        case port: opts.port = static_cast<int>(parse_number(arg, "port", 1, 65535)); break;
        case connections: opts.connections = static_cast<int>(parse_number(arg, "connections", 1, 1024)); break;
        case per: opts.per_connection = parse_number(arg, "messages-per-connection", 1, 1000000); break;
        case total: opts.total = parse_number(arg, "total", 1, 100000000); break;
        case mix: parse_mix(arg, opts.weights); break;
        case password: opts.password = arg; break;
        case envelope:
            if (arg != "own" && arg != "from") throw UsageError("--envelope wants own or from");
            opts.envelope_from = arg == "from";
            break;
        case rcpt: opts.rcpt = arg; break;
        case expect:
            if (arg != "policy" && arg != "accept") throw UsageError("--expect wants policy or accept");
            opts.expect_refusals = arg == "policy";
            break;
        case seed: opts.seed = static_cast<unsigned long>(parse_number(arg, "seed", 0, 1L << 40)); break;
        case timeout: opts.timeout_s = static_cast<int>(parse_number(arg, "timeout", 1, 3600)); break;
        case json: opts.json = true; break;
        case help: throw UsageError("");
        default: throw UsageError(std::string("unknown option or missing argument: ") + argv[optind - 1]);
        }
    }
    if (optind < argc) throw UsageError(std::string("unexpected argument: ") + argv[optind]);
    if (opts.port == 0) throw UsageError("--port is required");
    if (opts.total == 0) opts.total = opts.connections * opts.per_connection;
    return opts;
}

}  // namespace

int main(int argc, char **argv) {
    Options opts;
    try {
        opts = parse_args(argc, argv);
    } catch (const UsageError &e) {
        if (*e.what()) std::cerr << "smtp-load: " << e.what() << '\n';
        (*e.what() ? std::cerr : std::cout) << usage_text;
        return *e.what() ? 2 : 0;
    }
    Run run(opts);
    std::vector<WorkerResult> results(static_cast<std::size_t>(opts.connections));
    std::vector<std::thread> threads;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < opts.connections; ++i)
        threads.emplace_back([&run, &results, i] { run.worker(i, results[static_cast<std::size_t>(i)]); });
    for (auto &t : threads) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WorkerResult all;
    for (auto &r : results) {
        all.latencies_us.insert(all.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
        for (const auto &[code, count] : r.replies) all.replies[code] += count;
        all.wrong += r.wrong;
        all.errors += r.errors;
        all.sessions += r.sessions;
        for (const auto &s : r.samples)
            if (all.samples.size() < 10) all.samples.push_back(s);
    }
    std::sort(all.latencies_us.begin(), all.latencies_us.end());
    const auto &lat = all.latencies_us;
    long sent = static_cast<long>(lat.size());
    double rate = seconds > 0 ? static_cast<double>(sent) / seconds : 0;
    double p50 = percentile(lat, 50) / 1000, p90 = percentile(lat, 90) / 1000, p99 = percentile(lat, 99) / 1000;
    double max = lat.empty() ? 0 : lat.back() / 1000;
    if (opts.json) {
        std::printf(
            "{\"messages\":%ld,\"sessions\":%ld,\"seconds\":%.3f,\"msgs_per_s\":%.1f,"
            "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"replies\":{",
            sent, all.sessions, seconds, rate, p50, p90, p99, max);
        const char *sep = "";
        for (const auto &[code, count] : all.replies) {
            std::printf("%s\"%s\":%ld", sep, code.c_str(), count);
            sep = ",";
        }
        std::printf("},\"wrong\":%ld,\"errors\":%ld}\n", all.wrong, all.errors);
    } else {
        std::printf("messages %ld in %ld sessions in %.3f s: %.1f msgs/s\n", sent, all.sessions, seconds, rate);
        std::printf("latency ms p50 %.3f p90 %.3f p99 %.3f max %.3f\n", p50, p90, p99, max);
        for (const auto &[code, count] : all.replies) std::printf("reply %s %ld\n", code.c_str(), count);
        std::printf("wrong %ld errors %ld\n", all.wrong, all.errors);
    }
    for (const auto &s : all.samples) std::fprintf(stderr, "smtp-load: %s\n", s.c_str());
    return all.wrong == 0 && all.errors == 0 && sent == opts.total ? 0 : 1;
}
