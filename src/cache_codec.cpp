// Record encoding for the Redis tier; see cache_codec.h. A record is a
// list of length-prefixed fields ("5:hello"), binary-safe for any LDAP value.
#include "cache_codec.h"

#include <vector>

namespace sendas {
namespace {

// 2: exact addresses (no detail stripped) and the named-group flag.
constexpr const char *format_version = "sendas-cache-2";

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

// Common head: version, generation, status, fresh, stale.
std::vector<std::string> head(const std::string &generation, LookupStatus status, int64_t fresh, int64_t stale) {
    return {format_version, generation, status == LookupStatus::found ? "found" : "none", std::to_string(fresh),
            std::to_string(stale)};
}

bool read_head(const std::vector<std::string> &f, const std::string &generation, LookupStatus &status,
               int64_t &fresh, int64_t &stale) {
    if (f.size() < 5 || f[0] != format_version || f[1] != generation) return false;
    if (f[2] != "found" && f[2] != "none") return false;
    status = f[2] == "found" ? LookupStatus::found : LookupStatus::not_found;
    return to_int(f[3], fresh) && to_int(f[4], stale);
}

}  // namespace

std::string encode(const CachedUser &e, const std::string &generation) {
    auto f = head(generation, e.status, e.fresh_until, e.stale_until);
    f.push_back(e.user.dn);
    f.push_back(e.user.display_name);
    f.insert(f.end(), e.user.addresses.begin(), e.user.addresses.end());
    return join(f);
}

bool decode(const std::string &data, const std::string &generation, CachedUser &e) {
    std::vector<std::string> f;
    if (!split(data, f) || !read_head(f, generation, e.status, e.fresh_until, e.stale_until) || f.size() < 7)
        return false;
    e.user.dn = f[5];
    e.user.display_name = f[6];
    e.user.addresses.assign(f.begin() + 7, f.end());
    return true;
}

std::string encode(const CachedRights &e, const std::string &generation) {
    auto f = head(generation, e.status, e.fresh_until, e.stale_until);
    const MailboxRights &r = e.rights;
    f.push_back(std::string(r.send_as ? "a" : "") + (r.send_on_behalf ? "b" : "") + (r.full_access ? "f" : "") +
                (r.is_mailbox ? "g" : "") +
                (r.sent_copy == MailboxRights::SentCopy::off  ? "n"
                 : r.sent_copy == MailboxRights::SentCopy::on ? "c"
                                                              : "") +
                (r.mode == MailboxRights::Mode::report    ? "r"
                                               : r.mode == MailboxRights::Mode::enforce ? "e"
                                                                                        : ""));
    f.insert(f.end(), r.path.begin(), r.path.end());
    return join(f);
}

bool decode(const std::string &data, const std::string &generation, CachedRights &e) {
    std::vector<std::string> f;
    if (!split(data, f) || !read_head(f, generation, e.status, e.fresh_until, e.stale_until) || f.size() < 6)
        return false;
    const std::string &flags = f[5];
    if (flags.find_first_not_of("abfgncre") != std::string::npos) return false;
    e.rights.send_as = flags.find('a') != std::string::npos;
    e.rights.send_on_behalf = flags.find('b') != std::string::npos;
    e.rights.full_access = flags.find('f') != std::string::npos;
    e.rights.is_mailbox = flags.find('g') != std::string::npos;
    e.rights.sent_copy = flags.find('n') != std::string::npos   ? MailboxRights::SentCopy::off
                         : flags.find('c') != std::string::npos ? MailboxRights::SentCopy::on
                                                                : MailboxRights::SentCopy::unset;
    e.rights.mode = flags.find('r') != std::string::npos   ? MailboxRights::Mode::report
                    : flags.find('e') != std::string::npos ? MailboxRights::Mode::enforce
                                                           : MailboxRights::Mode::unset;
    e.rights.path = std::vector<std::string>(f.begin() + 6, f.end());
    return true;
}

}  // namespace sendas
