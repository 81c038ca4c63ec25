// What the two load generators (milter-load, smtp-load) share: the message
// mix, option parsing and percentiles.
#ifndef SENDAS_BENCH_LOAD_COMMON_H
#define SENDAS_BENCH_LOAD_COMMON_H

#include <algorithm>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli_args.h"

enum class Kind { own, send_as, behalf, denied };
constexpr int kind_count = 4;
const char *const kind_names[kind_count] = {"own", "send-as", "behalf", "denied"};

// The value at percentile p (0..100) of sorted samples; 0 when there are none.
inline double percentile(const std::vector<double> &sorted, double p) {
    if (sorted.empty()) return 0;
    auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(index, sorted.size() - 1)];
}

// --mix KIND:WEIGHT,...: kinds not named get weight 0; at least one above 0.
inline void parse_mix(const std::string &text, double (&weights)[kind_count]) {
    for (double &w : weights) w = 0;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        auto colon = item.find(':');
        std::string name = item.substr(0, colon);
        int k = 0;
        while (k < kind_count && name != kind_names[k]) ++k;
        if (k == kind_count || colon == std::string::npos)
            throw UsageError("--mix wants KIND:WEIGHT,... with KIND own, send-as, behalf or denied: " + text);
        weights[k] = static_cast<double>(parse_number(item.substr(colon + 1), "mix", 0, 1000000));
    }
    double sum = 0;
    for (double w : weights) sum += w;
    if (sum <= 0) throw UsageError("--mix needs a weight above 0");
}

#endif
