// Small string helpers shared across units.
#ifndef SENDAS_STRING_UTIL_H
#define SENDAS_STRING_UTIL_H

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace sendas {

// ASCII lower case: domains, attribute names and DNs compare this way.
inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// Splits on white space, dropping empty words.
inline std::vector<std::string> split_words(const std::string &text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

// The words joined by single spaces.
inline std::string join_words(const std::vector<std::string> &words) {
    std::string out;
    for (const auto &w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

}  // namespace sendas

#endif
