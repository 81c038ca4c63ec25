// RFC 5322 mailbox-list and envelope address parsing, and Sender:/From: rendering.
#include "address.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace sendas {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool is_line_break(char c) { return c == '\r' || c == '\n'; }

// C0 controls except HTAB, and DEL (obs-NO-WS-CTL has no place in a From: we trust).
bool is_control(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

bool is_ascii(const std::string &s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// RFC 5322 atext, extended with all non-ASCII bytes (RFC 6532 UTF8-non-ascii).
bool is_atext(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x80 || (c > ' ' && c < 0x7f && !std::strchr("()<>[]:;@\\,.\"", c));
}

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

// Well-formed UTF-8 only (no overlong forms, surrogates or stray bytes), so
// that two different byte strings can never name the same local part.
bool valid_utf8(const std::string &s) {
    static const unsigned min_code_point[] = {0, 0x80, 0x800, 0x10000};
    for (size_t i = 0; i < s.size();) {
        const auto lead = static_cast<unsigned char>(s[i]);
        size_t trail;
        unsigned cp;
        if (lead < 0x80) { ++i; continue; }
        if ((lead & 0xe0) == 0xc0) { trail = 1; cp = lead & 0x1f; }
        else if ((lead & 0xf0) == 0xe0) { trail = 2; cp = lead & 0x0f; }
        else if ((lead & 0xf8) == 0xf0) { trail = 3; cp = lead & 0x07; }
        else return false;
        if (i + trail >= s.size()) return false;
        for (size_t k = 1; k <= trail; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xc0) != 0x80) return false;
            cp = cp << 6 | (c & 0x3f);
        }
        if (cp < min_code_point[trail] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += trail + 1;
    }
    return true;
}

// An RFC 5322 lexical token. Comments and folding white space are not
// tokens: they only mark the token after them with space_before.
struct Token {
    enum Kind { atom, quoted, dot, literal, special, end };
    Kind kind;
    std::string text;  // atom, unquoted string content, literal with brackets, or the character
    bool space_before;
};

class Lexer {
public:
    // cfws_allowed is false for envelope addresses: SMTP paths have no
    // comments and no white space outside quoted strings.
    Lexer(const std::string &value, bool cfws_allowed) : s_(value), cfws_allowed_(cfws_allowed) {}

    // False on an unterminated quoted string, comment or domain literal, or
    // CFWS where none is allowed. The tokens always end with an `end` token.
    bool run(std::vector<Token> &out) {
        for (;;) {
            bool space = false;
            if (!skip_cfws(space)) return false;
            if (pos_ == s_.size()) {
                out.push_back({Token::end, "", space});
                return true;
            }
            const char c = s_[pos_];
            Token token{Token::special, std::string(1, c), space};
            if (is_atext(c)) {
                const size_t start = pos_;
                while (pos_ < s_.size() && is_atext(s_[pos_])) ++pos_;
                token = {Token::atom, s_.substr(start, pos_ - start), space};
            } else if (c == '"') {
                token = {Token::quoted, "", space};
                if (!quoted_string(token.text)) return false;
            } else if (c == '[') {
                token.kind = Token::literal;
                if (!domain_literal(token.text)) return false;
            } else {
                // Everything else is a one-character special; a stray ')' or
                // '\' becomes one and fails in the parser.
                if (c == '.') token.kind = Token::dot;
                ++pos_;
            }
            out.push_back(std::move(token));
        }
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

    // Stores the content unquoted: quoted-pairs resolved, folding line breaks
    // removed (the white space after them stays, as unfolding requires).
    bool quoted_string(std::string &out) {
        for (++pos_; pos_ < s_.size(); ++pos_) {
            const char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c == '\\' && !quoted_pair()) return false;
            if (!is_line_break(c)) out += s_[pos_];  // c, or the character it escapes
        }
        return false;
    }

    // Kept as written, brackets included. White space inside the brackets
    // (legal FWS) is rejected: no real sender writes it and it would make
    // equal literals compare different.
    bool domain_literal(std::string &out) {
        const size_t start = pos_++;
        while (pos_ < s_.size() && is_dtext(s_[pos_])) ++pos_;
        if (pos_ == s_.size() || s_[pos_] != ']' || pos_ == start + 1) return false;
        ++pos_;
        out = s_.substr(start, pos_ - start);
        return true;
    }

    const std::string &s_;
    size_t pos_ = 0;
    bool cfws_allowed_;
};

// Recursive descent over the tokens. A run of words (atoms, quoted strings,
// dots) is a display name or a local part; what follows it decides which,
// so nothing before a '<' can ever become the address.
class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

    // Empty list elements (obs-mbox-list: ",,", a leading or trailing comma)
    // are rejected: simpler and safer, and no legitimate From: needs them.
    ParseError mailbox_list(std::vector<Mailbox> &out) {
        if (at_end()) return ParseError::empty;
        do {
            Mailbox mailbox;
            const ParseError error = this->mailbox(mailbox);
            if (error != ParseError::none) return error;
            out.push_back(std::move(mailbox));
        } while (accept(','));
        return at_end() ? ParseError::none : ParseError::syntax;
    }

    // reverse-path: "<>", "", or an addr-spec with or without brackets; a
    // source route is tolerated inside brackets.
    bool envelope(Mailbox &out) {
        bool ok;
        if (accept('<'))
            ok = accept('>') || (skip_route() && addr_spec(out) && accept('>'));
        else
            ok = at_end() || addr_spec(out);
        return ok && at_end();
    }

private:
    const Token &peek() const { return tokens_[pos_]; }
    bool at_end() const { return peek().kind == Token::end; }
    bool peek_special(char c) const { return peek().kind == Token::special && peek().text[0] == c; }

    bool accept(char c) {
        if (!peek_special(c)) return false;
        ++pos_;
        return true;
    }

    void skip_words() {
        while (peek().kind == Token::atom || peek().kind == Token::quoted || peek().kind == Token::dot) ++pos_;
    }

    ParseError mailbox(Mailbox &out) {
        const size_t first = pos_;
        skip_words();
        const size_t last = pos_;
        if (peek_special(':'))  // display-name ":" starts a group (RFC 6854)
            return first != last && phrase(first, last, out.display) ? ParseError::group : ParseError::syntax;
        if (peek_special('<'))
            return phrase(first, last, out.display) && angle_addr(out) ? ParseError::none : ParseError::syntax;
        pos_ = first;
        return addr_spec(out) ? ParseError::none : ParseError::syntax;
    }

    // phrase / obs-phrase: words, dots allowed after the first word. Stored
    // unquoted with each CFWS run as one space; encoded words stay encoded.
    bool phrase(size_t first, size_t last, std::string &out) const {
        if (first != last && tokens_[first].kind == Token::dot) return false;
        for (size_t i = first; i < last; ++i) {
            if (i != first && tokens_[i].space_before) out += ' ';
            out += tokens_[i].text;
        }
        return true;
    }

    bool angle_addr(Mailbox &out) { return accept('<') && skip_route() && addr_spec(out) && accept('>'); }

    // obs-route = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) ":"
    // The route is dropped: only the final addr-spec is the address.
    bool skip_route() {
        if (!peek_special('@') && !peek_special(',')) return true;
        std::string ignored;
        while (accept(',')) {}
        if (!accept('@') || !domain(ignored)) return false;
        while (accept(','))
            if (accept('@') && !domain(ignored)) return false;
        return accept(':');
    }

    bool addr_spec(Mailbox &out) {
        const size_t first = pos_;
        skip_words();
        const size_t last = pos_;
        return accept('@') && local_part(first, last, out.local) && domain(out.domain);
    }

    // dot-atom or a single quoted-string, non-empty and valid UTF-8 (RFC 6532
    // allows UTF-8 here). obs-local-part (CFWS around the dots, atoms mixed
    // with quoted strings) is rejected.
    bool local_part(size_t first, size_t last, std::string &out) const {
        if (last - first == 1 && tokens_[first].kind == Token::quoted)
            out = tokens_[first].text;
        else if (!dot_atom(first, last, out))
            return false;
        return !out.empty() && valid_utf8(out);
    }

    // dot-atom (ASCII only: internationalised domains must arrive as
    // A-labels) or a domain literal. obs-domain is rejected.
    bool domain(std::string &out) {
        if (peek().kind == Token::literal) {
            out = tokens_[pos_++].text;
            return true;
        }
        const size_t first = pos_;
        skip_words();
        return dot_atom(first, pos_, out) && is_ascii(out);
    }

    // dot-atom-text: atoms joined by single dots, no CFWS between them.
    bool dot_atom(size_t first, size_t last, std::string &out) const {
        if ((last - first) % 2 == 0) return false;
        for (size_t i = first; i < last; ++i) {
            const Token &token = tokens_[i];
            const Token::Kind expected = (i - first) % 2 == 0 ? Token::atom : Token::dot;
            if (token.kind != expected || (i != first && token.space_before)) return false;
            out += token.text;
        }
        return true;
    }

    std::vector<Token> tokens_;
    size_t pos_ = 0;
};

// Keeps a written header far below the 998-octet line limit.
constexpr size_t max_display_bytes = 200;
// "=?UTF-8?B?" + 60 base64 characters + "?=" is 72 <= 75 characters.
constexpr size_t max_encoded_word_bytes = 45;

// Drops control characters; HTAB becomes a space.
std::string without_controls(const std::string &s) {
    std::string out;
    for (char c : s) {
        if (c == '\t') out += ' ';
        else if (!is_control(c)) out += c;
    }
    return out;
}

std::string trim_spaces(const std::string &s) {
    const size_t first = s.find_first_not_of(' ');
    return first == std::string::npos ? std::string() : s.substr(first, s.find_last_not_of(' ') - first + 1);
}

// The largest cut in (from, limit] that does not split a UTF-8 sequence;
// limit itself if there is none (invalid input), so callers always progress.
size_t utf8_cut(const std::string &s, size_t from, size_t limit) {
    if (limit >= s.size()) return s.size();
    size_t cut = limit;
    while (cut > from && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
    return cut > from ? cut : limit;
}

std::string base64(const std::string &in) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
        unsigned n = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
        out += i + 1 < in.size() ? alphabet[n >> 6 & 63] : '=';
        out += i + 2 < in.size() ? alphabet[n & 63] : '=';
    }
    return out;
}

// RFC 2047 B encoding, one word per chunk, chunks cut at character
// boundaries so every word decodes on its own.
std::string encoded_words(const std::string &text) {
    std::string out;
    for (size_t pos = 0; pos < text.size();) {
        const size_t end = utf8_cut(text, pos, pos + max_encoded_word_bytes);
        if (!out.empty()) out += ' ';
        out += "=?UTF-8?B?" + base64(text.substr(pos, end - pos)) + "?=";
        pos = end;
    }
    return out;
}

std::string quoted_string(const std::string &text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

}  // namespace

const char *describe(ParseError error) {
    switch (error) {
    case ParseError::none: return "no error";
    case ParseError::empty: return "no mailbox";
    case ParseError::syntax: return "not a valid RFC 5322 address";
    case ParseError::control_char: return "control character in header";
    case ParseError::group: return "group syntax is not allowed";
    }
    return "unknown address error";
}

// Control characters are checked first, so they are reported as such even
// inside an otherwise malformed value or a group.
ParsedMailboxes parse_mailbox_list(const std::string &value) {
    ParsedMailboxes result;
    try {  // called from libmilter callbacks: not even bad_alloc may escape
        std::vector<Token> tokens;
        tokens.reserve(16);  // "Name <local@domain>" fits
        if (!controls_are_folding(value))
            result.error = ParseError::control_char;
        else if (!Lexer(value, true).run(tokens))
            result.error = ParseError::syntax;
        else
            result.error = Parser(std::move(tokens)).mailbox_list(result.mailboxes);
    } catch (...) {
        result.error = ParseError::syntax;
    }
    if (!result.ok()) result.mailboxes.clear();
    return result;
}

// ASCII names are always quoted (never emitted as bare atoms), which keeps
// specials in them inert; other names are RFC 2047 encoded.
std::string format_mailbox(const std::string &display_name, const std::string &address) {
    try {
        const std::string addr = without_controls(address);
        std::string name = without_controls(display_name);
        name = trim_spaces(name.substr(0, utf8_cut(name, 0, max_display_bytes)));
        if (name.empty()) return addr;
        return (is_ascii(name) ? quoted_string(name) : encoded_words(name)) + " <" + addr + ">";
    } catch (...) {
        return std::string();
    }
}

// On failure out is left empty.
bool parse_envelope_address(const std::string &value, Mailbox &out) {
    try {
        out = Mailbox();
        std::vector<Token> tokens;
        tokens.reserve(8);  // <local@domain>
        if (std::any_of(value.begin(), value.end(), is_control) || !Lexer(value, false).run(tokens)) return false;
        Mailbox parsed;
        if (!Parser(std::move(tokens)).envelope(parsed)) return false;
        out = std::move(parsed);
        return true;
    } catch (...) {
        out = Mailbox();
        return false;
    }
}

}  // namespace sendas
