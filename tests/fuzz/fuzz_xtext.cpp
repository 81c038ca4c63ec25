// fuzz-xtext: the decoder of Sendmail's {auth_authen} (RFC 3461 xtext)
// against a reference: it accepts exactly the values whose every '+' is
// followed by two upper-case hex digits, and undoes any encoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "milter/session.h"

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// Written apart from the decoder's scan: every piece after a '+' must
// start with two hex digits.
bool well_formed(const std::string &s) {
    for (size_t plus = s.find('+'); plus != std::string::npos; plus = s.find('+', plus + 1)) {
        const std::string piece = s.substr(plus + 1, s.find('+', plus + 1) - plus - 1);
        if (piece.size() < 2 || !is_hex(piece[0]) || !is_hex(piece[1])) return false;
    }
    return true;
}

// RFC 3461: '+', '=' and anything outside "!".."~" as +HH.
std::string encode(const std::string &s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (c < '!' || c > '~' || c == '+' || c == '=') {
            out += '+';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string input(reinterpret_cast<const char *>(data), size);
    std::string decoded;
    const bool ok = sendas::decode_xtext(input, decoded);
    FUZZ_CHECK(ok == well_formed(input));
    if (ok) FUZZ_CHECK(decoded.size() <= input.size());

    std::string round_trip;
    FUZZ_CHECK(sendas::decode_xtext(encode(input), round_trip));
    FUZZ_CHECK(round_trip == input);
    return 0;
}
