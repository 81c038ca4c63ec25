// JSON string literals for the audit log and `sendasctl audit --format json`.
#ifndef SENDAS_JSON_H
#define SENDAS_JSON_H

#include <string>
#include <string_view>

namespace sendas {

// Appends `value` as a quoted JSON string: '"' and '\' escaped, control
// characters as \u00XX, valid UTF-8 passed through, and each byte of an
// invalid UTF-8 sequence as U+FFFD, so a log consumer never gets a line it
// cannot decode (header values and LDAP data are not guaranteed UTF-8).
void append_json_string(std::string &out, std::string_view value);

inline std::string json_string(std::string_view value) {
    std::string out;
    append_json_string(out, value);
    return out;
}

}  // namespace sendas

#endif
