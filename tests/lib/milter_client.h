// MTA side of the milter protocol (version 6), to drive a filter from tests and benchmarks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace milter_client {

// SMTP stages a macro set belongs to; sent as SMFIC_MACRO before that stage's command.
enum class Stage { connect, helo, mail, rcpt, data, eoh, eom };

// Parses "connect", "helo", "mail", "rcpt", "data", "eoh" or "eom"; false if unknown.
bool parse_stage(const std::string &text, Stage &stage);

// Ordered name/value pairs; names as the MTA spells them ("i", "{auth_authen}").
using Macros = std::vector<std::pair<std::string, std::string>>;

struct Reply {
    enum class Kind { continue_, accept, reject, tempfail, discard, replycode, skip };
    Kind kind = Kind::continue_;
    std::string text;  // replycode only: "550 5.7.1 text" as the filter sent it

    bool is_continue() const { return kind == Kind::continue_ || kind == Kind::skip; }
};

// "continue", "accept", "reject", "tempfail", "discard", "replycode", "skip".
const char *kind_name(Reply::Kind kind);

// One change the filter requested at end of message, in the order it was sent.
struct Modification {
    enum class Kind {
        add_header,
        insert_header,
        change_header,
        add_rcpt,
        add_rcpt_par,
        delete_rcpt,
        change_from,
        replace_body,
        quarantine
    };
    Kind kind = Kind::add_header;
    std::uint32_t index = 0;  // insert_header (0 = top) and change_header (1 = first)
    std::string name;         // header name
    std::string value;        // header value; an empty change_header value deletes
    std::string address;      // add_rcpt, add_rcpt_par, delete_rcpt, change_from
    std::string args;         // ESMTP args of add_rcpt_par and change_from, if any
    std::string data;         // replace_body: the whole new body; quarantine: reason
};

struct EomResult {
    Reply reply;
    std::vector<Modification> modifications;
};

// What the filter agreed to in SMFIC_OPTNEG.
struct Negotiated {
    std::uint32_t version = 0;
    std::uint32_t actions = 0;                      // SMFIF_* the filter may use
    std::uint32_t protocol = 0;                     // SMFIP_* steps to leave out, replies to skip, extras
    std::map<std::uint32_t, std::string> symlists;  // SMFIM_* stage -> macro names
};

struct Recipient {
    std::string address;  // sent verbatim, so include the angle brackets
    std::vector<std::string> args;
};

struct Header {
    std::string name;
    std::string value;  // the text after the colon, as in the message
};

struct Message {
    std::map<Stage, Macros> macros;  // mail, rcpt, data, eoh and eom are used here
    std::string sender;              // sent verbatim, so include the angle brackets
    std::vector<std::string> sender_args;
    std::vector<Recipient> recipients;
    std::vector<Header> headers;
    std::string body;  // on-the-wire form, i.e. CRLF line ends
};

struct StepReply {
    std::string step;  // "mail", "rcpt <a@b>", "data", "header Subject", "eoh", "body"...
    Reply reply;
};

struct MessageResult {
    std::vector<StepReply> step_replies;  // replies other than continue, before EOM
    std::vector<Modification> modifications;
    Reply final_reply;  // the filter's decision on the message
    bool reached_eom = false;
};

// Every action and protocol bit an MTA can offer in version 6, as Postfix does.
extern const std::uint32_t all_actions;
extern const std::uint32_t all_protocol;

// One connection to a filter. A step the filter negotiated away (SMFIP_NO*) is not sent
// and one it will not answer (SMFIP_NR_*) is not waited for; both return continue.
// Errors (I/O, timeout, protocol violation) throw std::runtime_error naming the step
// that failed; the connection is then unusable.
class Client {
public:
    // socket: "unix:/path", "local:/path", "inet:PORT@HOST" or "inet6:PORT@HOST".
    explicit Client(const std::string &socket, int timeout_ms = 10000);
    ~Client();
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    const Negotiated &negotiate(std::uint32_t actions = all_actions, std::uint32_t protocol = all_protocol);
    const Negotiated &negotiated() const { return negotiated_; }

    // The family follows from the address: '4', '6', 'L' for a path, 'U' when empty.
    Reply connect_info(const std::string &hostname, const std::string &address, std::uint16_t port,
                       const Macros &macros = {});
    Reply helo(const std::string &name, const Macros &macros = {});
    Reply mail_from(const std::string &sender, const std::vector<std::string> &args = {}, const Macros &macros = {});
    Reply rcpt_to(const std::string &recipient, const std::vector<std::string> &args = {}, const Macros &macros = {});
    Reply data(const Macros &macros = {});
    // value is the text after the colon; one leading space is dropped unless the
    // filter asked for SMFIP_HDR_LEADSPC, as Postfix and Sendmail do.
    Reply header(const std::string &name, const std::string &value);
    Reply end_of_headers(const Macros &macros = {});
    // Sends the body in chunks of at most 65535 bytes; stops early on SMFIR_SKIP.
    Reply body(const std::string &body);
    EomResult end_of_message(const Macros &macros = {});
    void abort();  // ends the message so the next MAIL FROM can start
    void quit();   // sends SMFIC_QUIT and closes the connection

    // Connect or HELO verdict other than continue: it applies to every message.
    const std::optional<Reply> &session_verdict() const { return session_verdict_; }

    // MAIL .. EOM plus the ABORT that resets the filter for the next message.
    MessageResult run_message(const Message &message);

private:
    struct Packet {
        char command;
        std::string data;
    };

    Reply step(char command, const std::string &payload, std::uint32_t no_step, std::uint32_t no_reply,
               const Macros &macros, const char *what);
    Reply note_session(const Reply &reply);
    void send_macros(char command, const Macros &macros);
    void send_packet(char command, const std::string &payload, const char *what);
    Packet read_packet(const char *what);
    void read_exact(char *data, std::size_t size, long long deadline_ms, const char *what);
    bool has_flag(std::uint32_t flag) const { return (negotiated_.protocol & flag) != 0; }

    int fd_ = -1;
    int timeout_ms_;
    Negotiated negotiated_;
    std::optional<Reply> session_verdict_;
};

}  // namespace milter_client
