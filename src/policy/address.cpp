// RFC 5322 mailbox-list and envelope address parsing, and Sender:/From: rendering.
#include "policy/address.h"
#include "policy/address_chars.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace sendas {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool is_line_break(char c) { return c == '\r' || c == '\n'; }

// RFC 5322 atext, extended with all non-ASCII bytes (RFC 6532 UTF8-non-ascii)
// for display names; addr-specs are checked for them afterwards. A table:
// this runs once per input byte.
struct AtextTable {
    bool atext[256] = {};
    constexpr AtextTable() {
        for (int c = '!'; c < 256; ++c) atext[c] = c != 0x7f;
        for (const char *special = "()<>[]:;@\\,.\""; *special; ++special)
            atext[static_cast<unsigned char>(*special)] = false;
    }
};
constexpr AtextTable atext_table;

bool is_atext(char c) { return atext_table.atext[static_cast<unsigned char>(c)]; }

// dtext without obs-dtext: quoted-pairs in domain literals are not accepted.
bool is_dtext(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > ' ' && c < 0x7f && c != '[' && c != ']' && c != '\\';
}

// Every CR or LF must belong to folding white space: CRLF or a bare LF, then
// SP or HTAB. A CR without its LF is not folding, whatever follows it.
bool controls_are_folding(const std::string &value) {
    for (size_t i = 0; i < value.size(); ++i) {
        if (!is_control(value[i])) continue;
        if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') ++i;
        if (value[i] != '\n' || i + 1 == value.size() || !is_wsp(value[i + 1])) return false;
    }
    return true;
}

// An RFC 5322 lexical token. Comments and folding white space are not
// tokens: they only mark the token after them with space_before.
struct Token {
    enum Kind { atom, quoted, dot, literal, special, end, invalid };
    Kind kind = end;
    // atom, unquoted string content, literal with brackets, or the character:
    // valid until the next token is lexed.
    std::string_view text;
    bool space_before = false;
};

// Hands out one token at a time, without copying anything but quoted
// strings: parsing stops at the first error, and no token list grows with
// the value.
class Lexer {
public:
    // cfws_allowed is false for envelope addresses and addresses to write:
    // SMTP paths have no comments and no white space outside quoted strings.
    Lexer(const std::string &value, bool cfws_allowed) : s_(value), cfws_allowed_(cfws_allowed) {}

    // `invalid` for an unterminated quoted string, comment or domain literal,
    // or CFWS where none is allowed; `end` after the last token.
    void next(Token &token) {
        token.kind = Token::invalid;
        token.text = {};
        token.space_before = false;
        if (!skip_cfws(token.space_before)) return;
        if (pos_ == s_.size()) {
            token.kind = Token::end;
            return;
        }
        const size_t start = pos_;
        const char c = s_[pos_];
        if (is_atext(c)) {
            while (pos_ < s_.size() && is_atext(s_[pos_])) ++pos_;
            token.kind = Token::atom;
        } else if (c == '"') {
            if (!quoted_string()) return;
            token.kind = Token::quoted;
            token.text = unquoted_;
            return;
        } else if (c == '[') {
            if (!domain_literal()) return;
            token.kind = Token::literal;
        } else {
            // Everything else is a one-character special; a stray ')' or
            // '\' becomes one and fails in the parser.
            token.kind = c == '.' ? Token::dot : Token::special;
            ++pos_;
        }
        token.text = std::string_view(s_).substr(start, pos_ - start);
    }

private:
    bool skip_cfws(bool &skipped) {
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (c != '(' && !is_wsp(c) && !is_line_break(c)) break;
            if (!cfws_allowed_) return false;
            if (c == '(') {
                if (!skip_comment()) return false;
            } else {
                ++pos_;
            }
            skipped = true;
        }
        return true;
    }

    // quoted-pair = "\" (VCHAR / WSP): a backslash before a line break or at
    // the end is malformed. Leaves pos_ on the escaped character.
    bool quoted_pair() {
        ++pos_;
        return pos_ < s_.size() && !is_line_break(s_[pos_]);
    }

    // Nesting is tracked with a counter, not recursion, so a hostile value of
    // many '(' cannot exhaust the stack.
    bool skip_comment() {
        size_t depth = 0;
        for (; pos_ < s_.size(); ++pos_) {
            const char c = s_[pos_];
            if (c == '\\' && !quoted_pair()) return false;
            if (c == '(') ++depth;
            if (c == ')' && --depth == 0) {
                ++pos_;
                return true;
            }
        }
        return false;
    }

    // Stores the content unquoted in unquoted_: quoted-pairs resolved,
    // folding line breaks removed (the white space after them stays, as
    // unfolding requires).
    bool quoted_string() {
        unquoted_.clear();
        for (++pos_; pos_ < s_.size(); ++pos_) {
            const char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c == '\\' && !quoted_pair()) return false;
            if (!is_line_break(c)) unquoted_ += s_[pos_];  // c, or the character it escapes
        }
        return false;
    }

    // Brackets included. White space inside the brackets (legal FWS) is
    // rejected: no real sender writes it and it would make equal literals
    // compare different.
    bool domain_literal() {
        const size_t start = pos_++;
        while (pos_ < s_.size() && is_dtext(s_[pos_])) ++pos_;
        if (pos_ == s_.size() || s_[pos_] != ']' || pos_ == start + 1) return false;
        ++pos_;
        return true;
    }

    const std::string &s_;
    size_t pos_ = 0;
    bool cfws_allowed_;
    std::string unquoted_;
};

// RFC 2047 section 5 forbids encoded words in an addr-spec, yet some clients
// decode them there and would show another address.
bool has_encoded_word(const std::string &s) {
    const size_t open = s.find("=?");
    return open != std::string::npos && s.find("?=", open + 2) != std::string::npos;
}

// Local parts and domains: no SMTPUTF8 support is claimed, and non-ASCII
// lookalikes (U+017F for 's', fullwidth letters) must not pass for ASCII.
ParseError address_text_error(const std::string &s) {
    if (!is_ascii(s)) return ParseError::non_ascii;
    return has_encoded_word(s) ? ParseError::encoded_word : ParseError::none;
}

// Only single spaces between other characters: " support" or "sup  port"
// reads like another mailbox, and LDAP matching ignores such spaces (and
// takes a tab for a space).
bool odd_spaces(const std::string &local) {
    return local.front() == ' ' || local.back() == ' ' || local.find("  ") != std::string::npos ||
           local.find('\t') != std::string::npos;
}

// Recursive descent with one token of lookahead and no backtracking, so the
// time is linear in the value. A run of words (atoms, quoted strings, dots)
// is a display name or a local part; what follows it decides which, so
// nothing before a '<' can ever become the address.
class Parser {
public:
    Parser(const std::string &value, bool cfws_allowed) : lexer_(value, cfws_allowed) { lexer_.next(token_); }

    // Empty list elements (obs-mbox-list: ",,", a leading or trailing comma)
    // are rejected: simpler and safer, and no legitimate From: needs them.
    ParseError mailbox_list(std::vector<Mailbox> &out) {
        if (at_end()) return ParseError::empty;
        do {
            const ParseError error = mailbox(out.emplace_back());
            if (error != ParseError::none) return error;  // the caller drops out
        } while (accept(','));
        return at_end() ? ParseError::none : ParseError::syntax;
    }

    // reverse-path: "<>", "", or an addr-spec with or without brackets; a
    // source route is tolerated inside brackets.
    ParseError envelope(Mailbox &out) {
        ParseError error = ParseError::none;
        if (accept('<')) {
            if (!accept('>')) error = route_addr(out);
        } else if (!at_end()) {
            error = addr_spec(out);
        }
        return finished(error);
    }

    // A bare addr-spec and nothing else.
    ParseError lone_addr_spec(Mailbox &out) { return finished(addr_spec(out)); }

private:
    // A run of words, its text as a phrase (each CFWS run one space): the
    // same text as the dot-atom or the unquoted string when it is one.
    struct Words {
        std::string text;
        size_t count = 0;
        Token::Kind first = Token::end;
        bool atoms_and_dots = true;  // alternating, from an atom, without CFWS inside

        // phrase / obs-phrase: dots allowed after the first word.
        bool phrase() const { return first != Token::dot; }
        bool dot_atom() const { return atoms_and_dots && count % 2 == 1; }
        bool quoted() const { return count == 1 && first == Token::quoted; }
        // dot-atom or a single quoted-string, non-empty. obs-local-part (CFWS
        // around the dots, atoms mixed with quoted strings) is rejected.
        bool local_part() const { return (quoted() || dot_atom()) && !text.empty(); }
    };

    bool at_end() const { return token_.kind == Token::end; }
    bool peek_special(char c) const { return token_.kind == Token::special && token_.text[0] == c; }
    void advance() { lexer_.next(token_); }

    bool accept(char c) {
        if (!peek_special(c)) return false;
        advance();
        return true;
    }

    ParseError finished(ParseError error) const {
        return error == ParseError::none && !at_end() ? ParseError::syntax : error;
    }

    Words words() {
        Words words;
        for (; token_.kind == Token::atom || token_.kind == Token::quoted || token_.kind == Token::dot; advance()) {
            const bool inner_space = words.count != 0 && token_.space_before;
            if (token_.kind != (words.count % 2 == 0 ? Token::atom : Token::dot) || inner_space)
                words.atoms_and_dots = false;
            if (words.count++ == 0) words.first = token_.kind;
            if (inner_space) words.text += ' ';
            words.text += token_.text;
        }
        return words;
    }

    ParseError mailbox(Mailbox &out) {
        Words words = this->words();
        if (peek_special(':'))  // display-name ":" starts a group (RFC 6854)
            return words.count != 0 && words.phrase() ? ParseError::group : ParseError::syntax;
        if (!peek_special('<')) return addr_spec(words, out);
        if (!words.phrase()) return ParseError::syntax;
        out.display = std::move(words.text);  // encoded words stay encoded
        advance();
        return route_addr(out);
    }

    // The rest of an angle-addr, after its '<'.
    ParseError route_addr(Mailbox &out) {
        ParseError error = skip_route();
        if (error == ParseError::none) error = addr_spec(out);
        return error == ParseError::none && !accept('>') ? ParseError::syntax : error;
    }

    // obs-route = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) ":"
    // The route is dropped: only the final addr-spec is the address.
    ParseError skip_route() {
        if (!peek_special('@') && !peek_special(',')) return ParseError::none;
        std::string ignored;
        while (accept(',')) {
        }
        if (!accept('@')) return ParseError::syntax;
        ParseError error = domain(ignored);
        while (error == ParseError::none && accept(','))
            if (accept('@')) error = domain(ignored);
        return error == ParseError::none && !accept(':') ? ParseError::syntax : error;
    }

    ParseError addr_spec(Mailbox &out) {
        Words local = words();
        return addr_spec(local, out);
    }

    // The rest of an addr-spec, its local part already read.
    ParseError addr_spec(Words &local, Mailbox &out) {
        if (!local.local_part() || !accept('@')) return ParseError::syntax;
        ParseError error = domain(out.domain);
        if (error == ParseError::none) error = address_text_error(local.text);
        if (error == ParseError::none && local.quoted() && odd_spaces(local.text)) error = ParseError::quoted_spaces;
        out.local = std::move(local.text);
        return error;
    }

    // dot-atom or a domain literal; obs-domain is rejected. Internationalised
    // domains must arrive as A-labels.
    ParseError domain(std::string &out) {
        if (token_.kind == Token::literal) {
            out = token_.text;
            advance();
        } else {
            Words words = this->words();
            if (!words.dot_atom()) return ParseError::syntax;
            out = std::move(words.text);
        }
        return address_text_error(out);
    }

    Lexer lexer_;
    Token token_;
};

// Envelope paths and addresses to write: no CFWS, and no control character
// even inside a quoted string.
ParseError parse_path(const std::string &value, bool envelope, Mailbox &out) {
    if (std::any_of(value.begin(), value.end(), is_control)) return ParseError::control_char;
    Parser parser(value, false);
    return envelope ? parser.envelope(out) : parser.lone_addr_spec(out);
}

}  // namespace

const char *describe(ParseError error) {
    switch (error) {
    case ParseError::none: return "no error";
    case ParseError::empty: return "no mailbox";
    case ParseError::syntax: return "not a valid RFC 5322 address";
    case ParseError::control_char: return "control character in header";
    case ParseError::group: return "group syntax is not allowed";
    case ParseError::encoded_word: return "address contains an encoded word";
    case ParseError::non_ascii: return "address contains non-ASCII characters";
    case ParseError::quoted_spaces: return "quoted local part with leading, trailing or repeated spaces or a tab";
    }
    return "unknown address error";
}

// Control characters are checked first, so they are reported as such even
// inside an otherwise malformed value or a group.
ParsedMailboxes parse_mailbox_list(const std::string &value) {
    ParsedMailboxes result;
    try {  // called from libmilter callbacks: not even bad_alloc may escape
        if (!controls_are_folding(value))
            result.error = ParseError::control_char;
        else
            result.error = Parser(value, true).mailbox_list(result.mailboxes);
    } catch (...) {
        result.error = ParseError::syntax;
    }
    if (!result.ok()) result.mailboxes.clear();
    return result;
}

// The address is checked, never repaired: a directory value that is not a
// plain addr-spec must neither inject header text nor be written mangled.
// ASCII names are always quoted (never emitted as bare atoms), which keeps
// specials in them inert; other names are RFC 2047 encoded. No catch: an
// allocation failure reaches the milter callback's guard, which tempfails.
bool is_addr_spec(const std::string &address) {
    Mailbox parsed;
    return parse_path(address, false, parsed) == ParseError::none;
}

// On failure out is left empty.
bool parse_envelope_address(const std::string &value, Mailbox &out) {
    try {
        out = Mailbox();
        Mailbox parsed;
        if (parse_path(value, true, parsed) != ParseError::none) return false;
        out = std::move(parsed);
        return true;
    } catch (...) {
        out = Mailbox();
        return false;
    }
}

std::string smtp_path(const std::string &address) {
    const auto at = address.rfind('@');
    const std::string local = address.substr(0, at == std::string::npos ? address.size() : at);
    const std::string domain = at == std::string::npos ? std::string() : address.substr(at);
    bool dot_atom =
        !local.empty() && local.front() != '.' && local.back() != '.' && local.find("..") == std::string::npos;
    for (char c : local) dot_atom = dot_atom && (c == '.' || is_atext(c));
    if (dot_atom) return "<" + local + domain + ">";
    std::string quoted = "<\"";
    for (char c : local) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "\"" + domain + ">";
}

}  // namespace sendas
