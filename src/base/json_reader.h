// A strict JSON reader (RFC 8259) for documents the programs read back,
// such as an earlier `sendasctl audit --format json` snapshot for --diff.
// Input from outside: nesting is bounded, errors are values, not crashes.
#ifndef SENDAS_JSON_READER_H
#define SENDAS_JSON_READER_H

#include <string>
#include <utility>
#include <vector>

namespace sendas {

struct JsonValue {
    enum Type { null, boolean, number, string, array, object } type = null;
    std::string text;  // a string's value (UTF-8), a number or literal as written
    std::vector<JsonValue> items;
    std::vector<std::pair<std::string, JsonValue>> members;  // in document order

    // The member `key` of an object, or nullptr.
    const JsonValue *get(const std::string &key) const;
};

// False and `error` (with the offset) for anything but one JSON value
// nested at most 64 deep; \u escapes become UTF-8, lone surrogates are
// refused.
bool parse_json(const std::string &text, JsonValue &value, std::string &error);

}  // namespace sendas

#endif
