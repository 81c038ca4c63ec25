// Record encoding for the Redis tier; see cache_codec.h. A record is a
// list of length-prefixed fields ("5:hello"), binary-safe for any LDAP value:
//   version, tag, generation, status, fresh, stale, payload...
// The tag (empty without a key) is the HMAC of the version, the record's
// place and everything after the tag, byte for byte.
#include "cache/cache_codec.h"

#include <vector>

#include "base/record_mac.h"

namespace sendas {
namespace {

// 2: a tag (version 1 records carried none and read as a miss), exact
// addresses (no detail stripped) and the is-a-mailbox flag.
// 3: the Sent copy target lists (flags o, s) and domain grants (flag d):
// a version 2 record, which knew neither, reads as a miss.
constexpr const char *format_version = "sendas-cache-3";

std::string join(const std::vector<std::string> &fields) {
    std::string out;
    for (const auto &f : fields) out += std::to_string(f.size()) + ":" + f;
    return out;
}

bool split(const std::string &data, std::vector<std::string> &fields) {
    size_t pos = 0;
    while (pos < data.size()) {
        auto colon = data.find(':', pos);
        if (colon == std::string::npos || colon == pos || colon - pos > 9) return false;
        size_t length = 0;
        for (size_t i = pos; i < colon; ++i) {
            if (data[i] < '0' || data[i] > '9') return false;
            length = length * 10 + static_cast<size_t>(data[i] - '0');
        }
        if (length > data.size() - colon - 1) return false;
        fields.push_back(data.substr(colon + 1, length));
        pos = colon + 1 + length;
    }
    return true;
}

bool to_int(const std::string &s, int64_t &out) {
    if (s.empty() || s.size() > 18) return false;
    out = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
    }
    return true;
}

std::string seal(const std::vector<std::string> &body, const RecordPlace &place, const std::string &mac_key) {
    const std::string rest = join(body);
    const std::string tag =
        mac_key.empty() ? "" : mac_tag(mac_key, {format_version, place.key, place.field, place.generation, rest});
    return join({format_version, tag}) + rest;
}

// Splits a record into its fields after the tag, once it is of this
// version and generation and, with a key, verifies. Another generation is
// a miss before the tag is looked at: every flush would count as forged.
RecordCheck unseal(const std::string &data, const RecordPlace &place, const std::string &mac_key,
                   std::vector<std::string> &body) {
    std::vector<std::string> f;
    if (!split(data, f) || f.size() < 3 || f[0] != format_version || f[2] != place.generation) return RecordCheck::miss;
    if (!mac_key.empty()) {
        const std::string rest = data.substr(join({f[0], f[1]}).size());
        if (!mac_matches(mac_key, {format_version, place.key, place.field, place.generation, rest}, f[1]))
            return RecordCheck::forged;
    }
    body.assign(f.begin() + 2, f.end());
    return RecordCheck::ok;
}

// Common body head: generation, status, fresh, stale.
std::vector<std::string> head(const std::string &generation, LookupStatus status, int64_t fresh, int64_t stale) {
    return {generation, status == LookupStatus::found ? "found" : "none", std::to_string(fresh), std::to_string(stale)};
}

bool read_head(const std::vector<std::string> &f, LookupStatus &status, int64_t &fresh, int64_t &stale) {
    if (f.size() < 4 || (f[1] != "found" && f[1] != "none")) return false;
    status = f[1] == "found" ? LookupStatus::found : LookupStatus::not_found;
    return to_int(f[2], fresh) && to_int(f[3], stale);
}

}  // namespace

std::string encode(const CachedUser &e, const RecordPlace &place, const std::string &mac_key) {
    auto f = head(place.generation, e.answer.status, e.fresh_until, e.stale_until);
    const UserInfo &user = e.answer.value;
    f.push_back(user.dn);
    f.push_back(user.display_name);
    f.insert(f.end(), user.addresses.begin(), user.addresses.end());
    return seal(f, place, mac_key);
}

RecordCheck decode(const std::string &data, const RecordPlace &place, const std::string &mac_key, CachedUser &e) {
    std::vector<std::string> f;
    const RecordCheck check = unseal(data, place, mac_key, f);
    if (check != RecordCheck::ok) return check;
    if (!read_head(f, e.answer.status, e.fresh_until, e.stale_until) || f.size() < 6) return RecordCheck::miss;
    UserInfo &user = e.answer.value;
    user.dn = f[4];
    user.display_name = f[5];
    user.addresses.assign(f.begin() + 6, f.end());
    return RecordCheck::ok;
}

std::string encode(const CachedRights &e, const RecordPlace &place, const std::string &mac_key) {
    auto f = head(place.generation, e.answer.status, e.fresh_until, e.stale_until);
    const MailboxRights &r = e.answer.value;
    f.push_back(std::string(r.send_as ? "a" : "") + (r.send_on_behalf ? "b" : "") + (r.full_access ? "f" : "") +
                (r.is_mailbox ? "g" : "") + (r.domain_grant ? "d" : "") +
                (r.sent_copy == MailboxRights::SentCopy::off  ? "n"
                 : r.sent_copy == MailboxRights::SentCopy::on ? "c"
                                                              : "") +
                (r.sent_copy_to.owner ? "o" : "") + (r.sent_copy_to.sender ? "s" : "") +
                (r.mode == MailboxRights::Mode::report    ? "r"
                 : r.mode == MailboxRights::Mode::enforce ? "e"
                                                          : ""));
    f.insert(f.end(), r.path.begin(), r.path.end());
    return seal(f, place, mac_key);
}

RecordCheck decode(const std::string &data, const RecordPlace &place, const std::string &mac_key, CachedRights &e) {
    std::vector<std::string> f;
    const RecordCheck check = unseal(data, place, mac_key, f);
    if (check != RecordCheck::ok) return check;
    if (!read_head(f, e.answer.status, e.fresh_until, e.stale_until) || f.size() < 5) return RecordCheck::miss;
    const std::string &flags = f[4];
    if (flags.find_first_not_of("abfgdncosre") != std::string::npos) return RecordCheck::miss;
    MailboxRights &r = e.answer.value;
    r.send_as = flags.find('a') != std::string::npos;
    r.send_on_behalf = flags.find('b') != std::string::npos;
    r.full_access = flags.find('f') != std::string::npos;
    r.is_mailbox = flags.find('g') != std::string::npos;
    r.domain_grant = flags.find('d') != std::string::npos;
    r.sent_copy = flags.find('n') != std::string::npos   ? MailboxRights::SentCopy::off
                  : flags.find('c') != std::string::npos ? MailboxRights::SentCopy::on
                                                         : MailboxRights::SentCopy::unset;
    r.sent_copy_to.owner = flags.find('o') != std::string::npos;
    r.sent_copy_to.sender = flags.find('s') != std::string::npos;
    r.mode = flags.find('r') != std::string::npos   ? MailboxRights::Mode::report
             : flags.find('e') != std::string::npos ? MailboxRights::Mode::enforce
                                                    : MailboxRights::Mode::unset;
    r.path = std::vector<std::string>(f.begin() + 5, f.end());
    return RecordCheck::ok;
}

}  // namespace sendas
