// MTA side of the milter protocol (version 6): socket, framing, negotiation, steps, EOM actions.
#include "milter_client.h"

#include <libmilter/mfapi.h>  // the wire constants, so they cannot drift from libmilter's

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

namespace milter_client {

const std::uint32_t all_actions = SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGHDRS |
                                  SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST;
const std::uint32_t all_protocol = SMFI_CURR_PROT;

namespace {

// Far above libmilter's largest data size (1 MB); only guards against a garbage length.
constexpr std::uint32_t max_packet_size = 16 * 1024 * 1024;

[[noreturn]] void fail(const std::string &what, const std::string &why) { throw std::runtime_error(what + ": " + why); }

std::string errno_text(const char *call) { return std::string(call) + ": " + std::strerror(errno); }

long long now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void put_u32(std::string &out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

std::uint32_t get_u32(const char *bytes) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    return value;
}

// Reads the fields of one reply, failing on truncation instead of reading past the end.
class Fields {
public:
    Fields(const std::string &data, std::string what) : data_(data), what_(std::move(what)) {}

    std::uint32_t u32() {
        if (data_.size() - pos_ < 4) fail(what_, "reply too short for a 32-bit field");
        std::uint32_t value = get_u32(data_.data() + pos_);
        pos_ += 4;
        return value;
    }
    std::string str() {
        auto end = data_.find('\0', pos_);
        if (end == std::string::npos) fail(what_, "string field not NUL-terminated");
        std::string field = data_.substr(pos_, end - pos_);
        pos_ = end + 1;
        return field;
    }
    bool done() const { return pos_ == data_.size(); }
    void finish() const {
        if (!done()) fail(what_, "unexpected trailing bytes in reply");
    }

private:
    const std::string &data_;
    std::string what_;
    std::size_t pos_ = 0;
};

// MAIL and RCPT carry an argv: the address, then each ESMTP argument, all NUL-terminated.
std::string argv_payload(const std::string &address, const std::vector<std::string> &args) {
    std::string payload = address + '\0';
    for (const auto &arg : args) payload += arg + '\0';
    return payload;
}

std::string reply_code_name(char command) {
    return std::isprint(static_cast<unsigned char>(command)) ? std::string("'") + command + "'"
                                                             : "byte " + std::to_string(+command);
}

void wait_for(int fd, short events, long long deadline_ms, const std::string &what) {
    for (;;) {
        long long left = deadline_ms - now_ms();
        if (left <= 0) fail(what, "timed out");
        pollfd pfd{fd, events, 0};
        int ready = ::poll(&pfd, 1, static_cast<int>(left));
        if (ready > 0) return;
        if (ready < 0 && errno != EINTR) fail(what, errno_text("poll"));
    }
}

// Closes the socket unless connecting succeeded.
struct PendingFd {
    int fd;
    ~PendingFd() {
        if (fd >= 0) ::close(fd);
    }
};

int connect_to(const sockaddr *addr, socklen_t len, int timeout_ms, const std::string &what) {
    PendingFd sock{::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (sock.fd < 0) fail(what, errno_text("socket"));
    long long deadline = now_ms() + timeout_ms;
    int rc;
    // A full unix-socket backlog gives EAGAIN where a blocking connect would wait: retry.
    while ((rc = ::connect(sock.fd, addr, len)) != 0 && errno == EAGAIN && now_ms() < deadline) ::poll(nullptr, 0, 10);
    if (rc != 0) {
        if (errno != EINPROGRESS) fail(what, errno_text("connect"));
        wait_for(sock.fd, POLLOUT, deadline, what);
        int error = 0;
        socklen_t error_len = sizeof error;
        ::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &error, &error_len);
        if (error != 0) fail(what, std::string("connect: ") + std::strerror(error));
    }
    return std::exchange(sock.fd, -1);
}

int open_socket(const std::string &socket, int timeout_ms) {
    const std::string what = "connect to " + socket;
    auto colon = socket.find(':');
    std::string transport = socket.substr(0, colon == std::string::npos ? 0 : colon);
    std::string endpoint = socket.substr(colon == std::string::npos ? 0 : colon + 1);
    if (transport == "unix" || transport == "local") {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (endpoint.empty() || endpoint.size() >= sizeof addr.sun_path) fail(what, "bad socket path");
        std::memcpy(addr.sun_path, endpoint.c_str(), endpoint.size() + 1);
        return connect_to(reinterpret_cast<sockaddr *>(&addr), sizeof addr, timeout_ms, what);
    }
    if (transport != "inet" && transport != "inet6")
        fail(what, "expected unix:PATH, inet:PORT@HOST or inet6:PORT@HOST");
    auto at = endpoint.find('@');
    std::string port = endpoint.substr(0, at);
    std::string host = at == std::string::npos ? "localhost" : endpoint.substr(at + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_family = transport == "inet6" ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) fail(what, gai_strerror(rc));
    std::unique_ptr<addrinfo, void (*)(addrinfo *)> addresses(found, ::freeaddrinfo);
    for (addrinfo *ai = found;; ai = ai->ai_next) {  // try each address the name resolves to
        try {
            return connect_to(ai->ai_addr, ai->ai_addrlen, timeout_ms, what);
        } catch (const std::runtime_error &) {
            if (ai->ai_next == nullptr) throw;
        }
    }
}

// Replies that end a step; false for anything else (progress, modifications).
bool decode_decision(char command, const std::string &data, Reply &reply, const std::string &what) {
    using Kind = Reply::Kind;
    static const std::map<char, Kind> kinds{{SMFIR_CONTINUE, Kind::continue_}, {SMFIR_ACCEPT, Kind::accept},
                                            {SMFIR_REJECT, Kind::reject},      {SMFIR_TEMPFAIL, Kind::tempfail},
                                            {SMFIR_DISCARD, Kind::discard},    {SMFIR_SKIP, Kind::skip},
                                            {SMFIR_REPLYCODE, Kind::replycode}};
    auto it = kinds.find(command);
    if (it == kinds.end()) return false;
    reply = Reply{it->second, {}};
    Fields fields(data, what);
    if (command == SMFIR_REPLYCODE) reply.text = fields.str();
    fields.finish();
    return true;
}

Modification decode_modification(char command, const std::string &data, const std::string &what) {
    Fields fields(data, what);
    Modification mod{};
    using Kind = Modification::Kind;
    switch (command) {
    case SMFIR_ADDHEADER:
        mod.kind = Kind::add_header;
        mod.name = fields.str();
        mod.value = fields.str();
        break;
    case SMFIR_INSHEADER:
    case SMFIR_CHGHEADER:
        mod.kind = command == SMFIR_INSHEADER ? Kind::insert_header : Kind::change_header;
        mod.index = fields.u32();
        mod.name = fields.str();
        mod.value = fields.str();
        break;
    case SMFIR_ADDRCPT:
    case SMFIR_DELRCPT:
        mod.kind = command == SMFIR_ADDRCPT ? Kind::add_rcpt : Kind::delete_rcpt;
        mod.address = fields.str();
        break;
    case SMFIR_ADDRCPT_PAR:
    case SMFIR_CHGFROM:
        mod.kind = command == SMFIR_CHGFROM ? Kind::change_from : Kind::add_rcpt_par;
        mod.address = fields.str();
        if (!fields.done()) mod.args = fields.str();  // absent when the filter passed NULL
        break;
    case SMFIR_QUARANTINE:
        mod.kind = Kind::quarantine;
        mod.data = fields.str();
        break;
    case SMFIR_REPLBODY:  // raw body bytes, not a string
        mod.kind = Kind::replace_body;
        mod.data = data;
        return mod;
    default: fail(what, "unexpected reply " + reply_code_name(command));
    }
    fields.finish();
    return mod;
}

}  // namespace

bool parse_stage(const std::string &text, Stage &stage) {
    static const char *const names[] = {"connect", "helo", "mail", "rcpt", "data", "eoh", "eom"};
    for (int i = 0; i < 7; ++i) {  // same order as Stage
        if (text == names[i]) {
            stage = static_cast<Stage>(i);
            return true;
        }
    }
    return false;
}

const char *kind_name(Reply::Kind kind) {
    static const char *const names[] = {"continue", "accept",    "reject", "tempfail",
                                        "discard",  "replycode", "skip"};  // same order as Kind
    return names[static_cast<int>(kind)];
}

Client::Client(const std::string &socket, int timeout_ms)
    : fd_(open_socket(socket, timeout_ms)), timeout_ms_(timeout_ms) {}

Client::~Client() {
    if (fd_ >= 0) ::close(fd_);
}

const Negotiated &Client::negotiate(std::uint32_t actions, std::uint32_t protocol) {
    std::string payload;
    put_u32(payload, SMFI_PROT_VERSION);
    put_u32(payload, actions);
    put_u32(payload, protocol);
    send_packet(SMFIC_OPTNEG, payload, "negotiate");
    Packet reply = read_packet("negotiate");
    if (reply.command != SMFIC_OPTNEG) fail("negotiate", "expected 'O', got " + reply_code_name(reply.command));
    Fields fields(reply.data, "negotiate");
    negotiated_.version = fields.u32();
    negotiated_.actions = fields.u32();
    negotiated_.protocol = fields.u32();
    if (negotiated_.version < 2 || negotiated_.version > SMFI_PROT_VERSION)
        fail("negotiate", "filter speaks unsupported version " + std::to_string(negotiated_.version));
    if ((negotiated_.actions & ~actions) != 0) fail("negotiate", "filter wants actions that were not offered");
    // Macro lists the filter wants (smfi_setsymlist): [uint32 stage][names\0] pairs.
    while (!fields.done()) {
        std::uint32_t stage = fields.u32();  // sequenced before reading the names
        negotiated_.symlists[stage] = fields.str();
    }
    return negotiated_;
}

Reply Client::connect_info(const std::string &hostname, const std::string &address, std::uint16_t port,
                           const Macros &macros) {
    char family = address.empty()                          ? SMFIA_UNKNOWN
                  : address[0] == '/'                      ? SMFIA_UNIX
                  : address.find(':') != std::string::npos ? SMFIA_INET6
                                                           : SMFIA_INET;
    std::string payload = hostname + '\0' + family;
    if (family != SMFIA_UNKNOWN) {
        payload += static_cast<char>(port >> 8);
        payload += static_cast<char>(port & 0xff);
        payload += address + '\0';
    }
    return note_session(step(SMFIC_CONNECT, payload, SMFIP_NOCONNECT, SMFIP_NR_CONN, macros, "connect"));
}

Reply Client::helo(const std::string &name, const Macros &macros) {
    return note_session(step(SMFIC_HELO, name + '\0', SMFIP_NOHELO, SMFIP_NR_HELO, macros, "helo"));
}

Reply Client::mail_from(const std::string &sender, const std::vector<std::string> &args, const Macros &macros) {
    return step(SMFIC_MAIL, argv_payload(sender, args), SMFIP_NOMAIL, SMFIP_NR_MAIL, macros, "mail");
}

Reply Client::rcpt_to(const std::string &recipient, const std::vector<std::string> &args, const Macros &macros) {
    return step(SMFIC_RCPT, argv_payload(recipient, args), SMFIP_NORCPT, SMFIP_NR_RCPT, macros, "rcpt");
}

Reply Client::data(const Macros &macros) { return step(SMFIC_DATA, "", SMFIP_NODATA, SMFIP_NR_DATA, macros, "data"); }

Reply Client::header(const std::string &name, const std::string &value) {
    bool drop_space = !has_flag(SMFIP_HDR_LEADSPC) && !value.empty() && value[0] == ' ';
    std::string payload = name + '\0' + value.substr(drop_space ? 1 : 0) + '\0';
    return step(SMFIC_HEADER, payload, SMFIP_NOHDRS, SMFIP_NR_HDR, {}, "header");
}

Reply Client::end_of_headers(const Macros &macros) {
    return step(SMFIC_EOH, "", SMFIP_NOEOH, SMFIP_NR_EOH, macros, "eoh");
}

Reply Client::body(const std::string &body) {
    Reply reply;
    for (std::size_t pos = 0; pos < body.size(); pos += MILTER_CHUNK_SIZE) {
        reply = step(SMFIC_BODY, body.substr(pos, MILTER_CHUNK_SIZE), SMFIP_NOBODY, SMFIP_NR_BODY, {}, "body");
        if (reply.kind != Reply::Kind::continue_) break;  // skip ends the body, others the message
    }
    return reply;
}

EomResult Client::end_of_message(const Macros &macros) {
    send_macros(SMFIC_BODYEOB, macros);
    send_packet(SMFIC_BODYEOB, "", "eom");
    EomResult result;
    for (;;) {
        Packet packet = read_packet("eom");
        if (packet.command == SMFIR_PROGRESS) continue;
        if (decode_decision(packet.command, packet.data, result.reply, "eom")) return result;
        Modification mod = decode_modification(packet.command, packet.data, "eom");
        auto &mods = result.modifications;
        // libmilter sends a long replacement body as several chunks; they form one body.
        if (mod.kind == Modification::Kind::replace_body && !mods.empty() &&
            mods.back().kind == Modification::Kind::replace_body)
            mods.back().data += mod.data;
        else
            mods.push_back(std::move(mod));
    }
}

void Client::abort() { send_packet(SMFIC_ABORT, "", "abort"); }

void Client::quit() {
    send_packet(SMFIC_QUIT, "", "quit");
    ::close(fd_);
    fd_ = -1;
}

MessageResult Client::run_message(const Message &message) {
    MessageResult result;
    if (session_verdict_) {  // Postfix sends nothing more, not even ABORT
        result.final_reply = *session_verdict_;
        return result;
    }
    auto macros = [&message](Stage stage) {
        auto it = message.macros.find(stage);
        return it == message.macros.end() ? Macros{} : it->second;
    };
    auto proceed = [&result](std::string step, const Reply &reply) {
        if (!reply.is_continue()) result.step_replies.push_back({std::move(step), reply});
        return reply.is_continue();
    };
    auto finish = [this, &result](const Reply &reply) {
        result.final_reply = reply;
        abort();
        return result;
    };

    Reply reply = mail_from(message.sender, message.sender_args, macros(Stage::mail));
    if (!proceed("mail", reply)) return finish(reply);
    // A refused recipient only drops that recipient; the message fails if none is left.
    bool any_recipient = message.recipients.empty();
    Reply refusal;
    for (const auto &rcpt : message.recipients) {
        reply = rcpt_to(rcpt.address, rcpt.args, macros(Stage::rcpt));
        if (proceed("rcpt " + rcpt.address, reply)) {
            any_recipient = true;
        } else if (reply.kind == Reply::Kind::accept || reply.kind == Reply::Kind::discard) {
            return finish(reply);  // these decide the whole message
        } else {
            refusal = reply;
        }
    }
    if (!any_recipient) return finish(refusal);
    reply = data(macros(Stage::data));
    if (!proceed("data", reply)) return finish(reply);
    for (const auto &h : message.headers) {
        reply = header(h.name, h.value);
        if (!proceed("header " + h.name, reply)) return finish(reply);
    }
    reply = end_of_headers(macros(Stage::eoh));
    if (!proceed("eoh", reply)) return finish(reply);
    reply = body(message.body);
    if (!proceed("body", reply)) return finish(reply);
    EomResult eom = end_of_message(macros(Stage::eom));
    result.reached_eom = true;
    result.modifications = std::move(eom.modifications);
    return finish(eom.reply);
}

Reply Client::step(char command, const std::string &payload, std::uint32_t no_step, std::uint32_t no_reply,
                   const Macros &macros, const char *what) {
    // Like Postfix, send the macros even for a step the filter opted out of: it may
    // still read them in a later callback.
    send_macros(command, macros);
    if (has_flag(no_step)) return Reply{};
    send_packet(command, payload, what);
    if (has_flag(no_reply)) return Reply{};
    for (;;) {
        Packet packet = read_packet(what);
        if (packet.command == SMFIR_PROGRESS) continue;
        Reply reply;
        if (decode_decision(packet.command, packet.data, reply, what)) return reply;
        fail(what, "unexpected reply " + reply_code_name(packet.command));
    }
}

Reply Client::note_session(const Reply &reply) {
    // Postfix ignores DISCARD at connect and HELO; any other verdict holds for the session.
    if (!reply.is_continue() && reply.kind != Reply::Kind::discard) session_verdict_ = reply;
    return reply;
}

void Client::send_macros(char command, const Macros &macros) {
    if (macros.empty()) return;
    std::string payload(1, command);
    for (const auto &[name, value] : macros) payload += name + '\0' + value + '\0';
    send_packet(SMFIC_MACRO, payload, "macros");
}

void Client::send_packet(char command, const std::string &payload, const char *what) {
    if (fd_ < 0) fail(what, "connection already closed");
    std::string packet;
    put_u32(packet, static_cast<std::uint32_t>(payload.size() + 1));
    packet += command;
    packet += payload;
    long long deadline = now_ms() + timeout_ms_;
    for (std::size_t sent = 0; sent < packet.size();) {
        wait_for(fd_, POLLOUT, deadline, std::string(what) + ": send");
        ssize_t n = ::send(fd_, packet.data() + sent, packet.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) fail(what, errno_text("send"));
        if (n > 0) sent += static_cast<std::size_t>(n);
    }
}

Client::Packet Client::read_packet(const char *what) {
    if (fd_ < 0) fail(what, "connection already closed");
    long long deadline = now_ms() + timeout_ms_;
    char length[4];
    read_exact(length, sizeof length, deadline, what);
    std::uint32_t size = get_u32(length);
    if (size == 0 || size > max_packet_size) fail(what, "bad reply length " + std::to_string(size));
    std::string bytes(size, '\0');
    read_exact(&bytes[0], size, deadline, what);
    return Packet{bytes[0], bytes.substr(1)};
}

void Client::read_exact(char *data, std::size_t size, long long deadline_ms, const char *what) {
    for (std::size_t got = 0; got < size;) {
        wait_for(fd_, POLLIN, deadline_ms, std::string(what) + ": waiting for reply");
        ssize_t n = ::recv(fd_, data + got, size - got, 0);
        if (n == 0) fail(what, "filter closed the connection");
        if (n < 0 && errno != EAGAIN && errno != EINTR) fail(what, errno_text("recv"));
        if (n > 0) got += static_cast<std::size_t>(n);
    }
}

}  // namespace milter_client
