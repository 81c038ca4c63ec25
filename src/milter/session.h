// Per-connection state of the milter and the per-message flow:
// facts in (envelope, headers) -> lookups -> Policy -> actions out.
// Knows nothing of libmilter: milter_glue.cpp calls it, and it talks to
// the MTA only through MtaActions.
#ifndef SENDAS_MILTER_SESSION_H
#define SENDAS_MILTER_SESSION_H

#include <memory>
#include <string>

#include "milter/mta_actions.h"
#include "milter/runtime.h"
#include "policy/policy.h"

namespace sendas {

// One per SMTP connection: created at connect, destroyed at close. It pins
// the runtime (config + directory) current at connect. libmilter may call
// it from different threads, never concurrently.
class MilterSession {
public:
    // `mta_version` is the MTA's `v` macro at connect ("Postfix 3.7.11",
    // Sendmail's "8.17.1"), used when config says mta = auto.
    MilterSession(std::shared_ptr<const Runtime> runtime, const std::string &mta_version);

    // MAIL FROM: starts a new message. `auth_user` is {auth_authen} as
    // the MTA sent it (empty when not authenticated).
    void begin_message(const std::string &envelope_from, const std::string &auth_user, const std::string &queue_id);

    void add_header(const std::string &name, const std::string &value);

    // End of message: decides, applies the changes through `mta` and writes
    // the audit line. `queue_id` fills in one unknown at MAIL FROM.
    Verdict end_message(MtaActions &mta, const std::string &queue_id);

    // Abort or end: forget the message, keep the connection.
    void reset() {
        message_ = MessageFacts{};
        resent_from_seen_ = 0;
    }

private:
    bool apply(const Decision &decision, MtaActions &mta) const;
    void enforce_send_limit(Decision &decision, const UserInfo &user);

    std::shared_ptr<const Runtime> runtime_;
    bool login_is_xtext_;
    MessageFacts message_;
    unsigned resent_from_seen_ = 0;  // Resent-From: headers of this message so far
};

// A reply text as the MTA may use it: control characters dropped, '%'
// doubled (smfi_setreply treats it as a format character), length capped.
std::string safe_reply_text(const std::string &text);

// Decodes an RFC 3461 xtext value ("user+2Btag" -> "user+tag"). False for
// a malformed one ("+" not followed by two upper-case hex digits).
bool decode_xtext(const std::string &xtext, std::string &out);

// mta = auto: whether the MTA's `v` macro can only be Sendmail's, whose
// {auth_authen} is xtext-encoded.
bool looks_like_sendmail_version(const std::string &v);

// Whether a header name is `wanted`, ignoring case and stray white space.
bool header_is(const std::string &name, const char *wanted);

}  // namespace sendas

#endif
