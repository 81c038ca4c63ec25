// RFC 4515 escaping and filter template expansion; see ldap_filter.h.
#include "directory/ldap_filter.h"

#include "base/tokens.h"

namespace sendas {

std::string escape_filter_value(const std::string &value) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(value.size());
    for (unsigned char c : value) {
        if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c >= 0x7f) {
            out += '\\';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string expand_filter(const std::string &tmpl, const FilterTokens &tokens) {
    return expand_tokens(tmpl, [&](char token) -> std::optional<std::string> {
        switch (token) {
        case 'u': return escape_filter_value(tokens.login);
        case 'm': return escape_filter_value(tokens.mailbox);
        case 'l': return escape_filter_value(local_part_of(tokens.mailbox));
        case 'd': return escape_filter_value(domain_part_of(tokens.mailbox));
        case 'D': return escape_filter_value(tokens.user_dn);
        default: return std::nullopt;
        }
    });
}

}  // namespace sendas
