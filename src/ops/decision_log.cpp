// Formatting of decision log lines; see decision_log.h. Both formats are written by one
// walk over the fields (write_fields), so they never disagree.
#include "ops/decision_log.h"

#include <algorithm>
#include <string_view>

#include "base/json.h"

namespace sendas {
namespace {

// Decisions carry addresses as the MTA wants them (<a@b>); fields hold the
// bare address and each format adds its own punctuation.
std::string_view unbracketed(std::string_view address) {
    if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
        return address.substr(1, address.size() - 2);
    return address;
}

// The fields in order, into `out`: value(key, text, is_address) for one
// value, list(key, for_each) for a list of addresses, where for_each(emit)
// calls emit(text) for each item.
template <typename Out>
void write_fields(const MessageFacts &facts, const Decision &d, bool stale, Out &out) {
    out.value("queue_id", queue_label(facts.queue_id), false);
    out.value("user", facts.auth_user, true);
    auto checked_as = [&d](Role role) {
        return [&d, role](auto &&emit) {
            for (const auto &c : d.checked)
                if (c.role == role) emit(c.address);
        };
    };
    auto has_role = [&d](Role role) {
        for (const auto &c : d.checked)
            if (c.role == role) return true;
        return false;
    };
    out.list("from", checked_as(Role::from));
    if (has_role(Role::sender)) out.list("sender", checked_as(Role::sender));
    if (has_role(Role::envelope)) out.list("envelope", checked_as(Role::envelope));
    if (has_role(Role::resent_from)) out.list("resent_from", checked_as(Role::resent_from));
    if (has_role(Role::resent_sender)) out.list("resent_sender", checked_as(Role::resent_sender));
    // Detail addresses decided by their base mailbox, in the order checked.
    const bool any_base =
        std::any_of(d.checked.begin(), d.checked.end(), [](const CheckedAddress &c) { return !c.base.empty(); });
    if (any_base)
        out.list("base", [&d](auto &&emit) {
            for (const auto &c : d.checked)
                if (!c.base.empty()) emit(c.base);
        });
    out.value("right", right_name(d.right), false);
    out.value("action", action_name(d), false);
    if (d.reason != Reason::none) out.value("reason", reason_name(d.reason), false);
    if (d.report) out.value("mode", "report", false);
    if (stale) out.value("stale", "yes", false);
    if (d.verdict != Verdict::accept) return;
    if (d.set_sender) out.value("sender_set", "yes", false);
    if (d.remove_sender) out.value("sender_removed", "yes", false);
    if (d.envelope_from) out.value("envelope_set", unbracketed(*d.envelope_from), true);
    if (!d.sent_copies.empty())
        out.list("sent_copy", [&d](auto &&emit) {
            for (const auto &copy : d.sent_copies) emit(unbracketed(copy));
        });
}

// Values come from the client: keep them on one line and in one field.
void append_clean(std::string &out, std::string_view value) {
    for (unsigned char c : value) out += (c < 0x20 || c == 0x7f || c == ' ') ? '?' : static_cast<char>(c);
}

// "QUEUEID: key=value key=<address> key=<a>,<b>"
class TextLine {
public:
    TextLine() { line_.reserve(256); }

    void value(const char *key, std::string_view text, bool address) {
        if (first_) {  // the queue id leads, without its key
            first_ = false;
            append_clean(line_, text);
            line_ += ':';
            return;
        }
        start(key);
        if (address) line_ += '<';
        append_clean(line_, text);
        if (address) line_ += '>';
    }

    template <typename ForEach>
    void list(const char *key, ForEach for_each) {
        start(key);
        const size_t empty = line_.size();
        for_each([&](std::string_view text) {
            if (line_.size() > empty) line_ += ',';
            line_ += '<';
            append_clean(line_, text);
            line_ += '>';
        });
        // An empty address list reads as the null address, like Postfix.
        if (line_.size() == empty) line_ += "<>";
    }

    std::string take() { return std::move(line_); }

private:
    void start(const char *key) {
        line_ += ' ';
        line_ += key;
        line_ += '=';
    }

    std::string line_;
    bool first_ = true;
};

// {"key":"value","key":["a","b"]}
class JsonObject {
public:
    JsonObject() { text_.reserve(320); }

    void value(const char *key, std::string_view text, bool) {
        start(key);
        append_json_string(text_, text);
    }

    template <typename ForEach>
    void list(const char *key, ForEach for_each) {
        start(key);
        text_ += '[';
        bool first = true;
        for_each([&](std::string_view text) {
            if (!first) text_ += ',';
            first = false;
            append_json_string(text_, text);
        });
        text_ += ']';
    }

    std::string take() { return std::move(text_ += '}'); }

private:
    void start(const char *key) {
        text_ += text_.empty() ? '{' : ',';
        append_json_string(text_, key);
        text_ += ':';
    }

    std::string text_;
};

}  // namespace

std::string action_name(const Decision &d) {
    if (d.report && d.enforced != Verdict::accept) return std::string("would-") + verdict_name(d.enforced);
    return verdict_name(d.verdict);
}

std::string audit_line(const MessageFacts &facts, const Decision &decision, bool stale, AuditFormat format) {
    if (format == AuditFormat::json) {
        JsonObject out;
        write_fields(facts, decision, stale, out);
        return out.take();
    }
    TextLine out;
    write_fields(facts, decision, stale, out);
    return out.take();
}

}  // namespace sendas
