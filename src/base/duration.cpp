// Duration spelling; see duration.h.
#include "base/duration.h"

#include <cctype>

namespace sendas {
namespace {

struct Unit {
    char letter;
    int64_t seconds;
};

// Largest first: format_duration picks the first that divides exactly.
constexpr Unit units[] = {{'w', int64_t{7} * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
constexpr int64_t ten_years = int64_t{10} * 366 * 86400;

}  // namespace

bool parse_duration(const std::string &text, int64_t &seconds) {
    if (text.empty() || text.size() > 12) return false;
    std::string digits = text;
    int64_t unit = 1;
    if (!std::isdigit(static_cast<unsigned char>(digits.back()))) {
        unit = 0;
        for (const auto &u : units)
            if (u.letter == digits.back()) unit = u.seconds;
        if (unit == 0) return false;
        digits.pop_back();
    }
    if (digits.empty()) return false;
    int64_t n = 0;
    for (unsigned char c : digits) {
        if (!std::isdigit(c)) return false;
        n = n * 10 + (c - '0');
        if (n > ten_years) return false;
    }
    if (n == 0 || n * unit > ten_years) return false;
    seconds = n * unit;
    return true;
}

std::string format_duration(int64_t seconds) {
    for (const auto &u : units)
        if (seconds != 0 && seconds % u.seconds == 0) return std::to_string(seconds / u.seconds) + u.letter;
    return std::to_string(seconds) + "s";
}

}  // namespace sendas
