// The per-message flow; see milter_session.h.
#include "milter/session.h"

#include <strings.h>
#include <algorithm>
#include <cctype>
#include <cstring>

#include "base/log.h"
#include "base/metrics.h"
#include "base/string_util.h"
#include "directory/resolver.h"
#include "ops/decision_log.h"
#include "ops/lookup_trace.h"

namespace sendas {
namespace {

// RFC 5321 reply lines stay under 512 octets with the codes in front.
constexpr size_t max_reply_text = 400;

}  // namespace

std::string safe_reply_text(const std::string &text) {
    std::string out;
    for (unsigned char c : text) {
        if (out.size() >= max_reply_text) break;
        if (c < 0x20 || c == 0x7f) continue;
        if (c == '%') out += '%';
        out += static_cast<char>(c);
    }
    return out;
}

bool header_is(const std::string &name, const char *wanted) {
    auto first = name.find_first_not_of(" \t");
    auto last = name.find_last_not_of(" \t");
    if (first == std::string::npos) return false;
    const size_t length = last - first + 1;
    return length == std::strlen(wanted) && strncasecmp(name.data() + first, wanted, length) == 0;
}

bool decode_xtext(const std::string &xtext, std::string &out) {
    auto hex = [](char c) { return (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1; };
    out.clear();
    for (size_t i = 0; i < xtext.size(); ++i) {
        if (xtext[i] != '+') {
            out += xtext[i];
            continue;
        }
        if (i + 2 >= xtext.size() || hex(xtext[i + 1]) < 0 || hex(xtext[i + 2]) < 0) return false;
        out += static_cast<char>(hex(xtext[i + 1]) * 16 + hex(xtext[i + 2]));
        i += 2;
    }
    return true;
}

MilterSession::MilterSession(std::shared_ptr<const Runtime> runtime, const std::string &mta_version)
    : runtime_(std::move(runtime)) {
    // Sendmail hands {auth_authen} over xtext-encoded, Postfix raw: decode
    // once, and only for Sendmail.
    switch (runtime_->config->mta) {
    case MtaKind::postfix: login_is_xtext_ = false; break;
    case MtaKind::sendmail: login_is_xtext_ = true; break;
    case MtaKind::automatic: login_is_xtext_ = looks_like_sendmail_version(mta_version); break;
    }
}

bool looks_like_sendmail_version(const std::string &v) {
    // Sendmail's $v is a bare version ("8.17.1"); Postfix's {v} is
    // "$mail_name $mail_version", and mail_name may be renamed to anything.
    // Decoding a raw login as xtext would turn "+61lice" into "alice", so
    // only a value that can be nothing but Sendmail's counts.
    if (v.empty() || !std::isdigit(static_cast<unsigned char>(v.front()))) return false;
    const auto allowed = [](unsigned char c) { return std::isdigit(c) || c == '.' || c == '/'; };
    return std::all_of(v.begin(), v.end(), allowed) && v.find('.') != std::string::npos;
}

void MilterSession::begin_message(const std::string &envelope_from, const std::string &auth_user,
                                  const std::string &queue_id) {
    reset();
    message_.envelope_from = envelope_from;
    message_.auth_user = auth_user;
    if (login_is_xtext_ && !decode_xtext(auth_user, message_.auth_user)) {
        // Kept as sent: it matches no directory entry, so it grants nothing.
        log(Severity::warning, queue_label(queue_id) + ": {auth_authen} is not valid xtext, used as sent");
        message_.auth_user = auth_user;
    }
    message_.queue_id = queue_id;
}

void MilterSession::add_header(const std::string &name, const std::string &value) {
    if (header_is(name, "From")) {
        message_.from_values.push_back(value);
    } else if (header_is(name, "Sender")) {
        message_.sender_values.push_back(value);
    } else if (header_is(name, "Resent-From")) {
        // Resent blocks are prepended: the first one is the most recent,
        // and a second Resent-From: starts an older block.
        if (resent_from_seen_++ == 0) message_.resent_from_values.push_back(value);
    } else if (header_is(name, "Resent-Sender")) {
        if (resent_from_seen_ <= 1 && message_.resent_sender_values.empty())
            message_.resent_sender_values.push_back(value);
    }
}

bool MilterSession::apply(const Decision &d, MtaActions &mta) const {
    if (d.verdict != Verdict::accept) return mta.set_reply(d.smtp_code, d.enhanced_code, safe_reply_text(d.reply_text));
    bool ok = true;
    int senders = static_cast<int>(message_.sender_values.size());
    if (d.set_sender)
        ok = senders > 0 ? mta.change_header("Sender", 1, *d.set_sender) : mta.add_header("Sender", *d.set_sender);
    else if (d.remove_sender)
        for (int index = senders; index >= 1 && ok; --index) ok = mta.change_header("Sender", index, "");
    if (ok && d.envelope_from) ok = mta.change_from(*d.envelope_from);
    // NOTIFY=NEVER: a copy that cannot be filed must not bounce to the sender.
    for (const auto &copy : d.sent_copies)
        if (ok) ok = mta.add_recipient(copy, "NOTIFY=NEVER");
    return ok;
}

void MilterSession::enforce_send_limit(Decision &d, const UserInfo &user) {
    const auto &limiter = runtime_->limiter;
    if (!limiter || d.verdict != Verdict::accept || d.report) return;
    // Counted per directory identity: "ALICE" and "alice" are one user.
    const std::string who = lower(user.dn.empty() ? message_.auth_user : user.dn);
    for (const auto &checked : d.checked) {
        if (checked.role != Role::from || (checked.right != Right::send_as && checked.right != Right::send_on_behalf))
            continue;
        // Counted on the mailbox whose right was used: team+1@ and team+2@
        // are both team@.
        const std::string &mailbox = checked.mailbox();
        bool first_over = false;
        if (limiter->allow(who, mailbox, first_over)) continue;
        if (first_over)
            log(Severity::warning, queue_label(message_.queue_id) + ": send limit reached: user=<" +
                                       message_.auth_user + "> mailbox=<" + mailbox +
                                       "> limit=" + std::to_string(limiter->limit().count) + "/" +
                                       std::to_string(limiter->limit().period) + "s");
        d = over_send_limit(d, message_.auth_user, mailbox);
        return;
    }
}

Verdict MilterSession::end_message(MtaActions &mta, const std::string &queue_id) {
    if (message_.queue_id.empty()) message_.queue_id = queue_id;
    const Claims claims = parse_claims(message_);
    LookupContext context(runtime_->config->ldap.max_searches_per_message);
    const DirectoryAnswers answers = gather_answers(message_, claims, *runtime_->directory, *runtime_->config, context);
    if (answers.over_budget)
        log(Severity::warning, queue_label(message_.queue_id) + ": rights lookups stopped after " +
                                   std::to_string(context.searches()) +
                                   " LDAP searches (ldap.max_searches_per_message): message rejected");
    if (log_debug_enabled())
        for (const auto &line : lookup_trace(message_.queue_id, message_.auth_user, answers, context.searches()))
            log(Severity::debug, line);
    Decision decision = decide(message_, claims, answers, *runtime_->config);
    enforce_send_limit(decision, answers.user.value);
    if (!apply(decision, mta)) {
        // Half-applied changes must not leave: the client retries instead.
        decision.verdict = Verdict::tempfail;
        decision.reason = Reason::mta_refused_change;
        decision.acted = true;
        mta.set_reply("451", "4.3.0", "temporary failure applying sender policy");
    }
    // Only what was accepted and applied counts as a use; off the message path.
    if (decision.acted && runtime_->usage)
        runtime_->usage->record(decision, answers.user.value, message_.auth_user, message_.queue_id);
    if (decision.acted)
        metrics::decision(action_name(decision), right_name(decision.right), reason_name(decision.reason));
    if (decision.acted)
        log(Severity::info, audit_line(message_, decision, answers.stale(), runtime_->config->audit_format));
    Verdict verdict = decision.verdict;
    reset();
    return verdict;
}

}  // namespace sendas
