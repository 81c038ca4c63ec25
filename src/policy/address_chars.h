// Character classes shared by the address parser and the Sender: writer.
#ifndef SENDAS_ADDRESS_CHARS_H
#define SENDAS_ADDRESS_CHARS_H

#include <algorithm>
#include <string>

namespace sendas {

// C0 controls except HTAB, and DEL (obs-NO-WS-CTL has no place in a From: we trust).
inline bool is_control(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

inline bool is_ascii(const std::string &s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace sendas

#endif
