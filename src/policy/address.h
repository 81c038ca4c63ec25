// RFC 5322 address-header parsing and address normalisation.
//
// The policy decides on addr-specs only: display names, comments and
// RFC 2047 encoded words are skipped, never decoded, never used to guess an
// address. Anything that is not a clean mailbox list is a parse error.
// All functions are pure and thread-safe.
#ifndef SENDAS_ADDRESS_H
#define SENDAS_ADDRESS_H

#include <optional>
#include <string>
#include <vector>

namespace sendas {

// One mailbox as written: the addr-spec split at its last '@'. A quoted
// local part is kept in its unquoted form ("a b"@x -> local `a b`).
struct Mailbox {
    std::string display;  // display-name as written (raw, undecoded), may be empty
    std::string local;
    std::string domain;
    std::string address() const { return local + "@" + domain; }
};

enum class ParseError {
    none,
    empty,          // no mailbox at all
    syntax,         // not an RFC 5322 mailbox-list
    control_char,   // NUL, bare CR or LF, or another control character
    group,          // group syntax (RFC 6854), even an empty group
    encoded_word,   // "=?...?=" in a local part or domain (RFC 2047 section 5)
    non_ascii,      // non-ASCII byte in a local part or domain: no SMTPUTF8
    quoted_spaces,  // quoted local part with leading, trailing or repeated spaces or a tab
};

// Human-readable reason for a ParseError, used in reject texts and logs.
const char *describe(ParseError error);

struct ParsedMailboxes {
    ParseError error = ParseError::none;
    std::vector<Mailbox> mailboxes;
    bool ok() const { return error == ParseError::none; }
};

// Parses a From:/Sender: header value (the part after the colon, with or
// without the leading space, possibly folded with CRLF or LF followed by
// white space). Accepts name-addr and addr-spec forms, quoted strings,
// nested comments, obsolete route addresses (<@a,@b:x@y>, route dropped)
// and domain literals. Rejects group syntax, control characters, missing
// local part or domain, unbalanced brackets/quotes/comments, trailing
// garbage, and addr-specs that could pass for another address: encoded
// words or non-ASCII bytes in the local part or domain, a quoted local part
// with spaces other than single ones between characters. Linear time.
ParsedMailboxes parse_mailbox_list(const std::string &value);

// Renders a mailbox for a header the milter writes: `"Display Name" <addr>`
// with the name quoted as needed, or RFC 2047 encoded (UTF-8, B) when it is
// not printable ASCII; control characters are dropped from the name. Returns
// just the address when the name is empty, and nothing when the address is
// not a bare addr-spec that parse_mailbox_list would accept. Throws only
// std::bad_alloc.
std::optional<std::string> format_mailbox(const std::string &display_name, const std::string &address);

// An address ("local@domain", split at the last '@') as SMTP writes it in
// MAIL FROM and RCPT TO: "<local@domain>", the local part quoted when it
// is not a dot-atom ("help desk" -> <"help desk"@domain>), RFC 5321 4.1.2.
std::string smtp_path(const std::string &address);

// Whether `address` is one bare addr-spec the parser accepts as it is.
bool is_addr_spec(const std::string &address);

// Parses an envelope address as the MTA hands it to the milter: with or
// without angle brackets; "<>" and "" are the null sender (returns true
// with an empty mailbox). Returns false when it is not an address, or an
// addr-spec parse_mailbox_list would reject.
bool parse_envelope_address(const std::string &value, Mailbox &out);

}  // namespace sendas

#endif
