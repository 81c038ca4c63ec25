// JSON string literals for the audit log and `sendasctl audit --format json`.
#ifndef SENDAS_JSON_H
#define SENDAS_JSON_H

#include <string>
#include <string_view>

namespace sendas {

// Appends `value` as a quoted JSON string: '"' and '\' escaped, control
// characters as \u00XX; other bytes (UTF-8) pass through.
inline void append_json_string(std::string &out, std::string_view value) {
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (unsigned char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

inline std::string json_string(std::string_view value) {
    std::string out;
    append_json_string(out, value);
    return out;
}

}  // namespace sendas

#endif
