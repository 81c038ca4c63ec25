// RFC 4515 escaping and filter template expansion; see ldap_filter.h.
#include "directory/ldap_filter.h"

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
    auto at = tokens.mailbox.rfind('@');
    std::string out;
    for (size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '%' || i + 1 == tmpl.size()) {
            out += tmpl[i];
            continue;
        }
        switch (tmpl[++i]) {
        case 'u': out += escape_filter_value(tokens.login); break;
        case 'm': out += escape_filter_value(tokens.mailbox); break;
        case 'l':
            out += escape_filter_value(at == std::string::npos ? tokens.mailbox : tokens.mailbox.substr(0, at));
            break;
        case 'd':
            out += escape_filter_value(at == std::string::npos ? std::string() : tokens.mailbox.substr(at + 1));
            break;
        case 'D': out += escape_filter_value(tokens.user_dn); break;
        case '%': out += '%'; break;
        default: out += '%'; out += tmpl[i];
        }
    }
    return out;
}

}  // namespace sendas
