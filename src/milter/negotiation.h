// What sendas-milter asks of the MTA when a connection is negotiated. Shared
// with bench/null-milter, so the floor it measures is negotiated the same way.
#ifndef SENDAS_MILTER_NEGOTIATION_H
#define SENDAS_MILTER_NEGOTIATION_H

#include <libmilter/mfapi.h>

namespace sendas {

// The changes a decision may make: Sender:, envelope sender, Sent copy.
constexpr unsigned long needed_actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR;

// Steps the decision does not use.
constexpr unsigned long skipped_steps =
    SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH;

// Steps that only collect facts: the verdict comes at end of message, so
// the MTA need not wait for a reply to them.
constexpr unsigned long silent_steps = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR;

// The xxfi_negotiate answer to what the MTA offers, and the macros the
// decision reads. False when the MTA cannot make the changes.
inline bool negotiate(SMFICTX *ctx, unsigned long actions, unsigned long steps, unsigned long *want_actions,
                      unsigned long *want_steps) {
    if ((actions & needed_actions) != needed_actions) return false;
    *want_actions = needed_actions | (actions & SMFIF_SETSYMLIST);
    *want_steps = steps & (skipped_steps | silent_steps);
    if (actions & SMFIF_SETSYMLIST) {
        // So an admin's milter_mail_macros cannot silently drop the login.
        smfi_setsymlist(ctx, SMFIM_CONNECT, const_cast<char *>("v"));
        smfi_setsymlist(ctx, SMFIM_ENVFROM, const_cast<char *>("i {auth_authen}"));
        smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char *>("i"));
    }
    return true;
}

}  // namespace sendas

#endif
