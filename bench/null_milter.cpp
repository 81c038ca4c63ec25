// null-milter: accepts every message at end of message and does nothing else. It
// registers the same callbacks and flags as sendas-milter and negotiates the same way
// (src/milter_negotiation.h: same actions, skipped and silent steps, macro lists), so
// the MTA sends it exactly the traffic it sends sendas-milter: the floor for any
// libmilter-based design.
//
// Runs in the foreground until SIGTERM/SIGINT/SIGHUP (libmilter's signal thread).
#include <libmilter/mfapi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "milter/negotiation.h"

namespace {

// As sendas-milter negotiates (src/milter_negotiation.h), including the
// per-connection record of the steps the MTA expects no reply to.
sfsistat on_negotiate(SMFICTX *ctx, unsigned long actions, unsigned long steps, unsigned long, unsigned long,
                      unsigned long *want_actions, unsigned long *want_steps, unsigned long *, unsigned long *) {
    if (!sendas::negotiate(ctx, actions, steps, want_actions, want_steps)) return SMFIS_REJECT;
    smfi_setpriv(ctx, new unsigned long(steps & sendas::silent_steps));
    return SMFIS_CONTINUE;
}

sfsistat go_on(SMFICTX *ctx, unsigned long step) {
    const auto *silent_steps = static_cast<unsigned long *>(smfi_getpriv(ctx));
    return silent_steps && (*silent_steps & step) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

// The same callbacks as sendas-milter registers: libmilter leaves out the steps whose
// callback is missing, which would make this milter cheaper than the one it measures.
sfsistat on_connect(SMFICTX *ctx, char *, _SOCK_ADDR *) { return go_on(ctx, SMFIP_NR_CONN); }
sfsistat on_envfrom(SMFICTX *ctx, char **) { return go_on(ctx, SMFIP_NR_MAIL); }
sfsistat on_header(SMFICTX *ctx, char *, char *) { return go_on(ctx, SMFIP_NR_HDR); }
sfsistat on_eom(SMFICTX *) { return SMFIS_ACCEPT; }
sfsistat on_abort(SMFICTX *) { return SMFIS_CONTINUE; }
sfsistat on_close(SMFICTX *ctx) {
    delete static_cast<unsigned long *>(smfi_getpriv(ctx));
    smfi_setpriv(ctx, nullptr);
    return SMFIS_CONTINUE;
}

int usage(const char *why) {
    std::fprintf(stderr, "null-milter: %s\nusage: null-milter -p SOCKET   (unix:/path or inet:PORT@HOST)\n", why);
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    std::string socket;
    for (int opt; (opt = getopt(argc, argv, "p:h")) != -1;) {
        if (opt == 'p')
            socket = optarg;
        else if (opt == 'h')
            return std::printf("usage: null-milter -p SOCKET   (unix:/path or inet:PORT@HOST)\n"), 0;
        else
            return usage("unknown option");
    }
    if (socket.empty() || optind != argc) return usage("-p SOCKET is required");

    static smfiDesc description = {};
    description.xxfi_name = const_cast<char *>("null-milter");
    description.xxfi_version = SMFI_VERSION;
    description.xxfi_flags = sendas::needed_actions | SMFIF_SETSYMLIST;
    description.xxfi_connect = on_connect;
    description.xxfi_envfrom = on_envfrom;
    description.xxfi_header = on_header;
    description.xxfi_eom = on_eom;
    description.xxfi_abort = on_abort;
    description.xxfi_close = on_close;
    description.xxfi_negotiate = on_negotiate;
    if (smfi_setconn(const_cast<char *>(socket.c_str())) == MI_FAILURE) return usage("invalid socket");
    if (smfi_register(description) == MI_FAILURE) {
        std::fprintf(stderr, "null-milter: smfi_register failed\n");
        return 1;
    }
    mode_t old_mask = umask(007);  // like sendas-milter: the MTA reaches the socket through its group
    int rc = smfi_opensocket(true);
    umask(old_mask);
    if (rc == MI_FAILURE) {
        std::fprintf(stderr, "null-milter: cannot open socket %s\n", socket.c_str());
        return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
