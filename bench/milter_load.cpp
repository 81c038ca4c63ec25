// milter-load: drives a milter with many concurrent MTA-side connections and reports
// throughput, latency percentiles and whether every reply was the one expected.
//
// Each worker thread opens a connection (negotiate, connect, HELO as Postfix does), sends
// up to --messages-per-connection messages, quits, and opens the next one until --total
// messages are sent. A message's latency runs from MAIL FROM to the reply to end of
// message. Every reply is checked against the mix entry it was drawn from, so a fast
// wrong answer is a failure: the exit status is 1 when any reply was wrong or any
// exchange failed.
//
// Users come from tests/integration/fixture.ldif (alice, bob, dave, eve), or, with
// --users N, from a generated directory that --print-fixture writes
// (generated_directory.h), so that a cold cache sees many distinct users.
#include <getopt.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "generated_directory.h"
#include "load_common.h"
#include "milter_client.h"

namespace mc = milter_client;

namespace {

const char usage_text[] = R"(usage: milter-load --socket SOCK [option...]
       milter-load --print-fixture --users N [--mailboxes S] [--deep-groups]
  --socket SOCK                   unix:/path, inet:PORT@HOST or inet6:PORT@HOST
  --connections C                 concurrent connections, one thread each (default 8)
  --messages-per-connection M     messages per milter connection (default 10)
  --total N                       messages in all (default C * M)
  --mix own:W,send-as:W,behalf:W,denied:W
                                  relative weights of the kinds of message (default 1 each)
  --users N                       use the first N generated users (see --print-fixture)
                                  instead of the fixture's alice, bob, dave and eve
  --mailboxes S                   shared mailboxes of the generated directory (default 50)
  --sequential-users              message k is sent by generated user (k / R + offset) mod N,
                                  so a run of at most N * R messages has R per user
  --messages-per-user R           R for --sequential-users (default 1): consecutive
                                  messages, so a user's R are in flight at once
  --user-offset K                 first generated user for --sequential-users (default 0)
  --expect policy|accept          check replies against sendas-milter's policy (default),
                                  or expect a plain accept for every message (null-milter)
  --seed S                        random seed of the mix (default 1)
  --timeout SEC                   connect and per-reply timeout (default 10)
  --json                          print the report as one JSON object
  --print-fixture                 print the LDIF of the generated directory and exit
  --deep-groups                   with --print-fixture: Send As through three levels of
                                  groups, and groups of up to 5,000 members (bench/scale)
Mix kinds and their expected replies (fixture users; generated user i the same way on
shared mailbox i mod S, (i+1) mod S and (i+2) mod S):
  own      alice as alice@, bob as bob.b@, dave as dave@     accept, no change
  send-as  alice as support@ (through a nested group)        accept, Sent copy, no Sender:
  behalf   bob as support@, dave as boss@                    accept, Sender: set, Sent copy
  denied   eve as support@, eve as boss@                     550 5.7.1
Exit status: 0 all replies as expected, 1 a wrong reply or a failed exchange, 2 usage.
)";

struct Options {
    std::string socket;
    int connections = 8;
    long per_connection = 10;
    long total = 0;
    double weights[kind_count] = {1, 1, 1, 1};
    long users = 0;
    long mailboxes = 50;
    bool sequential = false;
    long per_user = 1;
    long offset = 0;
    bool expect_policy = true;
    std::uint64_t seed = 1;
    int timeout_ms = 10000;
    bool json = false;
    bool print_fixture = false;
    bool deep_groups = false;
    bool help = false;
};

// One message to send and what the reply must be.
struct Case {
    Kind kind;
    std::string login;
    std::string own_address;  // envelope sender
    std::string mailbox;      // the From: address
};

const char domain[] = "example.com";

Case named_case(Kind kind, unsigned pick) {
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

// Generated user i: Send As on shared (i mod S) through group bteam(i mod S), Send on
// Behalf on shared ((i+1) mod S) directly, nothing on shared ((i+2) mod S).
Case generated_case(Kind kind, long user, long mailboxes) {
    std::string login = generated_login(user);
    std::string own = login + "@" + domain;
    long shift = kind == Kind::send_as ? 0 : kind == Kind::behalf ? 1 : 2;
    if (kind == Kind::own) return {kind, login, own, own};
    return {kind, login, own, generated_mailbox((user + shift) % mailboxes) + "@" + domain};
}

// --- checking ---------------------------------------------------------------

std::string sent_copy_of(const std::string &mailbox) {
    auto at = mailbox.find('@');
    return "<" + mailbox.substr(0, at) + "+Sent" + mailbox.substr(at) + ">";
}

// Empty when the result is what sendas-milter's policy gives for the case.
std::string check_policy(const Case &c, const mc::MessageResult &result) {
    using MK = mc::Modification::Kind;
    const mc::Reply &reply = result.final_reply;
    bool sender_set = false, sender_removed = false, copy = false;
    for (const auto &mod : result.modifications) {
        if ((mod.kind == MK::add_header || mod.kind == MK::insert_header || mod.kind == MK::change_header) &&
            mod.name == "Sender")
            (mod.value.empty() ? sender_removed : sender_set) = true;
        if (mod.kind == MK::add_rcpt_par && mod.address == sent_copy_of(c.mailbox) && mod.args == "NOTIFY=NEVER")
            copy = true;
    }
    if (c.kind == Kind::denied) {
        if (reply.kind == mc::Reply::Kind::replycode && reply.text.rfind("550 5.7.1", 0) == 0) return "";
        return "expected 550 5.7.1";
    }
    if (reply.kind != mc::Reply::Kind::accept) return "expected accept";
    switch (c.kind) {
    case Kind::own:
        if (!result.modifications.empty()) return "expected no change";
        break;
    case Kind::send_as:
        if (!copy || sender_set || sender_removed || result.modifications.size() != 1)
            return "expected exactly the Sent copy " + sent_copy_of(c.mailbox);
        break;
    case Kind::behalf:
        if (!copy || !sender_set || result.modifications.size() != 2)
            return "expected Sender: set and the Sent copy " + sent_copy_of(c.mailbox);
        break;
    case Kind::denied: break;
    }
    return "";
}

std::string check_accept(const mc::MessageResult &result) {
    return result.final_reply.kind == mc::Reply::Kind::accept ? "" : "expected accept";
}

std::string describe(const mc::MessageResult &result) {
    std::string out = mc::kind_name(result.final_reply.kind);
    if (!result.final_reply.text.empty()) out += " " + result.final_reply.text;
    out += " (" + std::to_string(result.modifications.size()) + " changes)";
    return out;
}

// The reply's name for the counts: "accept", "replycode 550", "tempfail"...
std::string reply_label(const mc::Reply &reply) {
    std::string label = mc::kind_name(reply.kind);
    if (reply.kind == mc::Reply::Kind::replycode) label += " " + reply.text.substr(0, 3);
    return label;
}

// --- the run ----------------------------------------------------------------

struct WorkerResult {
    std::vector<double> latencies_us;
    std::map<std::string, long> replies;
    std::map<std::string, long> by_kind;
    long wrong = 0;
    long errors = 0;
    long connections = 0;
    std::vector<std::string> samples;  // first few failures, for the report
    std::set<std::string> users;
    std::set<std::string> pairs;  // login and mailbox of messages that need a rights lookup
};

class Run {
public:
    explicit Run(const Options &opts) : opts_(opts) {
        double sum = 0;
        for (double w : opts.weights) sum += w;
        double acc = 0;
        for (int k = 0; k < kind_count; ++k) {
            acc += opts.weights[k] / sum;
            cumulative_[k] = acc;
        }
    }

    void worker(int index, WorkerResult &out) {
        std::mt19937_64 rng(opts_.seed * 1000003 + static_cast<std::uint64_t>(index));
        std::uniform_real_distribution<double> unit(0, 1);
        long qid = 0;
        while (next_ < opts_.total) {
            try {
                mc::Client client(opts_.socket, opts_.timeout_ms);
                ++out.connections;
                client.negotiate();
                client.connect_info("client.example.net", "127.0.0.1", 40000 + static_cast<std::uint16_t>(index),
                                    {{"j", "mail.example.com"}, {"{daemon_name}", "bench"}, {"v", "Postfix 3.7.11"}});
                client.helo("client.example.net");
                for (long n = 0; n < opts_.per_connection; ++n) {
                    long seq = next_.fetch_add(1);
                    if (seq >= opts_.total) break;
                    Case c = draw(seq, unit(rng), rng());
                    mc::Message message = build(c, index, ++qid);
                    auto start = std::chrono::steady_clock::now();
                    mc::MessageResult result = client.run_message(message);
                    auto end = std::chrono::steady_clock::now();
                    out.latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
                    ++out.replies[reply_label(result.final_reply)];
                    ++out.by_kind[kind_names[static_cast<int>(c.kind)]];
                    out.users.insert(c.login);
                    if (c.kind != Kind::own) out.pairs.insert(c.login + " " + c.mailbox);
                    std::string problem = opts_.expect_policy ? check_policy(c, result) : check_accept(result);
                    if (!problem.empty()) {
                        ++out.wrong;
                        if (out.samples.size() < 5)
                            out.samples.push_back(c.login + " as " + c.mailbox + " (" +
                                                  kind_names[static_cast<int>(c.kind)] + "): " + problem + ", got " +
                                                  describe(result));
                    }
                }
                client.quit();
            } catch (const std::exception &e) {
                ++out.errors;
                if (out.samples.size() < 5) out.samples.push_back(std::string("exchange failed: ") + e.what());
                // A milter that fails every exchange must not keep this loop spinning.
                if (out.errors > 100) return;
            }
        }
    }

private:
    Case draw(long seq, double x, std::uint64_t pick) const {
        int k = 0;
        while (k < kind_count - 1 && x >= cumulative_[k]) ++k;
        Kind kind = static_cast<Kind>(k);
        if (opts_.users == 0) return named_case(kind, static_cast<unsigned>(pick >> 7));
        long user = opts_.sequential ? (seq / opts_.per_user + opts_.offset) % opts_.users
                                     : static_cast<long>(pick % static_cast<std::uint64_t>(opts_.users));
        return generated_case(kind, user, opts_.mailboxes);
    }

    static mc::Message build(const Case &c, int worker, long n) {
        char qid[32];
        std::snprintf(qid, sizeof qid, "B%02X%07lX", worker & 0xff, n);
        mc::Message m;
        m.macros[mc::Stage::mail] = {{"i", qid}, {"{auth_type}", "PLAIN"}, {"{auth_authen}", c.login}};
        m.macros[mc::Stage::eom] = {{"i", qid}};
        m.sender = "<" + c.own_address + ">";
        m.recipients.push_back({"<friend@example.org>", {}});
        m.headers = {{"From", " Someone <" + c.mailbox + ">"},
                     {"To", " Friend <friend@example.org>"},
                     {"Subject", " benchmark message " + std::string(qid)},
                     {"Date", " Thu, 27 Nov 2025 12:00:00 +0000"},
                     {"Message-ID", " <" + std::string(qid) + "@client.example.net>"},
                     {"MIME-Version", " 1.0"},
                     {"Content-Type", " text/plain; charset=us-ascii"}};
        m.body = "Hello,\r\n\r\nthis is a benchmark message.\r\n";
        return m;
    }

    const Options &opts_;
    double cumulative_[kind_count];
    std::atomic<long> next_{0};
};

std::string json_string(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c < 0x20) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\u%04x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

int report(const Options &opts, WorkerResult &all, double seconds) {
    std::sort(all.latencies_us.begin(), all.latencies_us.end());
    const auto &lat = all.latencies_us;
    long sent = static_cast<long>(lat.size());
    double rate = seconds > 0 ? static_cast<double>(sent) / seconds : 0;
    double p50 = percentile(lat, 50) / 1000, p90 = percentile(lat, 90) / 1000, p99 = percentile(lat, 99) / 1000;
    double max = lat.empty() ? 0 : lat.back() / 1000;
    if (opts.json) {
        std::printf(
            "{\"messages\":%ld,\"connections\":%d,\"milter_connections\":%ld,\"seconds\":%.3f,"
            "\"msgs_per_s\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
            sent, opts.connections, all.connections, seconds, rate, p50, p90, p99, max);
        std::printf("\"replies\":{");
        const char *sep = "";
        for (const auto &[label, count] : all.replies) {
            std::printf("%s%s:%ld", sep, json_string(label).c_str(), count);
            sep = ",";
        }
        std::printf("},\"kinds\":{");
        sep = "";
        for (const auto &[label, count] : all.by_kind) {
            std::printf("%s%s:%ld", sep, json_string(label).c_str(), count);
            sep = ",";
        }
        std::printf(
            "},\"distinct_users\":%zu,\"rights_pairs\":%zu,\"wrong\":%ld,\"errors\":%ld,"
            "\"failures\":[",
            all.users.size(), all.pairs.size(), all.wrong, all.errors);
        sep = "";
        for (const auto &s : all.samples) {
            std::printf("%s%s", sep, json_string(s).c_str());
            sep = ",";
        }
        std::printf("]}\n");
    } else {
        std::printf("messages %ld over %d connections (%ld milter connections) in %.3f s\n", sent, opts.connections,
                    all.connections, seconds);
        std::printf("throughput %.1f msgs/s\n", rate);
        std::printf("latency ms p50 %.3f p90 %.3f p99 %.3f max %.3f\n", p50, p90, p99, max);
        for (const auto &[label, count] : all.replies) std::printf("reply %s %ld\n", label.c_str(), count);
        for (const auto &[label, count] : all.by_kind) std::printf("kind %s %ld\n", label.c_str(), count);
        std::printf("distinct users %zu, user/mailbox pairs needing a rights lookup %zu\n", all.users.size(),
                    all.pairs.size());
        std::printf("wrong %ld errors %ld\n", all.wrong, all.errors);
    }
    for (const auto &s : all.samples) std::fprintf(stderr, "milter-load: %s\n", s.c_str());
    bool complete = sent == opts.total;
    if (!complete) std::fprintf(stderr, "milter-load: only %ld of %ld messages were sent\n", sent, opts.total);
    return all.wrong == 0 && all.errors == 0 && complete ? 0 : 1;
}

// --- options ----------------------------------------------------------------

Options parse_args(int argc, char **argv) {
    enum {
        socket_opt = 1,
        connections,
        per_connection,
        total,
        mix,
        users,
        mailboxes,
        sequential,
        per_user,
        offset,
        expect,
        seed,
        timeout,
        json,
        fixture,
        deep,
        help
    };
    static const option long_options[] = {{"socket", required_argument, nullptr, socket_opt},
                                          {"connections", required_argument, nullptr, connections},
                                          {"messages-per-connection", required_argument, nullptr, per_connection},
                                          {"total", required_argument, nullptr, total},
                                          {"mix", required_argument, nullptr, mix},
                                          {"users", required_argument, nullptr, users},
                                          {"mailboxes", required_argument, nullptr, mailboxes},
                                          {"sequential-users", no_argument, nullptr, sequential},
                                          {"messages-per-user", required_argument, nullptr, per_user},
                                          {"user-offset", required_argument, nullptr, offset},
                                          {"expect", required_argument, nullptr, expect},
                                          {"seed", required_argument, nullptr, seed},
                                          {"timeout", required_argument, nullptr, timeout},
                                          {"json", no_argument, nullptr, json},
                                          {"print-fixture", no_argument, nullptr, fixture},
                                          {"deep-groups", no_argument, nullptr, deep},
                                          {"help", no_argument, nullptr, help},
                                          {nullptr, 0, nullptr, 0}};
    Options opts;
    opterr = 0;
    for (int opt; (opt = getopt_long(argc, argv, "", long_options, nullptr)) != -1;) {
        std::string arg = optarg ? optarg : "";
        switch (opt) {
        case socket_opt: opts.socket = arg; break;
        case connections: opts.connections = static_cast<int>(parse_number(arg, "connections", 1, 4096)); break;
        case per_connection: opts.per_connection = parse_number(arg, "messages-per-connection", 1, 100000000); break;
        case total: opts.total = parse_number(arg, "total", 1, 1000000000); break;
        case mix: parse_mix(arg, opts.weights); break;
        case users: opts.users = parse_number(arg, "users", 1, 1000000); break;
        case mailboxes: opts.mailboxes = parse_number(arg, "mailboxes", 3, 100000); break;
        case sequential: opts.sequential = true; break;
        case per_user: opts.per_user = parse_number(arg, "messages-per-user", 1, 1000000); break;
        case offset: opts.offset = parse_number(arg, "user-offset", 0, 1000000000); break;
        case expect:
            if (arg != "policy" && arg != "accept") throw UsageError("--expect wants policy or accept");
            opts.expect_policy = arg == "policy";
            break;
        case seed: opts.seed = static_cast<std::uint64_t>(parse_number(arg, "seed", 0, 1L << 62)); break;
        case timeout: opts.timeout_ms = static_cast<int>(parse_number(arg, "timeout", 1, 3600) * 1000); break;
        case json: opts.json = true; break;
        case fixture: opts.print_fixture = true; break;
        case deep: opts.deep_groups = true; break;
        case help: opts.help = true; return opts;
        default: throw UsageError(std::string("unknown option or missing argument: ") + argv[optind - 1]);
        }
    }
    if (optind < argc) throw UsageError(std::string("unexpected argument: ") + argv[optind]);
    if (opts.print_fixture) {
        if (opts.users == 0) throw UsageError("--print-fixture needs --users N");
        if (opts.users < opts.mailboxes)
            throw UsageError("--users must be at least --mailboxes (every rights group needs a member)");
        return opts;
    }
    if (opts.sequential && opts.users == 0) throw UsageError("--sequential-users needs --users N");
    if (opts.socket.empty()) throw UsageError("--socket is required");
    if (opts.total == 0) opts.total = opts.connections * opts.per_connection;
    return opts;
}

}  // namespace

int main(int argc, char **argv) {
    Options opts;
    try {
        opts = parse_args(argc, argv);
    } catch (const UsageError &error) {
        std::cerr << "milter-load: " << error.what() << '\n' << usage_text;
        return 2;
    }
    if (opts.help) {
        std::cout << usage_text;
        return 0;
    }
    if (opts.print_fixture) {
        print_directory({opts.users, opts.mailboxes, opts.deep_groups}, std::cout);
        return 0;
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
        for (const auto &[label, count] : r.replies) all.replies[label] += count;
        for (const auto &[label, count] : r.by_kind) all.by_kind[label] += count;
        all.wrong += r.wrong;
        all.errors += r.errors;
        all.connections += r.connections;
        all.users.insert(r.users.begin(), r.users.end());
        all.pairs.insert(r.pairs.begin(), r.pairs.end());
        for (const auto &s : r.samples)
            if (all.samples.size() < 10) all.samples.push_back(s);
    }
    return report(opts, all, seconds);
}
