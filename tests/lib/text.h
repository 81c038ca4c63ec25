// String helpers for the unit tests.
#ifndef SENDAS_TESTS_TEXT_H
#define SENDAS_TESTS_TEXT_H

#include <string>
#include <vector>

namespace sendas_test {

inline std::string join(const std::vector<std::string> &items, const std::string &separator = " ") {
    std::string out;
    for (const auto &item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

inline bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace sendas_test

#endif
