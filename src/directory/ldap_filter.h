// Building LDAP search filters from configured templates without ever
// letting input change the filter's structure (RFC 4515).
#ifndef SENDAS_LDAP_FILTER_H
#define SENDAS_LDAP_FILTER_H

#include <string>

namespace sendas {

// Escapes an assertion value: '*', '(', ')', '\', NUL and every byte
// outside printable ASCII become \XX.
std::string escape_filter_value(const std::string &value);

// Values substituted into a filter template; each is escaped.
struct FilterTokens {
    std::string login;    // %u
    std::string mailbox;  // %m, and its parts %l and %d
    std::string user_dn;  // %D
};

// Expands %u %m %l %d %D; "%%" is a literal '%'. An unknown token is kept
// as written so a typo in the template shows in the server's answer.
std::string expand_filter(const std::string &tmpl, const FilterTokens &tokens);

}  // namespace sendas

#endif
