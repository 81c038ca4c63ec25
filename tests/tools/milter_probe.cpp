// milter-probe: runs SMTP transactions against a milter and prints its replies and modifications.
#include "cli_args.h"
#include "milter_client.h"

#include <libmilter/mfdef.h>

#include <getopt.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

namespace mc = milter_client;

namespace {

const char usage_text[] = R"(usage: milter-probe --socket SOCK --from ADDR --rcpt ADDR [option...]
  --socket SOCK             unix:/path, inet:PORT@HOST or inet6:PORT@HOST
  --timeout SEC             connect and per-reply timeout (default 10)
  --client-name NAME        SMTP client host name for the connect step (default localhost)
  --client-addr ADDR        SMTP client address (default 127.0.0.1)
  --client-port PORT        SMTP client port (default 25000)
  --helo NAME               HELO name (default localhost)
  --macro STAGE:NAME=VALUE  macro sent before a step; STAGE is connect, helo, mail,
                            rcpt, data, eoh or eom (repeatable)
  --from ADDR               envelope sender; angle brackets are added if missing
  --from-arg ARG            ESMTP argument of MAIL FROM, e.g. RET=HDRS (repeatable)
  --rcpt ADDR               envelope recipient (repeatable)
  --header 'Name: value'    header; the value is the text after the colon (repeatable)
  --header-escaped 'N: v'   same, interpreting \r \n \t \0 \\ (folded headers, bare CR, NUL)
  --body TEXT               body; every line is sent CRLF-terminated
  --body-escaped TEXT       body with the escapes above interpreted, sent byte for byte
  --messages N              send the message N times on one connection (default 1)
  --not-offer MASK          protocol bits (SMFIP_*, hexadecimal) to leave out of the
                            offer, e.g. 0x5080 for an MTA without SMFIP_NR_CONN/MAIL/HDR
  --verbose                 negotiation results and replaced bodies on stderr
Output per message ("message N" first when N > 1): "STEP: REPLY" for each reply other
than continue, then one line per modification (addheader, insheader, chgheader, delheader,
addrcpt, addrcpt_par, delrcpt, chgfrom, replbody, quarantine), then "result REPLY".
Control characters and backslashes in printed values appear as \r \n \t \\ \xHH.
Exit status: 0 when the exchange completed, 1 on a connection or protocol error, 2 on
a usage error.
)";

struct Options {
    std::string socket;
    int timeout_ms = 10000;
    std::string client_name = "localhost";
    std::string client_addr = "127.0.0.1";
    std::uint16_t client_port = 25000;
    std::string helo = "localhost";
    mc::Macros connect_macros;
    mc::Macros helo_macros;
    mc::Message message;
    int messages = 1;
    std::uint32_t not_offered = 0;
    bool verbose = false;
    bool help = false;
};

std::string unescape(const std::string &text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        char next = i + 1 < text.size() ? text[++i] : '\0';
        switch (next) {
        case 'r': out += '\r'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case '0': out += '\0'; break;
        case '\\': out += '\\'; break;
        default: throw UsageError("unknown escape in \"" + text + "\" (use \\r \\n \\t \\0 \\\\)");
        }
    }
    return out;
}

// Output is line-oriented, so values must not break lines or hide bytes.
std::string escape(const std::string &text) {
    std::string out;
    for (unsigned char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

mc::Header parse_header(const std::string &text) {
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        throw UsageError("header needs the form 'Name: value': " + escape(text));
    return {text.substr(0, colon), text.substr(colon + 1)};
}

// MTAs hand the body to milters with CRLF line ends, including the last line.
std::string crlf_body(const std::string &text) {
    std::string out;
    for (char c : text) {
        if (c == '\n' && (out.empty() || out.back() != '\r')) out += '\r';
        out += c;
    }
    if (!out.empty() && out.back() != '\n') out += "\r\n";
    return out;
}

std::string bracketed(const std::string &address) {
    return !address.empty() && address[0] == '<' ? address : "<" + address + ">";
}

void add_macro(Options &opts, const std::string &spec) {
    auto colon = spec.find(':');
    auto equals = spec.find('=', colon == std::string::npos ? 0 : colon);
    mc::Stage stage;
    if (colon == std::string::npos || equals == std::string::npos || equals == colon + 1 ||
        !mc::parse_stage(spec.substr(0, colon), stage))
        throw UsageError("macro needs the form STAGE:NAME=VALUE with a known STAGE: " + spec);
    std::pair<std::string, std::string> macro{spec.substr(colon + 1, equals - colon - 1), spec.substr(equals + 1)};
    if (stage == mc::Stage::connect)
        opts.connect_macros.push_back(macro);
    else if (stage == mc::Stage::helo)
        opts.helo_macros.push_back(macro);
    else
        opts.message.macros[stage].push_back(macro);
}

std::uint32_t parse_mask(const std::string &arg) {
    std::size_t used = 0;
    unsigned long mask = 0;
    try {
        mask = std::stoul(arg, &used, 16);
    } catch (const std::exception &) {
        used = 0;
    }
    if (arg.empty() || used != arg.size() || mask > 0xffffffffUL)
        throw UsageError("not-offer needs a hexadecimal mask: " + arg);
    return static_cast<std::uint32_t>(mask);
}

Options parse_args(int argc, char **argv) {
    enum {
        socket_opt = 1,
        timeout,
        client_name,
        client_addr,
        client_port,
        helo,
        macro,
        from,
        from_arg,
        rcpt,
        header,
        header_escaped,
        body,
        body_escaped,
        messages,
        not_offer,
        verbose,
        help
    };
    static const option long_options[] = {{"socket", required_argument, nullptr, socket_opt},
                                          {"timeout", required_argument, nullptr, timeout},
                                          {"client-name", required_argument, nullptr, client_name},
                                          {"client-addr", required_argument, nullptr, client_addr},
                                          {"client-port", required_argument, nullptr, client_port},
                                          {"helo", required_argument, nullptr, helo},
                                          {"macro", required_argument, nullptr, macro},
                                          {"from", required_argument, nullptr, from},
                                          {"from-arg", required_argument, nullptr, from_arg},
                                          {"rcpt", required_argument, nullptr, rcpt},
                                          {"header", required_argument, nullptr, header},
                                          {"header-escaped", required_argument, nullptr, header_escaped},
                                          {"body", required_argument, nullptr, body},
                                          {"body-escaped", required_argument, nullptr, body_escaped},
                                          {"messages", required_argument, nullptr, messages},
                                          {"not-offer", required_argument, nullptr, not_offer},
                                          {"verbose", no_argument, nullptr, verbose},
                                          {"help", no_argument, nullptr, help},
                                          {nullptr, 0, nullptr, 0}};
    Options opts;
    bool have_from = false;
    opterr = 0;  // report unknown options ourselves, with the usage text
    for (int opt; (opt = getopt_long(argc, argv, "", long_options, nullptr)) != -1;) {
        std::string arg = optarg ? optarg : "";
        switch (opt) {
        case socket_opt: opts.socket = arg; break;
        case timeout: opts.timeout_ms = static_cast<int>(parse_number(arg, "timeout", 1, 3600) * 1000); break;
        case client_name: opts.client_name = arg; break;
        case client_addr: opts.client_addr = arg; break;
        case client_port:
            opts.client_port = static_cast<std::uint16_t>(parse_number(arg, "client-port", 0, 65535));
            break;
        case helo: opts.helo = arg; break;
        case macro: add_macro(opts, arg); break;
        case from:
            opts.message.sender = bracketed(arg);
            have_from = true;
            break;
        case from_arg: opts.message.sender_args.push_back(arg); break;
        case rcpt: opts.message.recipients.push_back({bracketed(arg), {}}); break;
        case header: opts.message.headers.push_back(parse_header(arg)); break;
        case header_escaped: opts.message.headers.push_back(parse_header(unescape(arg))); break;
        case body: opts.message.body = crlf_body(arg); break;
        case body_escaped: opts.message.body = unescape(arg); break;
        case messages: opts.messages = static_cast<int>(parse_number(arg, "messages", 1, 1000000)); break;
        case not_offer: opts.not_offered = parse_mask(arg); break;
        case verbose: opts.verbose = true; break;
        case help: opts.help = true; return opts;
        default: throw UsageError(std::string("unknown option or missing argument: ") + argv[optind - 1]);
        }
    }
    if (optind < argc) throw UsageError(std::string("unexpected argument: ") + argv[optind]);
    if (opts.socket.empty() || !have_from || opts.message.recipients.empty())
        throw UsageError("--socket, --from and at least one --rcpt are required");
    return opts;
}

// "replycode 550 5.7.1 text": the filter's "550 5.7.1 text" with its three parts separated
// by single spaces; the enhanced code is left out when the filter gave none.
std::string format_reply(const mc::Reply &reply) {
    std::string out = mc::kind_name(reply.kind);
    if (reply.kind != mc::Reply::Kind::replycode) return out;
    std::string code = reply.text.substr(0, 3);
    std::string rest = reply.text.size() > 4 ? reply.text.substr(4) : "";
    auto space = rest.find(' ');
    std::string first = rest.substr(0, space);
    // An enhanced status code looks like 5.7.1, its class matching the reply code's.
    bool enhanced = first.size() >= 5 && first[0] == code[0] && first[1] == '.' &&
                    first.find_first_not_of("0123456789.") == std::string::npos;
    std::string text = !enhanced ? rest : space == std::string::npos ? "" : rest.substr(space + 1);
    for (const std::string &part : {code, enhanced ? first : "", text})
        if (!part.empty()) out += " " + escape(part);
    return out;
}

void print_modification(const mc::Modification &mod, bool leading_space, bool verbose) {
    using Kind = mc::Modification::Kind;
    // Without SMFIP_HDR_LEADSPC the MTA itself puts a space after the colon.
    std::string header = escape(mod.name) + (leading_space ? ":" : ": ") + escape(mod.value);
    std::string args = mod.args.empty() ? "" : " " + escape(mod.args);
    switch (mod.kind) {
    case Kind::add_header: std::cout << "addheader " << header << '\n'; break;
    case Kind::insert_header: std::cout << "insheader " << mod.index << ' ' << header << '\n'; break;
    case Kind::change_header:
        std::cout << "chgheader " << escape(mod.name) << ' ' << mod.index << ' ' << escape(mod.value) << '\n';
        if (mod.value.empty()) std::cout << "delheader " << escape(mod.name) << ' ' << mod.index << '\n';
        break;
    case Kind::add_rcpt: std::cout << "addrcpt " << escape(mod.address) << '\n'; break;
    case Kind::add_rcpt_par: std::cout << "addrcpt_par " << escape(mod.address) << args << '\n'; break;
    case Kind::delete_rcpt: std::cout << "delrcpt " << escape(mod.address) << '\n'; break;
    case Kind::change_from: std::cout << "chgfrom " << escape(mod.address) << args << '\n'; break;
    case Kind::replace_body:
        std::cout << "replbody " << mod.data.size() << " bytes\n";
        if (verbose) std::cerr << "replaced body: " << escape(mod.data) << '\n';
        break;
    case Kind::quarantine: std::cout << "quarantine " << escape(mod.data) << '\n'; break;
    }
}

void print_step(const std::string &step, const mc::Reply &reply) {
    if (!reply.is_continue()) std::cout << step << ": " << format_reply(reply) << '\n';
}

void print_negotiation(const mc::Negotiated &negotiated) {
    std::fprintf(stderr, "negotiated version %u actions 0x%x protocol 0x%x\n", negotiated.version, negotiated.actions,
                 negotiated.protocol);
    for (const auto &[stage, names] : negotiated.symlists)
        std::fprintf(stderr, "symlist %u %s\n", stage, names.c_str());
}

void run(const Options &opts) {
    mc::Client client(opts.socket, opts.timeout_ms);
    const mc::Negotiated &negotiated = client.negotiate(mc::all_actions, mc::all_protocol & ~opts.not_offered);
    if (opts.verbose) print_negotiation(negotiated);
    bool leading_space = (negotiated.protocol & SMFIP_HDR_LEADSPC) != 0;
    print_step("connect",
               client.connect_info(opts.client_name, opts.client_addr, opts.client_port, opts.connect_macros));
    if (!client.session_verdict()) print_step("helo", client.helo(opts.helo, opts.helo_macros));
    for (int n = 1; n <= opts.messages; ++n) {
        if (opts.messages > 1) std::cout << "message " << n << '\n';
        mc::MessageResult result = client.run_message(opts.message);
        for (const auto &step : result.step_replies) print_step(escape(step.step), step.reply);
        for (const auto &mod : result.modifications) print_modification(mod, leading_space, opts.verbose);
        std::cout << "result " << format_reply(result.final_reply) << '\n';
    }
    client.quit();
}

}  // namespace

int main(int argc, char **argv) {
    Options opts;
    try {
        opts = parse_args(argc, argv);
    } catch (const UsageError &error) {
        std::cerr << "milter-probe: " << error.what() << '\n' << usage_text;
        return 2;
    }
    if (opts.help) {
        std::cout << usage_text;
        return 0;
    }
    try {
        run(opts);
    } catch (const std::exception &error) {
        std::cout.flush();  // keep whatever was printed before the failure in front of the error
        std::cerr << "milter-probe: " << error.what() << '\n';
        return 1;
    }
    return 0;
}
