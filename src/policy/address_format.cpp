// Rendering the Sender: the milter writes; see address.h (format_mailbox).
#include "policy/address.h"

#include <cstdint>

#include "policy/address_chars.h"

namespace sendas {
namespace {

// Keeps a written header far below the 998-octet line limit.
constexpr size_t max_display_bytes = 200;
// "=?UTF-8?B?" + 60 base64 characters + "?=" is 72 <= 75 characters.
constexpr size_t max_encoded_word_bytes = 45;

// Drops control characters; HTAB becomes a space.
std::string without_controls(const std::string &s) {
    std::string out;
    for (char c : s) {
        if (c == '\t')
            out += ' ';
        else if (!is_control(c))
            out += c;
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

std::optional<std::string> format_mailbox(const std::string &display_name, const std::string &address) {
    if (!is_addr_spec(address)) return std::nullopt;
    std::string name = without_controls(display_name);
    name = trim_spaces(name.substr(0, utf8_cut(name, 0, max_display_bytes)));
    if (name.empty()) return address;
    return (is_ascii(name) ? quoted_string(name) : encoded_words(name)) + " <" + address + ">";
}
}  // namespace sendas
