// libmilter callbacks; see milter_glue.h.
#include "milter/glue.h"

#include <sys/stat.h>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>

#include <libmilter/mfapi.h>

#include "base/log.h"
#include "base/metrics.h"
#include "milter/negotiation.h"
#include "milter/session.h"

namespace sendas {
namespace {

RuntimeHolder *runtime_holder = nullptr;  // set once before smfi_main

// Changes requested through libmilter, valid only inside xxfi_eom.
class SmfiActions : public MtaActions {
public:
    explicit SmfiActions(SMFICTX *ctx) : ctx_(ctx) {}
    bool set_reply(const std::string &code, const std::string &enhanced, const std::string &text) override {
        return smfi_setreply(ctx_, arg(code), arg(enhanced), arg(text)) == MI_SUCCESS;
    }
    bool add_header(const std::string &name, const std::string &value) override {
        return smfi_addheader(ctx_, arg(name), arg(value)) == MI_SUCCESS;
    }
    bool change_header(const std::string &name, int index, const std::string &value) override {
        return smfi_chgheader(ctx_, arg(name), index, value.empty() ? nullptr : arg(value)) == MI_SUCCESS;
    }
    bool change_from(const std::string &address) override {
        return smfi_chgfrom(ctx_, arg(address), nullptr) == MI_SUCCESS;
    }
    bool add_recipient(const std::string &address, const std::string &esmtp_args) override {
        return smfi_addrcpt_par(ctx_, arg(address), arg(esmtp_args)) == MI_SUCCESS;
    }

private:
    // libmilter's prototypes predate const; it does not write through them.
    static char *arg(const std::string &s) { return const_cast<char *>(s.c_str()); }
    SMFICTX *ctx_;
};

std::string macro(SMFICTX *ctx, const char *name) {
    const char *value = smfi_getsymval(ctx, const_cast<char *>(name));
    return value ? value : "";
}

// One per MTA connection, from negotiation to close.
struct Connection {
    unsigned long silent_steps = 0;          // the SMFIP_NR_* steps the MTA waits for no reply to
    std::unique_ptr<MilterSession> session;  // from connect on
    bool step_failed = false;                // a silent step failed: tempfail at end of message

    // A step's "go on": nothing at all where the MTA does not wait for it.
    sfsistat go_on(unsigned long step) const { return (silent_steps & step) ? SMFIS_NOREPLY : SMFIS_CONTINUE; }
};

// The one place exceptions stop: no C++ exception may unwind through
// libmilter's C frames. A failed step tempfails; a silent one cannot
// answer, so its failure is held for the end of the message.
template <typename Body>
sfsistat guarded(SMFICTX *ctx, const char *stage, unsigned long step, Body body) noexcept {
    auto *connection = static_cast<Connection *>(smfi_getpriv(ctx));
    if (!connection) return SMFIS_TEMPFAIL;  // negotiation failed; nothing was promised
    try {
        return body(*connection);
    } catch (const std::exception &e) {
        log(Severity::error, std::string(stage) + ": " + e.what());
    } catch (...) {
        log(Severity::error, std::string(stage) + ": unknown exception");
    }
    connection->step_failed = true;
    return (connection->silent_steps & step) ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
}

MilterSession &session_of(Connection &connection) {
    if (!connection.session) throw std::runtime_error("no session for this connection");
    return *connection.session;
}

sfsistat to_sfsistat(Verdict verdict) {
    switch (verdict) {
    case Verdict::accept: return SMFIS_ACCEPT;
    case Verdict::reject: return SMFIS_REJECT;
    case Verdict::tempfail: return SMFIS_TEMPFAIL;
    }
    return SMFIS_TEMPFAIL;
}

extern "C" {

sfsistat on_negotiate(SMFICTX *ctx, unsigned long actions, unsigned long steps, unsigned long, unsigned long,
                      unsigned long *want_actions, unsigned long *want_steps, unsigned long *, unsigned long *) {
    if (!negotiate(ctx, actions, steps, want_actions, want_steps)) {
        log(Severity::error, "the MTA does not offer header, sender and recipient changes; refusing to filter");
        return SMFIS_REJECT;
    }
    try {
        auto connection = std::make_unique<Connection>();
        connection->silent_steps = steps & silent_steps;
        smfi_setpriv(ctx, connection.release());
    } catch (const std::exception &e) {
        log(Severity::error, std::string("negotiate: ") + e.what());
        return SMFIS_TEMPFAIL;
    }
    return SMFIS_CONTINUE;
}

sfsistat on_connect(SMFICTX *ctx, char *, _SOCK_ADDR *) {
    return guarded(ctx, "connect", SMFIP_NR_CONN, [&](Connection &c) {
        c.session = std::make_unique<MilterSession>(runtime_holder->current(), macro(ctx, "v"));
        metrics::connection_opened();
        return c.go_on(SMFIP_NR_CONN);
    });
}

sfsistat on_envfrom(SMFICTX *ctx, char **argv) {
    return guarded(ctx, "envfrom", SMFIP_NR_MAIL, [&](Connection &c) {
        session_of(c).begin_message(argv && argv[0] ? argv[0] : "", macro(ctx, "{auth_authen}"), macro(ctx, "i"));
        return c.go_on(SMFIP_NR_MAIL);
    });
}

sfsistat on_header(SMFICTX *ctx, char *name, char *value) {
    return guarded(ctx, "header", SMFIP_NR_HDR, [&](Connection &c) {
        session_of(c).add_header(name ? name : "", value ? value : "");
        return c.go_on(SMFIP_NR_HDR);
    });
}

sfsistat on_eom(SMFICTX *ctx) {
    return guarded(ctx, "eom", 0, [&](Connection &c) {
        if (c.step_failed) {
            // Facts may be missing: no decision on half a message.
            c.step_failed = false;
            if (c.session) c.session->reset();
            smfi_setreply(ctx, const_cast<char *>("451"), const_cast<char *>("4.3.0"),
                          const_cast<char *>("temporary failure in sender policy, try again later"));
            return SMFIS_TEMPFAIL;
        }
        SmfiActions actions(ctx);
        return to_sfsistat(session_of(c).end_message(actions, macro(ctx, "i")));
    });
}

sfsistat on_abort(SMFICTX *ctx) {
    return guarded(ctx, "abort", 0, [](Connection &c) {
        c.step_failed = false;
        if (c.session) c.session->reset();
        return SMFIS_CONTINUE;
    });
}

sfsistat on_close(SMFICTX *ctx) {
    // close may come without negotiate or connect (e.g. a refused negotiation).
    std::unique_ptr<Connection> connection(static_cast<Connection *>(smfi_getpriv(ctx)));
    smfi_setpriv(ctx, nullptr);
    if (connection && connection->session) metrics::connection_closed();
    return SMFIS_CONTINUE;
}

}  // extern "C"

}  // namespace

std::string milter_setup(RuntimeHolder &holder, const std::string &socket, unsigned timeout, unsigned backlog) {
    runtime_holder = &holder;
    static smfiDesc description = {};
    description.xxfi_name = const_cast<char *>("sendas-milter");
    description.xxfi_version = SMFI_VERSION;
    description.xxfi_flags = needed_actions | SMFIF_SETSYMLIST;
    description.xxfi_connect = on_connect;
    description.xxfi_envfrom = on_envfrom;
    description.xxfi_header = on_header;
    description.xxfi_eom = on_eom;
    description.xxfi_abort = on_abort;
    description.xxfi_close = on_close;
    description.xxfi_negotiate = on_negotiate;
    if (smfi_setconn(const_cast<char *>(socket.c_str())) == MI_FAILURE) return "invalid socket " + socket;
    if (smfi_register(description) == MI_FAILURE) return "smfi_register failed";
    if (smfi_settimeout(static_cast<int>(timeout)) == MI_FAILURE) return "smfi_settimeout failed";
    if (smfi_setbacklog(static_cast<int>(backlog)) == MI_FAILURE) return "smfi_setbacklog failed";
    // Owner and group may write: the MTA reaches the socket through the group.
    mode_t old_mask = umask(007);
    int rc = smfi_opensocket(true);
    umask(old_mask);
    if (rc == MI_FAILURE) return "cannot open socket " + socket;
    return "";
}

}  // namespace sendas
