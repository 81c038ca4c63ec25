// How the milter compares addresses, in one place: the policy, the
// resolver and the LDAP directory all use it (sendas-milter.conf(5),
// "ADDRESS COMPARISON").
//
// The canonical form of an address is its local part as written (lower
// case unless local_part_case_sensitive) and its domain in lower case.
// Nothing is stripped: a claimed address matches an owned address or a
// rights group only when the canonical forms are equal. Only a claimed
// address with a detail part ("team+news", "alice-smith" with "-" as a
// recipient delimiter) has a base ("team", "alice") it may fall back to,
// and only when the exact address is no mailbox of its own; the resolver
// decides that, these functions only spell.
#ifndef SENDAS_MAILBOX_MATCH_H
#define SENDAS_MAILBOX_MATCH_H

#include <optional>
#include <string>
#include <string_view>

namespace sendas {

// The two settings the rule depends on (recipient_delimiter and
// local_part_case_sensitive in the config).
struct AddressRules {
    std::string delimiters = "+";
    bool local_part_case_sensitive = false;
};

// `local`@`domain` in canonical form (ASCII case folding only).
std::string canonical_address(std::string_view local, std::string_view domain, bool local_part_case_sensitive);

// An address read from the directory ("Support@Example.COM"), split at its
// last '@'; nullopt when it has none.
std::optional<std::string> canonical_address(std::string_view address, bool local_part_case_sensitive);

// The base of a canonical address with a detail part: the local part up
// to its first delimiter character, when that is not the first character.
// nullopt without a detail part, or with no delimiters configured.
std::optional<std::string> detail_base(const std::string &canonical, const std::string &delimiters);

// The name of the rights group that grants a right on every address of a
// canonical address's domain ("@example.com"; "@" for an address with no
// '@'). A group named after the exact address wins over it for that right.
std::string domain_group_name(const std::string &canonical);

}  // namespace sendas

#endif
