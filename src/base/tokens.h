// %X tokens in templates (LDAP filters, sent_copy.address): one expander
// for both, so they agree on "%%" and on unknown tokens.
#ifndef SENDAS_TOKENS_H
#define SENDAS_TOKENS_H

#include <optional>
#include <string>

namespace sendas {

// The text for each token of `tmpl`: `value(X)` for %X, nullopt for a
// token it does not know (then "%X" stays as written); "%%" is '%', and a
// '%' at the end stays.
template <typename Value>
std::string expand_tokens(const std::string &tmpl, Value value) {
    std::string out;
    for (size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '%' || i + 1 == tmpl.size()) {
            out += tmpl[i];
            continue;
        }
        const char token = tmpl[++i];
        if (token == '%') {
            out += '%';
        } else if (std::optional<std::string> text = value(token)) {
            out += *text;
        } else {
            out += '%';
            out += token;
        }
    }
    return out;
}

// An address's local part and domain (split at its last '@').
inline std::string local_part_of(const std::string &address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? address : address.substr(0, at);
}
inline std::string domain_part_of(const std::string &address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? std::string() : address.substr(at + 1);
}

}  // namespace sendas

#endif
