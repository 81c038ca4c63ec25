// Durations as admins write them: "90d", "12h", "30m", "45s", or plain
// seconds. For usage.retention and sendasctl's --since and --unused.
#ifndef SENDAS_DURATION_H
#define SENDAS_DURATION_H

#include <cstdint>
#include <string>

namespace sendas {

// "90d" -> 7776000. Units s, m, h, d, w; none means seconds. False for
// anything else: empty, zero, a sign, a fraction, more than ten years.
bool parse_duration(const std::string &text, int64_t &seconds);

// The shortest exact spelling: 7776000 -> "90d", 90 -> "90s".
std::string format_duration(int64_t seconds);

}  // namespace sendas

#endif
