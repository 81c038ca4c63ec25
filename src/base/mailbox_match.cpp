// The address comparison rule; see mailbox_match.h.
#include "base/mailbox_match.h"

namespace sendas {

std::string canonical_address(std::string_view local, std::string_view domain, bool local_part_case_sensitive) {
    auto ascii_lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    std::string out;
    out.reserve(local.size() + 1 + domain.size());
    for (char c : local) out += local_part_case_sensitive ? c : ascii_lower(c);
    out += '@';
    for (char c : domain) out += ascii_lower(c);
    return out;
}

std::optional<std::string> canonical_address(std::string_view address, bool local_part_case_sensitive) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    return canonical_address(address.substr(0, at), address.substr(at + 1), local_part_case_sensitive);
}

std::optional<std::string> detail_base(const std::string &canonical, const std::string &delimiters) {
    if (delimiters.empty()) return std::nullopt;
    const auto at = canonical.rfind('@');
    if (at == std::string::npos) return std::nullopt;
    const auto cut = canonical.find_first_of(delimiters);
    // A local part that starts with the delimiter has no base.
    if (cut == std::string::npos || cut == 0 || cut >= at) return std::nullopt;
    return canonical.substr(0, cut) + canonical.substr(at);
}

std::string domain_group_name(const std::string &canonical) {
    const auto at = canonical.rfind('@');
    return at == std::string::npos ? "@" : canonical.substr(at);
}

}  // namespace sendas
