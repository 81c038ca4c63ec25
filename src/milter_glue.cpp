// libmilter callbacks; see milter_glue.h.
#include "milter_glue.h"

#include <cstring>
#include <exception>
#include <memory>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

#include "log.h"
#include "metrics.h"
#include "milter_session.h"

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

// The one place exceptions stop: no C++ exception may unwind through
// libmilter's C frames. A callback without a session tempfails.
template <typename Body>
sfsistat guarded(SMFICTX *ctx, const char *stage, Body body) noexcept {
    try {
        auto *session = static_cast<MilterSession *>(smfi_getpriv(ctx));
        if (!session) {
            log(Severity::error, std::string(stage) + ": no session for this connection");
            return SMFIS_TEMPFAIL;
        }
        return body(*session);
    } catch (const std::exception &e) {
        log(Severity::error, std::string(stage) + ": " + e.what());
    } catch (...) {
        log(Severity::error, std::string(stage) + ": unknown exception");
    }
    return SMFIS_TEMPFAIL;
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
    const unsigned long needed_actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR;
    if ((actions & needed_actions) != needed_actions) {
        log(Severity::error, "the MTA does not offer header, sender and recipient changes; refusing to filter");
        return SMFIS_REJECT;
    }
    *want_actions = needed_actions | (actions & SMFIF_SETSYMLIST);
    // Skip every step the decision does not use.
    const unsigned long skip = SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA |
                               SMFIP_NOEOH;
    *want_steps = steps & skip;
    if (actions & SMFIF_SETSYMLIST) {
        // So an admin's milter_mail_macros cannot silently drop the login.
        smfi_setsymlist(ctx, SMFIM_CONNECT, const_cast<char *>("v"));
        smfi_setsymlist(ctx, SMFIM_ENVFROM, const_cast<char *>("i {auth_authen}"));
        smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char *>("i"));
    }
    return SMFIS_CONTINUE;
}

sfsistat on_connect(SMFICTX *ctx, char *, _SOCK_ADDR *) {
    try {
        smfi_setpriv(ctx, new MilterSession(runtime_holder->current(), macro(ctx, "v")));
        metrics::connection_opened();
        return SMFIS_CONTINUE;
    } catch (const std::exception &e) {
        log(Severity::error, std::string("connect: ") + e.what());
        return SMFIS_TEMPFAIL;
    }
}

sfsistat on_envfrom(SMFICTX *ctx, char **argv) {
    return guarded(ctx, "envfrom", [&](MilterSession &s) {
        s.begin_message(argv && argv[0] ? argv[0] : "", macro(ctx, "{auth_authen}"), macro(ctx, "i"));
        return SMFIS_CONTINUE;
    });
}

sfsistat on_header(SMFICTX *ctx, char *name, char *value) {
    return guarded(ctx, "header", [&](MilterSession &s) {
        s.add_header(name ? name : "", value ? value : "");
        return SMFIS_CONTINUE;
    });
}

sfsistat on_eom(SMFICTX *ctx) {
    return guarded(ctx, "eom", [&](MilterSession &s) {
        SmfiActions actions(ctx);
        return to_sfsistat(s.end_message(actions, macro(ctx, "i")));
    });
}

sfsistat on_abort(SMFICTX *ctx) {
    return guarded(ctx, "abort", [](MilterSession &s) {
        s.reset();
        return SMFIS_CONTINUE;
    });
}

sfsistat on_close(SMFICTX *ctx) {
    // close may come without connect (e.g. a refused negotiation).
    std::unique_ptr<MilterSession> session(static_cast<MilterSession *>(smfi_getpriv(ctx)));
    smfi_setpriv(ctx, nullptr);
    if (session) metrics::connection_closed();
    return SMFIS_CONTINUE;
}

}  // extern "C"

}  // namespace

std::string milter_setup(RuntimeHolder &holder, const std::string &socket) {
    runtime_holder = &holder;
    static smfiDesc description = {};
    description.xxfi_name = const_cast<char *>("sendas-milter");
    description.xxfi_version = SMFI_VERSION;
    description.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST;
    description.xxfi_connect = on_connect;
    description.xxfi_envfrom = on_envfrom;
    description.xxfi_header = on_header;
    description.xxfi_eom = on_eom;
    description.xxfi_abort = on_abort;
    description.xxfi_close = on_close;
    description.xxfi_negotiate = on_negotiate;
    if (smfi_setconn(const_cast<char *>(socket.c_str())) == MI_FAILURE) return "invalid socket " + socket;
    if (smfi_register(description) == MI_FAILURE) return "smfi_register failed";
    // Owner and group may write: the MTA reaches the socket through the group.
    mode_t old_mask = umask(007);
    int rc = smfi_opensocket(true);
    umask(old_mask);
    if (rc == MI_FAILURE) return "cannot open socket " + socket;
    return "";
}

}  // namespace sendas
